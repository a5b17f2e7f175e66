package imaging

import (
	"github.com/davidbyttow/govips/v2/vips"
)

func init() {
	register(&Brightness{}, "Makes the picture lighter or darker, keeping its colours.")
}

// Brightness multiplies the picture's lightness by Factor: 1 leaves it as it
// is, 1.2 makes it a fifth lighter, 0.5 half as light, 0 black.
//
// It scales L* in CIELAB and leaves a* and b* alone. L* is lightness as the
// eye sees it, so a factor means the same on shadows and highlights, and hue
// and chroma do not move. Multiplying R, G and B instead is cheaper and,
// because sRGB's curve is close to L*'s, lightens by about as much, but it
// changes colours: chroma grows with the factor (an orange at ×1.2 goes from
// chroma 55 to 64 when measured), and each channel clips at 255 on its own,
// which turns bright skin and sky yellow or cyan. Here only L* can clip (at
// 100, white), and colours outside sRGB are clipped once, on the way back.
// The cost is two colour conversions per pixel, streamed in the same pass as
// the rest of the pipeline; on a thumbnail that is nothing next to the decode.
type Brightness struct {
	Factor float64 `json:"factor" min:"0" max:"10" default:"1" help:"Lightness multiplier: 1 keeps the picture as it is, 1.2 makes it 20% lighter, 0.5 half as light."`
}

// Name returns "brightness".
func (*Brightness) Name() string { return "brightness" }

func (*Brightness) streams() bool { return true }

func (b *Brightness) apply(img *vips.ImageRef) error {
	l := identityLab()
	l.m[0][0] = b.Factor
	return applyLab(img, l, false)
}
