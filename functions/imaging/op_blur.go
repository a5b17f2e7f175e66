package imaging

import (
	"github.com/davidbyttow/govips/v2/vips"
)

func init() {
	register(&Blur{}, "Blurs the picture (Gaussian blur).")
}

// Blur applies a Gaussian blur whose standard deviation is Sigma pixels:
// details smaller than about Sigma fade, edges spread over about 2·Sigma on
// each side. The cost grows with Sigma (libvips uses a separable mask about
// 6·Sigma wide), and the radius means the same on a thumbnail as on the full
// picture, so blur after thumbnail for a look that does not depend on the
// original's size.
type Blur struct {
	Sigma float64 `json:"sigma" min:"0.1" max:"100" default:"2" help:"Standard deviation of the blur, in pixels: 1 softens, 5 blurs, 20 leaves only large shapes."`
}

// Name returns "blur".
func (*Blur) Name() string { return "blur" }

func (*Blur) streams() bool { return true }

func (b *Blur) apply(img *vips.ImageRef) error {
	return withPremultipliedAlpha(img, func() error {
		return img.GaussianBlur(b.Sigma)
	})
}
