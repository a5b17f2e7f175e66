package imaging

import (
	"testing"

	"github.com/pixmill/pixmill/functions/fault"
)

func TestParseCompact(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"thumbnail:width=256,height=256,fit=fill", `{"op":"thumbnail","width":256,"height":256,"fit":"fill"}`},
		{"thumbnail:height=100", `{"op":"thumbnail","height":100}`},
		{" thumbnail : width = 64 , fit = fit ", `{"op":"thumbnail","width":64,"fit":"fit"}`},
		{"crop:x=1,y=2,width=3,height=4", `{"op":"crop","x":1,"y":2,"width":3,"height":4}`},
		{"brightness:factor=1.2", `{"op":"brightness","factor":1.2}`},
		{"brightness:factor=2", `{"op":"brightness","factor":2}`},
		{"brightness", `{"op":"brightness"}`},
		{"brightness:", `{"op":"brightness"}`},
	}
	for _, tt := range tests {
		got, err := ParseCompact(tt.in)
		if err != nil || string(got) != tt.want {
			t.Errorf("ParseCompact(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestParseCompactErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"", `an op is written name:field=value,… such as thumbnail:width=256, got ""`},
		{":width=3", `an op is written name:field=value,… such as thumbnail:width=256, got ":width=3"`},
		{"resize:width=3", `unknown op "resize" (known: brightness, crop, thumbnail)`},
		{"thumbnail:widht=256", `thumbnail: unknown field "widht" (known: width, height, fit)`},
		{"thumbnail:width", `thumbnail: "width" must be written field=value`},
		{"thumbnail:width=256,,height=3", `thumbnail: "" must be written field=value`},
		{"thumbnail:width=abc", `thumbnail: width must be an integer, got "abc"`},
		{"thumbnail:width=2.5", `thumbnail: width must be an integer, got "2.5"`},
		{"thumbnail:width=0", `thumbnail: width must be between 1 and 10000, got 0`},
		{"thumbnail:width=5,width=6", `thumbnail: width is given twice`},
		{"thumbnail:width=5,fit=cover", `thumbnail: fit must be one of fit, fill, got "cover"`},
		{"thumbnail:fit=fill", `thumbnail: give width, height or both`},
		{"brightness:factor=bright", `brightness: factor must be a number, got "bright"`},
		{"brightness:factor=NaN", `brightness: factor must be a number, got "NaN"`},
		{"brightness:factor=+Inf", `brightness: factor must be a number, got "+Inf"`},
		{"crop:width=5", `crop: height is required`},
	}
	for _, tt := range tests {
		_, err := ParseCompact(tt.in)
		if fault.KindOf(err) != fault.InvalidArgument || fault.Message(err) != tt.want {
			t.Errorf("ParseCompact(%q):\n got %s %q\nwant invalid_argument %q", tt.in, fault.KindOf(err), fault.Message(err), tt.want)
		}
	}
}
