package imaging

import (
	"errors"
	"fmt"
	"image"
	"math"
	"unicode"
	"unicode/utf8"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
)

func init() {
	register(&Watermark{}, "Puts a line of text, or another picture such as a logo, over the picture, see-through.")
}

// Watermark lays Text, or the picture whose image id is Image, over the
// picture at Gravity, Opacity see-through, a margin of 3% of the picture's
// shorter side in from the edges it is anchored to.
//
// Text is drawn in a bold sans-serif (DejaVu on Debian) in Color, FontSize
// pixels from the top of its tallest letters to the bottom of its lowest;
// left out, the size is 5% of the picture's shorter side, so a batch of
// pictures of different sizes is marked alike. A line too long for the
// picture is made smaller until it fits. The text is plain: libvips renders
// Pango markup, so <, > and & are escaped and show as themselves.
//
// Image is the id of an uploaded picture, typically a PNG logo with
// transparency; it is scaled to Scale times the picture's width (smaller if
// it would not fit the height), keeping its shape, and decoded already
// shrunk, as thumbnails are. Watermark is a [Needer]: the caller of Process
// reads that picture and hands it over with Provide.
type Watermark struct {
	Text     string  `json:"text,omitempty" help:"One line of text to write, up to 200 characters. Give text or image."`
	Image    string  `json:"image,omitempty" help:"Id of an uploaded picture (from POST /v1/images) to lay over, such as a logo with transparency. Give text or image."`
	FontSize int     `json:"font_size,omitempty" min:"6" max:"2000" help:"Height of the text, in pixels; left out, 5% of the picture's shorter side."`
	Scale    float64 `json:"scale" min:"0.01" max:"1" default:"0.25" help:"Width of the image, as a fraction of the picture's width. Image only."`
	Color    string  `json:"color" format:"color" default:"#ffffff" help:"Colour of the text, such as #ffffff."`
	Opacity  float64 `json:"opacity" min:"0" max:"1" default:"0.5" help:"0 invisible, 1 fully opaque."`
	Gravity  string  `json:"gravity" enum:"centre,north,south,east,west,north-east,north-west,south-east,south-west" default:"south-east" help:"Where to put it: the centre, a side, or a corner."`

	overlay []byte // the bytes of Image, from Provide
}

// Name returns "watermark".
func (*Watermark) Name() string { return "watermark" }

func (*Watermark) streams() bool { return true }

const maxWatermarkText = 200

// Check asks for text or image, and keeps text to one printable line.
func (w *Watermark) Check() error {
	switch {
	case w.Text == "" && w.Image == "":
		return errors.New("give text or image")
	case w.Text != "" && w.Image != "":
		return errors.New("give text or image, not both")
	case w.Image != "" && !events.ValidID(w.Image):
		return fmt.Errorf("image must be the id of an uploaded picture, got %q", w.Image)
	case w.Image != "" && w.FontSize != 0:
		return errors.New("font_size is for text, not image")
	}
	if n := utf8.RuneCountInString(w.Text); n > maxWatermarkText {
		return errors.New("text must be at most 200 characters")
	}
	for _, r := range w.Text {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return errors.New("text must be one line of printable characters")
		}
	}
	return nil
}

// Needs returns the image id of the picture to lay over, if any.
func (w *Watermark) Needs() []string {
	if w.Image == "" {
		return nil
	}
	return []string{w.Image}
}

// Provide hands over the bytes of the picture to lay over.
func (w *Watermark) Provide(id string, data []byte) error {
	if id != w.Image || w.Image == "" {
		return fault.New(fault.InvalidArgument, "watermark: image %q is not one this op needs", id)
	}
	st := lib.Load()
	if st == nil {
		return errNotRun
	}
	if _, err := checkInput(st, data); err != nil {
		return fault.Wrap(fault.Permanent, err, "watermark: the image %s: %s", id, fault.Message(err))
	}
	w.overlay = data
	return nil
}

func (w *Watermark) missing() string {
	if w.Image != "" && w.overlay == nil {
		return w.Image
	}
	return ""
}

func (w *Watermark) apply(img *vips.ImageRef) error {
	W, H := img.Width(), img.Height()
	short := min(W, H)
	margin := int(math.Round(0.03 * float64(short)))
	boxW, boxH := W-2*margin, H-2*margin
	if boxW < 1 || boxH < 1 || w.Opacity == 0 {
		return nil
	}
	var (
		ov  *vips.ImageRef
		err error
	)
	if w.Text != "" {
		size := w.FontSize
		if size == 0 {
			size = max(12, int(math.Round(0.05*float64(short))))
		}
		ov, err = w.textOverlay(boxW, min(size, boxH))
	} else {
		ov, err = w.imageOverlay(max(1, int(math.Round(w.Scale*float64(W)))), boxH)
	}
	if err != nil || ov == nil {
		return err
	}
	defer ov.Close()
	at := place(w.Gravity, W, H, ov.Width(), ov.Height(), margin)
	return composite(img, ov, at)
}

// textOverlay draws the text in an RGBA picture: Color where the letters
// are, alpha from their antialiased coverage times Opacity. It is nil when
// the text leaves no ink (only spaces).
func (w *Watermark) textOverlay(maxW, height int) (*vips.ImageRef, error) {
	mask, err := textMask(w.Text, maxW, height)
	if err != nil {
		return nil, err
	}
	ink := image.Rectangle{}
	for y := range height {
		for x := range maxW {
			if mask[y*maxW+x] != 0 {
				ink = ink.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	if ink.Empty() {
		return nil, nil
	}
	c := mustColor(w.Color)
	p := &patch{rect: image.Rect(0, 0, ink.Dx(), ink.Dy()), bands: 4, pix: make([]byte, ink.Dx()*ink.Dy()*4)}
	for y := ink.Min.Y; y < ink.Max.Y; y++ {
		for x := ink.Min.X; x < ink.Max.X; x++ {
			i := p.offset(x-ink.Min.X, y-ink.Min.Y)
			a := float64(mask[y*maxW+x]) * w.Opacity * float64(c.a) / 255
			p.pix[i], p.pix[i+1], p.pix[i+2], p.pix[i+3] = c.r, c.g, c.b, uint8(math.Round(a))
		}
	}
	return p.image()
}

// imageOverlay decodes the provided picture scaled to width (or less, to fit
// maxH), with its alpha times Opacity.
func (w *Watermark) imageOverlay(width, maxH int) (*vips.ImageRef, error) {
	shrunk, err := vips.LoadThumbnailFromBuffer(w.overlay, width, maxH, vips.InterestingNone, vips.SizeBoth, nil)
	if err != nil {
		return nil, fault.Wrap(fault.Permanent, vipsCause(err), "watermark: the image %s could not be read", w.Image)
	}
	// Decoded shrunk, it can be read only once, and a later op may read the
	// picture it is laid over more than once.
	ov, err := materialize(shrunk)
	if err != nil {
		return nil, fault.Wrap(fault.Permanent, vipsCause(err), "watermark: the image %s could not be read", w.Image)
	}
	ok := false
	defer func() {
		if !ok {
			ov.Close()
		}
	}()
	if ov.Interpretation() != vips.InterpretationSRGB || ov.BandFormat() != vips.BandFormatUchar {
		if _, err := toSRGB8(ov); err != nil {
			return nil, err
		}
		if ov.Bands() < 3 { // a grey logo
			if err := ov.ToColorSpace(vips.InterpretationSRGB); err != nil {
				return nil, err
			}
		}
	}
	if !ov.HasAlpha() {
		if err := ov.AddAlpha(); err != nil {
			return nil, err
		}
	}
	if err := ov.Linear([]float64{1, 1, 1, w.Opacity}, []float64{0, 0, 0, 0}); err != nil {
		return nil, err
	}
	if err := ov.Cast(vips.BandFormatUchar); err != nil {
		return nil, err
	}
	ok = true
	return ov, nil
}

// composite lays ov, sRGB with alpha, over img with its top-left corner at
// at, clipped to img. Only the covered rectangle is composited (libvips'
// composite works in floating point over its whole base) and put back, so
// the rest of img streams through untouched.
func composite(img, ov *vips.ImageRef, at image.Point) error {
	r := image.Rect(at.X, at.Y, at.X+ov.Width(), at.Y+ov.Height()).Intersect(image.Rect(0, 0, img.Width(), img.Height()))
	if r.Empty() {
		return nil
	}
	if img.Bands() < 3 {
		if err := img.ToColorSpace(colourSpace(img.Interpretation())); err != nil {
			return err
		}
	}
	region, err := img.Copy()
	if err != nil {
		return err
	}
	defer region.Close()
	if err := region.ExtractArea(r.Min.X, r.Min.Y, r.Dx(), r.Dy()); err != nil {
		return err
	}
	if err := region.Composite(ov, vips.BlendModeOver, at.X-r.Min.X, at.Y-r.Min.Y); err != nil {
		return err
	}
	// composite adds alpha and works in float; give back what img had.
	if !img.HasAlpha() {
		if err := region.ExtractBand(0, region.Bands()-1); err != nil {
			return err
		}
	}
	if err := region.Cast(img.BandFormat()); err != nil {
		return err
	}
	return img.Insert(region, r.Min.X, r.Min.Y, false, nil)
}
