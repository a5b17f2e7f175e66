package imaging

import (
	"errors"

	"github.com/davidbyttow/govips/v2/vips"
)

func init() {
	register(&Sharpen{}, "Sharpens edges and detail, leaving flat areas (and their noise) alone.")
}

// Sharpen is an unsharp mask on lightness, libvips' sharpen: the difference
// between each pixel and a Gaussian blur around it is amplified. Amount
// sets how much on edges, where the difference is large: libvips' slope m2
// is 3·Amount, so 1 is libvips' own default. In flat areas, where the
// difference is under 2 L* units, nothing is added (slope m1 0), so noise
// and JPEG blocks in skies and skin are not sharpened with the rest.
//
// The blur's deviation should match the detail: Size gives it as a
// fraction of the picture's shorter side, so the same photograph at any
// resolution is sharpened alike (left out, defaultSharpenSize: 3 pixels
// on a 12 MP photo, 0.5 on a 500-pixel thumbnail), but never under 0.3
// pixels, the finest detail a picture holds; Sigma gives it in pixels,
// the same on any picture. Below about a pixel and a half the pixels
// themselves limit how alike two sizes come out (TestScaleFreeEffects).
type Sharpen struct {
	Size   float64 `json:"size,omitempty" min:"0.00005" max:"0.01" help:"Size of the detail to sharpen, as a fraction of the picture's shorter side, so that any resolution is sharpened alike; never under 0.3 pixels. Left out, with sigma too: 0.001 (3 pixels on a 12 MP photo, 0.5 on a 500-pixel thumbnail)."`
	Sigma  float64 `json:"sigma,omitempty" min:"0.3" max:"10" help:"Size of the detail to sharpen in pixels instead of size, the same on any picture: 0.5 for thumbnails, 1 to 2 for full-size photos. Not with size."`
	Amount float64 `json:"amount" min:"0" max:"10" default:"1" help:"Strength on edges: 1 is libvips' default, 2 twice as strong, 0 none."`
}

// defaultSharpenSize is what this op's pixel default used to advise: 0.5
// pixels for a 500-pixel thumbnail, 1 to 2 for a full-size photo (2 for
// 2000 pixels on the shorter side).
const defaultSharpenSize = 0.001

// Name returns "sharpen".
func (*Sharpen) Name() string { return "sharpen" }

func (*Sharpen) streams() bool { return true }

// Check allows size or sigma, not both.
func (s *Sharpen) Check() error {
	if s.Size != 0 && s.Sigma != 0 {
		return errors.New("give size or sigma, not both")
	}
	return nil
}

// sharpenFlat is libvips' x1: below this difference in L*, an area is flat.
const sharpenFlat = 2

func (s *Sharpen) apply(img *vips.ImageRef) error {
	if s.Amount == 0 {
		return nil
	}
	sigma := lengthIn(img, s.Sigma, s.Size, defaultSharpenSize, 0.3)
	space := img.Interpretation()
	if err := img.Sharpen(sigma, sharpenFlat, 3*s.Amount); err != nil {
		return err
	}
	// libvips sharpens in LabS; make sure the picture comes back as it was.
	if img.Interpretation() != space {
		return img.ToColorSpace(space)
	}
	return nil
}
