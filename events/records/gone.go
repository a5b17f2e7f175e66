package records

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pixmill/pixmill/events/fault"
)

// Gone is the tombstone of a deleted or expired image or job: all that is
// kept of it, so that a read can tell its owner why it is gone instead of
// only that it is unknown, and so that a task of a deleted job still queued
// or running knows to write nothing.
type Gone struct {
	ID    string    `json:"id"`
	Owner string    `json:"owner"`
	At    time.Time `json:"at"`
	// Retention is the retention it expired under; empty when its owner
	// deleted it.
	Retention time.Duration `json:"retention,omitempty"`
}

// GoneError is the fault.NotFound error of a read of something its owner
// deleted, or that expired: its message says which, and when.
type GoneError struct {
	// What is "image" or "job".
	What string
	Gone Gone
}

func (e *GoneError) Error() string {
	day := e.Gone.At.UTC().Format(time.DateOnly)
	if e.Gone.Retention > 0 {
		return fmt.Sprintf("%s %q expired on %s under the %s retention", e.What, e.Gone.ID, day, RetentionName(e.Gone.Retention))
	}
	return fmt.Sprintf("%s %q was deleted on %s", e.What, e.Gone.ID, day)
}

// Unwrap gives the fault.NotFound the error is, for fault.KindOf.
func (e *GoneError) Unwrap() error { return fault.New(fault.NotFound, "%s", e.Error()) }

// AsGone returns the GoneError in err's chain, if any.
func AsGone(err error) (*GoneError, bool) {
	var g *GoneError
	ok := errors.As(err, &g)
	return g, ok
}

// RetentionName is how a retention reads in a sentence: "30-day" for whole
// days, else the duration ("36h0m0s").
func RetentionName(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d-day", d/(24*time.Hour))
	}
	return d.String()
}

// gone reads the tombstone at key and returns it as a GoneError of what
// when it is owner's; else (none, or someone else's) the plain notFound
// error nf.
func (s *Store) gone(ctx context.Context, key, owner, what string, nf error) error {
	var g Gone
	if err := s.get(ctx, key, &g); err != nil {
		if fault.KindOf(err) == fault.NotFound {
			return nf
		}
		return err
	}
	if g.Owner != owner {
		return nf
	}
	return &GoneError{What: what, Gone: g}
}

// erased is the record of an owner's erasure.
type erased struct {
	At time.Time `json:"at"`
}

// Deleted reports whether a task of owner's job, requested at sent, must
// write nothing: its job was deleted or expired, or its owner erased at or
// after sent. The edit and results functions ask before they write, and
// again after, removing what they wrote if the answer changed meanwhile: a
// deletion writes its tombstone before it lists what to delete, so either
// the check after the write sees the tombstone, or the deletion's listing
// sees the write.
func (s *Store) Deleted(ctx context.Context, owner, job string, sent time.Time) (bool, error) {
	var g Gone
	err := s.get(ctx, goneJobKey(job), &g)
	switch {
	case err == nil:
		return true, nil
	case fault.KindOf(err) != fault.NotFound:
		return false, err
	}
	var e erased
	err = s.get(ctx, erasedKey(owner), &e)
	switch {
	case err == nil:
		return !sent.After(e.At), nil
	case fault.KindOf(err) == fault.NotFound:
		return false, nil
	}
	return false, err
}

// ForgetTask removes every record of a task: what a function that wrote
// them for a job deleted meanwhile leaves behind.
func (s *Store) ForgetTask(ctx context.Context, job, task string) error {
	return s.removeAll(ctx, tasksPrefix(job)+task+"/")
}

// Remove deletes the object key, a picture; one already gone is no error.
func (s *Store) Remove(ctx context.Context, key string) error { return s.remove(ctx, key) }

// putGone writes a tombstone.
func (s *Store) putGone(ctx context.Context, key string, g Gone) error {
	g.At = g.At.UTC()
	return s.put(ctx, key, g)
}
