package imaging

import (
	"errors"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/pixmill/pixmill/events/fault"
)

func init() {
	register(&Crop{}, "Keeps a rectangle of the picture, given in pixels or placed by a gravity, and drops the rest.")
}

// Crop keeps a Width×Height area. Without Gravity its top-left corner is at
// X,Y; with Gravity the area is anchored at the picture's centre, a side or
// a corner, or, for "smart", wherever libvips finds the most interesting
// part (its attention strategy), and X and Y must be left out. The
// coordinates are in the picture as the earlier ops left it, upright. An
// area that does not fit in the picture is fault.Permanent: it cannot fit
// this picture however often it is tried.
type Crop struct {
	X       int    `json:"x,omitempty" min:"0" max:"100000" help:"Left edge of the area, in pixels from the picture's left edge; 0 when left out. Not with gravity."`
	Y       int    `json:"y,omitempty" min:"0" max:"100000" help:"Top edge of the area, in pixels from the picture's top edge; 0 when left out. Not with gravity."`
	Width   int    `json:"width" min:"1" max:"100000" required:"true" help:"Width of the area, in pixels."`
	Height  int    `json:"height" min:"1" max:"100000" required:"true" help:"Height of the area, in pixels."`
	Gravity string `json:"gravity,omitempty" enum:"centre,north,south,east,west,north-east,north-west,south-east,south-west,smart" help:"Where to take the area from instead of x and y: the centre, a side, a corner, or smart (the most interesting part)."`
}

// Name returns "crop".
func (*Crop) Name() string { return "crop" }

func (c *Crop) streams() bool { return c.Gravity != "smart" }

// Check refuses x or y with a gravity: the gravity places the area, and two
// answers to "where" would leave one of them silently ignored.
func (c *Crop) Check() error {
	if c.Gravity != "" && (c.X != 0 || c.Y != 0) {
		return errors.New(`x and y cannot be given with gravity "` + c.Gravity + `", which places the area itself`)
	}
	return nil
}

func (c *Crop) apply(img *vips.ImageRef) error {
	w, h := img.Width(), img.Height()
	if c.Gravity != "" {
		if c.Width > w || c.Height > h {
			return fault.New(fault.Permanent, "crop: a %dx%d area does not fit in the %dx%d picture", c.Width, c.Height, w, h)
		}
		if c.Gravity == "smart" {
			return img.SmartCrop(c.Width, c.Height, vips.InterestingAttention)
		}
		at := place(c.Gravity, w, h, c.Width, c.Height, 0)
		return img.ExtractArea(at.X, at.Y, c.Width, c.Height)
	}
	if c.X+c.Width > w || c.Y+c.Height > h {
		return fault.New(fault.Permanent, "crop: area %d,%d %dx%d does not fit in the %dx%d picture", c.X, c.Y, c.Width, c.Height, w, h)
	}
	return img.ExtractArea(c.X, c.Y, c.Width, c.Height)
}
