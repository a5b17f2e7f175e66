package imaging

import (
	"image"
	"image/color"
	"math"
	"testing"
)

// labStats are the mean and spread of L*, and the mean chroma, of a picture.
func labStats(img image.Image) (meanL, sdL, meanC float64) {
	b := img.Bounds()
	var ls []float64
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			l, a, bb := lab(img.At(x, y))
			ls = append(ls, l)
			meanL += l
			meanC += math.Hypot(a, bb)
		}
	}
	n := float64(len(ls))
	meanL /= n
	for _, l := range ls {
		sdL += (l - meanL) * (l - meanL)
	}
	return meanL, math.Sqrt(sdL / n), meanC / n
}

// Contrast spreads L* around 50 by the factor and leaves chroma alone.
func TestContrast(t *testing.T) {
	src := encodePNG(t, photo(240, 160))
	l0, sd0, c0 := labStats(decodeImage(t, src))
	for _, f := range []float64{0.5, 1.3, 1.6} {
		img := decodeImage(t, process(t, src, Output{Format: "png"}, &Contrast{Factor: f}).Bytes)
		l1, sd1, c1 := labStats(img)
		if r := sd1 / sd0; math.Abs(r-f) > 0.03*f {
			t.Errorf("factor %v: spread of L* %.2f → %.2f, ratio %.3f, want %v", f, sd0, sd1, r, f)
		}
		if want := 50 + f*(l0-50); math.Abs(l1-want) > 0.5 {
			t.Errorf("factor %v: mean L* %.2f → %.2f, want %.2f (pivot at 50)", f, l0, l1, want)
		}
		if math.Abs(c1-c0) > 1 {
			t.Errorf("factor %v: mean chroma %.1f → %.1f, want it kept", f, c0, c1)
		}
	}
}

// Saturation scales chroma by the factor, keeping lightness and hue.
func TestSaturation(t *testing.T) {
	src := encodePNG(t, stripes(60, 20, rgba(180, 90, 60), rgba(60, 120, 170), rgba(110, 150, 70)))
	base := decodeImage(t, src)
	for _, f := range []float64{0, 0.5, 1.3} {
		img := decodeImage(t, process(t, src, Output{Format: "png"}, &Saturation{Factor: f}).Bytes)
		for _, x := range []int{10, 30, 50} {
			l0, a0, b0 := lab(base.At(x, 10))
			l1, a1, b1 := lab(img.At(x, 10))
			c0, c1 := math.Hypot(a0, b0), math.Hypot(a1, b1)
			if math.Abs(c1-f*c0) > 1 {
				t.Errorf("factor %v, stripe %d: chroma %.1f → %.1f, want %.1f", f, x/20, c0, c1, f*c0)
			}
			if math.Abs(l1-l0) > 0.7 {
				t.Errorf("factor %v, stripe %d: L* %.1f → %.1f, want it kept", f, x/20, l0, l1)
			}
			if f > 0 && math.Abs(hueDiff(a0, b0, a1, b1)) > 2 {
				t.Errorf("factor %v, stripe %d: hue moved by %.1f°", f, x/20, hueDiff(a0, b0, a1, b1))
			}
		}
	}
}

// hueDiff is the signed difference of two hue angles, in degrees.
func hueDiff(a0, b0, a1, b1 float64) float64 {
	d := math.Atan2(b1, a1)*180/math.Pi - math.Atan2(b0, a0)*180/math.Pi
	for d > 180 {
		d -= 360
	}
	for d < -180 {
		d += 360
	}
	return d
}

// Gamma maps each channel v to 255·(v/255)^(1/factor): black and white
// stay, mid-grey moves; alpha is left alone.
func TestGamma(t *testing.T) {
	pic := image.NewNRGBA(image.Rect(0, 0, 3, 1))
	pic.SetNRGBA(0, 0, color.NRGBA{0, 0, 0, 255})
	pic.SetNRGBA(1, 0, color.NRGBA{128, 64, 200, 100})
	pic.SetNRGBA(2, 0, color.NRGBA{255, 255, 255, 255})
	src := encodePNG(t, pic)
	for _, f := range []float64{2, 0.5, 1.7} {
		img := decodeImage(t, process(t, src, Output{Format: "png"}, &Gamma{Factor: f}).Bytes)
		for x, in := range []color.NRGBA{{0, 0, 0, 255}, {128, 64, 200, 100}, {255, 255, 255, 255}} {
			got := color.NRGBAModel.Convert(img.At(x, 0)).(color.NRGBA)
			for i, v := range []uint8{in.R, in.G, in.B} {
				want := 255 * math.Pow(float64(v)/255, 1/f)
				g := []uint8{got.R, got.G, got.B}[i]
				if math.Abs(float64(g)-want) > 1.01 {
					t.Errorf("factor %v: %d → %d, want %.1f", f, v, g, want)
				}
			}
			if got.A != in.A {
				t.Errorf("factor %v: alpha %d → %d, want it kept", f, in.A, got.A)
			}
		}
	}
}

// Hue turns every colour by the angle, keeping chroma and lightness.
func TestRecolorHue(t *testing.T) {
	// Moderate colours, whose every turn stays inside what sRGB can show.
	cols := []color.RGBA{rgba(160, 115, 105), rgba(100, 128, 150), rgba(122, 140, 100), rgba(140, 115, 145)}
	src := encodePNG(t, stripes(80, 20, cols...))
	base := decodeImage(t, src)
	for _, hue := range []float64{30, -45, 90, 180} {
		img := decodeImage(t, process(t, src, Output{Format: "png"}, &Recolor{Hue: hue, Mode: "none", Strength: 0.5}).Bytes)
		for i := range cols {
			x := 10 + 20*i
			l0, a0, b0 := lab(base.At(x, 10))
			l1, a1, b1 := lab(img.At(x, 10))
			if d := hueDiff(a0, b0, a1, b1); math.Abs(d-hue) > 2.5 && math.Abs(d-hue+360) > 2.5 && math.Abs(d-hue-360) > 2.5 {
				t.Errorf("hue %v, colour %v: hue moved by %.1f°", hue, cols[i], d)
			}
			if c0, c1 := math.Hypot(a0, b0), math.Hypot(a1, b1); math.Abs(c1-c0) > 2 {
				t.Errorf("hue %v, colour %v: chroma %.1f → %.1f", hue, cols[i], c0, c1)
			}
			if math.Abs(l1-l0) > 1 {
				t.Errorf("hue %v, colour %v: L* %.1f → %.1f", hue, cols[i], l0, l1)
			}
		}
	}
}

func TestRecolorModes(t *testing.T) {
	src := encodePNG(t, photo(120, 80))
	l0, _, _ := labStats(decodeImage(t, src))

	grey := decodeImage(t, process(t, src, Output{Format: "png"}, &Recolor{Mode: "grayscale", Strength: 0.5}).Bytes)
	l1, _, c1 := labStats(grey)
	if c1 > 1 || math.Abs(l1-l0) > 0.5 {
		t.Errorf("grayscale: mean chroma %.2f, L* %.1f → %.1f; want no colour, same lightness", c1, l0, l1)
	}

	sepia := decodeImage(t, process(t, src, Output{Format: "png"}, &Recolor{Mode: "sepia", Strength: 0.5}).Bytes)
	_, a, b := meanLab(sepia, inset(sepia.Bounds(), 10))
	if h := math.Atan2(b, a) * 180 / math.Pi; math.Abs(h-72) > 5 || math.Abs(math.Hypot(a, b)-19) > 3 {
		t.Errorf("sepia: mean hue %.0f°, chroma %.1f; want about 72° and 19", h, math.Hypot(a, b))
	}

	// A tint at strength s moves a grey picture's a*, b* s of the way to
	// the tint's, keeping L*.
	_, ta, tb := lab(rgba(0xc0, 0x80, 0x40))
	for _, s := range []float64{0.3, 1} {
		img := decodeImage(t, process(t, encodePNG(t, stripes(40, 40, rgba(128, 128, 128))), Output{Format: "png"},
			&Recolor{Mode: "none", Tint: "#c08040", Strength: s}).Bytes)
		l, a, b := lab(img.At(20, 20))
		if math.Abs(a-s*ta) > 1.5 || math.Abs(b-s*tb) > 1.5 || math.Abs(l-53.6) > 1 {
			t.Errorf("tint strength %v: L*a*b* %.1f %.1f %.1f, want 53.6 %.1f %.1f", s, l, a, b, s*ta, s*tb)
		}
	}
}

// Duotone maps black to the first colour, white to the second and the
// tones between to the colours between.
func TestRecolorDuotone(t *testing.T) {
	pic := stripes(30, 10, rgba(0, 0, 0), rgba(119, 119, 119), rgba(255, 255, 255))
	img := decodeImage(t, process(t, encodePNG(t, pic), Output{Format: "png"},
		&Recolor{Mode: "none", Strength: 0.5, Duotone: []string{"#1b2a4a", "#f6d8a8"}}).Bytes)
	dark, light := rgba(0x1b, 0x2a, 0x4a), rgba(0xf6, 0xd8, 0xa8)
	if d := deltaE00(img.At(5, 5), dark); d > 1 {
		t.Errorf("black became %v, ΔE00 %.1f from %v", img.At(5, 5), d, dark)
	}
	if d := deltaE00(img.At(25, 5), light); d > 1 {
		t.Errorf("white became %v, ΔE00 %.1f from %v", img.At(25, 5), d, light)
	}
	// mid-grey (L* 50) lands half way, in CIELAB
	dl, da, db := lab(dark)
	ll, la, lb := lab(light)
	ml, ma, mb := lab(img.At(15, 5))
	if math.Abs(ml-(dl+ll)/2) > 1.5 || math.Abs(ma-(da+la)/2) > 1.5 || math.Abs(mb-(db+lb)/2) > 1.5 {
		t.Errorf("mid-grey became L*a*b* %.1f %.1f %.1f, want half way: %.1f %.1f %.1f", ml, ma, mb, (dl+ll)/2, (da+la)/2, (db+lb)/2)
	}
}

// A grey picture takes colour when the op adds some, and stays one band
// when it does not.
func TestRecolorGreyPicture(t *testing.T) {
	grey := image.NewGray(image.Rect(0, 0, 16, 16))
	for i := range grey.Pix {
		grey.Pix[i] = 128
	}
	src := encodePNG(t, grey)
	if img := decodeImage(t, process(t, src, Output{Format: "png"}, &Recolor{Mode: "sepia", Strength: 0.5}).Bytes); chroma(img.At(8, 8)) < 10 {
		t.Errorf("sepia on grey: %v, want brown", img.At(8, 8))
	}
	if img := decodeImage(t, process(t, src, Output{Format: "png"}, &Recolor{Mode: "grayscale", Strength: 0.5}).Bytes); func() bool { _, ok := img.(*image.Gray); return !ok }() {
		t.Errorf("grayscale on grey: %T, want *image.Gray", img)
	}
}

// edgeWidth measures how many pixels a black-to-white edge takes to go from
// 10% to 90%, along row y.
func edgeWidth(img image.Image, y int) int {
	b := img.Bounds()
	lo, hi := -1, -1
	for x := b.Min.X; x < b.Max.X; x++ {
		l, _, _ := lab(img.At(x, y))
		if lo < 0 && l > 10 {
			lo = x
		}
		if hi < 0 && l > 90 {
			hi = x
		}
	}
	return hi - lo
}

// Blur widens edges in proportion to sigma and keeps the mean colour.
func TestBlur(t *testing.T) {
	src := encodePNG(t, stripes(200, 20, rgba(0, 0, 0), rgba(255, 255, 255)))
	base := decodeImage(t, src)
	prev := edgeWidth(base, 10)
	for _, s := range []float64{1, 3, 8} {
		img := decodeImage(t, process(t, src, Output{Format: "png"}, &Blur{Sigma: s}).Bytes)
		w := edgeWidth(img, 10)
		// a Gaussian's 10%–90% width is 2.56 sigma (in linear terms; in L*
		// the curve shifts, so allow a margin)
		if w <= prev || float64(w) < 1.5*s || float64(w) > 4*s+2 {
			t.Errorf("sigma %v: edge %d pixels wide (previous %d), want about %.0f", s, w, prev, 2.56*s)
		}
		prev = w
		if d := deltaE00(averageColour(img, img.Bounds()), averageColour(base, base.Bounds())); d > 1 {
			t.Errorf("sigma %v: mean colour moved by ΔE00 %.1f", s, d)
		}
	}
}

// Sharpen steepens a soft edge, overshooting a little on each side, and
// leaves flat areas (with their faint noise) alone.
func TestSharpen(t *testing.T) {
	soft := decodeImage(t, process(t, encodePNG(t, stripes(200, 20, rgba(60, 60, 60), rgba(190, 190, 190))), Output{Format: "png"}, &Blur{Sigma: 1.2}).Bytes)
	src := encodePNG(t, soft)
	slope := func(img image.Image) float64 {
		best := 0.0
		for x := 90; x < 110; x++ {
			l0, _, _ := lab(img.At(x, 10))
			l1, _, _ := lab(img.At(x+1, 10))
			best = math.Max(best, l1-l0)
		}
		return best
	}
	s0 := slope(soft)
	prev := s0
	for _, amount := range []float64{1, 3} {
		img := decodeImage(t, process(t, src, Output{Format: "png"}, &Sharpen{Sigma: 2, Amount: amount}).Bytes)
		s1 := slope(img)
		if s1 <= prev*1.1 {
			t.Errorf("amount %v: steepest step %.1f L* (soft %.1f, weaker %.1f), want steeper", amount, s1, s0, prev)
		}
		prev = s1
		// flat areas far from the edge stay as they were
		for _, x := range []int{20, 180} {
			if d := deltaE00(img.At(x, 10), soft.At(x, 10)); d > 0.5 {
				t.Errorf("amount %v: flat pixel %d changed by ΔE00 %.2f", amount, x, d)
			}
		}
	}
	same := process(t, src, Output{Format: "png"}, &Sharpen{Sigma: 1, Amount: 0})
	if string(same.Bytes) != string(process(t, src, Output{Format: "png"}).Bytes) {
		t.Error("amount 0 changed the picture")
	}
}
