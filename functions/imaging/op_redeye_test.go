package imaging

import (
	"image"
	"math"
	"slices"
	"testing"
)

// redeyeResult is what the quality test measures on one picture.
type redeyeResult struct {
	corePixels, corrected int     // pupil pixels (glint and edge band aside), and those left with chroma < 10
	found, pupils         int     // pupils more than half corrected, of all
	glints, glintsKept    int     // glint pixels above L* 90 before, and still after
	p99, maxOutside       float64 // CIEDE2000 change outside the pupils dilated by 2 px
	changedOutside        int     // pixels changed there at all
	distractorsChanged    int     // pixels of lips, gums, shirt and red dots changed
}

// measureRedeye compares the picture corrected by op with the same picture
// decoded and encoded with no op, so that only op's changes count.
func measureRedeye(t *testing.T, fs faceScene, base image.Image, op *Redeye) redeyeResult {
	t.Helper()
	got := decodeImage(t, process(t, fs.src, Output{Format: "png"}, op).Bytes)
	var res redeyeResult
	s := fs.s
	for _, p := range s.pupils {
		res.pupils++
		core, fixed := 0, 0
		b := p.pupil.bounds().Intersect(base.Bounds())
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				cx, cy := float64(x)+0.5, float64(y)+0.5
				dp := math.Hypot(cx-p.pupil.x, cy-p.pupil.y)
				dg := math.Hypot(cx-p.glint.x, cy-p.glint.y)
				if dg <= p.glint.r-0.71 {
					if l, _, _ := lab(base.At(x, y)); l > 90 {
						res.glints++
						if l2, _, _ := lab(got.At(x, y)); l2 > 90 {
							res.glintsKept++
						}
					}
				}
				if dp > p.pupil.r-1 || dg <= p.glint.r+1 {
					continue
				}
				core++
				if chroma(got.At(x, y)) < 10 {
					fixed++
				}
			}
		}
		res.corePixels += core
		res.corrected += fixed
		if fixed*2 > core {
			res.found++
		}
	}
	outside := func(x, y int) bool {
		for _, p := range s.pupils {
			if math.Hypot(float64(x)+0.5-p.pupil.x, float64(y)+0.5-p.pupil.y) <= p.pupil.r+2.71 {
				return false
			}
		}
		return true
	}
	var des []float64
	bb := base.Bounds()
	for y := bb.Min.Y; y < bb.Max.Y; y++ {
		for x := bb.Min.X; x < bb.Max.X; x++ {
			if !outside(x, y) {
				continue
			}
			c0, c1 := base.At(x, y), got.At(x, y)
			d := 0.0
			if c0 != c1 {
				d = deltaE00(c0, c1)
				res.changedOutside++
			}
			des = append(des, d)
			res.maxOutside = math.Max(res.maxOutside, d)
		}
	}
	slices.Sort(des)
	res.p99 = des[len(des)*99/100]
	for _, kind := range []string{"lips", "gums", "shirt", "dot"} {
		for _, pt := range s.touched(kind) {
			if base.At(pt.X, pt.Y) != got.At(pt.X, pt.Y) {
				res.distractorsChanged++
			}
		}
	}
	return res
}

// eyeBoxes are the boxes a person would draw around the red eyes of s: the
// eye, with some of the lids and the skin around.
func eyeBoxes(s *scene) []Box {
	var boxes []Box
	for _, p := range s.pupils {
		r := p.pupil.r
		boxes = append(boxes, Box{X: int(p.pupil.x - 6*r), Y: int(p.pupil.y - 3*r), Width: int(12 * r), Height: int(6 * r)})
	}
	return boxes
}

func TestRedeyeQuality(t *testing.T) {
	var total [2]redeyeResult
	for _, fs := range faceScenes(t) {
		base := decodeImage(t, process(t, fs.src, Output{Format: "png"}).Bytes)
		for mode, op := range []*Redeye{{Regions: eyeBoxes(fs.s)}, {}} {
			name := []string{"regions", "automatic"}[mode]
			r := measureRedeye(t, fs, base, op)
			t.Logf("%-9s %-9s pupils %d/%d found, pixels %d/%d corrected (%.1f%%), glints %d/%d kept, outside ΔE00 p99 %.3f max %.2f changed %d, distractor pixels changed %d",
				fs.name, name, r.found, r.pupils, r.corrected, r.corePixels, 100*float64(r.corrected)/float64(r.corePixels),
				r.glintsKept, r.glints, r.p99, r.maxOutside, r.changedOutside, r.distractorsChanged)
			if r.p99 >= 0.5 {
				t.Errorf("%s, %s: 99th percentile of ΔE00 outside the pupils is %.3f, want < 0.5", fs.name, name, r.p99)
			}
			if r.distractorsChanged != 0 {
				t.Errorf("%s, %s: %d pixels of lips, gums, shirt or red dots changed, want none", fs.name, name, r.distractorsChanged)
			}
			if r.glintsKept != r.glints {
				t.Errorf("%s, %s: %d of %d glint pixels fell below L* 90", fs.name, name, r.glints-r.glintsKept, r.glints)
			}
			total[mode].corePixels += r.corePixels
			total[mode].corrected += r.corrected
			total[mode].found += r.found
			total[mode].pupils += r.pupils
			total[mode].changedOutside += r.changedOutside
		}
	}
	for mode, r := range total {
		name := []string{"regions", "automatic"}[mode]
		share := float64(r.corrected) / float64(r.corePixels)
		rate := float64(r.found) / float64(r.pupils)
		t.Logf("%s: %.1f%% of %d pupil pixels corrected, %d of %d pupils found (%.1f%%), %d pixels changed away from pupils",
			name, 100*share, r.corePixels, r.found, r.pupils, 100*rate, r.changedOutside)
		// Automatic red-eye looks for pupils only in faces a detector
		// trained on photographs finds; these drawn faces are not all
		// faces to it, so only what it must not touch is asked of it
		// here. TestRedeyePortraits asks the rest on real portraits.
		if mode == 1 {
			continue
		}
		if share < 0.95 {
			t.Errorf("%s: %.1f%% of pupil pixels corrected, want at least 95%%", name, 100*share)
		}
		if rate < 0.95 {
			t.Errorf("%s: %.1f%% of pupils found, want at least 95%%", name, 100*rate)
		}
	}
}
