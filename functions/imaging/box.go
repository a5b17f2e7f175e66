package imaging

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Box is a rectangle of the picture, in pixels, with its top-left corner at
// X,Y. Its JSON form is {"x":10,"y":20,"width":100,"height":50}, where x and
// y may be left out for 0; its compact form is 100x50+10+20.
type Box struct {
	X      int `json:"x"`
	Y      int `json:"y"`
	Width  int `json:"width"`
	Height int `json:"height"`
}

// maxBoxCoord bounds a box's numbers, as Crop's fields are bounded.
const maxBoxCoord = 100_000

// String returns the compact form, WxH+X+Y.
func (b Box) String() string { return fmt.Sprintf("%dx%d+%d+%d", b.Width, b.Height, b.X, b.Y) }

func (b Box) check(name string) error {
	for _, c := range []struct {
		field string
		v, lo int
	}{{"x", b.X, 0}, {"y", b.Y, 0}, {"width", b.Width, 1}, {"height", b.Height, 1}} {
		if c.v < c.lo || c.v > maxBoxCoord {
			return fmt.Errorf("%s.%s must be between %d and %d, got %d", name, c.field, c.lo, maxBoxCoord, c.v)
		}
	}
	return nil
}

const boxExample = `{"x":10,"y":20,"width":100,"height":50}`

// decodeBox reads a box, with messages that name the part that is wrong.
func decodeBox(name string, raw json.RawMessage) (Box, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return Box{}, fmt.Errorf("%s must be a box such as %s, got %s", name, boxExample, quote(raw))
	}
	var b Box
	parts := map[string]*int{"x": &b.X, "y": &b.Y, "width": &b.Width, "height": &b.Height}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p, ok := parts[k]
		if !ok {
			return Box{}, fmt.Errorf("%s has an unknown field %q (known: x, y, width, height)", name, k)
		}
		if string(obj[k]) == "null" || json.Unmarshal(obj[k], p) != nil {
			return Box{}, fmt.Errorf("%s.%s must be an integer, got %s", name, k, quote(obj[k]))
		}
	}
	for _, k := range []string{"width", "height"} {
		if _, ok := obj[k]; !ok {
			return Box{}, fmt.Errorf("%s.%s is required", name, k)
		}
	}
	return b, nil
}

// parseBoxText reads a box written WxH+X+Y, or WxH at the top-left corner.
func parseBoxText(s string) (Box, bool) {
	size, pos, hasPos := strings.Cut(s, "+")
	w, h, ok := strings.Cut(size, "x")
	if !ok {
		return Box{}, false
	}
	x, y := "0", "0"
	if hasPos {
		if x, y, ok = strings.Cut(pos, "+"); !ok {
			return Box{}, false
		}
	}
	var b Box
	for _, p := range []struct {
		text string
		dst  *int
	}{{w, &b.Width}, {h, &b.Height}, {x, &b.X}, {y, &b.Y}} {
		n, err := strconv.Atoi(strings.TrimSpace(p.text))
		if err != nil {
			return Box{}, false
		}
		*p.dst = n
	}
	return b, true
}
