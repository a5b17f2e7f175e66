package records

import (
	"context"
	"io"
	"net/url"
	"strings"
	"time"

	"gocloud.dev/blob"
	"golang.org/x/sync/errgroup"

	"github.com/pixmill/pixmill/events/fault"
)

// DeleteImage deletes an image: its original and its record, leaving a
// tombstone that says when. Jobs already made of it keep their results.
// Deleting an image again is no error.
func (s *Store) DeleteImage(ctx context.Context, img Image, at time.Time) error {
	return s.dropImage(ctx, img.Owner, img.ID, img.Key, Gone{ID: img.ID, Owner: img.Owner, At: at})
}

// dropImage writes the tombstone g, then removes the original at key, the
// copy live previews are made from, and the image's record.
func (s *Store) dropImage(ctx context.Context, owner, id, key string, g Gone) error {
	if err := s.putGone(ctx, goneImageKey(id), g); err != nil {
		return err
	}
	if key != "" && OwnsKey(owner, key) {
		if err := s.remove(ctx, key); err != nil {
			return err
		}
	}
	if err := s.remove(ctx, ProxyKey(owner, id)); err != nil {
		return err
	}
	return s.remove(ctx, imageRecordKey(id))
}

// DeleteJob deletes a job: its results, their previews, its task records,
// its record and its line in its owner's list, leaving a tombstone that
// says when. The tombstone is written first: a task of the job still
// queued or running then writes nothing (Deleted). Deleting a job again is
// no error.
func (s *Store) DeleteJob(ctx context.Context, j Job, at time.Time) error {
	keys := make([]string, 0, len(j.Tasks))
	for _, t := range j.Tasks {
		keys = append(keys, t.Output.Key)
	}
	return s.dropJob(ctx, j.Owner, j.ID, j.Created, keys, Gone{ID: j.ID, Owner: j.Owner, At: at})
}

// dropJob writes the tombstone g of owner's job id made at created, then
// removes the job's pictures under the owner's prefixes, the outputs keys
// (which, for a job from before owners, lie elsewhere), its records and
// its line in the owner's list.
func (s *Store) dropJob(ctx context.Context, owner, id string, created time.Time, outputs []string, g Gone) error {
	if err := s.putGone(ctx, goneJobKey(id), g); err != nil {
		return err
	}
	prefixes := OwnerPrefixes(owner)
	for _, p := range prefixes[1:] { // results and previews
		if err := s.removeAll(ctx, p+id+"/"); err != nil {
			return err
		}
	}
	if err := s.removeKeys(ctx, ownedKeys(owner, outputs)); err != nil {
		return err
	}
	if err := s.removeAll(ctx, "records/jobs/"+id+"/"); err != nil {
		return err
	}
	return s.remove(ctx, ownerJobKey(owner, Job{ID: id, Created: created}))
}

// ownedKeys are the keys of keys that lie in owner's storage: a record
// that names another's is never followed.
func ownedKeys(owner string, keys []string) []string {
	var out []string
	for _, k := range keys {
		if OwnsKey(owner, k) {
			out = append(out, k)
		}
	}
	return out
}

// Erased is what EraseOwner removed.
type Erased struct {
	Jobs, Images, Objects int
}

// EraseOwner removes everything of owner's that the bucket holds under the
// owner's name: every job (each leaving a tombstone, as DeleteJob does),
// every original and image record, every result and preview, the owner's
// list of jobs, presets and settings. It first records the erasure, so
// that a task of the owner requested before it writes nothing (Deleted).
// Erasing twice is no error: the second finds nothing. API keys are
// package auth's (auth.KeyStore.DeleteOwner).
func (s *Store) EraseOwner(ctx context.Context, owner string, at time.Time) (Erased, error) {
	var n Erased
	if err := s.put(ctx, erasedKey(owner), erased{At: at.UTC()}); err != nil {
		return n, err
	}
	lines, err := s.keys(ctx, ownerJobsPrefix(owner))
	if err != nil {
		return n, err
	}
	for _, line := range lines {
		id, created, ok := parseOwnerJobKey(strings.TrimPrefix(line, ownerJobsPrefix(owner)))
		if !ok {
			continue
		}
		var outputs []string
		if j, err := s.Job(ctx, owner, id); err == nil {
			for _, t := range j.Tasks {
				outputs = append(outputs, t.Output.Key)
			}
		}
		if err := s.dropJob(ctx, owner, id, created, outputs, Gone{ID: id, Owner: owner, At: at}); err != nil {
			return n, err
		}
		n.Jobs++
	}
	// The originals name the image records, whose keys do not name their
	// owner.
	originals, err := s.objects(ctx, OwnerPrefixes(owner)[0])
	if err != nil {
		return n, err
	}
	for _, o := range originals {
		id := o.Key[strings.LastIndexByte(o.Key, '/')+1:]
		if err := s.dropImage(ctx, owner, id, o.Key, Gone{ID: id, Owner: owner, At: at}); err != nil {
			return n, err
		}
		n.Images++
	}
	for _, p := range append(OwnerPrefixes(owner), "records/owners/"+url.PathEscape(owner)+"/", presetsPrefix(owner)) {
		objs, err := s.objects(ctx, p)
		if err != nil {
			return n, err
		}
		n.Objects += len(objs)
		if err := s.removeKeys(ctx, objectKeys(objs)); err != nil {
			return n, err
		}
	}
	return n, nil
}

func objectKeys(objs []*blob.ListObject) []string {
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = o.Key
	}
	return keys
}

// objects lists every object under prefix, records or not.
func (s *Store) objects(ctx context.Context, prefix string) ([]*blob.ListObject, error) {
	var objs []*blob.ListObject
	it := s.bucket.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return objs, nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fault.Storage(err, "records: listing %s", prefix)
		}
		if !obj.IsDir {
			objs = append(objs, obj)
		}
	}
}

// removeAll deletes every object under prefix.
func (s *Store) removeAll(ctx context.Context, prefix string) error {
	objs, err := s.objects(ctx, prefix)
	if err != nil {
		return err
	}
	return s.removeKeys(ctx, objectKeys(objs))
}

// removeKeys deletes keys, parallelReads at a time.
func (s *Store) removeKeys(ctx context.Context, keys []string) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelReads)
	for _, k := range keys {
		g.Go(func() error { return s.remove(gctx, k) })
	}
	return g.Wait()
}
