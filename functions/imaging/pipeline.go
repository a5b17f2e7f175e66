package imaging

import (
	"context"
	"fmt"
	"slices"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/pixmill/pixmill/events/fault"
)

// DefaultQuality is the JPEG and WebP quality when Output.Quality is 0: at
// 82 artefacts are hard to see in photos, and files are a third smaller than
// at 90.
const DefaultQuality = 82

// Output says how the result is written.
type Output struct {
	// Format is one of [Formats]; "" keeps the input's format, or makes a
	// JPEG when that format cannot be written.
	Format string
	// Quality, 1 to 100, applies to the lossy formats (jpeg, webp, heif,
	// avif, jxl); 0 means DefaultQuality for jpeg and webp and the encoder's
	// own default for the others.
	Quality int
	// Strip drops EXIF (where the camera put the GPS position), XMP and IPTC.
	// What they said that matters is kept in the pixels: the picture is
	// turned upright from its EXIF orientation (as it always is), and one
	// with a colour profile other than sRGB is converted to sRGB as it is
	// decoded, before the ops see it, with a compact sRGB profile embedded.
	Strip bool
}

// Result is an encoded picture.
type Result struct {
	Bytes         []byte
	Format        string // as in Output.Format
	Width, Height int
	ContentType   string
}

// Process decodes src once, applies ops in order and encodes the result once.
// The picture is turned upright from its EXIF orientation as it is decoded,
// so ops see it as a person does. When ops[0] is a thumbnail, the decoder
// shrinks while it reads (shrink-on-load): a 256-pixel thumbnail of a 12 MP
// JPEG takes a fifth of the time of a full decode (see BenchmarkProcess).
//
// ctx is checked before each step; libvips does most of the work lazily,
// while encoding, so that last step cannot be interrupted.
//
// Ops are checked as Parse checks them, so ops built by hand get the same
// InvalidArgument errors. A file that is not a readable picture is
// fault.Permanent, with libvips' message as the cause.
func Process(ctx context.Context, src []byte, ops []Op, out Output) (*Result, error) {
	st := lib.Load()
	if st == nil {
		return nil, errNotRun
	}
	for i, op := range ops {
		if op == nil {
			return nil, fault.New(fault.InvalidArgument, "op %d of %d is missing", i+1, len(ops))
		}
		if err := validateOp(op); err != nil {
			return nil, err
		}
		if n, ok := op.(interface{ missing() string }); ok {
			if id := n.missing(); id != "" {
				return nil, fault.New(fault.InvalidArgument, "%s: the picture %s it needs was not provided", op.Name(), id)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	in, err := checkInput(st, src)
	if err != nil {
		return nil, err
	}
	target, err := out.target(st, in)
	if err != nil {
		return nil, err
	}

	img, rest, err := decode(src, ops, !out.Strip)
	if err != nil {
		return nil, err
	}
	defer img.Close()
	if out.Strip {
		if err := toSRGBProfile(img); err != nil {
			return nil, loadError(err)
		}
	}

	for _, op := range rest {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := op.apply(img); err != nil {
			return nil, opError(op, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	if out.Strip {
		if err := img.RemoveMetadata(); err != nil {
			return nil, exportError(target, err)
		}
	}
	// A saver without transparency would drop the alpha band and show what
	// was under it; white is what people expect behind a transparent logo.
	if !target.Alpha && img.HasAlpha() {
		if err := img.Flatten(&vips.Color{R: 255, G: 255, B: 255}); err != nil {
			return nil, exportError(target, err)
		}
	}
	buf, err := export(img, target, out.Quality)
	if err != nil {
		return nil, exportError(target, err)
	}
	return &Result{
		Bytes:       buf,
		Format:      target.Name,
		Width:       img.Width(),
		Height:      img.Height(),
		ContentType: target.MIME,
	}, nil
}

// checkInput sniffs src's format from its first bytes and checks that it is
// accepted, loadable and complete, before libvips sees it.
func checkInput(st *libState, src []byte) (format, error) {
	if len(src) == 0 {
		return format{}, unreadable(nil, "it is empty")
	}
	typ := vips.DetermineImageType(src)
	f, ok := formatByType(typ)
	if !ok {
		if name, known := vips.ImageTypes[typ]; known {
			return format{}, unreadable(nil, name+" files are not accepted")
		}
		return format{}, unreadable(nil, "")
	}
	if !hasFormat(st.readable, f) {
		return format{}, unreadable(nil, "this server cannot read "+f.Name)
	}
	if !complete(f, src) {
		return format{}, unreadable(nil, "it is an incomplete "+f.Name+" file, cut off before its end")
	}
	return f, nil
}

// target picks the output format and checks the output settings.
func (o Output) target(st *libState, in format) (format, error) {
	if o.Quality < 0 || o.Quality > 100 {
		return format{}, fault.New(fault.InvalidArgument, "output: quality must be between 1 and 100 (0 for the default), got %d", o.Quality)
	}
	if o.Format == "" {
		if hasFormat(st.writable, in) {
			return in, nil
		}
		return formats[0], nil // jpeg, which every libvips writes
	}
	f, ok := formatByName(o.Format)
	if !ok || !hasFormat(st.writable, f) {
		return format{}, fault.New(fault.InvalidArgument, "output: format %q is not supported (supported: %s)", o.Format, formatNames(st.writable))
	}
	return f, nil
}

// decode loads src upright, letting the first op do its work during the load
// when it can, and returns the ops left to apply.
func decode(src []byte, ops []Op, keepMetadata bool) (*vips.ImageRef, []Op, error) {
	if len(ops) > 0 {
		lo, ok := ops[0].(loadingOp)
		whole := slices.ContainsFunc(ops[1:], streamsNot)
		// A picture materialized after shrink-on-load has lost its EXIF,
		// which is only right when it is stripped anyway: with the metadata
		// kept, such ops run on the picture decoded whole.
		if ok && !(whole && keepMetadata) {
			img, err := lo.load(src)
			if err != nil {
				return nil, nil, loadError(err)
			}
			if whole {
				if img, err = materialize(img); err != nil {
					return nil, nil, loadError(err)
				}
			}
			return img, ops[1:], nil
		}
	}
	// No import options: libvips' loaders are then lenient (fail_on none),
	// as browsers are, and truncation was already caught by checkInput.
	img, err := vips.LoadImageFromBuffer(src, &vips.ImportParams{})
	if err != nil {
		return nil, nil, loadError(err)
	}
	if err := img.AutoRotate(); err != nil {
		img.Close()
		return nil, nil, loadError(err)
	}
	return img, ops, nil
}

// streamingOp is an op that, with the fields it has, reads the picture once,
// top to bottom, as shrink-on-load delivers it: colour changes, blurs,
// resizing, ordinary crops. Turning the picture a quarter, flipping it
// upside down, a smart crop (which looks at all of it first) and the ops
// that read pixels into Go need it whole. An op that does not say counts as
// needing it whole: forgetting costs a copy, not a failed task.
type streamingOp interface {
	streams() bool
}

func streamsNot(op Op) bool {
	s, ok := op.(streamingOp)
	return !ok || !s.streams()
}

// materialize gives back img held whole, readable as often and in any order
// as ops like. Shrink-on-load decodes in one pass, top to bottom, and an
// out-of-order or second read of such a picture fails; so the shrunk picture
// is written once to an uncompressed TIFF in memory (a copy, not an
// encoding: the pixels are stored as they are) and read from there. It keeps
// the colour profile, XMP and IPTC but not EXIF (libvips 8.14 writes none to
// TIFF, and govips' SetBlob cannot put it back: it copies from the slice
// header, not the data), so decode does not take this way when the metadata
// is kept. img is closed.
func materialize(img *vips.ImageRef) (*vips.ImageRef, error) {
	defer img.Close()
	p := vips.NewTiffExportParams()
	p.Compression = vips.TiffCompressionNone
	p.Predictor = vips.TiffPredictorNone
	buf, _, err := img.ExportTiff(p)
	if err != nil {
		return nil, err
	}
	// The image keeps buf alive for as long as it is used.
	return vips.LoadImageFromBuffer(buf, &vips.ImportParams{})
}

func loadError(err error) error {
	cause := vipsCause(err)
	if outOfMemory(cause) {
		return fault.Wrap(fault.Transient, cause, "not enough memory to read this picture now")
	}
	return unreadable(cause, "")
}

// export encodes img as f. quality 0 picks the default.
func export(img *vips.ImageRef, f format, quality int) ([]byte, error) {
	save, ok := savers[f.typ]
	if !ok {
		return nil, fmt.Errorf("imaging: no saver for %s", f.Name)
	}
	return save(img, quality)
}

// saver encodes a picture in one format at a quality, 0 for the default.
type saver func(img *vips.ImageRef, quality int) ([]byte, error)

// savers are the encoders of the formats this package writes. Quality 0
// is DefaultQuality for JPEG and WebP and the encoder's own default for
// HEIF, AVIF and JPEG XL; PNG, GIF and TIFF take none.
var savers = map[vips.ImageType]saver{
	vips.ImageTypeJPEG: withQuality(vips.NewJpegExportParams, func(p *vips.JpegExportParams) *int { return &p.Quality }, DefaultQuality, (*vips.ImageRef).ExportJpeg),
	vips.ImageTypeWEBP: withQuality(vips.NewWebpExportParams, func(p *vips.WebpExportParams) *int { return &p.Quality }, DefaultQuality, (*vips.ImageRef).ExportWebp),
	vips.ImageTypeHEIF: withQuality(vips.NewHeifExportParams, func(p *vips.HeifExportParams) *int { return &p.Quality }, 0, (*vips.ImageRef).ExportHeif),
	vips.ImageTypeAVIF: withQuality(vips.NewAvifExportParams, func(p *vips.AvifExportParams) *int { return &p.Quality }, 0, (*vips.ImageRef).ExportAvif),
	vips.ImageTypeJXL:  withQuality(vips.NewJxlExportParams, func(p *vips.JxlExportParams) *int { return &p.Quality }, 0, (*vips.ImageRef).ExportJxl),
	vips.ImageTypePNG:  withQuality(vips.NewPngExportParams, nil, 0, (*vips.ImageRef).ExportPng),
	vips.ImageTypeGIF:  withQuality(vips.NewGifExportParams, nil, 0, (*vips.ImageRef).ExportGIF),
	vips.ImageTypeTIFF: withQuality(vips.NewTiffExportParams, nil, 0, (*vips.ImageRef).ExportTiff),
}

// withQuality makes a saver from govips' parameters for a format and its
// export method: quality, when the format has one (field points at it),
// is the one asked for, else def, else what the parameters start with.
func withQuality[P any](params func() *P, field func(*P) *int, def int, save func(*vips.ImageRef, *P) ([]byte, *vips.ImageMetadata, error)) saver {
	return func(img *vips.ImageRef, quality int) ([]byte, error) {
		p := params()
		if field != nil {
			q := field(p)
			*q = orDefault(quality, orDefault(def, *q))
		}
		buf, _, err := save(img, p)
		return buf, err
	}
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
