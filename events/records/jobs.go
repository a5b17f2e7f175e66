package records

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"time"

	"gocloud.dev/blob"
	"golang.org/x/sync/errgroup"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
)

// Job is what a user asked for: the same ops on a set of images.
type Job struct {
	ID      string            `json:"id"`
	Owner   string            `json:"owner"`
	Created time.Time         `json:"created"`
	Ops     []json.RawMessage `json:"ops"`
	Format  string            `json:"format,omitempty"`
	Quality int               `json:"quality,omitempty"`
	// Metadata is events.MetadataStrip or events.MetadataKeep.
	Metadata string `json:"metadata,omitempty"`
	// Inputs are the other pictures the ops read, id → bucket key.
	Inputs map[string]string `json:"inputs,omitempty"`
	Tasks  []JobTask         `json:"tasks"`
	// Notify, if set, is where the owner is told that the job ended.
	Notify *Notify `json:"notify,omitempty"`
}

// JobTask is one image of a job.
type JobTask struct {
	ID    string `json:"id"`
	Image string `json:"image"`
	// Name is the original's file name, for archives and listings.
	Name   string        `json:"name"`
	Output events.Output `json:"output"`
}

// PutJob stores a job record, and its line in its owner's list of jobs.
func (s *Store) PutJob(ctx context.Context, j Job) error {
	if err := s.put(ctx, jobKey(j.ID), j); err != nil {
		return err
	}
	return s.put(ctx, ownerJobKey(j.Owner, j), summary(j))
}

// Job reads the record of job id owned by owner; someone else's job is not
// found, and one its owner deleted, or that expired, is a [*GoneError].
func (s *Store) Job(ctx context.Context, owner, id string) (Job, error) {
	var j Job
	if err := s.get(ctx, jobKey(id), &j); err != nil {
		if fault.KindOf(err) == fault.NotFound {
			err = s.gone(ctx, goneJobKey(id), owner, "job", err)
		}
		return Job{}, err
	}
	if j.Owner != owner {
		return Job{}, notFound(jobKey(id))
	}
	return j, nil
}

// JobSummary is a job as its owner's list of jobs shows it.
type JobSummary struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	// Tasks is the number of pictures in the job.
	Tasks int `json:"tasks"`
	// Ops are the names of the job's edits, in order.
	Ops []string `json:"ops"`
}

// summary is what the list of jobs shows of j.
func summary(j Job) JobSummary {
	s := JobSummary{ID: j.ID, Created: j.Created, Tasks: len(j.Tasks), Ops: []string{}}
	for _, raw := range j.Ops {
		var head struct {
			Op string `json:"op"`
		}
		if json.Unmarshal(raw, &head) == nil {
			s.Ops = append(s.Ops, head.Op)
		}
	}
	return s
}

// Jobs lists an owner's jobs, newest first, limit at a time. page is "" for
// the first page, then the next page returned by the call before; next is
// "" after the last page. A page that is not one this method returned is a
// fault.InvalidArgument. Jobs made before pixmill kept these lists are not
// in them.
func (s *Store) Jobs(ctx context.Context, owner, page string, limit int) (jobs []JobSummary, next string, err error) {
	token := blob.FirstPageToken
	if page != "" {
		// The token is the bucket's own, which the listing keeps to the
		// owner's prefix whatever it says.
		if token, err = base64.RawURLEncoding.DecodeString(page); err != nil || len(token) == 0 {
			return nil, "", fault.New(fault.InvalidArgument, "page_token: not a page of this list")
		}
	}
	prefix := ownerJobsPrefix(owner)
	objs, nextToken, err := s.bucket.ListPage(ctx, token, limit, &blob.ListOptions{Prefix: prefix})
	if err != nil && err != io.EOF {
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		if page != "" {
			return nil, "", fault.Wrap(fault.InvalidArgument, err, "page_token: not a page of this list")
		}
		return nil, "", fault.Storage(err, "records: listing %s", prefix)
	}
	objs = slices.DeleteFunc(objs, func(o *blob.ListObject) bool { return !strings.HasSuffix(o.Key, ".json") })
	jobs = make([]JobSummary, len(objs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelReads)
	for i, obj := range objs {
		g.Go(func() error { return s.get(gctx, obj.Key, &jobs[i]) })
	}
	if err := g.Wait(); err != nil {
		return nil, "", err
	}
	return jobs, base64.RawURLEncoding.EncodeToString(nextToken), nil
}
