package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCountStarted(t *testing.T) {
	tests := []struct {
		name      string
		delivered int
		// started answers Started on its n-th call (from 1) about an
		// attempt.
		started func(call, attempt int) (bool, error)
		want    int
		asked   []int // the attempts Started was asked about, in order
	}{
		{"a first delivery reads nothing", 1, nil, 1, nil},
		{"the previous attempt started", 2, func(int, int) (bool, error) { return true, nil }, 2, []int{1}},
		{"a held first delivery died unstarted", 2, func(int, int) (bool, error) { return false, nil }, 1, nil},
		{"after a lost first delivery, attempt 1 and 2 ran", 4, func(_, a int) (bool, error) { return a <= 2, nil }, 3, nil},
		{"lost held twice, once ran", 4, func(_, a int) (bool, error) { return a <= 1, nil }, 2, nil},
		{"a poison request on its fourth delivery", 4, func(_, a int) (bool, error) { return a <= 3, nil }, 4, []int{3}},
		{"the record lags its event", 3, func(call, _ int) (bool, error) { return call >= 3, nil }, 3, []int{2, 2, 2}},
		{"records cannot be read: the broker's count stands", 3, func(int, int) (bool, error) { return false, errors.New("bucket down") }, 3, []int{2}},
		{"no grace: read once, then the older ones", 3, func(call, a int) (bool, error) { return a == 1, nil }, 2, []int{2, 1}},
		{"no records at all: at most Lost deliveries are forgiven", 9, func(int, int) (bool, error) { return false, nil }, 4, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var asked []int
			cfg := StartedConfig{Grace: 50 * time.Millisecond, Poll: time.Millisecond, Lost: 5}
			if strings.HasPrefix(tt.name, "no grace") {
				cfg.Grace = 0
			}
			cfg.Started = func(_ context.Context, _ *Delivery, n int) (bool, error) {
				asked = append(asked, n)
				return tt.started(len(asked), n)
			}
			var got int
			h := CountStarted(cfg, nil)(func(_ context.Context, d *Delivery) error { got = d.Attempt; return nil })
			if err := h(context.Background(), &Delivery{Attempt: tt.delivered}); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("delivery %d ran as attempt %d, want %d", tt.delivered, got, tt.want)
			}
			if tt.asked != nil && fmt.Sprint(asked) != fmt.Sprint(tt.asked) {
				t.Errorf("asked about attempts %v, want %v", asked, tt.asked)
			}
		})
	}
}
