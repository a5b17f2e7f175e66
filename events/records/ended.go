package records

import (
	"context"
	"sync"
	"time"

	"gocloud.dev/blob"
)

// endedRecord is what a task's succeeded or failed record says.
type endedRecord struct {
	succeeded *succeeded
	failed    *failed
}

func (e endedRecord) apply(st *TaskStatus) {
	switch {
	case e.succeeded != nil:
		r := e.succeeded
		st.Result, st.Updated = &r.Result, r.At
		st.Attempts = max(st.Attempts, r.Attempt)
	case e.failed != nil:
		r := e.failed
		st.Error, st.ErrorKind, st.DeadLettered, st.Updated = r.Reason, r.Kind, r.DeadLettered, r.At
		st.Attempts = max(st.Attempts, r.Attempt)
	}
}

// readEnded reads the record obj, which says how a task ended, and keeps it.
func (s *Store) readEnded(ctx context.Context, obj *blob.ListObject, state State) (endedRecord, error) {
	var e endedRecord
	var err error
	if state == Succeeded {
		e.succeeded = new(succeeded)
		err = s.get(ctx, obj.Key, e.succeeded)
	} else {
		e.failed = new(failed)
		err = s.get(ctx, obj.Key, e.failed)
	}
	if err != nil {
		return e, err
	}
	s.ended.put(obj, e)
	return e, nil
}

// endedCache keeps the ended-task records a Store has read, so that a job
// watched until it finishes reads each of them once rather than on every
// look. A record counts as the one kept only while the listing shows it with
// the same size, modification time and checksum: a failure recorded again
// after a redrive is read again.
type endedCache struct {
	mu sync.Mutex
	m  map[string]cachedEnded
}

type cachedEnded struct {
	size int64
	mod  time.Time
	md5  string
	rec  endedRecord
}

// maxCachedEnded bounds the cache (a few hundred bytes each); when full it
// starts again empty, which costs one more read of what is still watched.
const maxCachedEnded = 1 << 16

func (c *endedCache) get(obj *blob.ListObject) (endedRecord, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[obj.Key]
	if !ok || e.size != obj.Size || !e.mod.Equal(obj.ModTime) || e.md5 != string(obj.MD5) {
		return endedRecord{}, false
	}
	return e.rec, true
}

func (c *endedCache) put(obj *blob.ListObject, rec endedRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedEnded {
		c.m = map[string]cachedEnded{}
	}
	c.m[obj.Key] = cachedEnded{size: obj.Size, mod: obj.ModTime, md5: string(obj.MD5), rec: rec}
}
