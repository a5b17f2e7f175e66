package imaging

import (
	"testing"

	"github.com/pixmill/pixmill/events/fault"
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
		{"redeye:regions=40x30+10+20;8x8", `{"op":"redeye","regions":[{"x":10,"y":20,"width":40,"height":30},{"x":0,"y":0,"width":8,"height":8}]}`},
		{"redeye:regions=", `{"op":"redeye","regions":[]}`},
		{"whiten_teeth:region=260x120+420+610,strength=0.7", `{"op":"whiten_teeth","region":{"x":420,"y":610,"width":260,"height":120},"strength":0.7}`},
		{"recolor:duotone=#1b2a4a;#f6d8a8", `{"op":"recolor","duotone":["#1b2a4a","#f6d8a8"]}`},
		{"recolor:hue=30,mode=sepia,tint=#ff8800", `{"op":"recolor","hue":30,"mode":"sepia","tint":"#ff8800"}`},
		{"thumbnail:width=64,height=64,fit=smart,upscale=true", `{"op":"thumbnail","width":64,"height":64,"fit":"smart","upscale":true}`},
		{"crop:width=100,height=50,gravity=smart", `{"op":"crop","width":100,"height":50,"gravity":"smart"}`},
		{"watermark:text=© pixmill,gravity=south-west,opacity=0.3", `{"op":"watermark","text":"© pixmill","gravity":"south-west","opacity":0.3}`},
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
		{"sparkle:width=3", `unknown op "sparkle" (known: ` + knownOps + `)`},
		{"thumbnail:widht=256", `thumbnail: unknown field "widht" (known: width, height, fit, upscale)`},
		{"thumbnail:width", `thumbnail: "width" must be written field=value`},
		{"thumbnail:width=256,,height=3", `thumbnail: "" must be written field=value`},
		{"thumbnail:width=abc", `thumbnail: width must be an integer, got "abc"`},
		{"thumbnail:width=2.5", `thumbnail: width must be an integer, got "2.5"`},
		{"thumbnail:width=0", `thumbnail: width must be between 1 and 10000, got 0`},
		{"thumbnail:width=5,width=6", `thumbnail: width is given twice`},
		{"thumbnail:width=5,fit=cover", `thumbnail: fit must be one of fit, fill, smart, got "cover"`},
		{"redeye:regions=40x30+10", `redeye: regions must be boxes written WxH+X+Y and separated by ;, such as 40x30+10+20;40x30+80+20, got "40x30+10"`},
		{"redeye:regions=40x0+10+20", `redeye: regions[0].height must be between 1 and 100000, got 0`},
		{"whiten_teeth:region=big", `whiten_teeth: region must be a box written WxH+X+Y, such as 100x50+10+20, got "big"`},
		{"recolor:duotone=#000", `recolor: duotone must hold exactly 2 items, got 1`},
		{"recolor:tint=orange", `recolor: tint must be a colour written #rgb, #rrggbb or #rrggbbaa, such as #ff8800, got "orange"`},
		{"thumbnail:width=5,upscale=maybe", `thumbnail: upscale must be true or false, got "maybe"`},
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
