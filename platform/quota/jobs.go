package quota

import "context"

// StartJob admits owner's job id of photos pictures, or says which quota
// it would go over: photos per job (too large, 413) or concurrent jobs
// (429). An admitted job counts as running until a check finds it ended;
// Stored says whether its record was written.
func (t *Tracker) StartJob(ctx context.Context, owner, id string, photos int) error {
	lim := t.Limits(owner)
	if lim.PhotosPerJob > 0 && int64(photos) > lim.PhotosPerJob {
		return &Exceeded{Quota: PhotosPerJob, Limit: lim.PhotosPerJob, Used: int64(photos), Requested: int64(photos)}
	}
	a, err := t.lock(ctx, owner)
	if err != nil {
		return err
	}
	defer a.mu.Unlock()
	if lim.ConcurrentJobs > 0 && int64(len(a.open)) >= lim.ConcurrentJobs {
		// Only at the limit are the running jobs looked at: a read and a
		// listing a job, at most ConcurrentJobs of them.
		if err := t.refresh(ctx, owner, a); err != nil {
			return err
		}
		if n := int64(len(a.open)); n >= lim.ConcurrentJobs {
			return &Exceeded{Quota: ConcurrentJobs, Limit: lim.ConcurrentJobs, Used: n, Requested: 1, RetryAfter: jobRetry}
		}
	}
	a.open[id] = true
	return nil
}

// Stored tells that the record of a job StartJob admitted was written
// (ok) or not: a job whose record was not written never runs.
func (t *Tracker) Stored(owner, id string, ok bool) {
	t.mu.Lock()
	a := t.owners[owner]
	t.mu.Unlock()
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, admitted := a.open[id]; !admitted {
		return
	}
	if ok {
		a.open[id] = false
	} else {
		delete(a.open, id)
	}
}

// refresh forgets the jobs of a that have ended. a is locked.
func (t *Tracker) refresh(ctx context.Context, owner string, a *account) error {
	for j, writing := range a.open {
		if writing {
			continue
		}
		ended, err := t.ended(ctx, owner, j)
		if err != nil {
			return err
		}
		if ended {
			delete(a.open, j)
		}
	}
	return nil
}
