package autoscaler

import "time"

// window averages a level (a backlog, a rate) over the last length of time.
// The stable and the panic window are two windows of this type over the same
// observations, at two lengths.
//
// Observations are grouped in buckets of BucketWidth; a bucket's value is the
// mean of the observations taken in it, and the window's average is the mean
// of the buckets that started within the window and hold any: a 60s window
// is 60 buckets, never a 61st half in it. So the average weighs every second
// alike whether the queue was read once in it or twenty times (as it is
// while activating from zero), and a window that began less than length ago
// averages over the part it has, as Knative's does. Worked through: length
// 3s, reads of 4 and 2 in the first second and 6 in the second give buckets
// 3 and 6 and an average of 4.5; a third second at 0 brings it to 3.
type window struct {
	length  time.Duration
	buckets []bucket // oldest first
}

type bucket struct {
	start time.Time
	sum   float64
	n     int
}

func newWindow(length time.Duration) window {
	return window{length: length}
}

// record adds the value v observed at t. An observation older than the
// newest bucket counts in the newest: the windows only move forward.
func (w *window) record(t time.Time, v float64) {
	start := t.Truncate(BucketWidth)
	if n := len(w.buckets); n > 0 && !start.After(w.buckets[n-1].start) {
		w.buckets[n-1].sum += v
		w.buckets[n-1].n++
	} else {
		w.buckets = append(w.buckets, bucket{start: start, sum: v, n: 1})
	}
	w.trim(t)
}

// trim drops the buckets that started before the window that ends at now.
func (w *window) trim(now time.Time) {
	cut := now.Add(-w.length)
	i := 0
	for i < len(w.buckets) && !w.buckets[i].start.After(cut) {
		i++
	}
	if i > 0 {
		w.buckets = append(w.buckets[:0], w.buckets[i:]...)
	}
}

// reset forgets every observation.
func (w *window) reset() { w.buckets = w.buckets[:0] }

// average is the mean of the buckets in the window that ends at now, and
// false when none holds an observation.
func (w *window) average(now time.Time) (float64, bool) {
	cut := now.Add(-w.length)
	var sum float64
	n := 0
	for _, b := range w.buckets {
		if !b.start.After(cut) || b.start.After(now) {
			continue
		}
		sum += b.sum / float64(b.n)
		n++
	}
	if n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}
