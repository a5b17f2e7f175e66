package imaging

import (
	"github.com/davidbyttow/govips/v2/vips"
)

func init() {
	register(&Flip{}, "Mirrors the picture, left to right or top to bottom.")
}

// Flip mirrors the picture: "horizontal" swaps left and right, as a mirror
// does; "vertical" swaps top and bottom. Pixels move, none change.
type Flip struct {
	Direction string `json:"direction" enum:"horizontal,vertical" default:"horizontal" help:"horizontal: left and right swap. vertical: top and bottom swap."`
}

// Name returns "flip".
func (*Flip) Name() string { return "flip" }

func (f *Flip) streams() bool { return f.Direction != "vertical" }

func (f *Flip) apply(img *vips.ImageRef) error {
	if f.Direction == "vertical" {
		return img.Flip(vips.DirectionVertical)
	}
	return img.Flip(vips.DirectionHorizontal)
}
