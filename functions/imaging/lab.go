package imaging

import (
	"math"

	"github.com/davidbyttow/govips/v2/vips"
)

// The colour ops (brightness, contrast, saturation, recolor) work in CIELAB,
// where L* is lightness as the eye sees it and a*, b* carry hue and chroma:
// a change of one leaves the others alone, which no change of R, G and B
// does. Each is an affine map of L*a*b*, which libvips applies in the same
// streamed pass as the colour conversions around it.

// labMap is the affine map L*a*b* ← m·(L*,a*,b*) + off.
type labMap struct {
	m   [3][3]float64
	off [3]float64
}

// identityLab changes nothing; ops start from it.
func identityLab() labMap {
	return labMap{m: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}}
}

// then returns the map that applies l, then n.
func (l labMap) then(n labMap) labMap {
	var out labMap
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				out.m[i][j] += n.m[i][k] * l.m[k][j]
			}
		}
		out.off[i] = n.off[i]
		for k := range 3 {
			out.off[i] += n.m[i][k] * l.off[k]
		}
	}
	return out
}

func (l labMap) isIdentity() bool {
	return l == identityLab()
}

func (l labMap) diagonal() bool {
	for i := range 3 {
		for j := range 3 {
			if i != j && l.m[i][j] != 0 {
				return false
			}
		}
	}
	return true
}

// applyLab applies l to img through CIELAB and converts back. colour says
// the result may hold colour even if img was grey, so a grey picture comes
// back as sRGB (or 16-bit RGB) instead of losing what the map added. Alpha
// and any other extra band pass through untouched.
func applyLab(img *vips.ImageRef, l labMap, colour bool) error {
	if l.isIdentity() {
		return nil // not even the rounding of a round trip through LAB
	}
	back := img.Interpretation()
	if colour {
		back = colourSpace(back)
	}
	if err := img.ToColorSpace(vips.InterpretationLAB); err != nil {
		return err
	}
	n := img.Bands() // L*, a*, b*, then alpha or other extra bands
	if l.diagonal() {
		mul, add := make([]float64, n), make([]float64, n)
		for i := range mul {
			mul[i] = 1
		}
		for i := range 3 {
			mul[i], add[i] = l.m[i][i], l.off[i]
		}
		if err := img.Linear(mul, add); err != nil {
			return err
		}
	} else {
		m := make([][]float64, n)
		for i := range m {
			m[i] = make([]float64, n)
			if i >= 3 {
				m[i][i] = 1
				continue
			}
			copy(m[i], l.m[i][:])
		}
		if err := img.Recomb(m); err != nil {
			return err
		}
		if l.off != [3]float64{} {
			mul, add := make([]float64, n), make([]float64, n)
			for i := range mul {
				mul[i] = 1
			}
			copy(add, l.off[:])
			if err := img.Linear(mul, add); err != nil {
				return err
			}
		}
	}
	return img.ToColorSpace(back)
}

// colourSpace is the space that can hold colour closest to s.
func colourSpace(s vips.Interpretation) vips.Interpretation {
	switch s {
	case vips.InterpretationBW:
		return vips.InterpretationSRGB
	case vips.InterpretationGrey16:
		return vips.InterpretationRGB16
	}
	return s
}

// sRGB ↔ CIELAB in Go, for the ops that decide pixel by pixel (red eye,
// teeth). D65 white, the IEC 61966-2-1 sRGB curve and matrix; the same
// formulas libvips uses, so both sides agree to rounding.

// linear8 is the linear light of each 8-bit sRGB value.
var linear8 = func() (t [256]float64) {
	for i := range t {
		t[i] = toLinear(float64(i) / 255)
	}
	return t
}()

func toLinear(s float64) float64 {
	if s <= 0.04045 {
		return s / 12.92
	}
	return math.Pow((s+0.055)/1.055, 2.4)
}

func fromLinear(v float64) float64 {
	if v <= 0.0031308 {
		return 12.92 * v
	}
	return 1.055*math.Pow(v, 1/2.4) - 0.055
}

const (
	whiteX, whiteZ = 0.95047, 1.08883 // D65, Y = 1
	labE           = 216.0 / 24389    // CIE's ε
	labK           = 24389.0 / 27     // CIE's κ
)

func labF(t float64) float64 {
	if t > labE {
		return math.Cbrt(t)
	}
	return (labK*t + 16) / 116
}

func labFInv(f float64) float64 {
	if t := f * f * f; t > labE {
		return t
	}
	return (116*f - 16) / labK
}

// toLab converts an 8-bit sRGB colour to CIELAB.
func toLab(r, g, b uint8) (l, a, bb float64) {
	lr, lg, lb := linear8[r], linear8[g], linear8[b]
	x := (0.4124564*lr + 0.3575761*lg + 0.1804375*lb) / whiteX
	y := 0.2126729*lr + 0.7151522*lg + 0.0721750*lb
	z := (0.0193339*lr + 0.1191920*lg + 0.9503041*lb) / whiteZ
	fx, fy, fz := labF(x), labF(y), labF(z)
	return 116*fy - 16, 500 * (fx - fy), 200 * (fy - fz)
}

// fromLab converts CIELAB to 8-bit sRGB, clipping what sRGB cannot show.
func fromLab(l, a, b float64) (uint8, uint8, uint8) {
	fy := (l + 16) / 116
	x := labFInv(fy+a/500) * whiteX
	y := labFInv(fy)
	z := labFInv(fy-b/200) * whiteZ
	lr := 3.2404542*x - 1.5371385*y - 0.4985314*z
	lg := -0.9692660*x + 1.8760108*y + 0.0415560*z
	lb := 0.0556434*x - 0.2040259*y + 1.0572252*z
	return to8(lr), to8(lg), to8(lb)
}

func to8(v float64) uint8 {
	s := fromLinear(max(v, 0)) * 255
	return uint8(math.Round(min(s, 255)))
}
