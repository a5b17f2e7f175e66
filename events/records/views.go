package records

import (
	"context"

	"github.com/pixmill/pixmill/events/fault"
	"golang.org/x/sync/errgroup"
)

// TaskPage is a job's tally of tasks by state and the status of its tasks
// from index from, n of them at most (none for n 0): one listing of the
// job's records, and reads for the ended tasks of the page alone, so that a
// page of a job of thousands costs its own tasks' reads.
func (s *Store) TaskPage(ctx context.Context, j Job, from, n int) (map[State]int, []TaskStatus, error) {
	facts, err := s.facts(ctx, j)
	if err != nil {
		return nil, nil, err
	}
	counts := map[State]int{}
	for _, t := range j.Tasks {
		st, _ := deriveFromNames(t, facts[t.ID])
		counts[st.State]++
	}
	from = min(max(from, 0), len(j.Tasks))
	page := j.Tasks[from:min(from+max(n, 0), len(j.Tasks))]
	out := make([]TaskStatus, len(page))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelReads)
	for i, t := range page {
		s.derive(g, gctx, t, facts[t.ID], &out[i])
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	return counts, out, nil
}

// TasksAt derives the status of the tasks of j at the given indexes, in that
// order, as Tasks does for all of them, but listing only those tasks' own
// records: a look that costs what changed, not the job's size, for a reader
// told which tasks changed. An index outside the job is a
// fault.InvalidArgument.
func (s *Store) TasksAt(ctx context.Context, j Job, indexes []int) ([]TaskStatus, error) {
	out := make([]TaskStatus, len(indexes))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelReads)
	for n, i := range indexes {
		if i < 0 || i >= len(j.Tasks) {
			return nil, fault.New(fault.InvalidArgument, "records: job %s has no task %d", j.ID, i)
		}
		t := j.Tasks[i]
		g.Go(func() error {
			objs, err := s.list(gctx, tasksPrefix(j.ID)+t.ID+"/")
			if err != nil {
				return err
			}
			// The read of an ended record runs in a group of its own: one
			// task's goroutine waits for it, not for the other tasks.
			var rg errgroup.Group
			s.derive(&rg, gctx, t, objs, &out[n])
			return rg.Wait()
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}
