package imaging

import (
	"github.com/davidbyttow/govips/v2/vips"
)

func init() {
	register(&Sharpen{}, "Sharpens edges and detail, leaving flat areas (and their noise) alone.")
}

// Sharpen is an unsharp mask on lightness, libvips' sharpen: the difference
// between each pixel and a Gaussian blur of Sigma pixels around it is
// amplified. Amount sets how much on edges, where the difference is large:
// libvips' slope m2 is 3·Amount, so 1 is libvips' own default. In flat areas,
// where the difference is under 2 L* units, nothing is added (slope m1 0), so
// noise and JPEG blocks in skies and skin are not sharpened with the rest.
// Sigma should match the detail: about 0.5 for a thumbnail, 1 to 2 for a
// full-size photo.
type Sharpen struct {
	Sigma  float64 `json:"sigma" min:"0.3" max:"10" default:"1" help:"Size of the detail to sharpen, in pixels: 0.5 for thumbnails, 1 to 2 for full-size photos."`
	Amount float64 `json:"amount" min:"0" max:"10" default:"1" help:"Strength on edges: 1 is libvips' default, 2 twice as strong, 0 none."`
}

// Name returns "sharpen".
func (*Sharpen) Name() string { return "sharpen" }

func (*Sharpen) streams() bool { return true }

// sharpenFlat is libvips' x1: below this difference in L*, an area is flat.
const sharpenFlat = 2

func (s *Sharpen) apply(img *vips.ImageRef) error {
	if s.Amount == 0 {
		return nil
	}
	space := img.Interpretation()
	if err := img.Sharpen(s.Sigma, sharpenFlat, 3*s.Amount); err != nil {
		return err
	}
	// libvips sharpens in LabS; make sure the picture comes back as it was.
	if img.Interpretation() != space {
		return img.ToColorSpace(space)
	}
	return nil
}
