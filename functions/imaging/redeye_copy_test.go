package imaging

import (
	"image"
	"testing"
)

// The face search's red gate: a window's eye band must hold some red, but
// less than a quarter of it.
func TestSomeRed(t *testing.T) {
	const w, h = 100, 100
	set := make([]bool, w*h)
	paint := func(r image.Rectangle) {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				set[y*w+x] = true
			}
		}
	}
	paint(image.Rect(10, 10, 13, 13))   // a pupil: 9 pixels
	paint(image.Rect(50, 50, 100, 100)) // a flag: 2500 pixels
	m := newCountMap(set, w, h)
	for _, c := range []struct {
		r    image.Rectangle
		want bool
	}{
		{image.Rect(0, 0, 30, 30), true},     // the pupil in a band of 900
		{image.Rect(20, 20, 40, 40), false},  // no red
		{image.Rect(50, 50, 90, 90), false},  // all flag
		{image.Rect(30, 30, 80, 80), false},  // 900 of 2500 are flag: 36 %
		{image.Rect(0, 0, 60, 60), true},     // 109 of 3600 are red: 3 %
		{image.Rect(-10, -10, 12, 12), true}, // clipped to the picture
	} {
		n := m.count(c.r.Intersect(image.Rect(0, 0, w, h)))
		if got := m.someRed(c.r); got != c.want {
			t.Errorf("someRed(%v) with %d red pixels = %v, want %v", c.r, n, got, c.want)
		}
	}
}
