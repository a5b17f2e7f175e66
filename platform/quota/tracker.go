package quota

import (
	"context"
	"errors"
	"io"
	"slices"
	"sync"
	"time"

	"gocloud.dev/blob"

	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/events/records"
)

// Usage is what an owner uses now of the quotas that count use.
type Usage struct {
	StoredBytes int64
	// UploadsLastHour is the pictures accepted in the hour before now.
	UploadsLastHour int64
	// ConcurrentJobs is the jobs submitted and not known to have ended.
	ConcurrentJobs int64
}

// seedJobs and seedAge bound the jobs the first count of an owner reads to
// find those not yet ended: the newest 100, of the last day. Older jobs are
// taken to have ended, which holds unless an owner keeps more than this
// many jobs, or one for more than a day, running across a restart of the
// gateway; each read costs a listing of the job's records.
const (
	seedJobs = 100
	seedAge  = 24 * time.Hour
)

// jobRetry is the Retry-After of a refused job: how long a job takes to
// end is not known, and polling every half minute costs little.
const jobRetry = 30 * time.Second

// Tracker keeps every owner's use. Its methods are safe for concurrent use;
// the checks and reservations of one owner are serialised by the owner's
// lock, those of different owners run in parallel.
type Tracker struct {
	cfg    Config
	bucket *blob.Bucket
	store  *records.Store
	now    func() time.Time

	mu     sync.Mutex
	owners map[string]*account
}

// account is one owner's use. Its fields are guarded by mu.
type account struct {
	mu      sync.Mutex
	counted time.Time // when stored was last counted by listing; zero: never
	stored  int64     // bytes stored: counted, plus what was added since
	// reserved is the bytes of uploads being written, and batches the
	// number of upload batches under way: no recount runs while they are
	// not zero, as it could count an object twice or not at all.
	reserved int64
	batches  int
	uploads  []time.Time // accepted or reserved uploads, oldest first
	// open holds the jobs not known to have ended; true while the job's
	// record is being written, when its absence means nothing.
	open map[string]bool
}

// New returns a tracker of the owners' use of bucket, now being the clock.
func New(cfg Config, bucket *blob.Bucket, now func() time.Time) (*Tracker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Recount == 0 {
		cfg.Recount = DefaultRecount
	}
	if bucket == nil || now == nil {
		return nil, errors.New("quota: a bucket and a clock are required")
	}
	return &Tracker{cfg: cfg, bucket: bucket, store: records.NewStore(bucket), now: now, owners: map[string]*account{}}, nil
}

// Limits returns owner's limits.
func (t *Tracker) Limits(owner string) Limits { return t.cfg.For(owner) }

// lock returns owner's account locked, counted from the bucket if it never
// was or its count is older than Config.Recount.
func (t *Tracker) lock(ctx context.Context, owner string) (*account, error) {
	t.mu.Lock()
	a := t.owners[owner]
	if a == nil {
		a = &account{open: map[string]bool{}}
		t.owners[owner] = a
	}
	t.mu.Unlock()
	a.mu.Lock()
	now := t.now()
	first := a.counted.IsZero()
	if first || (now.Sub(a.counted) >= t.cfg.Recount && a.reserved == 0 && a.batches == 0) {
		if err := t.count(ctx, owner, a, first, now); err != nil {
			a.mu.Unlock()
			return nil, err
		}
	}
	a.prune(now)
	return a, nil
}

// count lists owner's pictures to set the bytes stored; the first time, it
// also takes the originals written in the last hour as that hour's uploads,
// and reads the owner's newest jobs for those not yet ended.
func (t *Tracker) count(ctx context.Context, owner string, a *account, first bool, now time.Time) error {
	var stored int64
	var recent []time.Time
	for _, prefix := range records.OwnerPrefixes(owner) {
		objs, err := t.list(ctx, prefix)
		if err != nil {
			return fault.Wrap(fault.Transient, err, "counting the stored pictures")
		}
		for _, obj := range objs {
			stored += obj.Size
			if first && prefix == records.OwnerPrefixes(owner)[0] && now.Sub(obj.ModTime) < time.Hour {
				recent = append(recent, obj.ModTime)
			}
		}
	}
	if first {
		slices.SortFunc(recent, time.Time.Compare)
		a.uploads = recent
		jobs, _, err := t.store.Jobs(ctx, owner, "", seedJobs)
		if err != nil {
			return err
		}
		for _, j := range jobs {
			if now.Sub(j.Created) > seedAge {
				break
			}
			ended, err := t.ended(ctx, owner, j.ID)
			if err != nil {
				return err
			}
			if !ended {
				a.open[j.ID] = false
			}
		}
	}
	a.stored, a.counted = stored, now
	return nil
}

// list lists the objects under prefix, trying again when an object is
// replaced under the listing (see records' Store.list).
func (t *Tracker) list(ctx context.Context, prefix string) ([]*blob.ListObject, error) {
	var err error
	for range 3 {
		var objs []*blob.ListObject
		it := t.bucket.List(&blob.ListOptions{Prefix: prefix})
		for {
			var obj *blob.ListObject
			obj, err = it.Next(ctx)
			if err != nil {
				break
			}
			if !obj.IsDir {
				objs = append(objs, obj)
			}
		}
		if err == io.EOF {
			return objs, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return nil, err
}

// ended reports whether owner's job has ended; a job that is gone has.
func (t *Tracker) ended(ctx context.Context, owner, id string) (bool, error) {
	j, err := t.store.Job(ctx, owner, id)
	if fault.KindOf(err) == fault.NotFound {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	counts, _, err := t.store.TaskPage(ctx, j, 0, 0)
	if err != nil {
		return false, err
	}
	return records.JobStateOf(counts, len(j.Tasks)).Final(), nil
}

// prune forgets the uploads older than an hour.
func (a *account) prune(now time.Time) {
	i := 0
	for i < len(a.uploads) && now.Sub(a.uploads[i]) >= time.Hour {
		i++
	}
	a.uploads = a.uploads[i:]
}

// Usage returns owner's use and limits. It reads the state of each job
// not known to have ended, so that the count is that of now.
func (t *Tracker) Usage(ctx context.Context, owner string) (Usage, Limits, error) {
	a, err := t.lock(ctx, owner)
	if err != nil {
		return Usage{}, Limits{}, err
	}
	defer a.mu.Unlock()
	if err := t.refresh(ctx, owner, a); err != nil {
		return Usage{}, Limits{}, err
	}
	return Usage{StoredBytes: a.stored + a.reserved, UploadsLastHour: int64(len(a.uploads)), ConcurrentJobs: int64(len(a.open))}, t.Limits(owner), nil
}

// AddStored counts n more bytes stored for owner (a result, a preview); a
// negative n counts bytes removed. An owner not counted yet is left to
// its first count, which will see the object.
func (t *Tracker) AddStored(owner string, n int64) {
	t.mu.Lock()
	a := t.owners[owner]
	t.mu.Unlock()
	if a == nil {
		return
	}
	a.mu.Lock()
	if !a.counted.IsZero() {
		a.stored = max(a.stored+n, 0)
	}
	a.mu.Unlock()
}
