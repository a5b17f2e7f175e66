package imaging

import (
	"errors"

	"github.com/davidbyttow/govips/v2/vips"
)

func init() {
	register(&Blur{}, "Blurs the picture (Gaussian blur), by a share of its size or by pixels.")
}

// Blur applies a Gaussian blur: details smaller than about its standard
// deviation fade, edges spread over about twice it on each side. Size sets
// the deviation as a fraction of the picture's shorter side, so the same
// photograph at any resolution gets the same look; Sigma sets it in
// pixels, for a fixed blur whatever the size (it blurs a thumbnail more
// than the full picture). Left out, Size is defaultBlurSize. Below about a
// pixel and a half the pixels themselves limit how alike two sizes come
// out (TestScaleFreeEffects). The cost grows with the deviation in pixels
// (libvips uses a separable mask about six times as wide).
type Blur struct {
	Size  float64 `json:"size,omitempty" min:"0.0001" max:"0.1" help:"Standard deviation of the blur, as a fraction of the picture's shorter side: 0.001 softens, 0.005 blurs, 0.02 leaves only large shapes. Left out, with sigma too: 0.002 (2 pixels on a 1000-pixel picture)."`
	Sigma float64 `json:"sigma,omitempty" min:"0.1" max:"100" help:"Standard deviation of the blur in pixels instead of size, the same on any picture (so it blurs a thumbnail more than the full photo). Not with size."`
}

// defaultBlurSize is a blur that softens: 2 pixels on a 1000-pixel picture,
// the pixel default this op had before it scaled with the picture.
const defaultBlurSize = 0.002

// Name returns "blur".
func (*Blur) Name() string { return "blur" }

func (*Blur) streams() bool { return true }

// Check allows size or sigma, not both.
func (b *Blur) Check() error {
	if b.Size != 0 && b.Sigma != 0 {
		return errors.New("give size or sigma, not both")
	}
	return nil
}

func (b *Blur) apply(img *vips.ImageRef) error {
	sigma := lengthIn(img, b.Sigma, b.Size, defaultBlurSize, 0.1)
	return withPremultipliedAlpha(img, func() error {
		return img.GaussianBlur(sigma)
	})
}
