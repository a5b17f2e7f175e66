package imaging

import (
	"image/color"
	"testing"
)

func TestFlip(t *testing.T) {
	src := encodePNG(t, quadrants(200, 100, red, green, blue, yellow))
	for _, tt := range []struct {
		direction      string
		tl, tr, bl, br color.RGBA
	}{
		{"horizontal", green, red, yellow, blue},
		{"vertical", blue, yellow, red, green},
	} {
		img := decodeImage(t, process(t, src, Output{Format: "png"}, &Flip{Direction: tt.direction}).Bytes)
		if got := img.Bounds().Size(); got.X != 200 || got.Y != 100 {
			t.Fatalf("%s: size %v", tt.direction, got)
		}
		for _, c := range []struct {
			x, y int
			want color.RGBA
		}{{0, 0, tt.tl}, {199, 0, tt.tr}, {0, 99, tt.bl}, {199, 99, tt.br}, {99, 49, tt.tl}, {100, 50, tt.br}} {
			if got := color.RGBAModel.Convert(img.At(c.x, c.y)); got != c.want {
				t.Errorf("%s: pixel %d,%d = %v, want %v", tt.direction, c.x, c.y, got, c.want)
			}
		}
	}
}

// Flipping twice gives the picture back, pixel for pixel.
func TestFlipTwice(t *testing.T) {
	src := encodePNG(t, photo(64, 48))
	plain := process(t, src, Output{Format: "png"})
	twice := process(t, src, Output{Format: "png"}, &Flip{Direction: "vertical"}, &Flip{Direction: "vertical"})
	if string(plain.Bytes) != string(twice.Bytes) {
		t.Error("flipped twice, the picture changed")
	}
}
