package imaging

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
)

// The astronaut's irises at 1×, measured on the picture: centres and a
// radius of 3.8 pixels.
var astronautIrises = []disc{{203.5, 100.5, 3.8}, {246.5, 102.5, 3.8}}

// redPupils paints flash-red pupils into the irises of a portrait, given
// at 1× and scaled by s, each of radius share × the iris's, with the
// flash's glint up and to the left, antialiased with 4×4 samples as a
// camera would record them. It returns the picture as a PNG, and the
// pupils and glints painted.
func redPupils(t testing.TB, src []byte, irises []disc, s int, share float64) ([]byte, []pupilTruth) {
	t.Helper()
	img := loadSRGB8(t, src)
	defer img.Close()
	var out []pupilTruth
	for _, iris := range irises {
		p := disc{iris.x * float64(s), iris.y * float64(s), iris.r * float64(s) * share}
		gr := max(0.75, 0.25*p.r)
		g := disc{math.Floor(p.x-0.35*p.r) + 0.5, math.Floor(p.y-0.35*p.r) + 0.5, gr}
		b := p.bounds().Intersect(image.Rect(0, 0, img.Width(), img.Height()))
		patch, err := readPatch(img, b)
		if err != nil {
			t.Fatal(err)
		}
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				var sum [3]float64
				r0, g0, b0 := patch.rgb(x, y)
				for k := range 16 {
					sx, sy := float64(x)+(float64(k%4)+0.5)/4, float64(y)+(float64(k/4)+0.5)/4
					c := [3]float64{float64(r0), float64(g0), float64(b0)}
					switch {
					case g.has(sx, sy):
						c = [3]float64{252, 252, 250}
					case p.has(sx, sy):
						// brighter in the middle, as the retina's glow is
						d2 := ((sx-p.x)*(sx-p.x) + (sy-p.y)*(sy-p.y)) / (p.r * p.r)
						k := 1.05 - 0.2*d2
						c = [3]float64{float64(redPupil.R) * k, float64(redPupil.G) * k, float64(redPupil.B) * k}
					}
					for j := range sum {
						sum[j] += c[j]
					}
				}
				patch.setRGB(x, y, clip8(sum[0]/16), clip8(sum[1]/16), clip8(sum[2]/16))
			}
		}
		if err := writePatch(img, patch); err != nil {
			t.Fatal(err)
		}
		out = append(out, pupilTruth{pupil: p, glint: g})
	}
	b, _, err := img.ExportPng(&vips.PngExportParams{Compression: 1})
	if err != nil {
		t.Fatal(err)
	}
	return b, out
}

// portraitRedeye is what TestRedeyePortraits measures on one picture.
type portraitRedeye struct {
	core, fixed        int     // pupil pixels (away from the glint), and those left with chroma < 10
	glints, glintsKept int     // glint pixels above L* 90 before, and after
	p99                float64 // ΔE00 around the eyes, outside the pupils
}

// measurePortraitRedeye compares before and after on and around the
// painted pupils. Pupil pixels are those wholly inside a pupil and more
// than a pixel from its glint; "around" is everything within three iris
// radii of a pupil and more than 1.5 pixels outside it (JPEG blurs the
// pupil's colour that far, at every scale).
func measurePortraitRedeye(before, after image.Image, ps []pupilTruth, irisR float64) portraitRedeye {
	var m portraitRedeye
	var des []float64
	for _, p := range ps {
		reach := 3 * irisR
		b := image.Rect(int(p.pupil.x-reach), int(p.pupil.y-reach), int(p.pupil.x+reach)+1, int(p.pupil.y+reach)+1).Intersect(before.Bounds())
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				cx, cy := float64(x)+0.5, float64(y)+0.5
				dp := math.Hypot(cx-p.pupil.x, cy-p.pupil.y)
				dg := math.Hypot(cx-p.glint.x, cy-p.glint.y)
				switch {
				case dg <= p.glint.r-0.71:
					if l, _, _ := lab(before.At(x, y)); l > 90 {
						m.glints++
						if l2, _, _ := lab(after.At(x, y)); l2 > 90 {
							m.glintsKept++
						}
					}
				case dp <= p.pupil.r-0.71 && dg > p.glint.r+1:
					m.core++
					if chroma(after.At(x, y)) < 10 {
						m.fixed++
					}
				case dp > p.pupil.r+1.5 && dp <= reach:
					des = append(des, deltaE00(before.At(x, y), after.At(x, y)))
				}
			}
		}
	}
	if len(des) > 0 {
		slices.Sort(des)
		m.p99 = des[len(des)*99/100]
	}
	return m
}

// TestRedeyePortraits paints red pupils, from half the iris to all of it,
// into a real portrait at every size from a web picture to a phone photo,
// saved as PNG and as JPEG q85, and corrects them automatically.
func TestRedeyePortraits(t *testing.T) {
	src := readSkimage(t, "astronaut.png")
	for _, s := range portraitScales {
		scaled := scaledPortrait(t, src, s, Output{Format: "png"})
		// What is measured: the eyes and around them.
		eyes := scaleRect(image.Rect(185, 85, 265, 120), s)
		crop := &Crop{X: eyes.Min.X, Y: eyes.Min.Y, Width: eyes.Dx(), Height: eyes.Dy()}
		for _, share := range []float64{0.5, 1} {
			painted, ps := redPupils(t, scaled, astronautIrises, s, share)
			for i := range ps {
				ps[i].pupil.x -= float64(eyes.Min.X)
				ps[i].pupil.y -= float64(eyes.Min.Y)
				ps[i].glint.x -= float64(eyes.Min.X)
				ps[i].glint.y -= float64(eyes.Min.Y)
			}
			for _, out := range portraitFormats {
				name := fmt.Sprintf("%s, pupils %.0f%% of the iris", caseName(s, out), 100*share)
				in := painted
				if out.Format != "png" {
					in = process(t, painted, out).Bytes
				}
				before := decodeImage(t, process(t, in, Output{Format: "png"}, crop).Bytes)
				after := decodeImage(t, process(t, in, Output{Format: "png"}, &Redeye{}, crop).Bytes)
				m := measurePortraitRedeye(before, after, ps, 3.8*float64(s))
				share := float64(m.fixed) / float64(m.core)
				t.Logf("%s: %d/%d pupil pixels corrected (%.1f%%), glints %d/%d kept, around the eyes ΔE00 p99 %.3f",
					name, m.fixed, m.core, 100*share, m.glintsKept, m.glints, m.p99)
				if share < 0.95 {
					t.Errorf("%s: %.1f%% of pupil pixels have chroma < 10, want at least 95%%", name, 100*share)
				}
				if m.glintsKept != m.glints {
					t.Errorf("%s: %d of %d glint pixels fell below L* 90", name, m.glints-m.glintsKept, m.glints)
				}
				if m.p99 >= 0.5 {
					t.Errorf("%s: around the eyes, outside the pupils, ΔE00 p99 %.3f, want < 0.5", name, m.p99)
				}
			}
		}
	}
}

// TestRedeyePortraitsUntouched: real photographs without red eyes must not
// change by more than ΔE00 1 anywhere: the astronaut, for all her red flag,
// orange suit, mission patch and lips, at every size; Grace Hopper in
// uniform, in a warm-toned photograph, as a web picture and a phone photo;
// from scikit-image, an espresso cup on a red saucer and a ginger cat; from
// OpenCV's sample data (scripts/fetch-portraits.sh), a mandrill's face,
// with its red nose between orange eyes, at every size, a footballer in a
// red kit before a crowd of faces, red sweets and cut fruit. (Each size
// costs a face search under the race detector, so only the faces take
// them all.) (The mate-backgrounds photographs, with a ladybird, red
// flowers and butterflies, are TestRedeyePhotosUntouched's.)
func TestRedeyePortraitsUntouched(t *testing.T) {
	for _, c := range []struct {
		name   string
		scales []int
	}{
		{"astronaut.png", portraitScales},
		{"grace_hopper.jpg", []int{1, 8}},
		{"coffee.png", []int{1}},
		{"chelsea.png", []int{1}},
		{"baboon.jpg", portraitScales},
		{"messi5.jpg", []int{1, 4}},
		{"smarties.png", []int{1, 4}},
		{"fruits.jpg", []int{1}},
	} {
		name := c.name
		src := readSkimage(t, name)
		for _, s := range c.scales {
			for _, out := range portraitFormats {
				c := name + " " + caseName(s, out)
				in := scaledPortrait(t, src, s, out)
				if n := changedPixels(t, in, &Redeye{}); n != 0 {
					t.Errorf("%s: automatic red-eye changed %d pixels by ΔE00 > 1, want none", c, n)
				}
			}
		}
	}
}

// changedPixels counts the pixels op changes by more than ΔE00 1. The
// pictures travel as uncompressed TIFF and are read back by libvips: a
// phone photo's worth of PNG is slow to write and to decode in Go.
func changedPixels(t *testing.T, src []byte, op Op) int {
	t.Helper()
	before := rawRGB(t, process(t, src, Output{Format: "tiff"}).Bytes)
	after := rawRGB(t, process(t, src, Output{Format: "tiff"}, op).Bytes)
	if len(before) != len(after) {
		t.Fatalf("%d bytes of pixels before, %d after", len(before), len(after))
	}
	n := 0
	for i := 0; i+2 < len(before); i += 3 {
		if bytes.Equal(before[i:i+3], after[i:i+3]) {
			continue
		}
		c0 := color.RGBA{before[i], before[i+1], before[i+2], 255}
		c1 := color.RGBA{after[i], after[i+1], after[i+2], 255}
		if deltaE00(c0, c1) > 1 {
			n++
		}
	}
	return n
}

// rawRGB decodes a picture with libvips into 8-bit sRGB, three bytes a
// pixel.
func rawRGB(t *testing.T, b []byte) []byte {
	t.Helper()
	img := loadSRGB8(t, b)
	defer img.Close()
	if img.Bands() > 3 {
		if err := img.ExtractBand(0, 3); err != nil {
			t.Fatal(err)
		}
	}
	pix, err := img.ToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return pix
}

// loadSRGB8 decodes a picture with libvips as 8-bit sRGB.
func loadSRGB8(t testing.TB, b []byte) *vips.ImageRef {
	t.Helper()
	img, err := vips.NewImageFromBuffer(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := toSRGB8(img); err != nil {
		img.Close()
		t.Fatal(err)
	}
	return img
}

// TestRedeyeCloseUps: pictures of eyes with no whole face in them, cut
// from the painted portrait at 4×: both eyes, and one eye filling the
// picture. The eye cascade stands in for the face.
func TestRedeyeCloseUps(t *testing.T) {
	src := readSkimage(t, "astronaut.png")
	const s = 4
	painted, ps := redPupils(t, scaledPortrait(t, src, s, Output{Format: "png"}), astronautIrises, s, 0.8)
	for _, c := range []struct {
		name   string
		r      image.Rectangle // at 1×
		pupils []pupilTruth
	}{
		{"both eyes", image.Rect(175, 75, 275, 125), ps},
		{"one eye", image.Rect(188, 86, 220, 116), ps[:1]},
	} {
		r := scaleRect(c.r, s)
		crop := &Crop{X: r.Min.X, Y: r.Min.Y, Width: r.Dx(), Height: r.Dy()}
		var in []pupilTruth
		for _, p := range c.pupils {
			p.pupil.x, p.pupil.y = p.pupil.x-float64(r.Min.X), p.pupil.y-float64(r.Min.Y)
			p.glint.x, p.glint.y = p.glint.x-float64(r.Min.X), p.glint.y-float64(r.Min.Y)
			in = append(in, p)
		}
		for _, out := range portraitFormats {
			name := c.name + " " + out.Format
			closeUp := process(t, painted, out, crop).Bytes
			before := decodeImage(t, process(t, closeUp, Output{Format: "png"}).Bytes)
			after := decodeImage(t, process(t, closeUp, Output{Format: "png"}, &Redeye{}).Bytes)
			m := measurePortraitRedeye(before, after, in, 3.8*s)
			share := float64(m.fixed) / float64(m.core)
			t.Logf("%s: %d/%d pupil pixels corrected (%.1f%%), glints %d/%d kept, around the eyes ΔE00 p99 %.3f",
				name, m.fixed, m.core, 100*share, m.glintsKept, m.glints, m.p99)
			if share < 0.95 || m.glintsKept != m.glints || m.p99 >= 0.5 {
				t.Errorf("%s: %.1f%% of pupil pixels corrected (want 95%%), %d of %d glint pixels kept (want all), p99 ΔE00 around %.3f (want < 0.5)",
					name, 100*share, m.glintsKept, m.glints, m.p99)
			}
		}
	}
}
