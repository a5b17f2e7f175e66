package imaging

import "slices"

// split is a threshold learned from a picture's own values: the one that
// best separates them into a low and a high class (Otsu's method: the
// largest variance between the classes), with the mean of each class.
type split struct {
	at        float64 // values below are low, at or above high
	low, high float64 // the classes' means
}

// gap is how far apart the classes' means are: small when the values were
// one class and the split only cut its noise in two.
func (s split) gap() float64 { return s.high - s.low }

// otsu splits vs, which it sorts. With fewer than two distinct values there
// is nothing to split: both means are the one value.
func otsu(vs []float64) split {
	if len(vs) == 0 {
		return split{}
	}
	slices.Sort(vs)
	n := float64(len(vs))
	total := 0.0
	for _, v := range vs {
		total += v
	}
	best := split{at: vs[0], low: total / n, high: total / n}
	bestVar, sumLow := -1.0, 0.0
	for i := 0; i < len(vs)-1; i++ {
		sumLow += vs[i]
		if vs[i] == vs[i+1] {
			continue
		}
		nl := float64(i + 1)
		ml, mh := sumLow/nl, (total-sumLow)/(n-nl)
		if v := nl * (n - nl) * (mh - ml) * (mh - ml); v > bestVar {
			bestVar = v
			best = split{at: (vs[i] + vs[i+1]) / 2, low: ml, high: mh}
		}
	}
	return best
}
