package imaging

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/events/fault"
)

func TestParse(t *testing.T) {
	tests := []struct {
		raw  string
		want Op
	}{
		{`{"op":"thumbnail","width":256,"height":256,"fit":"fill"}`, &Thumbnail{Width: 256, Height: 256, Fit: "fill"}},
		{`{"op":"thumbnail","width":256}`, &Thumbnail{Width: 256, Fit: "fit"}},
		{`{"height":10000,"op":"thumbnail"}`, &Thumbnail{Height: 10000, Fit: "fit"}},
		{`{"op":"thumbnail","width":64,"height":64,"fit":"smart","upscale":true}`, &Thumbnail{Width: 64, Height: 64, Fit: "smart", Upscale: true}},
		{`{"op":"crop","width":10,"height":20}`, &Crop{Width: 10, Height: 20}},
		{`{"op":"crop","x":5,"y":6,"width":10,"height":20}`, &Crop{X: 5, Y: 6, Width: 10, Height: 20}},
		{`{"op":"crop","width":10,"height":20,"gravity":"north-east"}`, &Crop{Width: 10, Height: 20, Gravity: "north-east"}},
		{`{"op":"resize","width":640}`, &Resize{Width: 640, Kernel: "lanczos3"}},
		{`{"op":"resize","scale":0.5,"kernel":"nearest"}`, &Resize{Scale: 0.5, Kernel: "nearest"}},
		{`{"op":"rotate","angle":-12.5,"background":"#fff"}`, &Rotate{Angle: -12.5, Background: "#fff"}},
		{`{"op":"flip"}`, &Flip{Direction: "horizontal"}},
		{`{"op":"recolor","duotone":["#1b2a4a","#f6d8a8"]}`, &Recolor{Mode: "none", Strength: 0.5, Duotone: []string{"#1b2a4a", "#f6d8a8"}}},
		{`{"op":"redeye","regions":[{"x":10,"y":20,"width":30,"height":40},{"width":5,"height":6}]}`, &Redeye{Regions: []Box{{10, 20, 30, 40}, {0, 0, 5, 6}}}},
		{`{"op":"redeye","regions":[]}`, &Redeye{}},
		{`{"op":"whiten_teeth","region":{"x":1,"y":2,"width":3,"height":4}}`, &WhitenTeeth{Region: Box{1, 2, 3, 4}, Strength: 0.5}},
		{`{"op":"watermark","text":"© Ann <3"}`, &Watermark{Text: "© Ann <3", Scale: 0.25, Color: "#ffffff", Opacity: 0.5, Gravity: "south-east"}},
		{`{"op":"brightness"}`, &Brightness{Factor: 1}},
		{`{"op":"brightness","factor":0}`, &Brightness{Factor: 0}},
		{`{"op":"brightness","factor":1.25}`, &Brightness{Factor: 1.25}},
		{`{"op":"brightness","factor":2}`, &Brightness{Factor: 2}},
	}
	for _, tt := range tests {
		got, err := Parse(json.RawMessage(tt.raw))
		if err != nil {
			t.Errorf("Parse(%s): %v", tt.raw, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%s) = %#v, want %#v", tt.raw, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		raw  string
		want string
	}{
		{`{"op":"sparkle"}`, `unknown op "sparkle" (known: ` + knownOps + `)`},
		{`{"width":256}`, `an op needs "op", its name (known: ` + knownOps + `)`},
		{`{"op":7}`, `"op" must be a string, got 7`},
		{`[1,2]`, `an op must be a JSON object such as {"op":"thumbnail","width":256}, got [1,2]`},
		{`null`, `an op must be a JSON object such as {"op":"thumbnail","width":256}, got null`},
		{``, `an op must be a JSON object such as {"op":"thumbnail","width":256}, got nothing`},
		{`{"op":"thumbnail","widht":256}`, `thumbnail: unknown field "widht" (known: width, height, fit, upscale)`},
		{`{"op":"thumbnail","Width":256}`, `thumbnail: unknown field "Width" (known: width, height, fit, upscale)`},
		{`{"op":"thumbnail","width":0}`, `thumbnail: width must be between 1 and 10000, got 0`},
		{`{"op":"thumbnail","width":10001}`, `thumbnail: width must be between 1 and 10000, got 10001`},
		{`{"op":"thumbnail","width":-3}`, `thumbnail: width must be between 1 and 10000, got -3`},
		{`{"op":"thumbnail","width":2.5}`, `thumbnail: width must be an integer, got 2.5`},
		{`{"op":"thumbnail","width":"256"}`, `thumbnail: width must be an integer, got "256"`},
		{`{"op":"thumbnail","width":null}`, `thumbnail: width must be an integer, got null`},
		{`{"op":"thumbnail","width":256,"fit":"cover"}`, `thumbnail: fit must be one of fit, fill, smart, got "cover"`},
		{`{"op":"thumbnail","fit":"fit"}`, `thumbnail: give width, height or both`},
		{`{"op":"thumbnail","width":256,"fit":"fill"}`, `thumbnail: fit "fill" needs both width and height`},
		{`{"op":"crop","width":10}`, `crop: height is required`},
		{`{"op":"crop","x":-1,"width":10,"height":10}`, `crop: x must be between 0 and 100000, got -1`},
		{`{"op":"brightness","factor":10.5}`, `brightness: factor must be between 0 and 10, got 10.5`},
		{`{"op":"brightness","factor":true}`, `brightness: factor must be a number, got true`},
	}
	for _, tt := range tests {
		_, err := Parse(json.RawMessage(tt.raw))
		if fault.KindOf(err) != fault.InvalidArgument || fault.Message(err) != tt.want {
			t.Errorf("Parse(%s):\n got %s %q\nwant invalid_argument %q", tt.raw, fault.KindOf(err), fault.Message(err), tt.want)
		}
	}
}

func TestCanonical(t *testing.T) {
	tests := []struct {
		raw  string
		want string
	}{
		{`{"op":"thumbnail","width":256}`, `{"op":"thumbnail","width":256,"fit":"fit","upscale":false}`},
		{`{"fit":"fill","height":9,"width":8,"op":"thumbnail"}`, `{"op":"thumbnail","width":8,"height":9,"fit":"fill","upscale":false}`},
		{`{"op":"crop","width":10,"height":20}`, `{"op":"crop","width":10,"height":20}`},
		{`{"op":"redeye","regions":[{"width":5,"height":6,"x":1}]}`, `{"op":"redeye","regions":[{"x":1,"y":0,"width":5,"height":6}]}`},
		{`{"op":"redeye"}`, `{"op":"redeye"}`},
		{`{"op":"recolor","tint":"#f80"}`, `{"op":"recolor","hue":0,"mode":"none","tint":"#f80","strength":0.5}`},
		{`{"op":"brightness"}`, `{"op":"brightness","factor":1}`},
		// A zero that is a real value must survive: dropped, it would read back as the default 1.
		{`{"op":"brightness","factor":0}`, `{"op":"brightness","factor":0}`},
	}
	for _, tt := range tests {
		op, err := Parse(json.RawMessage(tt.raw))
		if err != nil {
			t.Fatalf("Parse(%s): %v", tt.raw, err)
		}
		got := Canonical(op)
		if string(got) != tt.want {
			t.Errorf("Canonical(%s) = %s, want %s", tt.raw, got, tt.want)
		}
		again, err := Parse(got)
		if err != nil || !reflect.DeepEqual(again, op) {
			t.Errorf("Parse(Canonical) = %#v, %v; want %#v", again, err, op)
		}
	}
}

func TestRegisterRejectsBadTags(t *testing.T) {
	tests := []struct {
		name string
		typ  reflect.Type
		want string
	}{
		{"not a struct pointer", reflect.TypeFor[badNoName](), "want a pointer to a struct"},
		{"no json name", reflect.TypeFor[*badNoName](), "needs a json name"},
		{"unsupported type", reflect.TypeFor[*badType](), "is not one of int, float64, string, bool"},
		{"enum on a number", reflect.TypeFor[*badEnum](), "enum is only for string fields, not integer"},
		{"min on a string", reflect.TypeFor[*badMin](), "min is only for integer and number fields and lists, not string"},
		{"format on a number", reflect.TypeFor[*badFormat](), "format is only for string fields and lists of strings, not integer"},
		{"unknown format", reflect.TypeFor[*badFormatName](), `format "email" is not known`},
		{"optional box", reflect.TypeFor[*badBox](), "a Box field must be required"},
		{"default on a list", reflect.TypeFor[*badListDefault](), "a default is only for single values, not array"},
		{"default out of range", reflect.TypeFor[*badDefault](), "default: n must be between 1 and 5, got 9"},
		{"default not in enum", reflect.TypeFor[*badEnumDefault](), `default: s must be one of a, b, got "c"`},
		{"optional without omitempty", reflect.TypeFor[*badOmit](), "omitempty must be set exactly"},
		{"defaulted with omitempty", reflect.TypeFor[*badOmitDefault](), "omitempty must be set exactly"},
		{"required and defaulted", reflect.TypeFor[*badRequiredDefault](), "both required and defaulted"},
	}
	for _, tt := range tests {
		_, err := newOpInfo("bad", tt.typ, "")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

type badNoName struct{ N int }
type badType struct {
	N []int `json:"n,omitempty"`
}
type badEnum struct {
	N int `json:"n,omitempty" enum:"1,2"`
}
type badMin struct {
	S string `json:"s,omitempty" min:"1"`
}
type badDefault struct {
	N int `json:"n" min:"1" max:"5" default:"9"`
}
type badEnumDefault struct {
	S string `json:"s" enum:"a,b" default:"c"`
}
type badOmit struct {
	N int `json:"n"`
}
type badOmitDefault struct {
	N int `json:"n,omitempty" default:"3"`
}
type badRequiredDefault struct {
	N int `json:"n" required:"true" default:"3"`
}
type badFormat struct {
	N int `json:"n,omitempty" format:"color"`
}
type badFormatName struct {
	S string `json:"s,omitempty" format:"email"`
}
type badBox struct {
	B Box `json:"b,omitempty"`
}
type badListDefault struct {
	L []string `json:"l" default:"a"`
}

// knownOps is the list error messages give of every op.
const knownOps = "blur, brightness, contrast, crop, enhance, flip, gamma, recolor, redeye, resize, rotate, saturation, sharpen, thumbnail, watermark, whiten_teeth"
