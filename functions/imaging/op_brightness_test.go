package imaging

import (
	"image"
	"math"
	"testing"
)

func TestBrightnessScalesLightness(t *testing.T) {
	src := encodePNG(t, photo(240, 160))
	before := decodeImage(t, src)
	l0, a0, b0 := meanLab(before, before.Bounds())
	tests := []struct {
		factor float64
		// tolerance on the ratio of mean L*: PNG is lossless, so only
		// 8-bit rounding and the odd clipped pixel remain.
		tol float64
	}{
		{1.2, 0.03},
		{0.5, 0.03},
		{1.5, 0.03},
	}
	for _, tt := range tests {
		res := process(t, src, Output{Format: "png"}, &Brightness{Factor: tt.factor})
		after := decodeImage(t, res.Bytes)
		l1, a1, b1 := meanLab(after, after.Bounds())
		if ratio := l1 / l0; math.Abs(ratio-tt.factor) > tt.tol {
			t.Errorf("factor %v: mean L* %.1f → %.1f, ratio %.3f, want %v ± %v", tt.factor, l0, l1, ratio, tt.factor, tt.tol)
		}
		// The colours keep their hue: the mean a*, b* direction stays put.
		h0, h1 := math.Atan2(b0, a0)*180/math.Pi, math.Atan2(b1, a1)*180/math.Pi
		if math.Abs(h1-h0) > 3 {
			t.Errorf("factor %v: mean hue moved from %.1f° to %.1f°", tt.factor, h0, h1)
		}
	}
}

func TestBrightnessOneChangesNothing(t *testing.T) {
	for _, enc := range []struct {
		name   string
		src    []byte
		format string
		maxΔE  float64 // what re-encoding alone may cost
	}{
		{"png", encodePNG(t, photo(120, 80)), "png", 0},
		{"jpeg", encodeJPEG(t, photo(120, 80)), "jpeg", 3},
	} {
		plain := decodeImage(t, process(t, enc.src, Output{Format: enc.format}).Bytes)
		same := decodeImage(t, process(t, enc.src, Output{Format: enc.format}, &Brightness{Factor: 1}).Bytes)
		worst := 0.0
		b := plain.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				worst = math.Max(worst, deltaE(plain.At(x, y), same.At(x, y)))
			}
		}
		if worst > enc.maxΔE {
			t.Errorf("%s: factor 1 changed a pixel by ΔE %.2f, want at most %v", enc.name, worst, enc.maxΔE)
		}
	}
}

// Brightening must not wash out colour: a saturated orange stays orange,
// lighter, with its chroma kept.
func TestBrightnessKeepsColour(t *testing.T) {
	src := encodePNG(t, stripes(40, 40, rgba(180, 90, 40)))
	res := process(t, src, Output{Format: "png"}, &Brightness{Factor: 1.2})
	img := decodeImage(t, res.Bytes)
	l0, a0, b0 := lab(rgba(180, 90, 40))
	l1, a1, b1 := meanLab(img, image.Rect(0, 0, 40, 40))
	if math.Abs(l1/l0-1.2) > 0.02 {
		t.Errorf("L* %.1f → %.1f, want ×1.2", l0, l1)
	}
	if c0, c1 := math.Hypot(a0, b0), math.Hypot(a1, b1); math.Abs(c1-c0) > 2 {
		t.Errorf("chroma %.1f → %.1f, want it kept", c0, c1)
	}
}

// Transparency survives the trip through LAB.
func TestBrightnessKeepsAlpha(t *testing.T) {
	pic := stripes(40, 40, rgba(100, 120, 140))
	for y := range 40 {
		for x := range 20 {
			pic.Pix[pic.PixOffset(x, y)+3] = 0
		}
	}
	res := process(t, encodePNG(t, pic), Output{Format: "png"}, &Brightness{Factor: 1.3})
	img := decodeImage(t, res.Bytes)
	if _, _, _, a := img.At(5, 5).RGBA(); a != 0 {
		t.Errorf("transparent pixel has alpha %d", a>>8)
	}
	if _, _, _, a := img.At(30, 5).RGBA(); a != 0xffff {
		t.Errorf("opaque pixel has alpha %d", a>>8)
	}
}

// A greyscale picture stays grey, one band, and gets lighter.
func TestBrightnessGrey(t *testing.T) {
	grey := image.NewGray(image.Rect(0, 0, 32, 32))
	for i := range grey.Pix {
		grey.Pix[i] = uint8(60 + i%64)
	}
	res := process(t, encodePNG(t, grey), Output{Format: "png"}, &Brightness{Factor: 1.2})
	img := decodeImage(t, res.Bytes)
	if _, ok := img.(*image.Gray); !ok {
		t.Errorf("result is %T, want *image.Gray", img)
	}
	l0, _, _ := meanLab(grey, grey.Bounds())
	l1, _, _ := meanLab(img, img.Bounds())
	if math.Abs(l1/l0-1.2) > 0.03 {
		t.Errorf("mean L* %.1f → %.1f, want ×1.2", l0, l1)
	}
}
