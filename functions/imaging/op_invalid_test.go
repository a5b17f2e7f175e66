package imaging

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/events/fault"
)

// Every op turns away bad fields with an InvalidArgument error that names
// the op, the field and the value, which the gateway returns as a 400
// before anything is queued.
func TestParseInvalidFields(t *testing.T) {
	tests := []struct {
		raw  string
		want string
	}{
		{`{"op":"thumbnail","width":64,"height":64,"fit":"cover"}`, `thumbnail: fit must be one of fit, fill, smart, got "cover"`},
		{`{"op":"thumbnail","width":64,"fit":"smart"}`, `thumbnail: fit "smart" needs both width and height`},
		{`{"op":"thumbnail","width":64,"upscale":"yes"}`, `thumbnail: upscale must be true or false, got "yes"`},

		{`{"op":"resize"}`, `resize: give width, height, both, or scale`},
		{`{"op":"resize","width":100,"scale":2}`, `resize: give either scale or width and height, not both`},
		{`{"op":"resize","scale":11}`, `resize: scale must be between 0.01 and 10, got 11`},
		{`{"op":"resize","scale":0}`, `resize: scale must be between 0.01 and 10, got 0`},
		{`{"op":"resize","width":20001}`, `resize: width must be between 1 and 20000, got 20001`},
		{`{"op":"resize","width":100,"kernel":"bicubic"}`, `resize: kernel must be one of nearest, linear, cubic, lanczos3, got "bicubic"`},

		{`{"op":"crop","width":10,"height":10,"gravity":"middle"}`, `crop: gravity must be one of centre, north, south, east, west, north-east, north-west, south-east, south-west, smart, got "middle"`},
		{`{"op":"crop","x":5,"width":10,"height":10,"gravity":"centre"}`, `crop: x and y cannot be given with gravity "centre", which places the area itself`},
		{`{"op":"crop","y":5,"width":10,"height":10,"gravity":"smart"}`, `crop: x and y cannot be given with gravity "smart", which places the area itself`},

		{`{"op":"rotate"}`, `rotate: angle is required`},
		{`{"op":"rotate","angle":361}`, `rotate: angle must be between -360 and 360, got 361`},
		{`{"op":"rotate","angle":"90"}`, `rotate: angle must be a number, got "90"`},
		{`{"op":"rotate","angle":10,"background":"black"}`, `rotate: background must be a colour written #rgb, #rrggbb or #rrggbbaa, such as #ff8800, got "black"`},
		{`{"op":"rotate","angle":10,"background":"#12345"}`, `rotate: background must be a colour written #rgb, #rrggbb or #rrggbbaa, such as #ff8800, got "#12345"`},

		{`{"op":"flip","direction":"diagonal"}`, `flip: direction must be one of horizontal, vertical, got "diagonal"`},

		{`{"op":"brightness","factor":-0.1}`, `brightness: factor must be between 0 and 10, got -0.1`},
		{`{"op":"contrast","factor":11}`, `contrast: factor must be between 0 and 10, got 11`},
		{`{"op":"saturation","factor":"high"}`, `saturation: factor must be a number, got "high"`},
		{`{"op":"gamma","factor":0}`, `gamma: factor must be between 0.1 and 10, got 0`},

		{`{"op":"recolor","hue":400}`, `recolor: hue must be between -360 and 360, got 400`},
		{`{"op":"recolor","mode":"negative"}`, `recolor: mode must be one of none, grayscale, sepia, got "negative"`},
		{`{"op":"recolor","tint":"#ff880"}`, `recolor: tint must be a colour written #rgb, #rrggbb or #rrggbbaa, such as #ff8800, got "#ff880"`},
		{`{"op":"recolor","tint":"#ff8800","strength":1.5}`, `recolor: strength must be between 0 and 1, got 1.5`},
		{`{"op":"recolor","duotone":["#000000"]}`, `recolor: duotone must hold exactly 2 items, got 1`},
		{`{"op":"recolor","duotone":["#000000","#fff","#888"]}`, `recolor: duotone must hold exactly 2 items, got 3`},
		{`{"op":"recolor","duotone":["#000000","white"]}`, `recolor: duotone[1] must be a colour written #rgb, #rrggbb or #rrggbbaa, such as #ff8800, got "white"`},
		{`{"op":"recolor","duotone":"#000000,#ffffff"}`, `recolor: duotone must be a list of colours such as ["#203050","#f0e0c0"], got "#000000,#ffffff"`},
		{`{"op":"recolor","duotone":["#000000",7]}`, `recolor: duotone[1] must be a string, got 7`},
		{`{"op":"recolor","duotone":["#000000","#ffffff"],"mode":"sepia"}`, `recolor: duotone replaces every colour, so it cannot be combined with hue, mode or tint`},

		{`{"op":"redeye","regions":{"x":1,"y":1,"width":5,"height":5}}`, `redeye: regions must be a list of boxes such as [{"x":10,"y":20,"width":100,"height":50}], got {"x":1,"y":1,"width":5,"height":5}`},
		{`{"op":"redeye","regions":[{"x":1,"y":1,"width":5}]}`, `redeye: regions[0].height is required`},
		{`{"op":"redeye","regions":[{"width":5,"height":5},{"x":-1,"width":5,"height":5}]}`, `redeye: regions[1].x must be between 0 and 100000, got -1`},
		{`{"op":"redeye","regions":[{"w":5,"h":5}]}`, `redeye: regions[0] has an unknown field "h" (known: x, y, width, height)`},
		{`{"op":"redeye","regions":[{"width":"5","height":5}]}`, `redeye: regions[0].width must be an integer, got "5"`},
		{`{"op":"redeye","regions":[[1,2,3,4]]}`, `redeye: regions[0] must be a box such as {"x":10,"y":20,"width":100,"height":50}, got [1,2,3,4]`},
		{`{"op":"redeye","regions":null}`, `redeye: regions must be a list of boxes such as [{"x":10,"y":20,"width":100,"height":50}], got null`},
		{`{"op":"redeye","regions":[` + strings.Repeat(`{"width":5,"height":5},`, 50) + `{"width":5,"height":5}]}`, `redeye: regions must hold at most 50 items, got 51`},

		{`{"op":"whiten_teeth"}`, `whiten_teeth: region is required`},
		{`{"op":"whiten_teeth","region":{"x":1,"y":1,"width":0,"height":5}}`, `whiten_teeth: region.width must be between 1 and 100000, got 0`},
		{`{"op":"whiten_teeth","region":{"width":5,"height":5},"strength":2}`, `whiten_teeth: strength must be between 0 and 1, got 2`},
		{`{"op":"whiten_teeth","region":"mouth"}`, `whiten_teeth: region must be a box such as {"x":10,"y":20,"width":100,"height":50}, got "mouth"`},

		{`{"op":"blur","sigma":0}`, `blur: sigma must be between 0.1 and 100, got 0`},
		{`{"op":"blur","sigma":101}`, `blur: sigma must be between 0.1 and 100, got 101`},
		{`{"op":"sharpen","sigma":0.1}`, `sharpen: sigma must be between 0.3 and 10, got 0.1`},
		{`{"op":"sharpen","amount":-1}`, `sharpen: amount must be between 0 and 10, got -1`},

		{`{"op":"watermark"}`, `watermark: give text or image`},
		{`{"op":"watermark","text":"a","image":"` + validID + `"}`, `watermark: give text or image, not both`},
		{`{"op":"watermark","image":"../../etc/passwd"}`, `watermark: image must be the id of an uploaded picture, got "../../etc/passwd"`},
		{`{"op":"watermark","image":"` + validID + `","font_size":20}`, `watermark: font_size is for text, not image`},
		{`{"op":"watermark","text":"line one\nline two"}`, `watermark: text must be one line of printable characters`},
		{`{"op":"watermark","text":"` + strings.Repeat("x", 201) + `"}`, `watermark: text must be at most 200 characters`},
		{`{"op":"watermark","text":"a","font_size":5}`, `watermark: font_size must be between 6 and 2000, got 5`},
		{`{"op":"watermark","text":"a","opacity":1.1}`, `watermark: opacity must be between 0 and 1, got 1.1`},
		{`{"op":"watermark","text":"a","gravity":"top"}`, `watermark: gravity must be one of centre, north, south, east, west, north-east, north-west, south-east, south-west, got "top"`},
		{`{"op":"watermark","text":"a","color":"#zzzzzz"}`, `watermark: color must be a colour written #rgb, #rrggbb or #rrggbbaa, such as #ff8800, got "#zzzzzz"`},
		{`{"op":"watermark","image":"` + validID + `","scale":0}`, `watermark: scale must be between 0.01 and 1, got 0`},
	}
	for _, tt := range tests {
		_, err := Parse(json.RawMessage(tt.raw))
		if fault.KindOf(err) != fault.InvalidArgument || fault.Message(err) != tt.want {
			t.Errorf("Parse(%.80s):\n got %s %q\nwant invalid_argument %q", tt.raw, fault.KindOf(err), fault.Message(err), tt.want)
		}
	}
}

// validID has the shape of an image id.
const validID = "abcdefghijklmnopqrstuvwxyz"
