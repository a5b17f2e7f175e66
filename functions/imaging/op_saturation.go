package imaging

import (
	"github.com/davidbyttow/govips/v2/vips"
)

func init() {
	register(&Saturation{}, "Makes colours more vivid or more muted, keeping lightness and hue.")
}

// Saturation multiplies every colour's CIELAB chroma by Factor, scaling a*
// and b* together so that hue and lightness stay: 1 leaves the picture as it
// is, 1.3 makes colours 30% more vivid, 0.5 halves them, 0 leaves shades of
// grey. HSV saturation would move lightness too (a saturated blue is darker
// than a pale one at the same HSV value), and chroma pushed past what sRGB
// can show is clipped once, on the way back.
type Saturation struct {
	Factor float64 `json:"factor" min:"0" max:"10" default:"1" help:"Chroma multiplier: 1 keeps the picture as it is, 0 makes it grey, 1.3 makes colours 30% more vivid."`
}

// Name returns "saturation".
func (*Saturation) Name() string { return "saturation" }

func (*Saturation) streams() bool { return true }

func (s *Saturation) apply(img *vips.ImageRef) error {
	l := identityLab()
	l.m[1][1], l.m[2][2] = s.Factor, s.Factor
	return applyLab(img, l, false)
}
