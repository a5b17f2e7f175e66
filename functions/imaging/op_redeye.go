package imaging

import (
	"image"
	"math"
	"slices"

	"github.com/davidbyttow/govips/v2/vips"
)

func init() {
	register(&Redeye{}, "Turns red pupils from a camera flash dark again, inside boxes around the eyes or found automatically.")
}

// Redeye corrects red pupils: the flash lit the retina and the pupil came
// out red. With Regions, boxes around eyes as a photo editor lets people
// draw them, it corrects every round red spot inside them. Without, it finds
// red pupils itself, and is built to miss one rather than touch something
// that is not an eye: a red blob counts as a pupil only if it is
//
//   - compact and round: not much longer than wide (lips, a red shirt and
//     a flag's stripes are not) and filling the disc around it;
//   - ringed by something that is not red, the iris;
//   - set among bright, nearly colourless pixels, the white of the eye,
//     brighter than that ring, on both sides and not above and below (where
//     the eyelids are); or, for a blob with a partner of the same size at
//     the distance between two eyes, on one side;
//   - in a face: skin of any tone makes up at least a third of what lies
//     4 to 8 radii away.
//
// A corrected pupil takes, in every pixel, the grey of that pixel's own
// green and blue: the red from the flash goes, the texture and the
// specular glint (already white) stay. Pixels inside the blob change
// wholly; a one-pixel band around it changes in proportion to its redness,
// which feathers the edge into the iris. Nothing else changes, not even by
// rounding: the op reads the pixels it decides on into Go and writes back
// only the rectangles around the pupils it corrects.
//
// Finding costs one pass over the picture's pixels, most of which an integer
// test dismisses; see BenchmarkOps for a 12 MP photo.
type Redeye struct {
	Regions []Box `json:"regions,omitempty" max:"50" help:"Boxes around eyes, in pixels; only red pupils inside them are corrected. Left out, red pupils are found automatically."`
}

// Name returns "redeye".
func (*Redeye) Name() string { return "redeye" }

// stripRows is how many rows the automatic search reads at a time: enough
// to keep libvips' per-call cost small, few enough that the pixels of a
// 12 MP picture are never all in Go's memory at once (4000×256×3 bytes).
const stripRows = 256

// pupil is a red blob taken for a pupil.
type pupil struct {
	*blob
	r      float64 // radius, from the bounding box
	paired bool
}

func (e *Redeye) apply(img *vips.ImageRef) error {
	view, err := img.Copy()
	if err != nil {
		return err
	}
	defer view.Close()
	colour, err := toSRGB8(view)
	if err != nil || !colour {
		return err
	}
	var found []*pupil
	if len(e.Regions) > 0 {
		found, err = e.inRegions(view)
	} else {
		found, err = e.automatic(view)
	}
	if err != nil || len(found) == 0 {
		return err
	}
	if _, err := toSRGB8(img); err != nil {
		return err
	}
	for _, group := range groupPupils(found, image.Rect(0, 0, img.Width(), img.Height())) {
		if err := correctPupils(img, view, group); err != nil {
			return err
		}
	}
	return nil
}

// inRegions finds round red blobs inside each box. The person who drew the
// box said there is an eye there, so no surroundings are asked for.
func (e *Redeye) inRegions(view *vips.ImageRef) ([]*pupil, error) {
	pic := image.Rect(0, 0, view.Width(), view.Height())
	var found []*pupil
	for _, box := range e.Regions {
		r := image.Rect(box.X, box.Y, box.X+box.Width, box.Y+box.Height).Intersect(pic)
		if r.Empty() {
			continue
		}
		p, err := readPatch(view, r)
		if err != nil {
			return nil, err
		}
		var f blobFinder
		row := make([]bool, r.Dx())
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := range row {
				row[x] = isRedPixel(p.rgb(r.Min.X+x, y))
			}
			f.addRow(row)
		}
		for _, b := range f.blobs(r.Min.X, r.Min.Y, 4, r.Dx()*r.Dy()) {
			if c := asPupil(b, 2.0, 0.5); c != nil {
				found = append(found, c)
			}
		}
	}
	return found, nil
}

// asPupil returns b as a pupil if it is round enough: no more than maxElong
// times longer than wide, and filling at least minFill of the ellipse in its
// bounding box (a disc fills it all but its glint; a rectangle overfills it).
//
// A blob of a few dozen pixels has a shape only roughly: its outline is
// quantised, and the glint bites a fifth out of a 3-pixel pupil, leaving a
// crescent. Below smallBlob pixels the elongation allowed grows by a third,
// which still turns away lips (three times longer than high), and the
// surroundings decide.
func asPupil(b *blob, maxElong, minFill float64) *pupil {
	w, h := b.bounds.Dx(), b.bounds.Dy()
	if w < 2 || h < 2 {
		return nil
	}
	if b.area < smallBlob {
		maxElong *= 1.35
	}
	fill := float64(b.area) / (math.Pi / 4 * float64(w*h))
	if fill < minFill || fill > 1.12 || b.elongation() > maxElong {
		return nil
	}
	if float64(max(w, h)) > maxElong*float64(min(w, h)) {
		return nil
	}
	return &pupil{blob: b, r: float64(w+h) / 4}
}

// smallBlob is the area below which a blob's shape is measured only roughly.
const smallBlob = 40

// automatic searches the whole picture, strip by strip, for round red blobs,
// then keeps those whose surroundings look like an eye.
func (e *Redeye) automatic(view *vips.ImageRef) ([]*pupil, error) {
	W, H := view.Width(), view.Height()
	var f blobFinder
	red := make([]bool, W)
	for y0 := 0; y0 < H; y0 += stripRows {
		p, err := readPatch(view, image.Rect(0, y0, W, min(H, y0+stripRows)))
		if err != nil {
			return nil, err
		}
		n := p.bands
		for y := p.rect.Min.Y; y < p.rect.Max.Y; y++ {
			pix := p.pix[(y-y0)*W*n : (y-y0+1)*W*n]
			for x := range red {
				r, g, b := pix[x*n], pix[x*n+1], pix[x*n+2]
				red[x] = mayBeRed(r, g, b) && isRedPixel(r, g, b)
			}
			f.addRow(red)
		}
	}
	// A pupil is at least minPupilArea pixels and at most the disc a quarter
	// of the picture's shorter side across.
	maxSide := max(8, min(W, H)/4)
	var cands []*pupil
	for _, b := range f.blobs(0, 0, minPupilArea, maxSide*maxSide) {
		if b.bounds.Dx() > maxSide || b.bounds.Dy() > maxSide {
			continue
		}
		if c := asPupil(b, 1.7, 0.62); c != nil {
			cands = append(cands, c)
		}
	}
	if len(cands) > maxCandidates {
		// A picture this full of red dots is a pattern, not a face.
		return nil, nil
	}
	var looks []*pupil
	var ctx []eyeContext
	for _, c := range cands {
		ec, err := measureContext(view, c)
		if err != nil {
			return nil, err
		}
		if ec.eyeLike() {
			looks = append(looks, c)
			ctx = append(ctx, ec)
		}
	}
	pair(looks)
	var found []*pupil
	for i, c := range looks {
		if ctx[i].eye(c.paired) {
			found = append(found, c)
		}
	}
	return found, nil
}

// The thresholds of eyeLike and eye were set on the tests' synthetic faces
// and checked against photographs with red in them and no red eyes
// (scikit-image's astronaut, Debian's backgrounds). With the measures
// those give, for example: skin around a pupil 0.79 to 0.98, around the
// red blobs of the astronaut's suit, flag and badges 0.26 at most; white
// above and below a pupil 0.19 at most, around red specks in a striped
// fabric 0.43 and up.

// eyeLike reports whether the surroundings could be an eye's: an iris that
// is not red, some white of an eye, at the sides rather than above and
// below, and skin around.
func (ec eyeContext) eyeLike() bool {
	sides := (ec.scleraLeft + ec.scleraRight) / 2
	whiteAtSides := ec.scleraVertical <= 0.25 && ec.scleraVertical <= 0.75*sides
	return ec.ringRed <= 0.25 && ec.scleraAny >= 0.02 && whiteAtSides && ec.skin >= 0.35
}

// eye reports whether an eye-like blob is taken for a pupil: with white of
// the eye on both sides, or, when it has a partner where the other eye
// would be, on one side (eyes looking sideways show white on one side).
func (ec eyeContext) eye(paired bool) bool {
	both := ec.scleraAny >= 0.06 && ec.scleraLeft >= 0.03 && ec.scleraRight >= 0.03
	one := paired && max(ec.scleraLeft, ec.scleraRight) >= 0.04
	return both || one
}

// minPupilArea is the smallest red blob searched for: 12 pixels, a disc of
// radius 2. Smaller, a red pupil is a dot the eye barely resolves, and red
// dots that small are everywhere in textures (fabric, foliage, print).
const minPupilArea = 12

// maxCandidates bounds the red blobs examined one by one.
const maxCandidates = 500

// eyeContext measures what surrounds a red blob.
type eyeContext struct {
	ringRed float64 // share of red pixels just outside the blob, where the iris is
	ringL   float64 // their mean L*
	// shares of the ring around that, out to about 4 radii, that look like
	// the white of an eye: bright, nearly colourless, and well above the
	// iris in lightness; left and right of the blob, and in all
	scleraLeft, scleraRight, scleraAny float64
	// and the share above and below it, where eyelids are, not the white
	scleraVertical float64
	skin           float64 // share of the ring from 4 to 8 radii that looks like skin
}

// measureContext reads the pixels around c, out to 8 radii, and measures
// them in rings: the iris just outside the blob, the white of the eye
// beyond it, and the face beyond that. The rings' widths grow with the
// radius and by a few pixels, so that a 3-pixel pupil has enough pixels in
// each to count.
func measureContext(view *vips.ImageRef, c *pupil) (eyeContext, error) {
	r := c.r
	ringIn, ringOut := 1.2*r+0.8, 1.65*r+1.2
	whiteIn, whiteOut := 2.3*r+1.5, 4.2*r+3
	faceOut := 8*r + 6
	reach := int(math.Ceil(faceOut)) + 1
	cx, cy := c.cx, c.cy
	win := image.Rect(int(cx)-reach, int(cy)-reach, int(cx)+reach+1, int(cy)+reach+1).
		Intersect(image.Rect(0, 0, view.Width(), view.Height()))
	p, err := readPatch(view, win)
	if err != nil {
		return eyeContext{}, err
	}
	var ec eyeContext
	var ringN, ringRedN, whiteN, leftN, rightN, left, right, vertN, vert, faceN, skin float64
	type px struct{ l, c, dx float64 }
	var white []px
	for y := win.Min.Y; y < win.Max.Y; y++ {
		for x := win.Min.X; x < win.Max.X; x++ {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			d := math.Hypot(dx, dy)
			switch {
			case d >= ringIn && d <= ringOut:
				rr, gg, bb := p.rgb(x, y)
				l, _, _ := toLab(rr, gg, bb)
				ringN++
				ec.ringL += l
				if isRedPixel(rr, gg, bb) {
					ringRedN++
				}
			case d >= whiteIn && d <= whiteOut:
				l, a, b := toLab(p.rgb(x, y))
				white = append(white, px{l, math.Hypot(a, b), dx})
			case d > whiteOut && d <= faceOut:
				faceN++
				if looksLikeSkin(toLab(p.rgb(x, y))) {
					skin++
				}
			}
		}
	}
	if ringN == 0 || len(white) == 0 || faceN == 0 {
		return eyeContext{ringRed: 1}, nil
	}
	ec.ringRed = ringRedN / ringN
	ec.ringL /= ringN
	ec.skin = skin / faceN
	for _, o := range white {
		isWhite := o.l >= max(60, ec.ringL+15) && o.c <= 18
		switch {
		case o.dx < -r:
			leftN++
			if isWhite {
				left++
			}
		case o.dx > r:
			rightN++
			if isWhite {
				right++
			}
		default:
			vertN++
			if isWhite {
				vert++
			}
		}
		if isWhite {
			whiteN++
		}
	}
	ec.scleraAny = whiteN / float64(len(white))
	if leftN > 0 {
		ec.scleraLeft = left / leftN
	}
	if rightN > 0 {
		ec.scleraRight = right / rightN
	}
	if vertN > 0 {
		ec.scleraVertical = vert / vertN
	}
	return ec, nil
}

// looksLikeSkin is a broad test for skin of every tone, from pale to very
// dark: orange to yellow hue (25° to 75°), little to moderate chroma (8 to
// 40). Saturated orange cloth (chroma 55 and up) and white, grey or blue
// things are not skin.
func looksLikeSkin(l, a, b float64) bool {
	c := math.Hypot(a, b)
	if l < 12 || l > 92 || c < 8 || c > 40 {
		return false
	}
	h := hueDeg(a, b)
	return h >= 25 && h <= 75
}

// pair marks the blobs that have a partner as a face's two eyes would be:
// of about the same size, side by side (within about 20° of level), 6 to 45
// pupil radii apart (the distance between pupils is about 21 radii of a
// dilated pupil, and a pupil narrows to half that in brighter light).
func pair(cs []*pupil) {
	for i, a := range cs {
		for _, b := range cs[i+1:] {
			if max(a.r, b.r) > 1.6*min(a.r, b.r) {
				continue
			}
			dx, dy := b.cx-a.cx, b.cy-a.cy
			d, rm := math.Hypot(dx, dy), (a.r+b.r)/2
			if d < 6*rm || d > 45*rm || math.Abs(dy) > 0.4*d {
				continue
			}
			a.paired, b.paired = true, true
		}
	}
}

// groupPupils gathers pupils whose correction rectangles (the blob and the
// one-pixel band around it) overlap, so that each rectangle is read and
// written once.
func groupPupils(ps []*pupil, pic image.Rectangle) [][]*pupil {
	type group struct {
		rect image.Rectangle
		ps   []*pupil
	}
	var gs []*group
	for _, p := range ps {
		g := &group{rect: p.bounds.Inset(-2).Intersect(pic), ps: []*pupil{p}}
		for merged := true; merged; {
			merged = false
			for i, o := range gs {
				if o.rect.Overlaps(g.rect) {
					g.rect, g.ps = g.rect.Union(o.rect), append(g.ps, o.ps...)
					gs = append(gs[:i], gs[i+1:]...)
					merged = true
					break
				}
			}
		}
		gs = append(gs, g)
	}
	out := make([][]*pupil, len(gs))
	for i, g := range gs {
		out[i] = g.ps
	}
	return out
}

// correctPupils reads the rectangle around a group of pupils from view,
// turns them grey and writes the rectangle into img.
func correctPupils(img, view *vips.ImageRef, ps []*pupil) error {
	rect := image.Rectangle{}
	for _, p := range ps {
		rect = rect.Union(p.bounds.Inset(-2))
	}
	rect = rect.Intersect(image.Rect(0, 0, img.Width(), img.Height()))
	src, err := readPatch(view, rect)
	if err != nil {
		return err
	}
	w, h := rect.Dx(), rect.Dy()
	// red: the blobs' pixels; in: with their holes (the glint) filled.
	red := make([]bool, w*h)
	for _, p := range ps {
		for _, r := range p.runs {
			for x := r.x0; x < r.x1; x++ {
				red[(r.y-rect.Min.Y)*w+x-rect.Min.X] = true
			}
		}
	}
	in := slices.Clone(red)
	fillHoles(in, w, h)
	out := src.clone()
	for y := range h {
		for x := range w {
			weight := 0.0
			if red[y*w+x] {
				weight = 1
			} else if in[y*w+x] || touches(in, w, h, x, y) {
				// The glint and the band around the pupil change only as
				// much as they are red: the glint's white stays white.
				r, g, b := src.rgb(rect.Min.X+x, rect.Min.Y+y)
				_, a, bb := toLab(r, g, b)
				weight = smoothstep(redSoft, redMin, redness(a, bb))
			}
			if weight == 0 {
				continue
			}
			r, g, b := src.rgb(rect.Min.X+x, rect.Min.Y+y)
			grey := (float64(g) + float64(b)) / 2
			out.setRGB(rect.Min.X+x, rect.Min.Y+y, mix(r, grey, weight), mix(g, grey, weight), mix(b, grey, weight))
		}
	}
	return writePatch(img, out)
}

func mix(v uint8, to, w float64) uint8 {
	return uint8(math.Round(float64(v) + (to-float64(v))*w))
}

// touches reports whether pixel x,y has a neighbour (of 8) in the mask.
func touches(m []bool, w, h, x, y int) bool {
	for dy := -1; dy <= 1; dy++ {
		for dx := -1; dx <= 1; dx++ {
			nx, ny := x+dx, y+dy
			if nx >= 0 && ny >= 0 && nx < w && ny < h && m[ny*w+nx] {
				return true
			}
		}
	}
	return false
}

// fillHoles sets every pixel of m that cannot reach the border through
// unset pixels (4-connected): the glint inside a pupil.
func fillHoles(m []bool, w, h int) {
	outside := make([]bool, len(m))
	var stack []int
	push := func(i int) {
		if !m[i] && !outside[i] {
			outside[i] = true
			stack = append(stack, i)
		}
	}
	for x := range w {
		push(x)
		push((h-1)*w + x)
	}
	for y := range h {
		push(y * w)
		push(y*w + w - 1)
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		x, y := i%w, i/w
		if x > 0 {
			push(i - 1)
		}
		if x < w-1 {
			push(i + 1)
		}
		if y > 0 {
			push(i - w)
		}
		if y < h-1 {
			push(i + w)
		}
	}
	for i := range m {
		if !outside[i] {
			m[i] = true
		}
	}
}
