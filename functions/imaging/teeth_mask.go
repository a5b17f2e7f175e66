package imaging

import "math"

// The tooth mask learns its thresholds from the pixels inside the box the
// person drew, because no fixed CIELAB gate fits every photograph: teeth
// under a flash are grey (a* near 0), in warm indoor light they are as
// red as pale skin elsewhere (a* up to 12), and the skin around a mouth
// ranges from a* 5 to 20. What holds in every mouth is the order:
//
//   - lips, gums and tongue are the reddest things in the box, so a split
//     of a* into two classes (Otsu's) puts them above it;
//   - the inside of the mouth and the gaps between teeth are the darkest,
//     so a split of L* among the rest puts them below it;
//   - teeth are the whitest of what remains, lighter and less red than
//     skin: a split of L* − 2a* separates them, when that split finds two
//     classes at all (a box drawn tightly around the teeth holds one);
//   - a patch of teeth lies in a mouth, so at least half of what borders
//     it is lips, gums or dark, while a patch of pale skin (under the chin,
//     in a highlight) is bordered by more skin and runs out of the box.
//
// Every size is a fraction of the box's shorter side, so that the same
// photograph at twice the resolution, with the box twice as large, gets
// the same mask.
const (
	ringFrac    = 0.06  // the border of a patch, looked at for lips and dark
	featherFrac = 0.025 // how far the edit fades out beyond the teeth
	minPatch    = 0.002 // the smallest patch, as a share of the box's area
)

// Fixed bounds on the learned thresholds, for boxes that hold less than a
// mouth: without lips the a* split would cut skin in two, without a dark
// inside the L* split would cut teeth in two.
const (
	minClassGap = 8  // a* or L*−2a* means at least this far apart
	minDarkGap  = 25 // L* means at least this far apart
	redFloor    = 8  // lips are redder than this even in cold light
	redCeil     = 30
	darkFloor   = 25
	darkCeil    = 55
	darkDefault = 35
)

// mouthSplits holds the thresholds learned from one box.
type mouthSplits struct {
	red      split // a*: lips, gums, tongue above
	dark     split // L* of the rest: the mouth's dark below
	white    split // L* − 2a* of what is neither: teeth above
	twoWhite bool  // whether white found skin and teeth, or only one of them
}

func learnSplits(labs [][3]float64) mouthSplits {
	var s mouthSplits
	all := func([3]float64) bool { return true }
	s.red = otsu(collect(labs, all, func(p [3]float64) float64 { return p[1] }))
	if s.red.gap() < minClassGap {
		s.red.at = redCeil
	}
	s.red.at = min(max(s.red.at, redFloor), redCeil)
	notRed := func(p [3]float64) bool { return p[1] < s.red.at }
	s.dark = otsu(collect(labs, notRed, func(p [3]float64) float64 { return p[0] }))
	if s.dark.gap() < minDarkGap {
		s.dark.at = darkDefault
	}
	s.dark.at = min(max(s.dark.at, darkFloor), darkCeil)
	neither := func(p [3]float64) bool { return notRed(p) && p[0] >= s.dark.at }
	s.white = otsu(collect(labs, neither, whiteness))
	s.twoWhite = s.white.gap() >= minClassGap
	return s
}

// collect returns value of each colour of labs that keep keeps.
func collect(labs [][3]float64, keep func([3]float64) bool, value func([3]float64) float64) []float64 {
	vs := make([]float64, 0, len(labs))
	for _, p := range labs {
		if keep(p) {
			vs = append(vs, value(p))
		}
	}
	return vs
}

// whiteness is L* − 2a*: teeth score higher than skin of the same
// lightness because they are less red, and higher than skin as red as they
// are because they are lighter.
func whiteness(p [3]float64) float64 { return p[0] - 2*p[1] }

// gate is how much a pixel's own colour is a tooth's, 0 to 1, by the
// learned splits: not red, not dark, and, when the box holds skin as well,
// white. Each test fades over a third of the way to its class's mean, so
// pixels between classes (edges, blur, JPEG) change only partly.
func (s mouthSplits) gate(p [3]float64) float64 {
	l, a := p[0], p[1]
	redFade := max((s.red.at-s.red.low)/3, 1)
	darkFade := max((s.dark.high-s.dark.at)/3, 2)
	g := (1 - smoothstep(s.red.at-redFade, s.red.at, a)) *
		smoothstep(s.dark.at, s.dark.at+darkFade, l)
	if s.twoWhite {
		whiteFade := max((s.white.high-s.white.at)/3, 2)
		g *= smoothstep(s.white.at-whiteFade, s.white.at, whiteness(p))
	}
	return g
}

// toothWeights returns the CIELAB colour of each pixel of p and how much it
// is tooth, 0 to 1, row by row.
func toothWeights(p *patch) (labs [][3]float64, weight []float64) {
	w, h := p.rect.Dx(), p.rect.Dy()
	labs = make([][3]float64, w*h)
	for y := range h {
		for x := range w {
			l, a, b := toLab(p.rgb(p.rect.Min.X+x, p.rect.Min.Y+y))
			labs[y*w+x] = [3]float64{l, a, b}
		}
	}
	s := learnSplits(labs)
	gate := make([]float64, w*h)
	cand := make([]bool, w*h)
	// border: lips, gums, tongue or the dark of the mouth
	border := make([]bool, w*h)
	for i, c := range labs {
		gate[i] = s.gate(c)
		cand[i] = gate[i] >= 0.5
		border[i] = c[1] >= s.red.at || c[0] < s.dark.at
	}
	side := float64(min(w, h))
	ring := max(1, int(math.Round(ringFrac*side)))
	var f blobFinder
	for y := range h {
		f.addRow(cand[y*w : (y+1)*w])
	}
	minArea := max(1, int(minPatch*float64(w*h)))
	member := make([]float64, w*h)
	for _, b := range f.blobs(0, 0, minArea, w*h) {
		if borderShare(b, cand, border, w, h, ring) < 0.5 {
			continue
		}
		for _, r := range b.runs {
			for x := r.x0; x < r.x1; x++ {
				member[r.y*w+x] = 1
			}
		}
	}
	feather := max(1, int(math.Round(featherFrac*side)))
	soft := boxBlur(member, w, h, feather)
	weight = make([]float64, w*h)
	for i := range weight {
		if member[i] == 1 {
			weight[i] = gate[i]
		} else {
			// The fade beyond a patch, held to each pixel's own colour,
			// so that it never reaches into lips or gums.
			weight[i] = min(soft[i], gate[i])
		}
	}
	return labs, weight
}

// borderShare is the share of what lies within ring pixels of b, and is
// not itself of tooth colour, that is lips, gums or dark. What lies outside
// the box counts against: a patch that runs out of the box is skin more
// often than teeth.
func borderShare(b *blob, cand, border []bool, w, h, ring int) float64 {
	r := b.bounds.Inset(-ring)
	mw := r.Dx()
	// in marks b's pixels, then its dilation, on the rectangle r.
	in := make([]bool, mw*r.Dy())
	for _, run := range b.runs {
		for x := run.x0; x < run.x1; x++ {
			in[(run.y-r.Min.Y)*mw+x-r.Min.X] = true
		}
	}
	near := dilate(in, mw, r.Dy(), ring)
	mouth, other := 0, 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			j := (y-r.Min.Y)*mw + x - r.Min.X
			if !near[j] || in[j] {
				continue
			}
			if x < 0 || y < 0 || x >= w || y >= h {
				other++
				continue
			}
			i := y*w + x
			switch {
			case cand[i]:
				// another patch of tooth colour takes no side
			case border[i]:
				mouth++
			default:
				other++
			}
		}
	}
	if mouth+other == 0 {
		return 0
	}
	return float64(mouth) / float64(mouth+other)
}

// dilate returns m grown by r pixels in every direction (a square).
func dilate(m []bool, w, h, r int) []bool { return separable(m, w, h, r, runMax) }

// boxBlur returns the mean of v over the (2r+1)² square around each pixel,
// the square clipped to the picture.
func boxBlur(v []float64, w, h, r int) []float64 { return separable(v, w, h, r, runMean) }

// separable applies a running window of radius r along the rows of a w×h
// picture, then along the columns of the result.
func separable[T any](v []T, w, h, r int, run func(src, dst []T, stride, n, r int)) []T {
	rows := make([]T, len(v))
	for y := range h {
		run(v[y*w:(y+1)*w], rows[y*w:(y+1)*w], 1, w, r)
	}
	out := make([]T, len(v))
	for x := range w {
		run(rows[x:], out[x:], w, h, r)
	}
	return out
}

// runMax sets dst[i·stride] for i < n when any src[j·stride] with
// |i−j| ≤ r is set.
func runMax(src, dst []bool, stride, n, r int) {
	count := 0
	for j := 0; j < min(r, n); j++ {
		if src[j*stride] {
			count++
		}
	}
	for i := range n {
		if j := i + r; j < n && src[j*stride] {
			count++
		}
		if j := i - r - 1; j >= 0 && src[j*stride] {
			count--
		}
		dst[i*stride] = count > 0
	}
}

// runMean sets dst[i·stride] to the mean of src[j·stride] with |i−j| ≤ r
// and 0 ≤ j < n.
func runMean(src, dst []float64, stride, n, r int) {
	sum, cnt := 0.0, 0
	for j := 0; j < min(r, n); j++ {
		sum += src[j*stride]
		cnt++
	}
	for i := range n {
		if j := i + r; j < n {
			sum += src[j*stride]
			cnt++
		}
		if j := i - r - 1; j >= 0 {
			sum -= src[j*stride]
			cnt--
		}
		dst[i*stride] = sum / float64(cnt)
	}
}
