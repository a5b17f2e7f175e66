package quota

import (
	"context"
	"slices"
	"time"
)

// Batch is one upload request's reservations: every file it accepts
// reserves its bytes and a slot in the hour before it is written, and the
// batch ends with Commit (what was written stays counted) or Release
// (nothing of it was kept). A batch is used by one goroutine.
type Batch struct {
	t       *Tracker
	owner   string
	a       *account
	bytes   int64
	uploads []time.Time
	done    bool
}

// Begin starts owner's upload batch, refusing at once when the owner has
// no room left for even one more upload, before any byte is read.
func (t *Tracker) Begin(ctx context.Context, owner string) (*Batch, error) {
	a, err := t.lock(ctx, owner)
	if err != nil {
		return nil, err
	}
	defer a.mu.Unlock()
	lim := t.Limits(owner)
	// One byte and one upload: the least a file needs.
	if err := t.fits(a, lim, 1, 1, 0, 0); err != nil {
		return nil, err
	}
	a.batches++
	return &Batch{t: t, owner: owner, a: a}, nil
}

// fits says whether n more bytes and k more uploads fit the limits lim,
// given that the batch asking holds bb bytes and bu uploads already, which
// the error counts as requested rather than used. a is locked.
func (t *Tracker) fits(a *account, lim Limits, n, k, bb, bu int64) error {
	now := t.now()
	if lim.UploadsPerHour > 0 && int64(len(a.uploads))+k > lim.UploadsPerHour {
		used := int64(len(a.uploads)) - bu
		// The oldest upload of the hour leaves it first; if they are all
		// this batch's, the batch is larger than the quota itself.
		retry := time.Duration(0)
		if used > 0 {
			retry = max(a.uploads[0].Add(time.Hour).Sub(now), time.Second)
		}
		return &Exceeded{Quota: UploadsPerHour, Limit: lim.UploadsPerHour, Used: used, Requested: bu + k, RetryAfter: retry}
	}
	if lim.StoredBytes > 0 && a.stored+a.reserved+n > lim.StoredBytes {
		return &Exceeded{Quota: StoredBytes, Limit: lim.StoredBytes, Used: a.stored + a.reserved - bb, Requested: bb + n}
	}
	return nil
}

// Reserve holds n bytes and one upload for a file of the batch, or says
// which quota it would go over. Once Reserve fails the batch must be
// released: nothing of it may be kept.
func (b *Batch) Reserve(n int64) error {
	a := b.a
	a.mu.Lock()
	defer a.mu.Unlock()
	now := b.t.now()
	a.prune(now)
	if err := b.t.fits(a, b.t.Limits(b.owner), n, 1, b.bytes, int64(len(b.uploads))); err != nil {
		return err
	}
	a.reserved += n
	a.uploads = append(a.uploads, now)
	b.bytes += n
	b.uploads = append(b.uploads, now)
	return nil
}

// Commit counts the batch's reservations as stored. Commit or Release
// after either is a no-op, so `defer b.Release()` is safe.
func (b *Batch) Commit() { b.end(true) }

// Release gives back everything the batch reserved.
func (b *Batch) Release() { b.end(false) }

func (b *Batch) end(keep bool) {
	if b.done {
		return
	}
	b.done = true
	a := b.a
	a.mu.Lock()
	defer a.mu.Unlock()
	a.batches--
	a.reserved -= b.bytes
	if keep {
		a.stored += b.bytes
		return
	}
	for _, at := range b.uploads {
		a.uploads = removeOne(a.uploads, at)
	}
}

// removeOne removes one instance of at from the sorted times ts.
func removeOne(ts []time.Time, at time.Time) []time.Time {
	i, ok := slices.BinarySearchFunc(ts, at, time.Time.Compare)
	if !ok {
		return ts
	}
	return slices.Delete(ts, i, i+1)
}
