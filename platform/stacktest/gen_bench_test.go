package stacktest

import "testing"

func TestGeneratedAreDeterministic(t *testing.T) {
	a := Generated(t, 3, 9)
	generated.Clear()
	b := Generated(t, 3, 9)
	for i := range a {
		if a[i].Name != b[i].Name || string(a[i].Data) != string(b[i].Data) {
			t.Fatalf("picture %d differs between two draws from the same seed", i)
		}
	}
	if len(a[2].Data) < 10_000 {
		t.Errorf("picture 2 is only %d bytes: not much of a photo", len(a[2].Data))
	}
}
