// Package imagetype is the one table of the picture formats pixmill knows:
// each one's name, the file extensions and media type it goes by, whether
// pixmill reads and writes it, and whether it is lossy or keeps
// transparency. Everything that names a format reads it from here: the
// imaging package (which adds libvips' codec for each), the gateway's upload
// checks, result names and Content-Type, the command line's download names,
// and the web app (through GET /v1/ops). It is pure Go, so that the client
// and the gateway need no libvips to name a file.
//
// Whether a format is really written also depends on the libvips build
// (HEIF and AVIF encoders are plug-ins packaged apart): imaging.Formats
// tells what the running process can write.
package imagetype

import "strings"

// Type is one picture format.
type Type struct {
	// Name is how the API, the events and the records name it.
	Name string `json:"name"`
	// Extensions are the file name extensions it goes by, without the dot;
	// the first is the one pixmill gives the files it names.
	Extensions []string `json:"extensions"`
	// MIME is its media type.
	MIME string `json:"mime"`
	// Read: uploads in it are accepted (unless configured otherwise).
	Read bool `json:"read"`
	// Write: results can be asked for in it.
	Write bool `json:"write"`
	// Lossy: its encoder takes a quality.
	Lossy bool `json:"lossy"`
	// Alpha: it can hold transparency.
	Alpha bool `json:"alpha"`
}

// Ext is the extension, dot included, of the files pixmill names in t.
func (t Type) Ext() string { return "." + t.Extensions[0] }

// types is the table, in the order messages list formats. Left out on
// purpose: SVG and PDF (renderers that fetch, run and parse far more than a
// photo needs, not safe for untrusted uploads), BMP (govips decodes it in
// Go, every pixel, before any limit is checked) and JPEG 2000 (rare, slow).
// HEIF results are HEVC-coded, hence .heic.
var types = []Type{
	{Name: "jpeg", Extensions: []string{"jpg", "jpeg", "jpe"}, MIME: "image/jpeg", Read: true, Write: true, Lossy: true},
	{Name: "png", Extensions: []string{"png"}, MIME: "image/png", Read: true, Write: true, Alpha: true},
	{Name: "webp", Extensions: []string{"webp"}, MIME: "image/webp", Read: true, Write: true, Lossy: true, Alpha: true},
	{Name: "gif", Extensions: []string{"gif"}, MIME: "image/gif", Read: true, Write: true, Alpha: true},
	{Name: "tiff", Extensions: []string{"tiff", "tif"}, MIME: "image/tiff", Read: true, Write: true, Alpha: true},
	{Name: "heif", Extensions: []string{"heic", "heif"}, MIME: "image/heif", Read: true, Write: true, Lossy: true, Alpha: true},
	{Name: "avif", Extensions: []string{"avif"}, MIME: "image/avif", Read: true, Write: true, Lossy: true, Alpha: true},
	{Name: "jxl", Extensions: []string{"jxl"}, MIME: "image/jxl", Read: true, Write: true, Lossy: true, Alpha: true},
}

// All returns the table, a copy.
func All() []Type { return append([]Type(nil), types...) }

// ByName finds a format by its name or any of its extensions, in any case,
// with or without a leading dot: "jpeg", "JPG" and ".jpg" are all JPEG.
func ByName(name string) (Type, bool) {
	name = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(name)), ".")
	for _, t := range types {
		if t.Name == name {
			return t, true
		}
	}
	for _, t := range types {
		for _, e := range t.Extensions {
			if e == name {
				return t, true
			}
		}
	}
	return Type{}, false
}

// Readable lists the names of the formats whose uploads are accepted by
// default.
func Readable() []string {
	var names []string
	for _, t := range types {
		if t.Read {
			names = append(names, t.Name)
		}
	}
	return names
}

// ContentType is the media type of the format named name, or "" for a name
// the table does not know.
func ContentType(name string) string {
	if t, ok := ByName(name); ok {
		return t.MIME
	}
	return ""
}
