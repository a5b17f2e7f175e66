package imaging

import (
	"strings"

	"github.com/davidbyttow/govips/v2/vips"
)

// format is a picture format this package reads and may write.
type format struct {
	name        string // as in Output.Format and Info.Format
	typ         vips.ImageType
	contentType string
	alpha       bool // can hold transparency
}

// formats are the only ones accepted as input, in the order error messages
// list them. Left out on purpose: SVG and PDF (renderers that fetch, run and
// parse far more than a photo needs, not safe for untrusted uploads), BMP
// (govips decodes it in Go, every pixel, before any limit is checked) and
// JPEG 2000 (rare, slow). Whether one is also written depends on the libvips
// build: see [Formats].
var formats = []format{
	{"jpeg", vips.ImageTypeJPEG, "image/jpeg", false},
	{"png", vips.ImageTypePNG, "image/png", true},
	{"webp", vips.ImageTypeWEBP, "image/webp", true},
	{"gif", vips.ImageTypeGIF, "image/gif", true},
	{"tiff", vips.ImageTypeTIFF, "image/tiff", true},
	{"heif", vips.ImageTypeHEIF, "image/heif", true},
	{"avif", vips.ImageTypeAVIF, "image/avif", true},
	{"jxl", vips.ImageTypeJXL, "image/jxl", true},
}

// ContentType is the media type of a format named as in Output.Format, or
// "" for a name this package does not know.
func ContentType(format string) string {
	if f, ok := formatByName(format); ok {
		return f.contentType
	}
	return ""
}

func formatByType(t vips.ImageType) (format, bool) {
	for _, f := range formats {
		if f.typ == t {
			return f, true
		}
	}
	return format{}, false
}

func formatByName(name string) (format, bool) {
	name = strings.ToLower(name)
	if name == "jpg" {
		name = "jpeg"
	}
	for _, f := range formats {
		if f.name == name {
			return f, true
		}
	}
	return format{}, false
}

// formatNames lists the names of fs, for messages.
func formatNames(fs []format) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}
