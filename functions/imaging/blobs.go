package imaging

import (
	"image"
	"math"
)

// blobFinder labels the 8-connected blobs of a binary mask fed to it row by
// row, top to bottom, as runs of set pixels. It holds the previous row's
// runs and a union-find over labels, never a label per pixel, so a 12 MP
// picture costs memory in proportion to its red runs, not its pixels.
type blobFinder struct {
	runs   []run
	prev   []int // indexes into runs of the previous row's runs
	cur    []int
	parent []int // union-find over labels
	y      int   // the next row
}

// run is pixels x0 ≤ x < x1 of row y, all set.
type run struct {
	y, x0, x1 int
	label     int
}

func (f *blobFinder) find(l int) int {
	for f.parent[l] != l {
		f.parent[l] = f.parent[f.parent[l]]
		l = f.parent[l]
	}
	return l
}

// addRow records row f.y's runs, the set pixels of set.
func (f *blobFinder) addRow(set []bool) {
	f.cur = f.cur[:0]
	for x, width := 0, len(set); x < width; {
		if !set[x] {
			x++
			continue
		}
		x0 := x
		for x < width && set[x] {
			x++
		}
		f.addRun(x0, x)
	}
	f.prev, f.cur = f.cur, f.prev
	f.y++
}

func (f *blobFinder) addRun(x0, x1 int) {
	label := -1
	for _, pi := range f.prev {
		p := f.runs[pi]
		// 8-connected: touching diagonally counts.
		if p.x0 > x1 || p.x1 < x0 {
			continue
		}
		pl := f.find(p.label)
		switch {
		case label < 0:
			label = pl
		case pl != label:
			f.parent[pl] = label
		}
	}
	if label < 0 {
		label = len(f.parent)
		f.parent = append(f.parent, label)
	}
	f.cur = append(f.cur, len(f.runs))
	f.runs = append(f.runs, run{y: f.y, x0: x0, x1: x1, label: label})
}

// blob is one connected set of pixels, with the statistics the shape tests
// need.
type blob struct {
	runs   []run
	bounds image.Rectangle
	area   int
	cx, cy float64 // centroid, in pixel coordinates (pixel centres at +0.5)
	// central second moments, for how elongated the blob is
	mxx, myy, mxy float64
}

// blobs returns the blobs found, offset by (dx, dy), skipping those with
// fewer than minArea or more than maxArea pixels.
func (f *blobFinder) blobs(dx, dy, minArea, maxArea int) []*blob {
	byLabel := map[int]*blob{}
	var order []*blob
	for _, r := range f.runs {
		l := f.find(r.label)
		b := byLabel[l]
		if b == nil {
			b = &blob{}
			byLabel[l] = b
			order = append(order, b)
		}
		b.area += r.x1 - r.x0
		if b.area <= maxArea {
			b.runs = append(b.runs, run{y: r.y + dy, x0: r.x0 + dx, x1: r.x1 + dx})
		}
	}
	var out []*blob
	for _, b := range order {
		if b.area < minArea || b.area > maxArea {
			continue
		}
		b.measure()
		out = append(out, b)
	}
	return out
}

func (b *blob) measure() {
	var sx, sy, sxx, syy, sxy float64
	b.bounds = image.Rectangle{}
	for _, r := range b.runs {
		b.bounds = b.bounds.Union(image.Rect(r.x0, r.y, r.x1, r.y+1))
		n := float64(r.x1 - r.x0)
		y := float64(r.y) + 0.5
		// Σx and Σx² over the pixel centres x0+0.5 … x1−0.5, in closed form.
		s1 := n * (float64(r.x0+r.x1) / 2)
		s2 := squares(r.x1) - squares(r.x0) + s1 - n/4
		sx += s1
		sy += n * y
		sxx += s2
		syy += n * y * y
		sxy += s1 * y
	}
	a := float64(b.area)
	b.cx, b.cy = sx/a, sy/a
	b.mxx = sxx/a - b.cx*b.cx
	b.myy = syy/a - b.cy*b.cy
	b.mxy = sxy/a - b.cx*b.cy
}

// squares returns Σ k² for 0 ≤ k < n.
func squares(n int) float64 {
	k := float64(n - 1)
	return k * (k + 1) * (2*k + 1) / 6
}

// elongation is the ratio of the blob's longest to shortest axis, from its
// second moments: 1 for a disc, 3 for a 3:1 ellipse.
func (b *blob) elongation() float64 {
	tr, det := b.mxx+b.myy, b.mxx*b.myy-b.mxy*b.mxy
	disc := math.Sqrt(max(tr*tr/4-det, 0))
	l1, l2 := tr/2+disc, tr/2-disc
	if l2 <= 1e-9 {
		return math.Inf(1)
	}
	return math.Sqrt(l1 / l2)
}
