package imaging

import (
	"bytes"
	"encoding/binary"
	"os"
	"strings"
	"sync"
	"unicode/utf16"

	"github.com/davidbyttow/govips/v2/vips"
)

// toSRGBProfile converts a picture with an embedded colour profile other
// than sRGB (Display P3 from phones, Adobe RGB from cameras) to sRGB, and
// embeds libvips' compact sRGB profile in its place. Without it, stripping
// would leave the picture's numbers read as sRGB everywhere, with colours
// visibly off (P3's reds come out orange-brown), and the colour ops, which
// assume sRGB, would measure the wrong colours. Pictures with no profile are
// sRGB by convention; those already sRGB are left alone, which saves an lcms
// pass over every pixel. Grey pictures keep their grey profile.
func toSRGBProfile(img *vips.ImageRef) error {
	if !img.HasICCProfile() {
		return nil
	}
	switch img.Interpretation() {
	case vips.InterpretationBW, vips.InterpretationGrey16:
		return nil
	}
	if isSRGBProfile(img.GetICCProfile()) {
		return nil
	}
	path, err := compactSRGB()
	if err != nil {
		return err
	}
	return img.TransformICCProfile(path)
}

var compact struct {
	once  sync.Once
	path  string
	bytes []byte
	err   error
}

// compactSRGB returns the path of the 456-byte sRGB profile govips ships,
// the one embedded in converted pictures, and keeps its bytes to recognise
// it again: it calls itself "uRGB".
func compactSRGB() (string, error) {
	compact.once.Do(func() {
		compact.path, compact.err = vips.GetSRGBV2MicroICCProfilePath()
		if compact.err == nil {
			compact.bytes, compact.err = os.ReadFile(compact.path)
		}
	})
	return compact.path, compact.err
}

// isSRGBProfile reports whether an ICC profile is for RGB and describes
// itself as sRGB: "sRGB IEC61966-2.1", "sRGB built-in", Facebook's "c2" and
// the like. It reads the header's colour space and the 'desc' tag, in its
// ICC v2 (ASCII) or v4 (UTF-16 'mluc') form, and knows the compact profile
// it embeds itself; anything it cannot read counts as not sRGB, which only
// costs a conversion that changes nothing.
func isSRGBProfile(p []byte) bool {
	if len(p) < 132 || string(p[16:20]) != "RGB " {
		return false
	}
	if _, err := compactSRGB(); err == nil && bytes.Equal(p, compact.bytes) {
		return true
	}
	be := binary.BigEndian
	n := int(be.Uint32(p[128:]))
	for i := range min(n, 100) {
		e := 132 + 12*i
		if e+12 > len(p) {
			return false
		}
		if string(p[e:e+4]) != "desc" {
			continue
		}
		off, size := int(be.Uint32(p[e+4:])), int(be.Uint32(p[e+8:]))
		if off < 0 || size < 12 || off+size > len(p) || off+size < off {
			return false
		}
		return srgbName(profileText(p[off : off+size]))
	}
	return false
}

func profileText(t []byte) string {
	be := binary.BigEndian
	switch string(t[:4]) {
	case "desc": // textDescriptionType: count, then ASCII with its NUL
		n := int(be.Uint32(t[8:]))
		if n < 0 || 12+n > len(t) {
			return ""
		}
		return string(bytes.TrimRight(t[12:12+n], "\x00"))
	case "mluc": // multiLocalizedUnicodeType: take the first record
		if len(t) < 28 || be.Uint32(t[8:]) == 0 {
			return ""
		}
		n, off := int(be.Uint32(t[20:])), int(be.Uint32(t[24:]))
		if n < 0 || off < 0 || off+n > len(t) || off+n < off {
			return ""
		}
		u := make([]uint16, n/2)
		for i := range u {
			u[i] = be.Uint16(t[off+2*i:])
		}
		return string(utf16.Decode(u))
	}
	return ""
}

func srgbName(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.Contains(s, "srgb") || s == "c2"
}
