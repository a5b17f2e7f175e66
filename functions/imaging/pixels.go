package imaging

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"runtime"

	"github.com/davidbyttow/govips/v2/vips"
)

// Red eye and teeth whitening decide pixel by pixel, on shapes and
// neighbourhoods that libvips' per-pixel arithmetic cannot express, so they
// read a rectangle of 8-bit sRGB pixels into Go, work there, and write back
// only the rectangle they changed. libvips keeps streaming everything else.

// patch is a rectangle of a picture's pixels in 8-bit sRGB.
type patch struct {
	rect  image.Rectangle // where it sits in the picture
	bands int             // 3, or 4 with alpha
	pix   []byte          // rect.Dy() rows of rect.Dx()*bands bytes
}

func (p *patch) offset(x, y int) int {
	return ((y-p.rect.Min.Y)*p.rect.Dx() + (x - p.rect.Min.X)) * p.bands
}

func (p *patch) rgb(x, y int) (r, g, b uint8) {
	i := p.offset(x, y)
	return p.pix[i], p.pix[i+1], p.pix[i+2]
}

func (p *patch) setRGB(x, y int, r, g, b uint8) {
	i := p.offset(x, y)
	p.pix[i], p.pix[i+1], p.pix[i+2] = r, g, b
}

func (p *patch) clone() *patch {
	c := *p
	c.pix = bytes.Clone(p.pix)
	return &c
}

// toSRGB8 converts img to 8-bit sRGB, keeping alpha, so that patches can be
// read from it and written back without conversions. It reports whether img
// holds colour at all: a grey picture has no red eyes or yellow teeth.
func toSRGB8(img *vips.ImageRef) (colour bool, err error) {
	switch img.Interpretation() {
	case vips.InterpretationBW, vips.InterpretationGrey16:
		return false, nil
	case vips.InterpretationSRGB:
		if img.BandFormat() == vips.BandFormatUchar {
			return true, nil
		}
	}
	if err := img.ToColorSpace(vips.InterpretationSRGB); err != nil {
		return false, err
	}
	if img.BandFormat() != vips.BandFormatUchar {
		if err := img.Cast(vips.BandFormatUchar); err != nil {
			return false, err
		}
	}
	return true, nil
}

// colourView returns a copy of img in 8-bit sRGB for readPatch, or nil
// when img holds no colour (toSRGB8): the ops that read pixels decide on
// it and write their patches back into img.
func colourView(img *vips.ImageRef) (*vips.ImageRef, error) {
	view, err := img.Copy()
	if err != nil {
		return nil, err
	}
	if colour, err := toSRGB8(view); err != nil || !colour {
		view.Close()
		return nil, err
	}
	return view, nil
}

// readPatch reads r, which must lie inside img, from an 8-bit sRGB img.
func readPatch(img *vips.ImageRef, r image.Rectangle) (*patch, error) {
	c, err := img.Copy()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.ExtractArea(r.Min.X, r.Min.Y, r.Dx(), r.Dy()); err != nil {
		return nil, err
	}
	pix, err := c.ToBytes()
	if err != nil {
		return nil, err
	}
	p := &patch{rect: r, bands: c.Bands(), pix: pix}
	if (p.bands != 3 && p.bands != 4) || len(pix) != r.Dx()*r.Dy()*p.bands {
		return nil, fmt.Errorf("imaging: read %d bytes of %d bands for a %dx%d patch", len(pix), p.bands, r.Dx(), r.Dy())
	}
	return p, nil
}

// writePatch puts p back into img, replacing the pixels under it; the rest
// of img is not touched, not even rounded.
func writePatch(img *vips.ImageRef, p *patch) error {
	sub, err := p.image()
	if err != nil {
		return err
	}
	defer sub.Close()
	// An opaque patch is saved as RGB; match img's bands either way.
	switch {
	case sub.Bands() < img.Bands():
		if err := sub.BandJoinConst([]float64{255}); err != nil {
			return err
		}
	case sub.Bands() > img.Bands():
		if err := sub.ExtractBand(0, img.Bands()); err != nil {
			return err
		}
	}
	return img.Insert(sub, p.rect.Min.X, p.rect.Min.Y, false, nil)
}

// image turns p into a libvips image, RGB, or RGBA when any pixel is not
// opaque. It travels as an uncompressed PNG, the cheapest way govips offers
// to turn Go pixels into an image.
func (p *patch) image() (*vips.ImageRef, error) {
	w, h := p.rect.Dx(), p.rect.Dy()
	nrgba := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i, j := 0, 0; i < len(p.pix); i, j = i+p.bands, j+4 {
		copy(nrgba.Pix[j:j+3], p.pix[i:i+3])
		nrgba.Pix[j+3] = 255
		if p.bands == 4 {
			nrgba.Pix[j+3] = p.pix[i+3]
		}
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.NoCompression}).Encode(&buf, nrgba); err != nil {
		return nil, err
	}
	img, err := vips.LoadImageFromBuffer(buf.Bytes(), &vips.ImportParams{})
	if err != nil {
		return nil, err
	}
	// libvips decodes lazily, straight from Go's buffer, when a pipeline
	// first needs pixels: here that would be when the whole picture is
	// encoded, long after the buffer is garbage. Reading a pixel now makes
	// it decode the patch into its own memory while the buffer is alive.
	if _, err := img.GetPoint(0, 0); err != nil {
		img.Close()
		return nil, err
	}
	runtime.KeepAlive(buf)
	return img, nil
}
