package imaging

import (
	"github.com/davidbyttow/govips/v2/vips"

	"github.com/pixmill/pixmill/functions/fault"
)

func init() {
	register(&Crop{}, "Keeps a rectangle of the picture, given in pixels, and drops the rest.")
}

// Crop keeps the Width×Height area whose top-left corner is at X,Y. The
// coordinates are in the picture as the earlier ops left it, upright. An
// area that does not fit in the picture is fault.Permanent: it cannot fit
// this picture however often it is tried.
type Crop struct {
	X      int `json:"x" min:"0" max:"100000" default:"0" help:"Left edge of the area, in pixels from the picture's left edge."`
	Y      int `json:"y" min:"0" max:"100000" default:"0" help:"Top edge of the area, in pixels from the picture's top edge."`
	Width  int `json:"width" min:"1" max:"100000" required:"true" help:"Width of the area, in pixels."`
	Height int `json:"height" min:"1" max:"100000" required:"true" help:"Height of the area, in pixels."`
}

// Name returns "crop".
func (*Crop) Name() string { return "crop" }

func (c *Crop) apply(img *vips.ImageRef) error {
	if w, h := img.Width(), img.Height(); c.X+c.Width > w || c.Y+c.Height > h {
		return fault.New(fault.Permanent, "crop: area %d,%d %dx%d does not fit in the %dx%d picture", c.X, c.Y, c.Width, c.Height, w, h)
	}
	return img.ExtractArea(c.X, c.Y, c.Width, c.Height)
}
