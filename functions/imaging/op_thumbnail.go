package imaging

import (
	"errors"

	"github.com/davidbyttow/govips/v2/vips"
)

func init() {
	register(&Thumbnail{}, "Makes the picture smaller to fit in, or to fill, a box. Never makes it larger.")
}

// Thumbnail shrinks the picture into a box of Width×Height; a side left out
// (0) follows from the other and the picture's shape. Fit "fit" keeps the
// whole picture inside the box; "fill" shrinks it until it covers the box,
// then cuts the overflow equally from both sides. A picture smaller than the
// box is never enlarged: "fill" then only cuts the sides that overflow.
//
// As the first op it runs during decoding: libvips reads a JPEG already
// shrunk by up to 8 (and WebP, HEIF, TIFF pyramids likewise), so the full
// picture is never in memory.
type Thumbnail struct {
	Width  int    `json:"width,omitempty" min:"1" max:"10000" help:"Width of the box, in pixels. Leave out to follow the height."`
	Height int    `json:"height,omitempty" min:"1" max:"10000" help:"Height of the box, in pixels. Leave out to follow the width."`
	Fit    string `json:"fit" enum:"fit,fill" default:"fit" help:"fit: the whole picture inside the box. fill: cover the box, cutting what overflows from the centre."`
}

// Name returns "thumbnail".
func (*Thumbnail) Name() string { return "thumbnail" }

// Check asks for at least one side, and both for fill, which has no box to
// cover otherwise.
func (t *Thumbnail) Check() error {
	if t.Width == 0 && t.Height == 0 {
		return errors.New("give width, height or both")
	}
	if t.Fit == "fill" && (t.Width == 0 || t.Height == 0) {
		return errors.New(`fit "fill" needs both width and height`)
	}
	return nil
}

// maxCoord is libvips' largest coordinate: a box side that never limits.
const maxCoord = 10_000_000

// box returns libvips' arguments for the thumbnail.
func (t *Thumbnail) box() (width, height int, crop vips.Interesting) {
	width, height = t.Width, t.Height
	if width == 0 {
		width = maxCoord
	}
	if height == 0 {
		height = maxCoord
	}
	crop = vips.InterestingNone
	if t.Fit == "fill" {
		crop = vips.InterestingCentre
	}
	return width, height, crop
}

func (t *Thumbnail) load(src []byte) (*vips.ImageRef, error) {
	w, h, crop := t.box()
	// vips_thumbnail_buffer turns the picture upright itself.
	return vips.LoadThumbnailFromBuffer(src, w, h, crop, vips.SizeDown, nil)
}

func (t *Thumbnail) apply(img *vips.ImageRef) error {
	w, h, crop := t.box()
	return img.ThumbnailWithSize(w, h, crop, vips.SizeDown)
}
