package imaging

import (
	"image"
	"math"
	"testing"
)

// The astronaut's smile, at 1×: the box a person would draw around the
// mouth, the teeth inside it, and the lips around them.
var (
	astronautMouthBox = Box{X: 196, Y: 134, Width: 54, Height: 24}
	astronautTeeth    = image.Rect(207, 143, 238, 149)
	astronautLips     = image.Rect(200, 137, 248, 157)
)

// mouthPixels sorts the pixels of the box in img (the picture before the
// edit) into teeth (light and hardly red, inside the teeth's rectangle),
// lips and gums (red), and skin (outside the lips' rectangle).
func mouthPixels(img image.Image, box Box, teethR, lipsR image.Rectangle) (teeth, lips, skin []image.Point) {
	for y := box.Y; y < box.Y+box.Height; y++ {
		for x := box.X; x < box.X+box.Width; x++ {
			p := image.Pt(x, y)
			l, a, _ := lab(img.At(x, y))
			switch {
			case p.In(teethR) && l >= 70 && a <= 6:
				teeth = append(teeth, p)
			case p.In(lipsR) && a >= 14:
				lips = append(lips, p)
			case !p.In(lipsR):
				skin = append(skin, p)
			}
		}
	}
	return teeth, lips, skin
}

// TestWhitenTeethAstronaut whitens a real smile at every size from a web
// picture to a phone photo: the teeth must change by the same amount at
// each, lips, gums and skin not at all.
func TestWhitenTeethAstronaut(t *testing.T) {
	src := readSkimage(t, "astronaut.png")
	type change struct{ bDrop, lRise float64 }
	got := map[string]map[int]change{}
	for _, out := range portraitFormats {
		got[out.Format] = map[int]change{}
		for _, s := range portraitScales {
			name := caseName(s, out)
			scaled := scaledPortrait(t, src, s, out)
			box := scaleBox(astronautMouthBox, s)
			// Only the box is measured, and only the box is decoded in Go:
			// the pictures are cropped to it after the edit, and the
			// measuring rectangles moved with them.
			crop := &Crop{X: box.X, Y: box.Y, Width: box.Width, Height: box.Height}
			base := decodeImage(t, process(t, scaled, Output{Format: "png"}, crop).Bytes)
			edited := decodeImage(t, process(t, scaled, Output{Format: "png"}, &WhitenTeeth{Region: box, Strength: 0.6}, crop).Bytes)
			at := image.Pt(-box.X, -box.Y)
			teeth, lips, skin := mouthPixels(base, Box{Width: box.Width, Height: box.Height}, scaleRect(astronautTeeth, s).Add(at), scaleRect(astronautLips, s).Add(at))
			l0, b0, _ := teethStats(base, teeth)
			l1, b1, _ := teethStats(edited, teeth)
			lipsDE := meanDeltaE00(base, edited, lips)
			skinMax := 0.0
			for _, p := range skin {
				skinMax = max(skinMax, deltaE00(base.At(p.X, p.Y), edited.At(p.X, p.Y)))
			}
			c := change{bDrop: (b0 - b1) / b0, lRise: l1 - l0}
			got[out.Format][s] = c
			t.Logf("%s: %d teeth pixels: b* %.1f → %.1f (−%.0f%%), L* %.1f → %.1f (%+.1f); %d lip and gum pixels: mean ΔE00 %.2f; %d skin pixels: ΔE00 at most %.2f",
				name, len(teeth), b0, b1, 100*c.bDrop, l0, l1, c.lRise, len(lips), lipsDE, len(skin), skinMax)
			if c.bDrop < 0.35 {
				t.Errorf("%s: mean b* of the teeth fell by %.0f%%, want at least 35%%", name, 100*c.bDrop)
			}
			if c.lRise < 3 || c.lRise > 8 {
				t.Errorf("%s: mean L* of the teeth rose by %.1f, want 3 to 8", name, c.lRise)
			}
			if lipsDE >= 0.8 {
				t.Errorf("%s: lips and gums changed by mean ΔE00 %.2f, want below 0.8", name, lipsDE)
			}
			if skinMax >= 0.5 {
				t.Errorf("%s: skin outside the lips changed by ΔE00 %.2f, want none", name, skinMax)
			}
		}
		small, large := got[out.Format][1], got[out.Format][8]
		if d := math.Abs(small.bDrop-large.bDrop) / small.bDrop; d > 0.1 {
			t.Errorf("%s: b* fell by %.0f%% at 1× and %.0f%% at 8×, want within 10%% of each other", out.Format, 100*small.bDrop, 100*large.bDrop)
		}
		if d := math.Abs(small.lRise-large.lRise) / small.lRise; d > 0.1 {
			t.Errorf("%s: L* rose by %.1f at 1× and %.1f at 8×, want within 10%% of each other", out.Format, small.lRise, large.lRise)
		}
	}
}

// A box with no open mouth in it, on the cheek: skin only, which the op
// must leave alone. (A box on an eye is another matter: the white of the
// eye, bordered by dark lashes, is whitened like a tooth.)
func TestWhitenTeethAstronautNoTeeth(t *testing.T) {
	src := readSkimage(t, "astronaut.png")
	for _, s := range []int{1, 4} {
		scaled := scaledPortrait(t, src, s, Output{Format: "png"})
		for _, c := range []struct {
			name string
			box  Box
		}{
			{"cheek", Box{X: 168, Y: 108, Width: 30, Height: 24}},
		} {
			if n := changedPixels(t, scaled, &WhitenTeeth{Region: scaleBox(c.box, s), Strength: 0.6}); n != 0 {
				t.Errorf("%dx, %s: %d pixels changed by ΔE00 > 1, want none", s, c.name, n)
			}
		}
	}
}
