package records

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/pixmill/pixmill/events/fault"
	"gocloud.dev/blob"
)

// Store reads and writes records in a bucket. It is safe for concurrent use.
type Store struct {
	bucket  *blob.Bucket
	ended   endedCache
	changed func(job, task string)
	onEnd   []func(job, task string)
}

// OnTaskChange asks s to call f after each task record it writes (a task
// started, succeeded or failed), with the task's job and id: how the
// gateway's progress feeds in the same process learn what changed without
// listing whole jobs. f must be quick; it is called on the writer's
// goroutine. Set it before the Store is used.
func (s *Store) OnTaskChange(f func(job, task string)) { s.changed = f }

// OnTaskEnd asks s to call f after each record it writes that ends a task
// (succeeded, or failed for good), with the task's job and id: how the
// fair-share dispatcher in the same process frees the task's slot at once,
// and how the notifier learns that a job may have ended. Every f given is
// called, in the order given. f must be quick. Add them before the Store is
// used.
func (s *Store) OnTaskEnd(f func(job, task string)) { s.onEnd = append(s.onEnd, f) }

// putTask writes a task record and tells the OnTaskChange hook.
func (s *Store) putTask(ctx context.Context, job, task, fact string, v any) error {
	if err := s.put(ctx, taskKey(job, task, fact), v); err != nil {
		return err
	}
	if s.changed != nil {
		s.changed(job, task)
	}
	return nil
}

// NewStore returns a Store on b. The caller keeps ownership of b.
func NewStore(b *blob.Bucket) *Store { return &Store{bucket: b} }

func (s *Store) put(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("records: encoding %s: %w", key, err)
	}
	if err := s.bucket.WriteAll(ctx, key, b, &blob.WriterOptions{ContentType: "application/json"}); err != nil {
		return fault.Storage(err, "records: writing %s", key)
	}
	return nil
}

func (s *Store) get(ctx context.Context, key string, v any) error {
	b, err := s.bucket.ReadAll(ctx, key)
	if err := fault.Storage(err, "records: reading %s", key); err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fault.Wrap(fault.Permanent, err, "records: %s is corrupt", key)
	}
	return nil
}

func notFound(key string) error {
	return fault.New(fault.NotFound, "records: %s not found", key)
}

// remove deletes key; an object already gone is no error, so that every
// removal can be repeated.
func (s *Store) remove(ctx context.Context, key string) error {
	err := fault.Storage(s.bucket.Delete(ctx, key), "records: deleting %s", key)
	if fault.KindOf(err) == fault.NotFound {
		return nil
	}
	return err
}

// keys lists the record keys under prefix.
func (s *Store) keys(ctx context.Context, prefix string) ([]string, error) {
	objs, err := s.list(ctx, prefix)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(objs))
	for i, obj := range objs {
		keys[i] = obj.Key
	}
	return keys, nil
}

// list lists the records under prefix. A listing can fail when an object it
// walks past is replaced at that moment (the file bucket writes a temporary
// file and renames it), so a failed listing is tried again before it counts;
// objects that are not records (such temporary files) are left out.
func (s *Store) list(ctx context.Context, prefix string) ([]*blob.ListObject, error) {
	var err error
	for range 3 {
		var objs []*blob.ListObject
		it := s.bucket.List(&blob.ListOptions{Prefix: prefix})
		for {
			var obj *blob.ListObject
			obj, err = it.Next(ctx)
			if err != nil {
				break
			}
			if strings.HasSuffix(obj.Key, ".json") {
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
	return nil, fault.Storage(err, "records: listing %s", prefix)
}
