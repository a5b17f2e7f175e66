package records

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/pixmill/pixmill/events/fault"
)

func TestJobsList(t *testing.T) {
	ctx := context.Background()
	s := NewStore(memblob.OpenBucket(nil))
	// Created out of order; two in the same instant.
	for i, at := range []int{3, 0, 4, 1, 1} {
		j := newJob(fmt.Sprint("a", i), fmt.Sprint("b", i))
		j.ID, j.Created = fmt.Sprintf("job%d", i), t0.Add(time.Duration(at)*time.Minute)
		j.Ops = []json.RawMessage{json.RawMessage(`{"op":"thumbnail","width":9}`), json.RawMessage(`{"op":"brightness"}`)}
		if err := s.PutJob(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	bobs := newJob("x")
	bobs.ID, bobs.Owner = "bobs", "bob/with a slash"
	if err := s.PutJob(ctx, bobs); err != nil {
		t.Fatal(err)
	}

	for _, limit := range []int{1, 2, 10} {
		var ids []string
		page, pages := "", 0
		for {
			jobs, next, err := s.Jobs(ctx, "alice", page, limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(jobs) > limit {
				t.Fatalf("limit %d: a page of %d", limit, len(jobs))
			}
			for _, j := range jobs {
				ids = append(ids, j.ID)
				if j.Tasks != 2 || !slices.Equal(j.Ops, []string{"thumbnail", "brightness"}) || j.Created.IsZero() {
					t.Errorf("summary %+v, want 2 tasks, thumbnail and brightness, and when", j)
				}
			}
			if pages++; next == "" || pages > 10 {
				break
			}
			page = next
		}
		// Newest first; of two made at the same time, the lower id first.
		if want := []string{"job2", "job0", "job3", "job4", "job1"}; !slices.Equal(ids, want) {
			t.Errorf("limit %d: %v, want %v", limit, ids, want)
		}
	}
	if jobs, _, err := s.Jobs(ctx, "bob/with a slash", "", 10); err != nil || len(jobs) != 1 || jobs[0].ID != "bobs" {
		t.Errorf("bob's list: %+v (%v), want his one job", jobs, err)
	}
	if jobs, next, err := s.Jobs(ctx, "carol", "", 10); err != nil || len(jobs) != 0 || next != "" {
		t.Errorf("no jobs: %+v %q (%v), want an empty list and no next page", jobs, next, err)
	}
	if _, _, err := s.Jobs(ctx, "alice", "%%%", 10); fault.KindOf(err) != fault.InvalidArgument {
		t.Errorf("a made-up page: %v, want invalid argument", err)
	}
}
