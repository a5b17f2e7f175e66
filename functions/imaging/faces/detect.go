package faces

import (
	"image"
	"math"
	"sync"
)

// Detection is a face or an eye found, in the coordinates of the picture
// given (a sub-image's own).
type Detection struct {
	image.Rectangle
	// Votes is how many overlapping windows, at neighbouring positions and
	// sizes, passed the cascade here: a real face gets many, a face seen
	// in a pattern few.
	Votes int
}

// Faces finds frontal faces in g at least minSide pixels wide (never less
// than the cascade's 20-pixel window), largest first.
func Faces(g *image.Gray, minSide int) ([]Detection, error) {
	return Search{MinSide: minSide}.Faces(g)
}

// Eyes finds open eyes in g at least minSide pixels wide (never less than
// the cascade's 20-pixel window), largest first.
func Eyes(g *image.Gray, minSide int) ([]Detection, error) {
	return Search{MinSide: minSide}.Eyes(g)
}

// Search says which windows a search tries.
type Search struct {
	// First anchors the sizes tried: First, 1.2 × First, 1.44 × First, …
	// (MinSide when 0). The cascade's votes depend on which sizes it is
	// tried at, so a caller that has checked its pictures at one anchor
	// keeps it while leaving out the smallest sizes with MinSide.
	First int
	// MinSide is the smallest size kept: sizes under it are skipped.
	MinSide int
	// Keep, when not nil, is asked about each window, in g's coordinates,
	// before the cascade runs on it; a window it turns down is not
	// looked at. A caller that only wants faces with something in them
	// (red in the eyes) saves the cascade's time on every other window.
	// It is asked for each of hundreds of thousands of windows, so it
	// must be cheap: a look-up in an integral image, say.
	Keep func(image.Rectangle) bool
}

// Faces finds frontal faces in g as s says, largest first.
func (s Search) Faces(g *image.Gray) ([]Detection, error) {
	return detect(g, frontalFace, s, facePolicy)
}

// Eyes finds open eyes in g as s says, largest first.
func (s Search) Eyes(g *image.Gray) ([]Detection, error) {
	return detect(g, eye, s, eyePolicy)
}

// policy is how a search walks the sizes and which groups of windows it
// keeps.
type policy struct {
	scaleStep float64 // each size this much larger than the one before
	minVotes  int     // windows a group needs to count
}

// Sizes 20 % apart, coarser than OpenCV's default of 10 % (its users often
// take 1.2 or 1.3 where speed matters), which costs a few votes per face
// and saves half the work; groups of at least three windows, as OpenCV's
// default of three neighbours is (four windows) at the finer step.
var (
	facePolicy = policy{scaleStep: 1.2, minVotes: 3}
	eyePolicy  = policy{scaleStep: 1.2, minVotes: 3}
)

func detect(g *image.Gray, name string, s Search, p policy) ([]Detection, error) {
	c, err := load(name)
	if err != nil {
		return nil, err
	}
	first, minSide := s.First, s.MinSide
	if first == 0 {
		first = minSide
	}
	w, h := g.Rect.Dx(), g.Rect.Dy()
	// The tables are taken from a pool and given back at the end: a search
	// allocates none of its own once the pool holds a set as large.
	buf := buffers.Get().(*tables)
	defer buffers.Put(buf)
	// The pyramid's levels are averaged from the picture's sums; only the
	// levels need squares, for the windows' contrast.
	base := buf.base.of(g, w+1)
	// Every level is laid out with the largest level's stride, so that the
	// cascade's offsets are worked out once, and built into the same
	// tables, which the first level sizes.
	var lv *level
	stride := 0
	var hits []image.Rectangle
	f := max(1, float64(first)/float64(c.Width))
	for ; float64(c.Width)*f <= float64(w) && float64(c.Height)*f <= float64(h); f *= p.scaleStep {
		if float64(c.Width)*f < float64(minSide) {
			continue
		}
		sw, sh := int(float64(w)/f), int(float64(h)/f)
		if sw < c.Width || sh < c.Height {
			break
		}
		// A window of the level, in g's coordinates.
		window := func(x, y int) image.Rectangle {
			fx, fy := float64(x)*f, float64(y)*f
			return image.Rect(int(fx), int(fy), int(fx+float64(c.Width)*f), int(fy+float64(c.Height)*f)).Add(g.Rect.Min)
		}
		// Rows of windows y0 ≤ y < y1 are tried.
		y0, y1 := 0, sh-c.Height+1
		var keep func(x, y int) bool
		if s.Keep != nil {
			keep = func(x, y int) bool { return s.Keep(window(x, y)) }
			if y0, y1 = c.keptRows(sw, sh, keep); y0 >= y1 {
				continue // the level is not worth building
			}
		}
		if lv == nil {
			stride = sw + 1
			lv = buf.layOut(c, stride)
		}
		// Only the rows those windows cover are built.
		level := base.shrink(&buf.level, &buf.xs, sw, sh, y0, y1+c.Height-1, stride)
		buf.found = c.scan(level, lv, func(x, y int) bool { return keep == nil || keep(x, y+y0) }, buf.found[:0])
		for _, pt := range buf.found {
			hits = append(hits, window(pt.X, pt.Y+y0))
		}
	}
	return group(hits, p.minVotes), nil
}

// tables are the buffers a search builds its integral images in, kept in
// buffers between searches: the picture's sums, one level's sums and
// squares (every level in turn), the level's block edges and the windows
// found on it.
type tables struct {
	base, level integral
	xs          []int
	found       []image.Point
	// laid is the cascade last laid out, for its stride: a search of a
	// picture of the same size as the one before lays it out again only
	// if it is another cascade.
	laid *level
}

// layOut returns c laid out for stride, the one it laid out last if that
// was the same.
func (t *tables) layOut(c *cascade, stride int) *level {
	if lv := t.laid; lv == nil || lv.c != c || lv.stride != stride {
		t.laid = c.layOut(stride)
	}
	return t.laid
}

var buffers = sync.Pool{New: func() any { return new(tables) }}

// grow returns buf with room for n values, reallocated only when it has
// less; what it holds is left as it was.
func grow[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	return buf[:n]
}

// Windows move two pixels of a level at a time, a tenth of the window:
// the cascade tolerates that much, and it quarters the work.
const step = 2

// keptRows returns the first row of windows of a sw×sh level that keep
// keeps any of, and one past the last: y0 ≥ y1 when it keeps none.
func (c *cascade) keptRows(sw, sh int, keep func(x, y int) bool) (y0, y1 int) {
	any := func(y int) bool {
		for x := 0; x+c.Width <= sw; x += step {
			if keep(x, y) {
				return true
			}
		}
		return false
	}
	last := (sh - c.Height) / step * step
	for y0 = 0; y0 <= last && !any(y0); y0 += step {
	}
	if y0 > last {
		return 0, 0
	}
	for y1 = last; y1 > y0 && !any(y1); y1 -= step {
	}
	return y0, y1 + 1
}

// integral holds a grey picture's integral image, of its values and their
// squares: the sum over any rectangle in four look-ups.
type integral struct {
	w, h   int // the picture's size; the tables are h+1 rows of stride
	sum    []int32
	sq     []float64
	stride int
}

// of makes it g's integral, its rows stride apart (at least g's width +
// 1), without squares, in its own tables (grown if need be), and returns
// it.
func (it *integral) of(g *image.Gray, stride int) *integral {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	it.w, it.h, it.stride = w, h, stride
	it.sum = grow(it.sum, stride*(h+1))
	it.sq = nil
	clear(it.sum[:w+1])
	for y := range h {
		row := g.Pix[y*g.Stride : y*g.Stride+w]
		above := it.sum[y*stride : y*stride+w+1]
		out := it.sum[(y+1)*stride : (y+1)*stride+w+1]
		out[0] = 0
		var s int32
		for x, v := range row {
			s += int32(v)
			out[x+1] = above[x+1] + s
		}
	}
	return it
}

// rectSum is the sum over the rectangle x0 ≤ x < x1, y0 ≤ y < y1.
func (it *integral) rectSum(x0, y0, x1, y1 int) int32 {
	s := it.stride
	return it.sum[y1*s+x1] - it.sum[y0*s+x1] - it.sum[y1*s+x0] + it.sum[y0*s+x0]
}

// shrink makes out the integral, with squares and rows stride apart, of
// rows y0 ≤ y < y1 of the picture shrunk to sw×sh, each pixel the mean of
// the block of the original it covers (blocks at whole pixels, so some
// are one pixel wider than others), and returns it. The shrunk pixels are
// summed as they are worked out, with no picture of their own; out's
// tables and *xs are reused, grown if need be.
func (it *integral) shrink(out *integral, xs *[]int, sw, sh, y0, y1, stride int) *integral {
	h := y1 - y0
	out.w, out.h, out.stride = sw, h, stride
	out.sum = grow(out.sum, stride*(h+1))
	out.sq = grow(out.sq, stride*(h+1))
	clear(out.sum[:sw+1])
	clear(out.sq[:sw+1])
	*xs = grow(*xs, sw+1)
	edges := *xs
	for x := range edges {
		edges[x] = x * it.w / sw
	}
	s := it.stride
	for y := y0; y < y1; y++ {
		top, bottom := y*it.h/sh, (y+1)*it.h/sh
		rt, rb := it.sum[top*s:top*s+it.w+1], it.sum[bottom*s:bottom*s+it.w+1]
		i := (y - y0 + 1) * stride
		sumAbove, sum := out.sum[i-stride:i-stride+sw+1], out.sum[i:i+sw+1]
		sqAbove, sq := out.sq[i-stride:i-stride+sw+1], out.sq[i:i+sw+1]
		sum[0], sq[0] = 0, 0
		rows := int32(bottom - top)
		var rs int32
		var rq float64
		x0 := edges[0]
		for x := range sw {
			x1 := edges[x+1]
			n := int32(x1-x0) * rows
			v := uint8((rb[x1] - rt[x1] - rb[x0] + rt[x0] + n/2) / n)
			x0 = x1
			rs += int32(v)
			sum[x+1] = sumAbove[x+1] + rs
			rq += float64(v) * float64(v)
			sq[x+1] = sqAbove[x+1] + rq
		}
	}
	return out
}

// levelNode is a tree node laid out for one level of the pyramid: its
// feature's rectangles as offsets into the level's integral, from the
// window's top left, so that evaluating it is a few look-ups.
type levelNode struct {
	rects       [3]levelRect
	n           int32 // rectangles used
	left, right int16 // as in node, relative to the tree's first node
	threshold   float32
}

type levelRect struct {
	a, b, c, d int32 // the corners: top left, top right, bottom left, bottom right
	weight     float32
}

type levelTree struct {
	node, leaf int32 // the tree's first node and leaf in the flat lists
}

type levelStage struct {
	trees, n  int32 // the stage's first tree and how many
	threshold float32
}

// level is the whole cascade laid out for one integral's stride.
type level struct {
	c      *cascade
	stride int
	nodes  []levelNode
	leaves []float32
	trees  []levelTree
	stages []levelStage
}

func (c *cascade) layOut(stride int) *level {
	lv := &level{c: c, stride: stride}
	for _, st := range c.Stages {
		lv.stages = append(lv.stages, levelStage{trees: int32(len(lv.trees)), n: int32(len(st.Trees)), threshold: st.Threshold})
		for _, t := range st.Trees {
			lv.trees = append(lv.trees, levelTree{node: int32(len(lv.nodes)), leaf: int32(len(lv.leaves))})
			lv.leaves = append(lv.leaves, t.Leaves...)
			for _, n := range t.Nodes {
				ln := levelNode{left: n.Left, right: n.Right, threshold: n.Threshold}
				for _, r := range c.Features[n.Feature].Rects {
					if ln.n == int32(len(ln.rects)) {
						break // check allows no more than three
					}
					x0, y0, x1, y1 := int32(r.X), int32(r.Y), int32(r.X)+int32(r.W), int32(r.Y)+int32(r.H)
					s := int32(stride)
					ln.rects[ln.n] = levelRect{a: y0*s + x0, b: y0*s + x1, c: y1*s + x0, d: y1*s + x1, weight: r.Weight}
					ln.n++
				}
				lv.nodes = append(lv.nodes, ln)
			}
		}
	}
	return lv
}

// scan appends to found the top-left corners of the windows of the level
// that pass every stage of lv (laid out for it.stride), trying every
// step-th position that keep (if not nil) keeps, and returns it.
func (c *cascade) scan(it *integral, lv *level, keep func(x, y int) bool, found []image.Point) []image.Point {
	s := it.stride
	// The contrast is measured over the window less a one-pixel border.
	area := float64((c.Width - 2) * (c.Height - 2))
	for y := 0; y+c.Height <= it.h; y += step {
		for x := 0; x+c.Width <= it.w; x += step {
			if keep != nil && !keep(x, y) {
				continue
			}
			sum := float64(it.rectSum(x+1, y+1, x+c.Width-1, y+c.Height-1))
			s2 := it.sq[(y+c.Height-1)*s+x+c.Width-1] - it.sq[(y+1)*s+x+c.Width-1] - it.sq[(y+c.Height-1)*s+x+1] + it.sq[(y+1)*s+x+1]
			norm := area*s2 - sum*sum
			if norm <= 0 {
				continue // a flat window holds no face
			}
			if lv.passes(it.sum[y*s+x:], float32(math.Sqrt(norm))) {
				found = append(found, image.Pt(x, y))
			}
		}
	}
	return found
}

// passes runs the window whose top left is sum[0] through the stages.
// Features are compared unnormalised against thresholds scaled by the
// window's contrast norm: the same test as dividing each feature by it,
// with one multiplication per node.
func (lv *level) passes(sum []int32, norm float32) bool {
	nodes, leaves, trees := lv.nodes, lv.leaves, lv.trees
	for i := range lv.stages {
		st := &lv.stages[i]
		votes := float32(0)
		for _, t := range trees[st.trees : st.trees+st.n] {
			n := &nodes[t.node]
			for {
				// Every feature has two rectangles, some a third; an
				// unused one has weight 0 and reads corner 0 four times.
				r := &n.rects
				v := r[0].weight*float32(sum[r[0].d]-sum[r[0].b]-sum[r[0].c]+sum[r[0].a]) +
					r[1].weight*float32(sum[r[1].d]-sum[r[1].b]-sum[r[1].c]+sum[r[1].a])
				if n.n == 3 {
					v += r[2].weight * float32(sum[r[2].d]-sum[r[2].b]-sum[r[2].c]+sum[r[2].a])
				}
				k := n.right
				if v < n.threshold*norm {
					k = n.left
				}
				if k <= 0 {
					votes += leaves[t.leaf-int32(k)]
					break
				}
				n = &nodes[t.node+int32(k)]
			}
		}
		if votes < st.threshold {
			return false
		}
	}
	return true
}
