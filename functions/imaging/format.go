package imaging

import (
	"slices"
	"strings"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/pixmill/pixmill/events/imagetype"
)

// format is a row of the format table with the libvips codec that reads and
// writes it.
type format struct {
	imagetype.Type
	typ vips.ImageType
}

// codecs are libvips' image types for the table's formats.
var codecs = map[string]vips.ImageType{
	"jpeg": vips.ImageTypeJPEG,
	"png":  vips.ImageTypePNG,
	"webp": vips.ImageTypeWEBP,
	"gif":  vips.ImageTypeGIF,
	"tiff": vips.ImageTypeTIFF,
	"heif": vips.ImageTypeHEIF,
	"avif": vips.ImageTypeAVIF,
	"jxl":  vips.ImageTypeJXL,
}

// formats are the table's formats this package reads, in the table's order.
// Whether each is also written depends on the libvips build: see [Formats].
var formats = func() []format {
	var fs []format
	for _, t := range imagetype.All() {
		if typ, ok := codecs[t.Name]; ok && t.Read {
			fs = append(fs, format{Type: t, typ: typ})
		}
	}
	return fs
}()

// ContentType is the media type of a format named as in Output.Format, or
// "" for a name this package does not know.
func ContentType(format string) string { return imagetype.ContentType(format) }

func formatByType(t vips.ImageType) (format, bool) {
	for _, f := range formats {
		if f.typ == t {
			return f, true
		}
	}
	return format{}, false
}

func formatByName(name string) (format, bool) {
	t, ok := imagetype.ByName(name)
	if !ok {
		return format{}, false
	}
	for _, f := range formats {
		if f.Name == t.Name {
			return f, true
		}
	}
	return format{}, false
}

// formatNames lists the names of fs, for messages.
func formatNames(fs []format) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// hasFormat reports whether fs holds f.
func hasFormat(fs []format, f format) bool {
	return slices.ContainsFunc(fs, func(g format) bool { return g.Name == f.Name })
}
