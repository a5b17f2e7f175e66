package imaging

import (
	"github.com/davidbyttow/govips/v2/vips"
)

// Info is what a picture's header says.
type Info struct {
	Format        string // as in Output.Format
	Width, Height int    // upright, as Process will see the picture
	Pages         int    // frames of an animation, pages of a TIFF; 1 for a photo
}

// Probe reads src's header, without decoding pixels, so that the gateway can
// accept or refuse an upload cheaply. It refuses what Process would refuse
// before decoding: empty files, files that are not pictures (text named
// .jpg), formats that are not accepted, and truncated JPEG, PNG and WebP
// files, whose headers read fine; see complete. Those errors are
// fault.Permanent.
func Probe(src []byte) (Info, error) {
	st := lib.Load()
	if st == nil {
		return Info{}, errNotRun
	}
	f, err := checkInput(st, src)
	if err != nil {
		return Info{}, err
	}
	// libvips loads lazily: this reads the header and decodes no pixels.
	img, err := vips.LoadImageFromBuffer(src, &vips.ImportParams{})
	if err != nil {
		return Info{}, loadError(err)
	}
	defer img.Close()
	w, h := img.Width(), img.Height()
	// EXIF orientations 5 to 8 turn the picture a quarter.
	if o := img.Orientation(); o >= 5 && o <= 8 {
		w, h = h, w
	}
	return Info{Format: f.Name, Width: w, Height: h, Pages: max(img.Pages(), 1)}, nil
}
