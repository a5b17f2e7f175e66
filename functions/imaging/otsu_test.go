package imaging

import (
	"slices"
	"testing"
)

func TestOtsu(t *testing.T) {
	for _, c := range []struct {
		name           string
		vs             []float64
		at, low, high  float64
		minGap, maxGap float64
	}{
		{"empty", nil, 0, 0, 0, 0, 0},
		{"one value", []float64{5, 5, 5}, 5, 5, 5, 0, 0},
		{"two classes", []float64{1, 2, 3, 2, 20, 21, 22, 21}, 11.5, 2, 21, 19, 19},
		{"uneven classes", []float64{0, 1, 0, 1, 0, 1, 0, 1, 30}, 15.5, 0.5, 30, 29.5, 29.5},
	} {
		got := otsu(slices.Clone(c.vs))
		if got.at != c.at || got.low != c.low || got.high != c.high {
			t.Errorf("%s: otsu = %+v, want at %v, low %v, high %v", c.name, got, c.at, c.low, c.high)
		}
		if g := got.gap(); g < c.minGap || g > c.maxGap {
			t.Errorf("%s: gap %v, want %v to %v", c.name, g, c.minGap, c.maxGap)
		}
	}
}

func TestDilateAndBoxBlur(t *testing.T) {
	// a 5×3 picture with one set pixel in the middle of the top row
	m := []bool{
		false, false, true, false, false,
		false, false, false, false, false,
		false, false, false, false, false,
	}
	want := []bool{
		false, true, true, true, false,
		false, true, true, true, false,
		false, false, false, false, false,
	}
	if got := dilate(m, 5, 3, 1); !slices.Equal(got, want) {
		t.Errorf("dilate by 1 = %v, want %v", got, want)
	}
	v := []float64{0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	got := boxBlur(v, 5, 3, 1)
	// the top row's middle: 9 over the 3×2 square inside the picture
	if got[2] != 1.5 || got[7] != 1 || got[12] != 0 || got[0] != 0 {
		t.Errorf("boxBlur by 1 = %v, want 1.5 at (2,0), 1 at (2,1), 0 at (2,2) and (0,0)", got)
	}
}
