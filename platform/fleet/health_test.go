package fleet

import (
	"testing"
	"time"
)

func TestHealth(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		crashes, slots int
		healthy        bool
	}{
		{0, 2, true},
		{2, 1, true},  // under three is bad luck
		{3, 1, false}, // three, and more than one per slot
		{3, 2, false},
		{3, 4, true}, // fewer than one per slot
		{5, 4, false},
	}
	for _, tt := range tests {
		st := Health(tt.crashes, tt.slots, now)
		if st.Healthy != tt.healthy || !st.At.Equal(now) || (st.Message == "") != tt.healthy {
			t.Errorf("Health(%d crashes, %d slots) = %+v, want healthy %v", tt.crashes, tt.slots, st, tt.healthy)
		}
	}
}
