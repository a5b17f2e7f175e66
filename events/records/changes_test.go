package records

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/pixmill/pixmill/events"
)

// TestOnTaskChange: every task record written is told, once, after it is
// stored; a write that failed is not.
func TestOnTaskChange(t *testing.T) {
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	s := NewStore(b)
	var told []string
	s.OnTaskChange(func(job, task string) { told = append(told, job+"/"+task) })
	now := time.Now()
	writes := []func() error{
		func() error {
			return s.MarkStarted(ctx, events.TaskStarted{Job: "j", Task: "a", Owner: "o", Attempt: 1}, now)
		},
		func() error {
			return s.MarkCompleted(ctx, events.TaskCompleted{Job: "j", Task: "a", Owner: "o", Attempt: 1}, now)
		},
		func() error {
			return s.MarkFailed(ctx, events.TaskFailed{Job: "j", Task: "b", Owner: "o", Attempt: 1, Kind: "permanent", Reason: "r"}, now)
		},
	}
	for _, w := range writes {
		if err := w(); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"j/a", "j/a", "j/b"}; !slices.Equal(told, want) {
		t.Errorf("told %v, want %v", told, want)
	}
	b.Close()
	if err := s.MarkStarted(ctx, events.TaskStarted{Job: "j", Task: "c", Owner: "o", Attempt: 1}, now); err == nil || errors.Is(err, context.Canceled) {
		t.Fatalf("a write to a closed bucket: %v, want a storage error", err)
	}
	if len(told) != 3 {
		t.Errorf("a failed write was told: %v", told)
	}
}
