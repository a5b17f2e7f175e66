package imaging

import (
	"math"

	"github.com/davidbyttow/govips/v2/vips"
)

func init() {
	register(&Rotate{}, "Turns the picture clockwise by an angle; quarter turns are exact, other angles fill the corners with a background colour.")
}

// Rotate turns the picture clockwise by Angle degrees (negative turns it
// anticlockwise). Quarter turns move pixels without resampling, so they lose
// nothing and cost little; any other angle resamples (bilinear) into the
// rectangle that holds the whole turned picture, and fills the corners
// outside it with Background. A background with alpha below ff gives a
// picture with transparency, for the formats that keep it.
//
// Turning a photo upright from its EXIF orientation is not this op's job:
// every picture is already turned upright as it is decoded.
type Rotate struct {
	Angle      float64 `json:"angle" min:"-360" max:"360" required:"true" help:"Degrees clockwise; negative turns anticlockwise. 90, 180 and 270 are exact."`
	Background string  `json:"background" format:"color" default:"#000000" help:"Colour of the corners an angle other than a quarter turn uncovers, such as #ffffff or #00000000 (transparent)."`
}

// Name returns "rotate".
func (*Rotate) Name() string { return "rotate" }

func (r *Rotate) apply(img *vips.ImageRef) error {
	a := math.Mod(r.Angle, 360)
	if a < 0 {
		a += 360
	}
	switch a {
	case 0:
		return nil
	case 90:
		return img.Rotate(vips.Angle90)
	case 180:
		return img.Rotate(vips.Angle180)
	case 270:
		return img.Rotate(vips.Angle270)
	}
	bg := mustColor(r.Background)
	// The background needs a value per band: grey pictures take colour, and
	// a see-through background needs an alpha band to be seen through.
	if img.Bands() < 3 {
		if err := img.ToColorSpace(colourSpace(img.Interpretation())); err != nil {
			return err
		}
	}
	if bg.a < 255 && !img.HasAlpha() {
		if err := img.AddAlpha(); err != nil {
			return err
		}
	}
	return img.Similarity(1, a, bg.vips(), 0, 0, 0, 0)
}
