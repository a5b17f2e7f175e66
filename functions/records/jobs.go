package records

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"

	"gocloud.dev/blob"
	"golang.org/x/sync/errgroup"

	"github.com/pixmill/pixmill/functions/fault"
)

// JobSummary is a job as its owner's list of jobs shows it.
type JobSummary struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	// Tasks is the number of pictures in the job.
	Tasks int `json:"tasks"`
	// Ops are the names of the job's edits, in order.
	Ops []string `json:"ops"`
}

// ownerJobsPrefix is where an owner's list of jobs is kept: one small
// record per job, named so that a listing gives the newest first.
func ownerJobsPrefix(owner string) string {
	return "records/owners/" + url.PathEscape(owner) + "/jobs/"
}

// ownerJobKey sorts by creation time, newest first (the time counted down
// from the largest one), then by id.
func ownerJobKey(owner string, j Job) string {
	return fmt.Sprintf("%s%019d-%s.json", ownerJobsPrefix(owner), math.MaxInt64-j.Created.UnixNano(), j.ID)
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
		return nil, "", storageErr("listing "+prefix, err)
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
