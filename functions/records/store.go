package records

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
	"golang.org/x/sync/errgroup"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/functions/fault"
)

// Store reads and writes records in a bucket. It is safe for concurrent use.
type Store struct {
	bucket *blob.Bucket
	ended  endedCache
}

// NewStore returns a Store on b. The caller keeps ownership of b.
func NewStore(b *blob.Bucket) *Store { return &Store{bucket: b} }

// Image is an uploaded original.
type Image struct {
	ID      string    `json:"id"`
	Owner   string    `json:"owner"`
	Name    string    `json:"name"`
	Key     string    `json:"key"`
	Format  string    `json:"format"`
	Width   int       `json:"width"`
	Height  int       `json:"height"`
	Bytes   int64     `json:"bytes"`
	Created time.Time `json:"created"`
}

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
}

// JobTask is one image of a job.
type JobTask struct {
	ID    string `json:"id"`
	Image string `json:"image"`
	// Name is the original's file name, for archives and listings.
	Name   string        `json:"name"`
	Output events.Output `json:"output"`
}

// ImageKey is the bucket key of an original picture.
func ImageKey(id string) string { return "originals/" + id }

// OutputKey is the bucket key of a task's result. It depends on the ids only,
// so a task processed twice overwrites the same object.
func OutputKey(job, task, ext string) string { return "results/" + job + "/" + task + "." + ext }

func imageRecordKey(id string) string { return "records/images/" + id + ".json" }
func jobKey(id string) string         { return "records/jobs/" + id + "/job.json" }
func tasksPrefix(job string) string   { return "records/jobs/" + job + "/tasks/" }
func taskKey(job, task, fact string) string {
	return tasksPrefix(job) + task + "/" + fact + ".json"
}

// PutImage stores an image record.
func (s *Store) PutImage(ctx context.Context, img Image) error {
	return s.put(ctx, imageRecordKey(img.ID), img)
}

// Image reads the record of image id owned by owner. Someone else's image is
// reported as not found, so ids cannot be probed.
func (s *Store) Image(ctx context.Context, owner, id string) (Image, error) {
	var img Image
	if err := s.get(ctx, imageRecordKey(id), &img); err != nil {
		return Image{}, err
	}
	if img.Owner != owner {
		return Image{}, notFound(imageRecordKey(id))
	}
	return img, nil
}

// PutJob stores a job record, and its line in its owner's list of jobs.
func (s *Store) PutJob(ctx context.Context, j Job) error {
	if err := s.put(ctx, jobKey(j.ID), j); err != nil {
		return err
	}
	return s.put(ctx, ownerJobKey(j.Owner, j), summary(j))
}

// Job reads the record of job id owned by owner; someone else's job is not
// found.
func (s *Store) Job(ctx context.Context, owner, id string) (Job, error) {
	var j Job
	if err := s.get(ctx, jobKey(id), &j); err != nil {
		return Job{}, err
	}
	if j.Owner != owner {
		return Job{}, notFound(jobKey(id))
	}
	return j, nil
}

// started is the content of a started-{attempt} record.
type started struct {
	Attempt int       `json:"attempt"`
	At      time.Time `json:"at"`
}

// succeeded is the content of a succeeded record.
type succeeded struct {
	Attempt int           `json:"attempt"`
	Result  events.Result `json:"result"`
	At      time.Time     `json:"at"`
}

// failed is the content of a failed record.
type failed struct {
	Attempt      int       `json:"attempt"`
	Kind         string    `json:"kind"`
	Reason       string    `json:"reason"`
	DeadLettered bool      `json:"dead_lettered,omitempty"`
	At           time.Time `json:"at"`
}

// MarkStarted records that attempt e.Attempt of a task began at at.
func (s *Store) MarkStarted(ctx context.Context, e events.TaskStarted, at time.Time) error {
	return s.put(ctx, taskKey(e.Job, e.Task, "started-"+strconv.Itoa(e.Attempt)), started{Attempt: e.Attempt, At: at.UTC()})
}

// MarkCompleted records a task's result.
func (s *Store) MarkCompleted(ctx context.Context, e events.TaskCompleted, at time.Time) error {
	return s.put(ctx, taskKey(e.Job, e.Task, "succeeded"), succeeded{Attempt: e.Attempt, Result: e.Result, At: at.UTC()})
}

// MarkFailed records that a task ended without a result.
func (s *Store) MarkFailed(ctx context.Context, e events.TaskFailed, at time.Time) error {
	return s.put(ctx, taskKey(e.Job, e.Task, "failed"), failed{Attempt: e.Attempt, Kind: e.Kind, Reason: e.Reason, DeadLettered: e.DeadLettered, At: at.UTC()})
}

// State is the state of a task or a job.
type State string

// Task and job states. Partial is for jobs only: every task ended, some failed.
const (
	Queued    State = "queued"
	Running   State = "running"
	Succeeded State = "succeeded"
	Failed    State = "failed"
	Partial   State = "partial"
)

// Final reports whether no more change is expected.
func (s State) Final() bool { return s == Succeeded || s == Failed || s == Partial }

// TaskStatus is a task's state as derived from its records.
type TaskStatus struct {
	JobTask
	State        State
	Attempts     int
	Error        string
	ErrorKind    string
	DeadLettered bool
	Result       *events.Result
	Updated      time.Time
}

// Tasks derives the status of each task of j, in the job's order: one
// listing of the job's records, plus a read of each ended task's record that
// this Store has not read before. Those reads run in parallel, since each is
// a round trip to the bucket.
func (s *Store) Tasks(ctx context.Context, j Job) ([]TaskStatus, error) {
	prefix := tasksPrefix(j.ID)
	objs, err := s.list(ctx, prefix)
	if err != nil {
		return nil, err
	}
	facts := map[string][]*blob.ListObject{}
	for _, obj := range objs {
		task, _, ok := strings.Cut(strings.TrimPrefix(obj.Key, prefix), "/")
		if ok {
			facts[task] = append(facts[task], obj)
		}
	}
	out := make([]TaskStatus, len(j.Tasks))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelReads)
	for i, t := range j.Tasks {
		st, ended := deriveFromNames(t, facts[t.ID])
		out[i] = st
		if ended == nil {
			continue
		}
		if e, ok := s.ended.get(ended); ok {
			e.apply(&out[i])
			continue
		}
		g.Go(func() error {
			e, err := s.readEnded(gctx, ended, out[i].State)
			switch {
			case err == nil:
				e.apply(&out[i])
			case fault.KindOf(err) == fault.NotFound:
				// Gone since the listing: a redrive reset the task.
				out[i] = TaskStatus{JobTask: t, State: Queued}
				err = nil
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// parallelReads bounds the record reads one Tasks or Jobs call has in
// flight.
const parallelReads = 16

// deriveFromNames is what a task's record names alone tell: its state, its
// highest attempt started, and, when it has ended, the record that says how.
func deriveFromNames(t JobTask, objs []*blob.ListObject) (TaskStatus, *blob.ListObject) {
	facts := make([]string, len(objs))
	for i, obj := range objs {
		facts[i] = factOf(obj.Key)
	}
	st := TaskStatus{JobTask: t, State: stateOf(facts)}
	var ended *blob.ListObject
	for i, f := range facts {
		if a, ok := strings.CutPrefix(f, "started-"); ok {
			if n, err := strconv.Atoi(a); err == nil && n > st.Attempts {
				st.Attempts = n
			}
		}
		if f == string(st.State) {
			ended = objs[i]
		}
	}
	return st, ended
}

// factOf is a task record's name without its directory and ".json".
func factOf(key string) string {
	return strings.TrimSuffix(key[strings.LastIndexByte(key, '/')+1:], ".json")
}

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

// stateOf is the state that a task's facts (record names without ".json")
// add up to: succeeded beats failed beats started beats nothing.
func stateOf(facts []string) State {
	st := Queued
	for _, f := range facts {
		switch {
		case f == "succeeded":
			return Succeeded
		case f == "failed":
			st = Failed
		case strings.HasPrefix(f, "started-") && st == Queued:
			st = Running
		}
	}
	return st
}

// TaskState is the state of one task, from the names of its records alone
// (one listing, no reads): enough to tell whether the task has ended. A task
// with no records is Queued, whether or not its job exists.
func (s *Store) TaskState(ctx context.Context, job, task string) (State, error) {
	prefix := tasksPrefix(job) + task + "/"
	keys, err := s.keys(ctx, prefix)
	if err != nil {
		return "", err
	}
	facts := make([]string, len(keys))
	for i, key := range keys {
		facts[i] = factOf(key)
	}
	return stateOf(facts), nil
}

// Result reads a task's result: one read, where Tasks lists the whole job.
// A task that has not succeeded is a fault.NotFound.
func (s *Store) Result(ctx context.Context, job, task string) (events.Result, error) {
	var r succeeded
	if err := s.get(ctx, taskKey(job, task, "succeeded"), &r); err != nil {
		return events.Result{}, err
	}
	return r.Result, nil
}

// JobState sums up task states: queued until a task starts, running until
// every task has ended, then succeeded, failed or partial.
func JobState(tasks []TaskStatus) State {
	var queued, ok, bad int
	for _, t := range tasks {
		switch t.State {
		case Queued:
			queued++
		case Succeeded:
			ok++
		case Failed:
			bad++
		}
	}
	switch {
	case len(tasks) == 0:
		return Succeeded
	case ok == len(tasks):
		return Succeeded
	case bad == len(tasks):
		return Failed
	case ok+bad == len(tasks):
		return Partial
	case queued == len(tasks):
		return Queued
	default:
		return Running
	}
}

// Counts tallies tasks by state.
func Counts(tasks []TaskStatus) map[State]int {
	c := map[State]int{}
	for _, t := range tasks {
		c[t.State]++
	}
	return c
}

func (s *Store) put(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("records: encoding %s: %w", key, err)
	}
	if err := s.bucket.WriteAll(ctx, key, b, &blob.WriterOptions{ContentType: "application/json"}); err != nil {
		return storageErr("writing "+key, err)
	}
	return nil
}

func (s *Store) get(ctx context.Context, key string, v any) error {
	b, err := s.bucket.ReadAll(ctx, key)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return notFound(key)
		}
		return storageErr("reading "+key, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fault.Wrap(fault.Permanent, err, "records: %s is corrupt", key)
	}
	return nil
}

func notFound(key string) error {
	return fault.New(fault.NotFound, "records: %s not found", key)
}

// storageErr marks a bucket failure as transient; context errors pass through
// unchanged so callers can tell cancellation from failure.
func storageErr(what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fault.Wrap(fault.Transient, err, "records: %s", what)
}

// DeadLetter is a request parked on the dead-letter topic, kept so it can be
// listed and redriven.
type DeadLetter struct {
	// Key identifies the record: the task id, or the event id of a
	// message that was not a task request.
	Key      string    `json:"key"`
	Job      string    `json:"job,omitempty"`
	Task     string    `json:"task,omitempty"`
	Owner    string    `json:"owner,omitempty"`
	Reason   string    `json:"reason"`
	Kind     string    `json:"kind"`
	Attempts int       `json:"attempts"`
	At       time.Time `json:"at"`
	// Body and Metadata are the parked message as it was sent, without the
	// dead-letter attributes, ready to be sent again.
	Body     []byte            `json:"body"`
	Metadata map[string]string `json:"metadata"`
}

func deadLetterKey(key string) string { return "records/deadletter/" + key + ".json" }

// PutDeadLetter stores a dead-letter record; the same request parked twice
// overwrites its record.
func (s *Store) PutDeadLetter(ctx context.Context, d DeadLetter) error {
	return s.put(ctx, deadLetterKey(d.Key), d)
}

// DeadLetters lists every dead-letter record, oldest first.
func (s *Store) DeadLetters(ctx context.Context) ([]DeadLetter, error) {
	var out []DeadLetter
	keys, err := s.keys(ctx, "records/deadletter/")
	if err != nil {
		return nil, err
	}
	for _, key := range keys {
		var d DeadLetter
		err := s.get(ctx, key, &d)
		if fault.KindOf(err) == fault.NotFound {
			continue // redriven since it was listed
		}
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b DeadLetter) int { return a.At.Compare(b.At) })
	return out, nil
}

// DeleteDeadLetter removes a record after its request was sent again.
func (s *Store) DeleteDeadLetter(ctx context.Context, key string) error {
	if err := s.bucket.Delete(ctx, deadLetterKey(key)); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return storageErr("deleting dead letter "+key, err)
	}
	return nil
}

// ResetTask forgets a task's attempts and failure, before it is sent again
// with a fresh attempt count. A success is kept: it cannot be undone.
func (s *Store) ResetTask(ctx context.Context, job, task string) error {
	keys, err := s.keys(ctx, tasksPrefix(job)+task+"/")
	if err != nil {
		return err
	}
	for _, key := range keys {
		if strings.HasSuffix(key, "/succeeded.json") {
			continue
		}
		if err := s.bucket.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			return storageErr("resetting task "+task, err)
		}
	}
	return nil
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
	return nil, storageErr("listing "+prefix, err)
}

// FleetStatus is what the processors' supervisor last said about them. The
// gateway shows it on unfinished jobs, so that a fleet that keeps crashing is
// reported rather than leaving people waiting in silence.
type FleetStatus struct {
	Healthy bool      `json:"healthy"`
	Message string    `json:"message,omitempty"`
	At      time.Time `json:"at"`
}

const fleetKey = "records/fleet.json"

// PutFleetStatus stores the supervisor's report.
func (s *Store) PutFleetStatus(ctx context.Context, st FleetStatus) error {
	return s.put(ctx, fleetKey, st)
}

// FleetStatus reads the last report; with none, the fleet is taken as
// healthy (a deployment without a supervisor, such as Cloud Run).
func (s *Store) FleetStatus(ctx context.Context) (FleetStatus, error) {
	var st FleetStatus
	err := s.get(ctx, fleetKey, &st)
	if fault.KindOf(err) == fault.NotFound {
		return FleetStatus{Healthy: true}, nil
	}
	return st, err
}
