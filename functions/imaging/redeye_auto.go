package imaging

import (
	"image"
	"math"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/pixmill/pixmill/functions/imaging/faces"
)

// Automatic red-eye looks for faces first and for red pupils only where a
// face's eyes are, so a red dot anywhere else (sweets, a flag, a ladybird,
// lips) is never looked at, and every size it uses is a fraction of the
// face or the eye: the same photograph at any resolution gets the same
// edit. See docs/imaging-detection.md for the detector and its cost.

// The sizes of face the search tries are anchored at minFace of the
// picture's longer side (the cascade's 20-pixel window in an 800-pixel
// picture) and grow 20 % at a time; those under searchFace, 3.5 % (on an
// 18 MP photograph a face 180 pixels wide, whose pupils are then about 5
// pixels across), are left out. The search's cost grows most with how
// small a face it looks for (windows of one size are fewer the larger it
// is, as its square): leaving out the sizes under 3.5 % halves it.
// Anchoring the sizes at 3.5 % instead missed the astronaut's face at 4×:
// the cascade's votes depend on which sizes it is tried at.
//
// The search works on a copy copySide pixels on its longer side: twice
// the finest level it searches (the cascade's 20-pixel window at 3.5 %
// is a 571-pixel picture), so that every level averages blocks of at
// least 2×2 of the copy's sampled pixels. See docs/imaging-detection.md
// for what it costs.
const (
	minFace    = 20.0 / 800
	searchFace = 0.035
	copySide   = 1143 // 2 × 20 / searchFace
)

// Where a frontal face detector's box puts the eyes, as fractions of the
// box's width: centres a fifth of the width either side of the middle and
// 0.37 of it down (measured on scikit-image's astronaut and Grace Hopper's
// portrait, and as in the cascade's training faces), with a box around
// each that allows for the face turned or tilted a little.
const (
	eyeAcross = 0.21
	eyeDown   = 0.37
	eyeHalfW  = 0.17
	eyeHalfH  = 0.13
)

// Sizes of a red pupil relative to the eye box around it: the iris is about
// 0.13 of the box's width in radius; red may fill it all or, in a pupil
// that has begun to narrow, half of it, 0.065, which the face box's
// uncertainty (a fifth either way) and a small blob's pixel outline bring
// down to 0.035. (A narrower pupil lets too little flash back out to
// glow.)
const (
	pupilMinR = 0.035
	pupilMaxR = 0.25
)

// findEyeBoxes finds where eyes are in view, in its pixels: the two eye
// boxes of each face found or, when there is no face, for a close-up of
// eyes, the eyes the eye cascade finds. Only faces and eyes with red where
// a pupil would be are looked for: the others have nothing to correct, and
// on most photographs that leaves the cascades a small share of the
// windows, or none.
func findEyeBoxes(view *vips.ImageRef) ([]image.Rectangle, error) {
	// The copy is sampled, at a cost that grows with its own pixels
	// (takeSearchCopy); the search averages its blocks.
	sc, err := takeSearchCopy(view, copySide)
	if err != nil || sc.red.empty() {
		return nil, err
	}
	grey, scale := sc.grey, sc.scale
	long := max(grey.Rect.Dx(), grey.Rect.Dy())
	pic := image.Rect(0, 0, view.Width(), view.Height())
	up := func(x0, y0, x1, y1 float64) image.Rectangle {
		return image.Rect(int(x0/scale), int(y0/scale), int(math.Ceil(x1/scale)), int(math.Ceil(y1/scale))).Intersect(pic)
	}
	fs, err := faces.Search{
		First:   int(minFace * float64(long)),
		MinSide: int(searchFace * float64(long)),
		Keep:    func(w image.Rectangle) bool { return sc.red.someRed(eyeBand(w)) },
	}.Faces(grey)
	if err != nil {
		return nil, err
	}
	var boxes []image.Rectangle
	for _, f := range fs {
		w := float64(f.Dx())
		cx, cy := float64(f.Min.X)+w/2, float64(f.Min.Y)+eyeDown*w
		for _, side := range []float64{-1, 1} {
			ex := cx + side*eyeAcross*w
			boxes = append(boxes, up(ex-eyeHalfW*w, cy-eyeHalfH*w, ex+eyeHalfW*w, cy+eyeHalfH*w))
		}
	}
	if len(fs) > 0 {
		return boxes, nil
	}
	// A close-up: eyes at least an eighth of the picture's shorter side.
	short := min(grey.Rect.Dx(), grey.Rect.Dy())
	es, err := faces.Search{
		MinSide: short / 8,
		// An eye in a close-up may be mostly pupil: any red will do.
		Keep: func(w image.Rectangle) bool { return sc.red.count(w) > 0 },
	}.Eyes(grey)
	if err != nil {
		return nil, err
	}
	for _, e := range closeUpEyes(es, short) {
		// The eye cascade's box is the eye and its lids; widen it a little
		// for a pupil at its edge.
		m := 0.15 * float64(e.Dx())
		boxes = append(boxes, up(float64(e.Min.X)-m, float64(e.Min.Y)-m, float64(e.Max.X)+m, float64(e.Max.Y)+m))
	}
	return boxes, nil
}

// eyeBand is the part of a face window where its eyes' pupils can be:
// the eye boxes (a band from 0.12 to 0.88 of the width across, 0.24 to
// 0.50 down) and a margin for the windows around a face, which stand up
// to a fifth of its size off it and still vote for it.
func eyeBand(w image.Rectangle) image.Rectangle {
	s := float64(w.Dx())
	x0, y0 := float64(w.Min.X), float64(w.Min.Y)
	return image.Rect(int(x0+0.05*s), int(y0+0.15*s), int(math.Ceil(x0+0.95*s)), int(math.Ceil(y0+0.6*s)))
}

// closeUpEyes keeps, of the eyes found where no face was, those that make a
// close-up: two of about the same size side by side, as far apart as a
// face's eyes are (1.2 to 4 eye widths between centres), or one eye at
// least a third of the picture's shorter side across. Eyes found one by
// one in a picture without a face are most often patterns (fabric, leaves,
// a butterfly's wings).
func closeUpEyes(es []faces.Detection, short int) []faces.Detection {
	var out []faces.Detection
	for i, a := range es {
		if 3*a.Dx() >= short {
			out = append(out, a)
			continue
		}
		for j, b := range es {
			if i == j {
				continue
			}
			wa, wb := float64(a.Dx()), float64(b.Dx())
			m := (wa + wb) / 2
			dx := math.Abs(float64(a.Min.X+a.Max.X-b.Min.X-b.Max.X)) / 2
			dy := math.Abs(float64(a.Min.Y+a.Max.Y-b.Min.Y-b.Max.Y)) / 2
			if max(wa, wb) <= 1.5*min(wa, wb) && dy <= 0.5*m && dx >= 1.2*m && dx <= 4*m {
				out = append(out, a)
				break
			}
		}
	}
	return out
}

// automatic finds red pupils in the eye boxes of the faces in view: in
// each box, the roundest red blob of a pupil's size with no red around it.
func (e *Redeye) automatic(view *vips.ImageRef) ([]*pupil, error) {
	boxes, err := findEyeBoxes(view)
	if err != nil {
		return nil, err
	}
	var found []*pupil
	for _, box := range boxes {
		if box.Dx() < 4 || box.Dy() < 4 {
			continue
		}
		p, err := pupilIn(view, box)
		if err != nil {
			return nil, err
		}
		if p != nil && !overlapsAny(found, p) {
			found = append(found, p)
		}
	}
	return found, nil
}

// pupilIn returns the red pupil in an eye box, or nil: the red blob that is
// round, of a pupil's size for the box, mostly ringed by what is not red
// (the iris, or the white of the eye when the red fills the iris), and
// nearest the box's middle if there are several.
func pupilIn(view *vips.ImageRef, box image.Rectangle) (*pupil, error) {
	side := float64(box.Dx())
	minR, maxR := max(1, pupilMinR*side), pupilMaxR*side
	minArea := max(4, int(math.Pi*minR*minR*0.5))
	p, bs, err := redBlobs(view, box, minArea, int(4*maxR*maxR))
	if err != nil {
		return nil, err
	}
	var best *pupil
	bestD := math.Inf(1)
	mx, my := float64(box.Min.X+box.Max.X)/2, float64(box.Min.Y+box.Max.Y)/2
	for _, b := range bs {
		c := asPupil(b, 1.8, 0.55)
		if c == nil || c.r < minR || c.r > maxR {
			continue
		}
		red, vivid, ringRedness := around(p, c)
		if red > 0.3 || vivid > 0.3 || meanRedness(p, c.blob)-ringRedness < minRedContrast {
			continue
		}
		if d := math.Hypot(c.cx-mx, c.cy-my); d < bestD {
			best, bestD = c, d
		}
	}
	return best, nil
}

// minRedContrast is how much redder a pupil must be than what surrounds
// it: a flash-red pupil's redness is 25 to 50 and its iris's under 10, but
// skin in the shadow of a warm-toned photograph's eye socket reaches 20,
// and a patch of it redder by a few counts as red without being a pupil.
const minRedContrast = 15

// meanRedness is the mean redness of b's pixels in p.
func meanRedness(p *patch, b *blob) float64 {
	sum := 0.0
	for _, r := range b.runs {
		for x := r.x0; x < r.x1; x++ {
			_, a, bb := toLab(p.rgb(x, r.y))
			sum += redness(a, bb)
		}
	}
	return sum / float64(b.area)
}

// around measures the ring from 1.25 to 2.5 radii around c, inside the
// patch: the share of red pixels in it, of vivid ones (chroma over 40),
// and its mean redness. Around a red pupil lie the iris, the white of the
// eye and the lids, all of them muted; around a red spot on a flower, a
// butterfly's wing or a sweet, more vivid colour or more red.
func around(p *patch, c *pupil) (red, vivid, meanRed float64) {
	in, out := 1.25*c.r+0.5, 2.5*c.r+1
	n, nr, nv, sum := 0, 0, 0, 0.0
	for y := int(c.cy - out); y <= int(c.cy+out); y++ {
		for x := int(c.cx - out); x <= int(c.cx+out); x++ {
			if !image.Pt(x, y).In(p.rect) {
				continue
			}
			d := math.Hypot(float64(x)+0.5-c.cx, float64(y)+0.5-c.cy)
			if d < in || d > out {
				continue
			}
			n++
			r, g, b := p.rgb(x, y)
			if isRedPixel(r, g, b) {
				nr++
			}
			_, a, bb := toLab(r, g, b)
			if a*a+bb*bb > 40*40 {
				nv++
			}
			sum += redness(a, bb)
		}
	}
	if n == 0 {
		return 1, 1, 0
	}
	return float64(nr) / float64(n), float64(nv) / float64(n), sum / float64(n)
}

// overlapsAny reports whether p is a pupil already found, from another
// face's overlapping eye box.
func overlapsAny(ps []*pupil, p *pupil) bool {
	for _, o := range ps {
		if math.Hypot(o.cx-p.cx, o.cy-p.cy) < max(o.r, p.r) {
			return true
		}
	}
	return false
}
