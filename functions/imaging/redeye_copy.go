package imaging

import (
	"fmt"
	"image"
	"math"
	"sync"

	"github.com/davidbyttow/govips/v2/vips"
)

// Automatic red-eye searches faces on a small copy of the picture, read
// into Go once, with a map of where in it there is red a pupil could be
// made of: the face search skips every window without such red where
// its eyes would be (see redeye_auto.go).

// searchCopy is what the face search works on: a small grey copy of the
// picture and where in it there is red a pupil could be made of.
type searchCopy struct {
	grey  *image.Gray
	red   *countMap
	scale float64 // from the picture to the copy
}

// takeSearchCopy shrinks view, by sampling it, so that its longest side
// is at most side, and reads it as grey (luminance, as libvips computes
// it) and as a map of the pixels that may be a red pupil's (pupilRedLUT).
// The smallest pupil searched for, half the iris of a face 3.5 % of the
// picture's longer side, is 1.8 pixels across in the copy, so at least
// one sample always falls on it.
//
// The samples are vips_similarity's: each copy pixel interpolated from
// the 2×2 picture pixels around its spot, a cost that grows with the
// copy's pixels and not with the picture's. vips_resize, even with the
// nearest kernel, first shrinks the whole picture by blocks, reading
// every pixel: on the 18 MP elephants photograph 120 to 160 ms of CPU
// against 30 to 55 ms, which was most of red-eye's cost over decode and
// encode on a smooth portrait.
func takeSearchCopy(view *vips.ImageRef, side int) (*searchCopy, error) {
	c, err := view.Copy()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	scale := min(1, float64(side)/float64(max(c.Width(), c.Height())))
	if scale < 1 {
		if err := c.Similarity(scale, 0, &vips.ColorRGBA{}, 0, 0, 0, 0); err != nil {
			return nil, err
		}
	}
	if c.Bands() > 3 {
		if err := c.ExtractBand(0, 3); err != nil {
			return nil, err
		}
	}
	pix, err := c.ToBytes()
	if err != nil {
		return nil, err
	}
	w, h := c.Width(), c.Height()
	if c.Bands() != 3 || len(pix) != w*h*3 {
		return nil, fmt.Errorf("imaging: read %d bytes of %d bands for a %dx%d search copy", len(pix), c.Bands(), w, h)
	}
	// Grey and red are worked out here rather than by libvips: one read
	// of the copy instead of three passes over it (a third of the copy's
	// cost on an 18 MP photo).
	grey := image.NewGray(image.Rect(0, 0, w, h))
	red := make([]bool, w*h)
	lut, enc := pupilRedLUT(), greyLUT()
	for i := range red {
		p := pix[3*i : 3*i+3 : 3*i+3]
		y := 0.2126*linear8[p[0]] + 0.7152*linear8[p[1]] + 0.0722*linear8[p[2]]
		grey.Pix[i] = enc[int(y*(greyLevels-1)+0.5)]
		red[i] = lut[int(p[0]>>3)<<10|int(p[1]>>3)<<5|int(p[2]>>3)]
	}
	// The scale actually applied, which rounding makes differ a little.
	return &searchCopy{grey: grey, red: newCountMap(red, w, h), scale: float64(w) / float64(view.Width())}, nil
}

// greyLevels is how finely greyLUT samples linear light: fine enough that
// its steps, steepest near black, are under a quarter of a grey level.
const greyLevels = 1 << 14

// greyLUT encodes linear luminance, sampled at greyLevels steps from 0
// to 1, as an 8-bit sRGB grey.
var greyLUT = sync.OnceValue(func() *[greyLevels]uint8 {
	var t [greyLevels]uint8
	for i := range t {
		t[i] = uint8(math.Round(255 * fromLinear(float64(i)/(greyLevels-1))))
	}
	return &t
})

// pupilRedLUT answers, for sRGB colours cut to 5 bits a channel, whether
// the colour may be a red pupil's: isRedPixel's test a little looser
// (redness from 15, chroma from 20, where a pupil's pixels have 20 and 25),
// so that a pixel at a small pupil's edge, or a colour rounded to 5 bits,
// still counts. The face search only asks it where to look; pupilIn decides.
var pupilRedLUT = sync.OnceValue(func() *[1 << 15]bool {
	var lut [1 << 15]bool
	for i := range lut {
		r, g, b := uint8(i>>10)<<3|4, uint8(i>>5&31)<<3|4, uint8(i&31)<<3|4
		if !mayBeRed(r, g, b) {
			continue
		}
		_, a, bb := toLab(r, g, b)
		lut[i] = redness(a, bb) >= 15 && bb >= -0.47*a && a*a+bb*bb >= 20*20
	}
	return &lut
})

// countMap counts the set pixels of a mask in any rectangle with four
// look-ups (an integral image).
type countMap struct {
	w, h int
	n    []int32 // (w+1)×(h+1): set pixels above and left of each corner
}

func newCountMap(set []bool, w, h int) *countMap {
	m := &countMap{w: w, h: h, n: make([]int32, (w+1)*(h+1))}
	for y := range h {
		var row int32
		for x, v := range set[y*w : (y+1)*w] {
			if v {
				row++
			}
			i := (y+1)*(w+1) + x + 1
			m.n[i] = m.n[i-w-1] + row
		}
	}
	return m
}

// empty reports whether no pixel is set.
func (m *countMap) empty() bool { return m.n[len(m.n)-1] == 0 }

// count is how many pixels of r (clipped to the mask) are set.
func (m *countMap) count(r image.Rectangle) int {
	r = r.Intersect(image.Rect(0, 0, m.w, m.h))
	if r.Empty() {
		return 0
	}
	s := m.w + 1
	return int(m.n[r.Max.Y*s+r.Max.X] - m.n[r.Min.Y*s+r.Max.X] - m.n[r.Max.Y*s+r.Min.X] + m.n[r.Min.Y*s+r.Min.X])
}

// someRed reports whether r holds red a pupil could be made of, but
// less than a quarter of it: two pupils at their largest (a quarter of
// their eye box across) cover a ninth of a face's eye band, while a
// window over a red flag, a sweet or a jumper is red nearly all over.
func (m *countMap) someRed(r image.Rectangle) bool {
	r = r.Intersect(image.Rect(0, 0, m.w, m.h))
	n := m.count(r)
	return n > 0 && 4*n < r.Dx()*r.Dy()
}
