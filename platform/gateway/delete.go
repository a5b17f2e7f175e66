package gateway

import (
	"context"
	"net/http"
	"time"

	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/events/records"
)

// Deleting answers 204 whenever the caller's object is gone afterwards:
// the first time, and every time after (its tombstone tells the gateway it
// was the caller's). An id that was never the caller's is a 404, as on
// every route, so a delete cannot probe ids either.

// deleteImage answers DELETE /v1/images/{id}: the original and its record.
// Jobs made of it keep their results.
func (g *Gateway) deleteImage(w http.ResponseWriter, r *http.Request, owner string) {
	img, err := g.pathImage(r, owner)
	if err == nil {
		err = g.store.DeleteImage(r.Context(), img, g.deps.Now())
		g.images.drop(img.ID)
	}
	g.deleted(w, r, err)
}

// deleteJob answers DELETE /v1/jobs/{id}: the job's results, previews and
// records. Its tasks still queued or running write nothing.
func (g *Gateway) deleteJob(w http.ResponseWriter, r *http.Request, owner string) {
	j, err := g.loadJob(r, owner)
	if err == nil {
		err = g.store.DeleteJob(r.Context(), j, g.deps.Now())
		g.jobs.drop(j.ID)
	}
	g.deleted(w, r, err)
}

// eraseOwner answers DELETE /v1/me: everything of the caller's, keys
// first, so that nothing more is done in the owner's name meanwhile. Links
// the owner handed out open nothing afterwards: each names one object by
// its id, ids are never given twice, and every object is gone.
func (g *Gateway) eraseOwner(w http.ResponseWriter, r *http.Request, owner string) {
	ctx := r.Context()
	keys, err := g.deps.Keys.DeleteOwner(ctx, owner)
	if err != nil {
		g.fail(w, r, err)
		return
	}
	n, err := g.store.EraseOwner(ctx, owner, g.deps.Now())
	if err != nil {
		g.fail(w, r, err)
		return
	}
	g.jobs.dropWhere(func(j records.Job) bool { return j.Owner == owner })
	g.images.dropWhere(func(img records.Image) bool { return img.Owner == owner })
	g.log.Info("owner erased", g.ownerAttr(owner), "jobs", n.Jobs, "images", n.Images, "objects", n.Objects, "keys", keys)
	w.WriteHeader(http.StatusNoContent)
}

// deleted answers a delete whose lookup or removal ended with err.
func (g *Gateway) deleted(w http.ResponseWriter, r *http.Request, err error) {
	if _, gone := records.AsGone(err); err != nil && !gone {
		g.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Sweep expires what is older than its retention at now (records.Sweep)
// and forgets the records this gateway kept of it, so that reads of them
// answer 404 with the reason at once. `pixmill up` calls it every
// interval.
func (g *Gateway) Sweep(ctx context.Context, def records.Retention, now time.Time) (records.Swept, error) {
	s, err := g.store.Sweep(ctx, def, now)
	for _, id := range s.Images {
		g.images.drop(id)
	}
	for _, id := range s.Jobs {
		g.jobs.drop(id)
	}
	return s, err
}

// RunSweeps calls Sweep at once and then on every tick until ctx ends, the
// time read from the gateway's clock, and logs what each expired.
func (g *Gateway) RunSweeps(ctx context.Context, def records.Retention, tick <-chan time.Time) {
	for {
		s, err := g.Sweep(ctx, def, g.deps.Now())
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			g.log.Error("retention sweep", "err", err)
		case len(s.Images)+len(s.Jobs)+s.Objects > 0:
			g.log.Info("retention sweep", "images", len(s.Images), "jobs", len(s.Jobs), "objects", s.Objects)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
	}
}

// stillWanted removes key, just written for owner's job made at created,
// when the job was deleted meanwhile, and then answers NotFound.
func (g *Gateway) stillWanted(ctx context.Context, owner, job string, created time.Time, key string) error {
	gone, err := g.store.Deleted(ctx, owner, job, created)
	if err != nil || !gone {
		return err
	}
	if err := g.store.Remove(ctx, key); err != nil {
		return err
	}
	return fault.New(fault.NotFound, "job %q was deleted", job)
}
