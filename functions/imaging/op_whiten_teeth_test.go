package imaging

import (
	"image"
	"testing"

	"github.com/pixmill/pixmill/events/fault"
)

// teethStats are mean L* and b* over a set of pixels, and the lowest b*.
func teethStats(img image.Image, pts []image.Point) (l, b, minB float64) {
	minB = 1e9
	for _, p := range pts {
		pl, _, pb := lab(img.At(p.X, p.Y))
		l, b = l+pl, b+pb
		minB = min(minB, pb)
	}
	n := float64(len(pts))
	return l / n, b / n, minB
}

func meanDeltaE00(a, b image.Image, pts []image.Point) float64 {
	sum := 0.0
	for _, p := range pts {
		sum += deltaE00(a.At(p.X, p.Y), b.At(p.X, p.Y))
	}
	return sum / float64(len(pts))
}

func TestWhitenTeethQuality(t *testing.T) {
	for _, light := range []struct {
		name  string
		scene func() (*scene, Box)
	}{
		{"cool", teethScene},
		{"warm", teethSceneWarm},
	} {
		s, box := light.scene()
		t.Run(light.name, func(t *testing.T) { whitenTeethQuality(t, s, box) })
	}
}

// whitenTeethQuality whitens the teeth of s in PNG and in a noisy JPEG.
func whitenTeethQuality(t *testing.T, s *scene, box Box) {
	for _, enc := range []struct {
		name string
		src  []byte
	}{
		{"png", encodePNG(t, s.img)},
		{"jpeg", noisyJPEG(t, s.img, 11)},
	} {
		base := decodeImage(t, process(t, enc.src, Output{Format: "png"}).Bytes)
		got := decodeImage(t, process(t, enc.src, Output{Format: "png"}, &WhitenTeeth{Region: box, Strength: 0.5}).Bytes)
		teeth := s.pure("teeth")
		l0, b0, _ := teethStats(base, teeth)
		l1, b1, minB := teethStats(got, teeth)
		// b* never below −2 anywhere in the box, not only on the teeth.
		all := []image.Point{}
		for y := box.Y; y < box.Y+box.Height; y++ {
			for x := box.X; x < box.X+box.Width; x++ {
				all = append(all, image.Pt(x, y))
			}
		}
		_, _, minAll := teethStats(got, all)
		lips := meanDeltaE00(base, got, s.touched("lips"))
		gums := meanDeltaE00(base, got, s.touched("gums"))
		skin := meanDeltaE00(base, got, s.pure("skin"))
		shadow := 0.0
		for _, p := range s.touched("shadow") {
			shadow = max(shadow, deltaE00(base.At(p.X, p.Y), got.At(p.X, p.Y)))
		}
		t.Logf("%s: %d teeth pixels: b* %.1f → %.1f (%.0f%%), L* %.1f → %.1f (%+.1f), lowest b* %.1f (in the box %.1f); mean ΔE00 lips %.2f, gums %.2f, skin %.3f; skin as pale and yellow as a tooth: ΔE00 at most %.2f",
			enc.name, len(teeth), b0, b1, 100*(b1-b0)/b0, l0, l1, l1-l0, minB, minAll, lips, gums, skin, shadow)
		if b1 > 0.7*b0 {
			t.Errorf("%s: mean b* on the teeth fell from %.1f to %.1f, want a fall of at least 30%%", enc.name, b0, b1)
		}
		if d := l1 - l0; d < 3 || d > 8 {
			t.Errorf("%s: mean L* on the teeth rose by %.1f, want 3 to 8", enc.name, d)
		}
		if minAll < -2 {
			t.Errorf("%s: b* went down to %.1f, want never below −2", enc.name, minAll)
		}
		if lips >= 0.8 || gums >= 0.8 || skin >= 0.8 {
			t.Errorf("%s: lips changed by ΔE00 %.2f, gums by %.2f and skin by %.2f on average, want below 0.8", enc.name, lips, gums, skin)
		}
		if shadow >= 0.5 {
			t.Errorf("%s: skin in shadow, outside the mouth, changed by ΔE00 %.2f, want none", enc.name, shadow)
		}
	}
}

// Strength scales the change: 0 nothing, 1 removes the yellow.
func TestWhitenTeethStrength(t *testing.T) {
	s, box := teethScene()
	src := encodePNG(t, s.img)
	teeth := s.pure("teeth")
	base := decodeImage(t, process(t, src, Output{Format: "png"}).Bytes)
	l0, b0, _ := teethStats(base, teeth)
	prevB := b0
	for _, strength := range []float64{0.25, 0.5, 1} {
		got := decodeImage(t, process(t, src, Output{Format: "png"}, &WhitenTeeth{Region: box, Strength: strength}).Bytes)
		l1, b1, _ := teethStats(got, teeth)
		if b1 >= prevB {
			t.Errorf("strength %v: mean b* %.1f, want below %.1f (the weaker strength's)", strength, b1, prevB)
		}
		if want := 10 * strength; l1-l0 < want*0.7 || l1-l0 > want*1.1 {
			t.Errorf("strength %v: L* rose by %.1f, want about %.1f", strength, l1-l0, want)
		}
		prevB = b1
	}
	if prevB > 0.15*b0 {
		t.Errorf("strength 1: mean b* %.1f of %.1f, want nearly none left", prevB, b0)
	}
	same := process(t, src, Output{Format: "png"}, &WhitenTeeth{Region: box, Strength: 0})
	if string(same.Bytes) != string(process(t, src, Output{Format: "png"}).Bytes) {
		t.Error("strength 0 changed the picture")
	}
}

// Only the box changes: the same teeth outside it stay yellow.
func TestWhitenTeethOnlyInRegion(t *testing.T) {
	s, box := teethScene()
	src := encodePNG(t, s.img)
	half := box
	half.Width /= 2
	base := decodeImage(t, process(t, src, Output{Format: "png"}).Bytes)
	got := decodeImage(t, process(t, src, Output{Format: "png"}, &WhitenTeeth{Region: half, Strength: 0.5}).Bytes)
	b := base.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if !image.Pt(x, y).In(image.Rect(half.X, half.Y, half.X+half.Width, half.Y+half.Height)) && base.At(x, y) != got.At(x, y) {
				t.Fatalf("pixel %d,%d outside the region changed", x, y)
			}
		}
	}
}

func TestWhitenTeethRegionOutside(t *testing.T) {
	src := encodePNG(t, photo(200, 100))
	_, err := Process(t.Context(), src, []Op{&WhitenTeeth{Region: Box{X: 300, Y: 0, Width: 50, Height: 50}, Strength: 0.5}}, Output{})
	wantFault(t, err, fault.Permanent, "whiten_teeth: region 300,0 50x50 is outside the 200x100 picture")
}
