package imaging

import (
	"errors"
	"math"

	"github.com/davidbyttow/govips/v2/vips"
)

func init() {
	register(&Recolor{}, "Changes the picture's colours: turns hues, makes it grey or sepia, tints it, or maps it to two colours (duotone).")
}

// Recolor changes colours and keeps lightness, in CIELAB. In order:
//
//   - Hue turns every colour's hue by that many degrees around the CIELAB
//     hue circle, keeping its chroma and lightness: 30 turns reds towards
//     orange, 120 turns them green, 180 gives the complementary colours.
//   - Mode "grayscale" drops all colour; "sepia" drops it and gives every
//     tone the brown of an old print (a* 6, b* 18, a chroma of 19).
//   - Tint pulls every colour's a* and b* towards those of a colour, by
//     Strength: 0 changes nothing, 1 gives the whole picture the tint's hue
//     and chroma at its own lightness.
//
// Duotone, two colours [dark, light], replaces all of that: each pixel takes
// the colour between the two, in CIELAB, that its lightness calls for, black
// mapping to the first and white to the second, as a two-ink print does. It
// cannot be combined with the others.
//
// All of it is one affine map of L*a*b*, applied by libvips in one pass.
type Recolor struct {
	Hue      float64  `json:"hue" min:"-360" max:"360" default:"0" help:"Degrees to turn every hue: 30 turns reds towards orange, 180 gives complementary colours."`
	Mode     string   `json:"mode" enum:"none,grayscale,sepia" default:"none" help:"none keeps the colours; grayscale drops them; sepia gives the brown of an old print."`
	Tint     string   `json:"tint,omitempty" format:"color" help:"A colour, such as #ff8800, to pull every colour towards, keeping lightness."`
	Strength float64  `json:"strength" min:"0" max:"1" default:"0.5" help:"How far the tint goes: 0 not at all, 1 all the way."`
	Duotone  []string `json:"duotone,omitempty" format:"color" min:"2" max:"2" help:"Two colours [dark, light], such as [\"#1b2a4a\",\"#f6d8a8\"]: shadows take the first, highlights the second. Replaces hue, mode and tint."`
}

// Name returns "recolor".
func (*Recolor) Name() string { return "recolor" }

func (*Recolor) streams() bool { return true }

// Check refuses duotone with anything else, which it would overwrite.
func (r *Recolor) Check() error {
	if len(r.Duotone) > 0 && (r.Hue != 0 || r.Mode != "none" || r.Tint != "") {
		return errors.New("duotone replaces every colour, so it cannot be combined with hue, mode or tint")
	}
	return nil
}

// Sepia's tone, as CIELAB a* and b*: the hue (72°) of toned silver prints,
// at a chroma (19) that reads as brown without looking painted.
const sepiaA, sepiaB = 6, 18

func (r *Recolor) labMap() labMap {
	if len(r.Duotone) > 0 {
		dl, da, db := colourLab(mustColor(r.Duotone[0]))
		ll, la, lb := colourLab(mustColor(r.Duotone[1]))
		// L* in 0..100 picks the point between the two colours.
		return labMap{
			m:   [3][3]float64{{(ll - dl) / 100, 0, 0}, {(la - da) / 100, 0, 0}, {(lb - db) / 100, 0, 0}},
			off: [3]float64{dl, da, db},
		}
	}
	l := identityLab()
	if r.Hue != 0 {
		sin, cos := math.Sincos(r.Hue * math.Pi / 180)
		l = l.then(labMap{m: [3][3]float64{{1, 0, 0}, {0, cos, -sin}, {0, sin, cos}}})
	}
	switch r.Mode {
	case "grayscale":
		l = l.then(labMap{m: [3][3]float64{{1, 0, 0}}})
	case "sepia":
		l = l.then(labMap{m: [3][3]float64{{1, 0, 0}}, off: [3]float64{0, sepiaA, sepiaB}})
	}
	if r.Tint != "" && r.Strength > 0 {
		_, ta, tb := colourLab(mustColor(r.Tint))
		k := 1 - r.Strength
		l = l.then(labMap{m: [3][3]float64{{1, 0, 0}, {0, k, 0}, {0, 0, k}}, off: [3]float64{0, r.Strength * ta, r.Strength * tb}})
	}
	return l
}

func (r *Recolor) apply(img *vips.ImageRef) error {
	colour := r.Mode == "sepia" || r.Tint != "" || len(r.Duotone) > 0
	return applyLab(img, r.labMap(), colour)
}

func colourLab(c rgba8) (l, a, b float64) { return toLab(c.r, c.g, c.b) }
