package records

import (
	"context"
	"io"
	"net/url"
	"strings"
	"time"

	"gocloud.dev/blob"

	"github.com/pixmill/pixmill/events/fault"
)

// Cursor is a job's place in the fair-share dispatcher (platform/dispatch):
// the tasks before Next have been sent to the requests topic. It is written
// after the sends it covers, so a crash between a send and the write sends
// those tasks again — harmless, since a task sent twice writes the same
// result under the same key and the same records.
type Cursor struct {
	Job   string    `json:"job"`
	Owner string    `json:"owner"`
	Next  int       `json:"next"`
	At    time.Time `json:"at"`
}

// dispatchOwnersPrefix holds one folder per owner; cursorKey is a job's
// cursor, under its owner's records so that erasing an owner erases it.
const dispatchOwnersPrefix = "records/owners/"

func cursorPrefix(owner string) string {
	return dispatchOwnersPrefix + url.PathEscape(owner) + "/dispatch/"
}

func cursorKey(owner, job string) string { return cursorPrefix(owner) + job + ".json" }

// PutCursor writes a job's cursor.
func (s *Store) PutCursor(ctx context.Context, c Cursor) error {
	return s.put(ctx, cursorKey(c.Owner, c.Job), c)
}

// DeleteCursor removes a job's cursor once every task is sent and has ended;
// removing one already gone is no error.
func (s *Store) DeleteCursor(ctx context.Context, owner, job string) error {
	return s.remove(ctx, cursorKey(owner, job))
}

// Cursors reads every job's cursor, of every owner: what a dispatcher
// resumes from at start. It costs a listing of the owners' folders and one
// listing and read per job still dispatching.
func (s *Store) Cursors(ctx context.Context) ([]Cursor, error) {
	var owners []string
	it := s.bucket.List(&blob.ListOptions{Prefix: dispatchOwnersPrefix, Delimiter: "/"})
	for {
		obj, err := it.Next(ctx)
		if err != nil {
			if err == io.EOF {
				break
			}
			return nil, fault.Storage(err, "records: listing %s", dispatchOwnersPrefix)
		}
		if obj.IsDir {
			owners = append(owners, obj.Key)
		}
	}
	var out []Cursor
	for _, dir := range owners {
		objs, err := s.list(ctx, dir+"dispatch/")
		if err != nil {
			return nil, err
		}
		for _, obj := range objs {
			var c Cursor
			if err := s.get(ctx, obj.Key, &c); err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// EndedTasks tells which of job's tasks have ended (succeeded, or failed for
// good), from one listing of the job's records and no reads.
func (s *Store) EndedTasks(ctx context.Context, job string) (map[string]bool, error) {
	prefix := tasksPrefix(job)
	keys, err := s.keys(ctx, prefix)
	if err != nil {
		return nil, err
	}
	facts := map[string][]string{}
	for _, key := range keys {
		task, _, ok := strings.Cut(strings.TrimPrefix(key, prefix), "/")
		if ok {
			facts[task] = append(facts[task], factOf(key))
		}
	}
	ended := map[string]bool{}
	for task, f := range facts {
		if stateOf(f).Final() {
			ended[task] = true
		}
	}
	return ended, nil
}
