package imaging

import (
	"image"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/pixmill/pixmill/events/fault"
)

func init() {
	register(&WhitenTeeth{}, "Makes teeth inside a box around the mouth less yellow and a little lighter, leaving lips, gums and skin alone.")
}

// WhitenTeeth works inside Region, a box around the mouth. Which pixels
// are teeth it learns from the box itself (see teeth_mask.go): lips, gums
// and tongue are the reddest pixels there, the inside of the mouth the
// darkest, teeth the whitest of the rest, lying where lips or dark border
// them. So teeth count in cold light and in warm light (a* up to about
// 12), and skin as pale as a tooth, beside more skin, does not.
//
// Each tooth pixel loses Strength of its yellow (b* × (1 − Strength), never
// below 0, so teeth do not turn blue) and gains 10 × Strength in L*; at the
// default 0.5 that halves b* and adds 5 to L*, which reads as clean rather
// than painted. Pixels between classes (the teeth's edges) change in
// proportion to how tooth-like their colour is, and the change fades out
// over a fortieth of the box beyond the teeth, never into lips or gums.
// Every size is a fraction of the box, so the same photograph at any
// resolution gets the same edit.
type WhitenTeeth struct {
	Region   Box     `json:"region" required:"true" help:"Box around the mouth, in pixels, such as {\"x\":420,\"y\":610,\"width\":260,\"height\":120}."`
	Strength float64 `json:"strength" min:"0" max:"1" default:"0.5" help:"0 changes nothing; 0.5 halves the yellow and adds 5 to lightness; 1 removes the yellow and adds 10."`
}

// Name returns "whiten_teeth".
func (*WhitenTeeth) Name() string { return "whiten_teeth" }

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
	view, err := colourView(img)
	if err != nil || view == nil {
		return err
	}
	defer view.Close()
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
