package records

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pixmill/pixmill/events/fault"
)

// Retention is how long pictures are kept: originals from their upload,
// results (and their previews, and the job they belong to) from the job's
// creation. Zero keeps them for good.
type Retention struct {
	Originals time.Duration `json:"originals,omitempty"`
	Results   time.Duration `json:"results,omitempty"`
}

// Forever is a retention that never ends: an owner's own, set to keep
// what the deployment's would expire.
const Forever time.Duration = math.MaxInt64

// ParseRetention reads a retention as flags and settings give it: whole
// days ("30d"), a Go duration ("36h"), "forever", or "0" for none (for an
// owner, the deployment's).
func ParseRetention(s string) (time.Duration, error) {
	switch s {
	case "0":
		return 0, nil
	case "forever":
		return Forever, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		// Counted in days before it becomes a duration, which 300 years
		// would overflow.
		if n, err := strconv.Atoi(days); err == nil && n > 0 && n <= 100*365 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, fmt.Errorf("%q is not a number of days (30d), a duration (36h), or forever", s)
}

// over is r with the fields o sets replaced.
func (r Retention) over(o Retention) Retention {
	if o.Originals != 0 {
		r.Originals = o.Originals
	}
	if o.Results != 0 {
		r.Results = o.Results
	}
	return r
}

// PutRetention sets owner's own retention: each non-zero field replaces
// the deployment's for that owner. A zero Retention removes it.
func (s *Store) PutRetention(ctx context.Context, owner string, r Retention) error {
	if r == (Retention{}) {
		return s.remove(ctx, retentionKey(owner))
	}
	if r.Originals < 0 || r.Results < 0 {
		return fault.New(fault.InvalidArgument, "records: a retention must be positive, got %s and %s", r.Originals, r.Results)
	}
	return s.put(ctx, retentionKey(owner), r)
}

// OwnerRetention is owner's own retention, zero when none is set.
func (s *Store) OwnerRetention(ctx context.Context, owner string) (Retention, error) {
	var r Retention
	err := s.get(ctx, retentionKey(owner), &r)
	if fault.KindOf(err) == fault.NotFound {
		return Retention{}, nil
	}
	return r, err
}

// Swept is what one Sweep expired.
type Swept struct {
	// Images and Jobs are the ids of the images and jobs expired.
	Images, Jobs []string
	// Objects counts the results and previews removed on their own age,
	// outside a job expired whole (a job too old for its owner's list).
	Objects int
}

// Sweep expires what is older than its owner's retention at now, def
// being the deployment's and each owner's own (PutRetention) overriding
// it: originals by their age in the bucket, as a bucket's lifecycle rule
// would count it, each leaving a tombstone; jobs by their creation, whole
// (results, previews, records), each leaving a tombstone; and then any
// result or preview left older than the retention, as the lifecycle rule
// would. It reads no record to decide: the owner, the id and the time are
// in the keys and the listings.
func (s *Store) Sweep(ctx context.Context, def Retention, now time.Time) (Swept, error) {
	var out Swept
	owners := map[string]Retention{}
	policy := func(owner string) (Retention, error) {
		if r, ok := owners[owner]; ok {
			return r, nil
		}
		o, err := s.OwnerRetention(ctx, owner)
		if err != nil {
			return Retention{}, err
		}
		owners[owner] = def.over(o)
		return owners[owner], nil
	}
	originals, err := s.objects(ctx, "originals/")
	if err != nil {
		return out, err
	}
	for _, o := range originals {
		owner, id, ok := keyOwner(o.Key)
		if !ok {
			continue
		}
		r, err := policy(owner)
		if err != nil {
			return out, err
		}
		if r.Originals == 0 || now.Sub(o.ModTime) < r.Originals {
			continue
		}
		g := Gone{ID: id, Owner: owner, At: o.ModTime.Add(r.Originals), Retention: r.Originals}
		if err := s.dropImage(ctx, owner, id, o.Key, g); err != nil {
			return out, err
		}
		out.Images = append(out.Images, id)
	}
	lines, err := s.keys(ctx, "records/owners/")
	if err != nil {
		return out, err
	}
	for _, line := range lines {
		rest := strings.TrimPrefix(line, "records/owners/")
		escaped, name, ok := strings.Cut(rest, "/jobs/")
		if !ok {
			continue
		}
		owner, err := url.PathUnescape(escaped)
		if err != nil {
			continue
		}
		id, created, ok := parseOwnerJobKey(name)
		if !ok {
			continue
		}
		r, err := policy(owner)
		if err != nil {
			return out, err
		}
		if r.Results == 0 || now.Sub(created) < r.Results {
			continue
		}
		var outputs []string
		if j, err := s.Job(ctx, owner, id); err == nil {
			for _, t := range j.Tasks {
				outputs = append(outputs, t.Output.Key)
			}
		}
		g := Gone{ID: id, Owner: owner, At: created.Add(r.Results), Retention: r.Results}
		if err := s.dropJob(ctx, owner, id, created, outputs, g); err != nil {
			return out, err
		}
		out.Jobs = append(out.Jobs, id)
	}
	for _, kind := range []string{"results/", "previews/"} {
		objs, err := s.objects(ctx, kind)
		if err != nil {
			return out, err
		}
		var old []string
		for _, o := range objs {
			owner, _, ok := keyOwner(o.Key)
			if !ok {
				continue
			}
			r, err := policy(owner)
			if err != nil {
				return out, err
			}
			if r.Results > 0 && now.Sub(o.ModTime) >= r.Results {
				old = append(old, o.Key)
			}
		}
		if err := s.removeKeys(ctx, old); err != nil {
			return out, err
		}
		out.Objects += len(old)
	}
	return out, nil
}

// keyOwner reads the owner of a picture's key, and its last segment (an
// original's image id); a key of the layout from before owners is
// LocalOwner's.
func keyOwner(key string) (owner, last string, ok bool) {
	kind, rest, _ := strings.Cut(key, "/")
	last = key[strings.LastIndexByte(key, '/')+1:]
	if n, legacy := legacyLayout[kind]; legacy && strings.Count(rest, "/") == n-1 {
		return LocalOwner, last, true
	}
	escaped, _, found := strings.Cut(rest, "/")
	if !found {
		return "", "", false
	}
	owner, err := url.PathUnescape(escaped)
	if err != nil || !OwnsKey(owner, key) {
		return "", "", false
	}
	return owner, last, true
}
