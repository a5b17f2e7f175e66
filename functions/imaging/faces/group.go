package faces

import (
	"image"
	"slices"
)

// groupEps is how far two windows may differ, on each side, as a share of
// their size, and still be the same face.
const groupEps = 0.2

// group merges the windows that passed into detections: windows alike in
// position and size are one face, placed at their mean; a group of fewer
// than minVotes windows is dropped, and so is a detection inside a larger
// one with at least as many votes (an eye-sized "face" on a face).
func group(hits []image.Rectangle, minVotes int) []Detection {
	parent := make([]int, len(hits))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for i := range hits {
		for j := i + 1; j < len(hits); j++ {
			if alike(hits[i], hits[j]) {
				parent[find(i)] = find(j)
			}
		}
	}
	type acc struct{ x0, y0, x1, y1, n int }
	sums := map[int]*acc{}
	var order []int
	for i, r := range hits {
		k := find(i)
		a := sums[k]
		if a == nil {
			a = &acc{}
			sums[k] = a
			order = append(order, k)
		}
		a.x0, a.y0, a.x1, a.y1, a.n = a.x0+r.Min.X, a.y0+r.Min.Y, a.x1+r.Max.X, a.y1+r.Max.Y, a.n+1
	}
	var ds []Detection
	for _, k := range order {
		a := sums[k]
		if a.n < minVotes {
			continue
		}
		n2 := a.n / 2
		ds = append(ds, Detection{Rectangle: image.Rect((a.x0+n2)/a.n, (a.y0+n2)/a.n, (a.x1+n2)/a.n, (a.y1+n2)/a.n), Votes: a.n})
	}
	var out []Detection
	for i, d := range ds {
		inside := false
		for j, o := range ds {
			if i != j && o.Dx() > d.Dx() && o.Votes >= d.Votes && d.In(o.Inset(-o.Dx()/5)) {
				inside = true
				break
			}
		}
		if !inside {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b Detection) int { return b.Dx()*b.Dy() - a.Dx()*a.Dy() })
	return out
}

// alike reports whether two windows are the same thing found twice.
func alike(a, b image.Rectangle) bool {
	d := groupEps * float64(min(a.Dx(), b.Dx())+min(a.Dy(), b.Dy())) / 2
	near := func(u, v int) bool { return float64(abs(u-v)) <= d }
	return near(a.Min.X, b.Min.X) && near(a.Min.Y, b.Min.Y) && near(a.Max.X, b.Max.X) && near(a.Max.Y, b.Max.Y)
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
