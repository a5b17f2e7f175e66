package imaging

import (
	"errors"
	"math"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/pixmill/pixmill/events/fault"
)

func init() {
	register(&Resize{}, "Scales the picture to a width, a height, both, or by a factor; unlike thumbnail it also enlarges.")
}

// maxResizePixels bounds what Resize may make: enlarging is the one way an
// edit can turn an accepted picture into one no worker can hold.
const maxResizePixels = 100_000_000

// Resize scales the picture. With Width or Height alone the other side
// follows the picture's shape; with both the picture takes exactly that
// size, its shape changing if it must; with Scale both sides are multiplied.
// Kernel is the resampling filter: lanczos3 is the sharpest for photos,
// nearest keeps hard pixel edges (pixel art, screenshots at 2x). Unlike
// thumbnail it also enlarges, and it runs on the decoded picture, so it gains
// nothing from shrink-on-load; use thumbnail first to make a picture smaller.
type Resize struct {
	Width  int     `json:"width,omitempty" min:"1" max:"20000" help:"Width of the result, in pixels. Alone, the height follows the picture's shape."`
	Height int     `json:"height,omitempty" min:"1" max:"20000" help:"Height of the result, in pixels. Alone, the width follows the picture's shape."`
	Scale  float64 `json:"scale,omitempty" min:"0.01" max:"10" help:"Factor for both sides, instead of width and height: 0.5 halves them, 2 doubles them."`
	Kernel string  `json:"kernel" enum:"nearest,linear,cubic,lanczos3" default:"lanczos3" help:"Resampling filter: lanczos3 (sharpest), cubic, linear, or nearest (hard pixel edges)."`
}

// Name returns "resize".
func (*Resize) Name() string { return "resize" }

func (*Resize) streams() bool { return true }

// Check asks for a size or a scale, not both.
func (r *Resize) Check() error {
	switch {
	case r.Scale == 0 && r.Width == 0 && r.Height == 0:
		return errors.New("give width, height, both, or scale")
	case r.Scale != 0 && (r.Width != 0 || r.Height != 0):
		return errors.New("give either scale or width and height, not both")
	}
	return nil
}

var kernels = map[string]vips.Kernel{
	"nearest":  vips.KernelNearest,
	"linear":   vips.KernelLinear,
	"cubic":    vips.KernelCubic,
	"lanczos3": vips.KernelLanczos3,
}

// size returns the result's size for a w×h picture.
func (r *Resize) size(w, h int) (int, int) {
	switch {
	case r.Scale != 0:
		return roundSide(float64(w) * r.Scale), roundSide(float64(h) * r.Scale)
	case r.Width != 0 && r.Height != 0:
		return r.Width, r.Height
	case r.Width != 0:
		return r.Width, roundSide(float64(h) * float64(r.Width) / float64(w))
	default:
		return roundSide(float64(w) * float64(r.Height) / float64(h)), r.Height
	}
}

func roundSide(v float64) int { return max(1, int(math.Round(v))) }

func (r *Resize) apply(img *vips.ImageRef) error {
	w, h := img.Width(), img.Height()
	tw, th := r.size(w, h)
	if tw*th > maxResizePixels {
		return fault.New(fault.LimitExceeded, "resize: the result would be %dx%d, over the limit of %d megapixels", tw, th, maxResizePixels/1_000_000)
	}
	// libvips rounds the scaled size; asking for a hair over the exact
	// factor makes it land on the integer that was meant.
	hs := (float64(tw) + 0.1) / float64(w)
	vs := (float64(th) + 0.1) / float64(h)
	return withPremultipliedAlpha(img, func() error {
		return img.ResizeWithVScale(hs, vs, kernels[r.Kernel])
	})
}

// withPremultipliedAlpha runs fn, a filter that mixes neighbouring pixels,
// with alpha premultiplied: without, the colour of invisible pixels bleeds
// into the visible ones along every transparent edge.
func withPremultipliedAlpha(img *vips.ImageRef, fn func() error) error {
	if !img.HasAlpha() {
		return fn()
	}
	format := img.BandFormat()
	if err := img.PremultiplyAlpha(); err != nil {
		return err
	}
	if err := fn(); err != nil {
		return err
	}
	if err := img.UnpremultiplyAlpha(); err != nil {
		return err
	}
	return img.Cast(format)
}
