package imaging

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/davidbyttow/govips/v2/vips"
)

func init() {
	register(&Enhance{}, "Fixes a colour cast, too dark an exposure and a flat look automatically; a photo that is already fine changes little. The cast is measured on the photo's near-grey pixels: one without any (a meadow, a flower filling the frame) keeps its colours, and a strong cast is only partly taken off.")
}

// Enhance is a one-click fix for casual photos. It measures the picture on
// a small copy, then applies, as one affine map of CIELAB (the same single
// streamed pass as brightness or recolor):
//
//   - White balance: the cast is the median a*, b* of the near-neutral
//     pixels (chroma under neutralChroma around grey, weighted down towards
//     that edge, so a dominant colour is not taken for grey), and what of
//     it exceeds castTolerance is taken off, never more than castMax. When
//     under a hundredth of the picture's weight is near-neutral there is
//     nothing to measure against and it abstains. This holds casts to a
//     partial fix: a photo whose near-grey content is not grey (a blue-grey
//     sea, brown wood) cannot be told from a grey one under a cast, and one
//     without near-grey content tells nothing (see docs/ops.md, Enhance,
//     for what was measured and what else was tried).
//   - Exposure: the brightest channel's 99.9th percentile, the highlights,
//     is brought up to exposureTarget (0.96 in sRGB), never beyond what
//     clips more than 0.5 % of pixels, and never down. Only photos whose
//     highlights are dim get it: all of it under exposureFull (0.75 in
//     sRGB), none over exposureNone (0.85), so that a wallpaper without
//     whites keeps its light. A gain g of linear light is exact in CIELAB
//     as (L*+16)·∛g − 16, with a* and b* times ∛g.
//   - Levels: the darkest 0.5 % is taken to black, by at most blackMax of
//     L*, so a photo whose shadows are coloured mist keeps them.
//   - A mild lift: contrast around L* 50 by contrastLift, chroma by
//     chromaLift.
//
// Strength scales all of it: 0 changes nothing, 1 (the default) the whole
// fix. Pictures without colour get exposure, levels and contrast only.
type Enhance struct {
	Strength float64 `json:"strength" min:"0" max:"1" default:"1" help:"How much of the fix to apply: 0 none, 1 all of it."`
}

// Name returns "enhance".
func (*Enhance) Name() string { return "enhance" }

// The fix's sizes. Casts and lightness are in CIELAB units.
const (
	analysisSide   = 512   // the longer side of the copy measured
	neutralShare   = 0.01  // under this weighted share of near-neutral pixels, no white balance
	neutralChroma  = 25.0  // the chroma under which a pixel may be grey under a cast
	castTolerance  = 4.5   // a cast this large is left as it is
	castMax        = 20.0  // the largest cast taken off
	exposureTarget = 0.96  // the highlights' brightest channel after the fix, in sRGB
	exposureFull   = 0.75  // highlights under this (sRGB) get the whole exposure fix,
	exposureNone   = 0.85  // over this none: a photo without whites keeps its light
	exposureMax    = 4.0   // the largest gain of linear light, two stops
	clipShare      = 0.005 // at most this share of pixels clipped at either end
	blackMax       = 3.0   // the most L* the black point moves
	contrastLift   = 0.04
	chromaLift     = 0.05
)

func (e *Enhance) apply(img *vips.ImageRef) error {
	pix, colour, err := analysisPixels(img)
	if err != nil {
		return err
	}
	st := measure(pix, colour)
	return applyLab(img, st.fix(e.Strength), false)
}

// analysisPixels returns a copy of img at most analysisSide pixels on its
// longer side, sampled (vips_similarity: the cost follows the copy's
// pixels, not the picture's), as 8-bit sRGB, and whether img holds colour.
func analysisPixels(img *vips.ImageRef) ([]byte, bool, error) {
	c, err := img.Copy()
	if err != nil {
		return nil, false, err
	}
	defer c.Close()
	colour, err := toSRGB8(c)
	if err != nil {
		return nil, false, err
	}
	if !colour {
		if err := c.ToColorSpace(vips.InterpretationSRGB); err != nil {
			return nil, false, err
		}
		if c.BandFormat() != vips.BandFormatUchar {
			if err := c.Cast(vips.BandFormatUchar); err != nil {
				return nil, false, err
			}
		}
	}
	if c.Bands() > 3 {
		if err := c.ExtractBand(0, 3); err != nil {
			return nil, false, err
		}
	}
	if scale := float64(analysisSide) / float64(max(c.Width(), c.Height())); scale < 1 {
		if err := c.Similarity(scale, 0, &vips.ColorRGBA{}, 0, 0, 0, 0); err != nil {
			return nil, false, err
		}
	}
	pix, err := c.ToBytes()
	if err != nil {
		return nil, false, err
	}
	if c.Bands() != 3 || len(pix) != c.Width()*c.Height()*3 {
		return nil, false, fmt.Errorf("imaging: read %d bytes of %d bands for a %dx%d copy", len(pix), c.Bands(), c.Width(), c.Height())
	}
	return pix, colour, nil
}

// photoStats is what the fix is decided from.
type photoStats struct {
	castA, castB float64 // the cast found, 0 when it abstains
	high, top    float64 // the brightest channel's 99.9th and 99.5th percentiles, linear
	black        float64 // L*'s 0.5th percentile
}

// measure works out photoStats from 8-bit sRGB pixels.
func measure(pix []byte, colour bool) photoStats {
	n := len(pix) / 3
	var maxHist [256]int
	ls := make([]float64, n)
	as, bs := make([]float64, n), make([]float64, n)
	for i := range n {
		r, g, b := pix[3*i], pix[3*i+1], pix[3*i+2]
		maxHist[max(r, g, b)]++
		ls[i], as[i], bs[i] = toLab(r, g, b)
	}
	st := photoStats{
		high: linear8[histQuantile(&maxHist, n, 1-0.001)],
		top:  linear8[histQuantile(&maxHist, n, 1-clipShare)],
	}
	sorted := slices.Clone(ls)
	slices.Sort(sorted)
	st.black = sorted[int(clipShare*float64(n-1))]
	if colour {
		st.castA, st.castB = neutralCast(ls, as, bs)
	}
	return st
}

// histQuantile returns the value below which a share q of the n counted
// values lie.
func histQuantile(h *[256]int, n int, q float64) int {
	want := int(math.Ceil(q * float64(n)))
	sum := 0
	for v, c := range h {
		if sum += c; sum >= want {
			return v
		}
	}
	return 255
}

// neutralCast estimates the cast as the weighted median a*, b* of
// near-neutral pixels: those of mid lightness (neither black, where a* and
// b* are noise, nor clipped white) with a chroma under neutralChroma, wide
// enough to hold grey under a strong cast. A pixel's weight falls smoothly
// with its chroma, (1 − (C/neutralChroma)²)², to nothing at the window's
// edge, so that a coloured region near the edge (a blue uniform a cast has
// brought towards grey) cannot swing the estimate as it crosses in. The
// window stays centred on grey rather than following the estimate, so
// that a dominant colour near grey (a blue-grey sea, dry grass) cannot
// pull it far. Too little weight, and it returns 0: no white balance.
func neutralCast(ls, as, bs []float64) (ca, cb float64) {
	var na, nb, nw []float64
	total := 0.0
	for i := range ls {
		if ls[i] < 20 || ls[i] > 95 {
			continue
		}
		c := math.Hypot(as[i], bs[i]) / neutralChroma
		if c >= 1 {
			continue
		}
		w := (1 - c*c) * (1 - c*c)
		na, nb, nw = append(na, as[i]), append(nb, bs[i]), append(nw, w)
		total += w
	}
	if total < neutralShare*float64(len(ls)) {
		return 0, 0
	}
	return weightedMedian(na, nw, total), weightedMedian(nb, nw, total)
}

// weightedMedian returns the value of v at which the weights w, summing to
// total, reach half.
func weightedMedian(v, w []float64, total float64) float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(x, y int) int { return cmp.Compare(v[x], v[y]) })
	sum := 0.0
	for _, i := range idx {
		if sum += w[i]; sum >= total/2 {
			return v[i]
		}
	}
	return 0
}

// fix is the CIELAB map that applies the fix at strength s.
func (st photoStats) fix(s float64) labMap {
	if s == 0 {
		return identityLab()
	}
	l := identityLab()
	// White balance: take off what exceeds the tolerance, up to castMax.
	if c := math.Hypot(st.castA, st.castB); c > castTolerance {
		k := s * min(c-castTolerance, castMax) / c
		l = l.then(labMap{m: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, off: [3]float64{0, -k * st.castA, -k * st.castB}})
	}
	// Exposure: a gain of linear light, up only.
	g := 1.0
	if st.high > 0 {
		g = toLinear(exposureTarget) / st.high
		if st.top > 0 {
			g = min(g, 1/st.top)
		}
	}
	w := 1 - smoothstep(exposureFull, exposureNone, fromLinear(st.high))
	g = math.Pow(min(max(g, 1), exposureMax), s*w)
	k := math.Cbrt(g)
	l = l.then(labMap{m: [3][3]float64{{k, 0, 0}, {0, k, 0}, {0, 0, k}}, off: [3]float64{16 * (k - 1)}})
	// Levels: the black point, measured before the gain.
	if bp := s * min(max(k*(st.black+16)-16, 0), blackMax); bp > 0 {
		f := 100 / (100 - bp)
		l = l.then(labMap{m: [3][3]float64{{f, 0, 0}, {0, 1, 0}, {0, 0, 1}}, off: [3]float64{-bp * f}})
	}
	// The lift.
	c, ch := 1+s*contrastLift, 1+s*chromaLift
	return l.then(labMap{m: [3][3]float64{{c, 0, 0}, {0, ch, 0}, {0, 0, ch}}, off: [3]float64{50 * (1 - c)}})
}
