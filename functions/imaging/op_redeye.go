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
// draw them, it corrects every round red spot inside them. Without, it
// finds the faces first, at least 3.5 % of the picture's longer side, with
// OpenCV's trained Haar cascades run in Go on a small grey copy (package
// faces), and looks for red pupils only in each face's two eye boxes; in a
// close-up with no whole face, in the eyes the eye cascade finds. In an eye
// box a red blob counts as a pupil if it is round, of a pupil's size for
// the box (its radius 3.5 % to 25 % of the box's width), ringed by what is
// neither red nor vivid, and redder than that ring by 15; the one nearest
// the box's middle is taken. Every size is a fraction of
// the face, the eye or the pupil, so the same photograph at any resolution
// gets the same edit, and red things away from eyes are never looked at.
//
// A corrected pupil takes, in every pixel, the grey of that pixel's own
// green and blue: the red from the flash goes, the texture and the
// specular glint (already white) stay. Pixels inside the blob change
// wholly; a band around it, a fifth of the pupil's radius wide and at least
// a pixel, changes in proportion to its redness, which feathers the edge
// into the iris. Nothing else changes, not even by rounding: the op reads
// the pixels it decides on into Go and writes back only the rectangles
// around the pupils it corrects.
//
// Finding costs a face search on the grey copy and a read of the eye boxes
// at full resolution; see docs/imaging-detection.md and BenchmarkOps.
type Redeye struct {
	Regions []Box `json:"regions,omitempty" max:"50" help:"Boxes around eyes, in pixels; only red pupils inside them are corrected. Left out, red pupils are found automatically."`
}

// Name returns "redeye".
func (*Redeye) Name() string { return "redeye" }

// pupil is a red blob taken for a pupil.
type pupil struct {
	*blob
	r float64 // radius, from the bounding box
}

func (e *Redeye) apply(img *vips.ImageRef) error {
	view, err := colourView(img)
	if err != nil || view == nil {
		return err
	}
	defer view.Close()
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
		_, bs, err := redBlobs(view, r, 4, r.Dx()*r.Dy())
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			if c := asPupil(b, 2.0, 0.5); c != nil {
				found = append(found, c)
			}
		}
	}
	return found, nil
}

// redBlobs reads r from view and returns it with its blobs of red pixels
// (isRedPixel) of minArea to maxArea pixels, in view's coordinates.
func redBlobs(view *vips.ImageRef, r image.Rectangle, minArea, maxArea int) (*patch, []*blob, error) {
	p, err := readPatch(view, r)
	if err != nil {
		return nil, nil, err
	}
	var f blobFinder
	row := make([]bool, r.Dx())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := range row {
			row[x] = isRedPixel(p.rgb(r.Min.X+x, y))
		}
		f.addRow(row)
	}
	return p, f.blobs(r.Min.X, r.Min.Y, minArea, maxArea), nil
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
	// A disc drawn in pixels overfills its ellipse by its partly covered
	// edge pixels, about half a pixel all round: 1.14 for a disc 7 pixels
	// across. A rectangle overfills it by 4/π, 1.27, at any size.
	maxFill := 1.12 + 0.5/(float64(w+h)/4)
	if fill < minFill || fill > maxFill || b.elongation() > maxElong {
		return nil
	}
	if float64(max(w, h)) > maxElong*float64(min(w, h)) {
		return nil
	}
	return &pupil{blob: b, r: float64(w+h) / 4}
}

// smallBlob is the area below which a blob's shape is measured only roughly.
const smallBlob = 40

// band is how far beyond the pupil's red the correction fades out: a fifth
// of its radius, so that the soft edge of a large pupil (blur, JPEG) is
// feathered as much as that of a small one, and at least a pixel.
func (p *pupil) band() int { return max(1, int(math.Ceil(0.2*p.r))) }

// groupPupils gathers pupils whose correction rectangles (the blob and the
// band around it) overlap, so that each rectangle is read and
// written once.
func groupPupils(ps []*pupil, pic image.Rectangle) [][]*pupil {
	type group struct {
		rect image.Rectangle
		ps   []*pupil
	}
	var gs []*group
	for _, p := range ps {
		g := &group{rect: p.bounds.Inset(-p.band() - 1).Intersect(pic), ps: []*pupil{p}}
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
	rect, band := image.Rectangle{}, 1
	for _, p := range ps {
		rect = rect.Union(p.bounds.Inset(-p.band() - 1))
		band = max(band, p.band())
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
	near := dilate(in, w, h, band)
	out := src.clone()
	for y := range h {
		for x := range w {
			weight := 0.0
			if red[y*w+x] {
				weight = 1
			} else if near[y*w+x] {
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
			if in[y*w+x] && !red[y*w+x] {
				// The glint loses its pink but keeps its lightness, so
				// that it stays as bright as the flash made it.
				l, _, _ := toLab(r, g, b)
				v, _, _ := fromLab(l, 0, 0)
				grey = float64(v)
			}
			out.setRGB(rect.Min.X+x, rect.Min.Y+y, mix(r, grey, weight), mix(g, grey, weight), mix(b, grey, weight))
		}
	}
	return writePatch(img, out)
}

func mix(v uint8, to, w float64) uint8 {
	return uint8(math.Round(float64(v) + (to-float64(v))*w))
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
