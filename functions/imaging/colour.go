package imaging

import (
	"errors"
	"strconv"
	"strings"

	"github.com/davidbyttow/govips/v2/vips"
)

// rgba8 is a colour given in an op, 8 bits per channel, sRGB, alpha 255 for
// opaque.
type rgba8 struct{ r, g, b, a uint8 }

var errColour = errors.New("not a colour")

// parseColor reads #rgb, #rrggbb or #rrggbbaa, as CSS writes them. Names
// ("orange") are left out: CSS alone has 148, and a typo should be an error,
// not a surprise colour.
func parseColor(s string) (rgba8, error) {
	hex, ok := strings.CutPrefix(s, "#")
	if !ok {
		return rgba8{}, errColour
	}
	if len(hex) == 3 {
		hex = string([]byte{hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]})
	}
	if len(hex) == 6 {
		hex += "ff"
	}
	if len(hex) != 8 {
		return rgba8{}, errColour
	}
	n, err := strconv.ParseUint(hex, 16, 32)
	if err != nil {
		return rgba8{}, errColour
	}
	return rgba8{uint8(n >> 24), uint8(n >> 16), uint8(n >> 8), uint8(n)}, nil
}

// mustColor is parseColor for values that were validated by Parse.
func mustColor(s string) rgba8 {
	c, err := parseColor(s)
	if err != nil {
		panic("imaging: unvalidated colour " + strconv.Quote(s))
	}
	return c
}

func (c rgba8) vips() *vips.ColorRGBA {
	return &vips.ColorRGBA{R: c.r, G: c.g, B: c.b, A: c.a}
}
