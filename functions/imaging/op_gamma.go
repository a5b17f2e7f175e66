package imaging

import (
	"github.com/davidbyttow/govips/v2/vips"
)

func init() {
	register(&Gamma{}, "Lightens or darkens the mid-tones, keeping black and white.")
}

// Gamma raises each channel, scaled to 0–1, to the power 1/Factor, as
// ImageMagick's -gamma and most editors' gamma sliders do: 1 leaves the
// picture as it is, 2 lightens the mid-tones (mid-grey 128 becomes 186), 0.5
// darkens them (128 becomes 64); black and white stay. libvips applies it
// through a 256-entry table for 8-bit pictures, so it costs a lookup per
// value. Alpha is left alone.
type Gamma struct {
	Factor float64 `json:"factor" min:"0.1" max:"10" default:"1" help:"1 keeps the picture as it is; above 1 lightens the mid-tones, below 1 darkens them."`
}

// Name returns "gamma".
func (*Gamma) Name() string { return "gamma" }

func (*Gamma) streams() bool { return true }

func (g *Gamma) apply(img *vips.ImageRef) error {
	if g.Factor == 1 {
		return nil
	}
	if !img.HasAlpha() {
		return img.Gamma(g.Factor)
	}
	alpha, err := img.ExtractBandToImage(img.Bands()-1, 1)
	if err != nil {
		return err
	}
	defer alpha.Close()
	if err := img.ExtractBand(0, img.Bands()-1); err != nil {
		return err
	}
	if err := img.Gamma(g.Factor); err != nil {
		return err
	}
	return img.BandJoin(alpha)
}
