package imaging

import (
	"image"
	"math"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/pixmill/pixmill/events/fault"
)

func init() {
	register(&WhitenTeeth{}, "Makes teeth inside a box around the mouth less yellow and a little lighter, leaving lips, gums and skin alone.")
}

// WhitenTeeth works inside Region, a box around the mouth. A pixel counts as
// tooth by how much it looks like one, in CIELAB: nearly colourless (chroma
// up to 30, nothing from 42), of a yellowish hue (70° to 105°, fading out by
// 62° and 120°), with almost no red (a* up to 3, nothing from 7), and light
// (L* from 45, fully from 60). Lips and gums are far redder (hue 10° to 40°),
// skin is orange to yellow and nearly always a little red (a* 6 and up), the
// inside of the mouth is dark: none of them counts. Skin can still look like
// a tooth where shadow or a highlight makes it pale, so a patch of tooth
// colour counts only where it lies in a mouth, bordered mostly by lips, gums
// or the dark between the teeth rather than by more skin.
//
// Each tooth pixel loses Strength of its yellow (b* × (1 − Strength), never
// below 0, so teeth do not turn blue) and gains 10 × Strength in L*; at the
// default 0.5 that halves b* and adds 5 to L*, which reads as clean rather
// than painted. The weights are smoothed over a 3×3 neighbourhood, so the
// change fades at the edges of the teeth instead of stopping at a jagged
// line, and then limited by the colour test of each pixel itself, so that
// the smoothing never reaches into lips or gums.
type WhitenTeeth struct {
	Region   Box     `json:"region" required:"true" help:"Box around the mouth, in pixels, such as {\"x\":420,\"y\":610,\"width\":260,\"height\":120}."`
	Strength float64 `json:"strength" min:"0" max:"1" default:"0.5" help:"0 changes nothing; 0.5 halves the yellow and adds 5 to lightness; 1 removes the yellow and adds 10."`
}

// Name returns "whiten_teeth".
func (*WhitenTeeth) Name() string { return "whiten_teeth" }

// toothColour is how much a pixel's colour is a tooth's: 1 for a yellowish
// grey, 0 for a red lip or gum, skin, or a green or blue thing. Skin can be
// as yellow as a tooth (olive skin's hue is 75°), but it is never without
// red: its a* is 6 and up, a tooth's −1 to 3.
func toothColour(a, b float64) float64 {
	c := math.Hypot(a, b)
	h := hueDeg(a, b)
	return smoothstep(62, 70, h) * (1 - smoothstep(105, 120, h)) *
		(1 - smoothstep(30, 42, c)) * (1 - smoothstep(3, 7, a))
}

// toothWeights returns the CIELAB colour of each pixel of p and how much it
// is tooth, 0 to 1, row by row.
func toothWeights(p *patch) (labs [][3]float64, weight []float64) {
	w, h := p.rect.Dx(), p.rect.Dy()
	labs = make([][3]float64, w*h)
	gate := make([]float64, w*h) // the colour test alone, to stop the smoothing
	cand := make([]bool, w*h)    // light pixels of tooth colour
	for y := range h {
		for x := range w {
			i := y*w + x
			l, a, b := toLab(p.rgb(p.rect.Min.X+x, p.rect.Min.Y+y))
			labs[i] = [3]float64{l, a, b}
			if b <= 0 {
				continue
			}
			gate[i] = toothColour(a, b)
			cand[i] = gate[i] >= 0.1 && l >= 50
		}
	}
	// Patches of tooth colour count only in a mouth.
	tooth := make([]float64, w*h)
	var f blobFinder
	for y := range h {
		f.addRow(cand[y*w : (y+1)*w])
	}
	in := make([]bool, w*h)
	for _, b := range f.blobs(0, 0, 1, w*h) {
		b.mark(in, w, true)
		if inMouth(b, in, cand, labs, w, h) {
			for _, run := range b.runs {
				for x := run.x0; x < run.x1; x++ {
					i := run.y*w + x
					tooth[i] = gate[i] * smoothstep(45, 60, labs[i][0])
				}
			}
		}
		b.mark(in, w, false)
	}
	// Smoothed over 3×3, then held to each pixel's own colour test.
	weight = make([]float64, w*h)
	for y := range h {
		for x := range w {
			i := y*w + x
			if gate[i] == 0 {
				continue
			}
			sum, n := 0.0, 0.0
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, y+dy
					if nx >= 0 && ny >= 0 && nx < w && ny < h {
						sum += tooth[ny*w+nx]
						n++
					}
				}
			}
			weight[i] = min(sum/n, gate[i])
		}
	}
	return labs, weight
}

// inMouth reports whether a patch of tooth colour (b, marked in in) lies in
// a mouth: at least half of the pixels around it that are not themselves of
// tooth colour are lips or gums (red: a* 10 and up at a hue under 55°) or the
// dark inside of the mouth and the gaps between teeth (L* under 45). Pale
// skin of a tooth's colour, under the chin or in a highlight, is surrounded
// by more skin.
func inMouth(b *blob, in, cand []bool, labs [][3]float64, w, h int) bool {
	mouth, other := 0, 0
	seen := map[int]bool{}
	for _, run := range b.runs {
		for x := run.x0; x < run.x1; x++ {
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, run.y+dy
					if nx < 0 || ny < 0 || nx >= w || ny >= h {
						continue
					}
					i := ny*w + nx
					// Other patches of tooth colour, and pixels nearly of it
					// (noise and the teeth's own edges), take no side.
					if in[i] || cand[i] || seen[i] || labs[i][0] >= 50 && toothColour(labs[i][1], labs[i][2]) > 0 {
						continue
					}
					seen[i] = true
					l, a, bb := labs[i][0], labs[i][1], labs[i][2]
					if l < 45 || (a >= 10 && hueDeg(a, bb) < 55) {
						mouth++
					} else {
						other++
					}
				}
			}
		}
	}
	return mouth > 0 && mouth >= other
}

func (t *WhitenTeeth) apply(img *vips.ImageRef) error {
	if t.Strength == 0 {
		return nil
	}
	pic := image.Rect(0, 0, img.Width(), img.Height())
	box := t.Region
	r := image.Rect(box.X, box.Y, box.X+box.Width, box.Y+box.Height).Intersect(pic)
	if r.Empty() {
		return fault.New(fault.Permanent, "whiten_teeth: region %d,%d %dx%d is outside the %dx%d picture", box.X, box.Y, box.Width, box.Height, pic.Dx(), pic.Dy())
	}
	view, err := img.Copy()
	if err != nil {
		return err
	}
	defer view.Close()
	colour, err := toSRGB8(view)
	if err != nil || !colour {
		return err
	}
	src, err := readPatch(view, r)
	if err != nil {
		return err
	}
	labs, weight := toothWeights(src)
	out := src.clone()
	changed := false
	for i, k := range weight {
		k *= t.Strength
		if k < 0.005 {
			continue
		}
		l, a, b := labs[i][0], labs[i][1], labs[i][2]
		nr, ng, nb := fromLab(min(l+10*k, 100), a, b*(1-k))
		out.setRGB(r.Min.X+i%r.Dx(), r.Min.Y+i/r.Dx(), nr, ng, nb)
		changed = true
	}
	if !changed {
		return nil
	}
	if _, err := toSRGB8(img); err != nil {
		return err
	}
	return writePatch(img, out)
}
