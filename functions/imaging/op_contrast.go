package imaging

import (
	"github.com/davidbyttow/govips/v2/vips"
)

func init() {
	register(&Contrast{}, "Spreads the picture's tones apart, or draws them together, around mid-grey, keeping its colours.")
}

// Contrast multiplies each pixel's distance from mid-grey lightness by
// Factor: L* becomes 50 + Factor·(L* − 50). 1 leaves the picture as it is,
// 1.3 makes darks darker and lights lighter, 0.5 flattens the picture towards
// grey, 0 makes it a flat mid-grey in lightness. As for brightness, only L*
// moves, so colours keep their hue and chroma; the pivot is fixed at L* 50,
// not the picture's mean, so the same factor does the same on every picture
// of a batch and costs no extra pass over the pixels.
type Contrast struct {
	Factor float64 `json:"factor" min:"0" max:"10" default:"1" help:"1 keeps the picture as it is, 1.3 gives 30% more contrast, 0.5 half as much."`
}

// Name returns "contrast".
func (*Contrast) Name() string { return "contrast" }

func (*Contrast) streams() bool { return true }

func (c *Contrast) apply(img *vips.ImageRef) error {
	l := identityLab()
	l.m[0][0] = c.Factor
	l.off[0] = 50 * (1 - c.Factor)
	return applyLab(img, l, false)
}
