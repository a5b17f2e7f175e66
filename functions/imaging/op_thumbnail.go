package imaging

import (
	"errors"

	"github.com/davidbyttow/govips/v2/vips"
)

func init() {
	register(&Thumbnail{}, "Makes the picture smaller to fit in, or to fill, a box. Never makes it larger unless asked.")
}

// Thumbnail shrinks the picture into a box of Width×Height; a side left out
// (0) follows from the other and the picture's shape. Fit "fit" keeps the
// whole picture inside the box; "fill" shrinks it until it covers the box,
// then cuts the overflow equally from both sides; "smart" covers the box too
// but keeps the part libvips finds most interesting (its attention strategy:
// skin tones, saturated colour and edges) instead of the centre. A picture
// smaller than the box is never enlarged unless Upscale is set: "fill" then
// only cuts the sides that overflow.
//
// As the first op it runs during decoding: libvips reads a JPEG already
// shrunk by up to 8 (and WebP, HEIF, TIFF pyramids likewise), so the full
// picture is never in memory.
type Thumbnail struct {
	Width   int    `json:"width,omitempty" min:"1" max:"10000" help:"Width of the box, in pixels. Leave out to follow the height."`
	Height  int    `json:"height,omitempty" min:"1" max:"10000" help:"Height of the box, in pixels. Leave out to follow the width."`
	Fit     string `json:"fit" enum:"fit,fill,smart" default:"fit" help:"fit: the whole picture inside the box. fill: cover the box, cutting what overflows from the centre. smart: cover the box, keeping the most interesting part."`
	Upscale bool   `json:"upscale" default:"false" help:"Enlarge a picture smaller than the box. Off by default: enlarging adds pixels, not detail."`
}

// Name returns "thumbnail".
func (*Thumbnail) Name() string { return "thumbnail" }

func (*Thumbnail) streams() bool { return true }

// Check asks for at least one side, and both for fill and smart, which have
// no box to cover otherwise.
func (t *Thumbnail) Check() error {
	if t.Width == 0 && t.Height == 0 {
		return errors.New("give width, height or both")
	}
	if t.Fit != "fit" && (t.Width == 0 || t.Height == 0) {
		return errors.New(`fit "` + t.Fit + `" needs both width and height`)
	}
	return nil
}

// maxCoord is libvips' largest coordinate: a box side that never limits.
const maxCoord = 10_000_000

// box returns libvips' arguments for the thumbnail.
func (t *Thumbnail) box() (width, height int, crop vips.Interesting, size vips.Size) {
	width, height = t.Width, t.Height
	if width == 0 {
		width = maxCoord
	}
	if height == 0 {
		height = maxCoord
	}
	switch t.Fit {
	case "fill":
		crop = vips.InterestingCentre
	case "smart":
		crop = vips.InterestingAttention
	default:
		crop = vips.InterestingNone
	}
	size = vips.SizeDown
	if t.Upscale {
		size = vips.SizeBoth
	}
	return width, height, crop, size
}

func (t *Thumbnail) load(src []byte) (*vips.ImageRef, error) {
	w, h, crop, size := t.box()
	// vips_thumbnail_buffer turns the picture upright itself.
	return vips.LoadThumbnailFromBuffer(src, w, h, crop, size, nil)
}

func (t *Thumbnail) apply(img *vips.ImageRef) error {
	w, h, crop, size := t.box()
	return img.ThumbnailWithSize(w, h, crop, size)
}
