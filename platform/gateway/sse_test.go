package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/pubsub/mempubsub"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/api"
)

// Streams poll every few milliseconds here, so that tests wait for events,
// not for a poll interval.
func init() { eventsEvery = 5 * time.Millisecond }

// replicas serves two gateways on one bucket, as two replicas behind a load
// balancer would be: a stream may resume on either.
type replicas struct {
	a, b  *httptest.Server
	store *records.Store
}

func newReplicas(t *testing.T) *replicas {
	t.Helper()
	bucket := memblob.OpenBucket(nil)
	topic := mempubsub.NewTopic()
	t.Cleanup(func() {
		_ = topic.Shutdown(context.Background())
		_ = bucket.Close()
	})
	serve := func() *httptest.Server {
		gw, err := New(Config{}, Deps{Bucket: bucket, Requests: topic, Owners: func(r *http.Request) (string, error) {
			if o := r.Header.Get("X-Owner"); o != "" {
				return o, nil
			}
			return LocalOwner, nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(gw)
		t.Cleanup(srv.Close)
		return srv
	}
	return &replicas{a: serve(), b: serve(), store: records.NewStore(bucket)}
}

// putJob stores a job of n tasks named photo-0.jpg …, as POST /v1/jobs would.
func (rs *replicas) putJob(t *testing.T, n int) records.Job {
	t.Helper()
	j := records.Job{ID: events.NewID(), Owner: LocalOwner, Created: time.Now().UTC(), Ops: []json.RawMessage{json.RawMessage(`{"op":"thumbnail","width":8}`)}}
	for i := range n {
		id := events.NewID()
		j.Tasks = append(j.Tasks, records.JobTask{ID: id, Image: events.NewID(), Name: "photo-" + strconv.Itoa(i) + ".jpg",
			Output: events.Output{Key: records.OutputKey(LocalOwner, j.ID, id, ".jpg"), Format: "jpeg"}})
	}
	if err := rs.store.PutJob(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	return j
}

func (rs *replicas) started(t *testing.T, j records.Job, task, attempt int) {
	t.Helper()
	e := events.TaskStarted{Job: j.ID, Task: j.Tasks[task].ID, Owner: j.Owner, Attempt: attempt}
	if err := rs.store.MarkStarted(context.Background(), e, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func (rs *replicas) completed(t *testing.T, j records.Job, task, attempt int) {
	t.Helper()
	e := events.TaskCompleted{Job: j.ID, Task: j.Tasks[task].ID, Owner: j.Owner, Attempt: attempt,
		Result: events.Result{Key: j.Tasks[task].Output.Key, Format: "jpeg", Width: 8, Height: 6, Bytes: 321}}
	if err := rs.store.MarkCompleted(context.Background(), e, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func (rs *replicas) failed(t *testing.T, j records.Job, task, attempt int, reason string) {
	t.Helper()
	e := events.TaskFailed{Job: j.ID, Task: j.Tasks[task].ID, Owner: j.Owner, Attempt: attempt, Kind: "permanent", Reason: reason}
	if err := rs.store.MarkFailed(context.Background(), e, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// sseEvent is one event as received, with its data decoded.
type sseEvent struct {
	ID    string
	Event string
	Task  *api.Task
	Job   *api.Progress
}

// seq is the strictly increasing part of the event id.
func (e sseEvent) seq(t testing.TB) uint64 {
	t.Helper()
	n, _, _ := strings.Cut(e.ID, ".")
	v, err := strconv.ParseUint(n, 10, 64)
	if err != nil {
		t.Fatalf("event id %q: %v", e.ID, err)
	}
	return v
}

// short is what a test compares: the event and the facts it reports.
func (e sseEvent) short() string {
	if e.Task != nil {
		s := e.Event + " " + e.Task.Name + " " + string(e.Task.State) + " " + strconv.Itoa(e.Task.Attempts)
		if e.Task.Error != "" {
			s += " " + e.Task.Error
		}
		return s
	}
	return e.Event + " " + string(e.Job.State) + " " + countsString(e.Job.Counts) + " of " + strconv.Itoa(e.Job.Total)
}

func countsString(c map[api.TaskState]int) string {
	var parts []string
	for _, st := range []api.TaskState{"queued", "running", "succeeded", "failed"} {
		if c[st] > 0 {
			parts = append(parts, strconv.Itoa(c[st])+" "+string(st))
		}
	}
	return strings.Join(parts, ", ")
}

// stream is a client's connection to GET /v1/jobs/{id}/events.
type stream struct {
	events chan sseEvent // closed at the body's end
	err    error         // why the body ended, nil at EOF; set before events closes
	cancel context.CancelFunc
	resp   *http.Response
}

// connect opens the stream with Last-Event-ID lastID ("" for none).
func connect(t testing.TB, base, job, lastID string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/v1/jobs/"+job+"/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &stream{events: make(chan sseEvent, 100), cancel: cancel, resp: resp}
	t.Cleanup(s.close)
	if resp.StatusCode != http.StatusOK {
		// No events will come: say why at the first next.
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		s.err = fmt.Errorf("status %s: %s", resp.Status, bytes.TrimSpace(body))
		close(s.events)
		return s
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q, want text/event-stream", ct)
	}
	go s.read(t)
	return s
}

func (s *stream) close() {
	s.cancel()
	_ = s.resp.Body.Close()
}

// read parses the stream as the EventSource algorithm does: fields until a
// blank line, comments and retry ignored.
func (s *stream) read(t testing.TB) {
	sc := bufio.NewScanner(s.resp.Body)
	var ev sseEvent
	var data string
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if data != "" {
				var err error
				if ev.Event == "task" {
					err = json.Unmarshal([]byte(data), &ev.Task)
				} else {
					err = json.Unmarshal([]byte(data), &ev.Job)
				}
				if err != nil {
					t.Errorf("event %q: data %q: %v", ev.Event, data, err)
				}
				s.events <- ev
			}
			ev, data = sseEvent{ID: ev.ID}, ""
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			ev.ID = value
		case "event":
			ev.Event = value
		case "data":
			data += value
		}
	}
	s.err = sc.Err()
	close(s.events)
}

// next returns the next n events, failing the test if they do not come.
func (s *stream) next(t testing.TB, n int) []sseEvent {
	t.Helper()
	var out []sseEvent
	for len(out) < n {
		select {
		case e, ok := <-s.events:
			if !ok {
				t.Fatalf("stream ended (%v) after %d of %d events: %v", s.err, len(out), n, shorts(out))
			}
			out = append(out, e)
		case <-time.After(10 * time.Second):
			t.Fatalf("got %d of %d events: %v", len(out), n, shorts(out))
		}
	}
	return out
}

// ended waits for the server to close the stream, with no event before.
func (s *stream) ended(t *testing.T) {
	t.Helper()
	select {
	case e, ok := <-s.events:
		if ok {
			t.Fatalf("unexpected event %s", e.short())
		}
		if s.err != nil {
			t.Fatalf("stream ended with %v", s.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stream did not end")
	}
}

func shorts(evs []sseEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.short()
	}
	return out
}

// expect reads len(want) events and compares them with want.
func (s *stream) expect(t testing.TB, want ...string) []sseEvent {
	t.Helper()
	got := s.next(t, len(want))
	if diff := cmp.Diff(want, shorts(got)); diff != "" {
		t.Fatalf("events (-want +got):\n%s", diff)
	}
	return got
}

func TestJobEventsInOrderAndResumeOnAnotherReplica(t *testing.T) {
	rs := newReplicas(t)
	j := rs.putJob(t, 3)
	var seen []sseEvent

	s := connect(t, rs.a.URL, j.ID, "")
	seen = append(seen, s.expect(t,
		"task photo-0.jpg queued 0",
		"task photo-1.jpg queued 0",
		"task photo-2.jpg queued 0",
		"job queued 3 queued of 3")...)
	rs.started(t, j, 0, 1)
	seen = append(seen, s.expect(t, "task photo-0.jpg running 1", "job running 2 queued, 1 running of 3")...)
	rs.completed(t, j, 0, 1)
	got := s.expect(t, "task photo-0.jpg succeeded 1", "job running 2 queued, 1 succeeded of 3")
	if o := got[0].Task.Output; o == nil || o.Width != 8 || o.Height != 6 || o.Bytes != 321 {
		t.Errorf("succeeded task output %+v, want 8x6, 321 bytes", o)
	}
	seen = append(seen, got...)
	s.close()

	// While the client is away: one task fails, another starts.
	rs.started(t, j, 1, 1)
	rs.failed(t, j, 1, 1, "the picture is broken")
	rs.started(t, j, 2, 1)

	s = connect(t, rs.b.URL, j.ID, seen[len(seen)-1].ID)
	seen = append(seen, s.expect(t,
		"task photo-1.jpg failed 1 the picture is broken",
		"task photo-2.jpg running 1",
		"job running 1 running, 1 succeeded, 1 failed of 3")...)
	rs.started(t, j, 2, 2)
	seen = append(seen, s.expect(t, "task photo-2.jpg running 2")...)
	rs.completed(t, j, 2, 2)
	seen = append(seen, s.expect(t,
		"task photo-2.jpg succeeded 2",
		"job partial 2 succeeded, 1 failed of 3",
		"end partial 2 succeeded, 1 failed of 3")...)
	s.ended(t)

	for i := 1; i < len(seen); i++ {
		if a, b := seen[i-1].seq(t), seen[i].seq(t); b != a+1 {
			t.Errorf("event %d has id %q after %q: ids must go up by one across reconnections", i, seen[i].ID, seen[i-1].ID)
		}
	}
}

// TestJobEventsResumeBetweenTasksOfOnePoll breaks the connection after two of
// the three task events of one poll: the client must get the third and
// nothing twice.
func TestJobEventsResumeBetweenTasksOfOnePoll(t *testing.T) {
	rs := newReplicas(t)
	j := rs.putJob(t, 3)
	rs.started(t, j, 0, 1)
	rs.started(t, j, 1, 1)
	rs.started(t, j, 2, 1)

	s := connect(t, rs.a.URL, j.ID, "")
	first := s.expect(t, "task photo-0.jpg running 1", "task photo-1.jpg running 1")
	s.close()

	s = connect(t, rs.b.URL, j.ID, first[1].ID)
	s.expect(t, "task photo-2.jpg running 1", "job running 3 running of 3")
	rs.completed(t, j, 1, 1)
	s.expect(t, "task photo-1.jpg succeeded 1", "job running 2 running, 1 succeeded of 3")
}

func TestJobEventsStartAfreshOnAnUnusableID(t *testing.T) {
	rs := newReplicas(t)
	j := rs.putJob(t, 2)
	other := rs.putJob(t, 3)
	s := connect(t, rs.a.URL, other.ID, "")
	otherID := s.next(t, 1)[0].ID
	s.close()

	for _, id := range []string{"garbage", "12", "x.AQE", "3.!!", "7." + strings.Repeat("A", 5), otherID} {
		t.Run(id, func(t *testing.T) {
			s := connect(t, rs.a.URL, j.ID, id)
			s.expect(t, "task photo-0.jpg queued 0", "task photo-1.jpg queued 0", "job queued 2 queued of 2")
		})
	}
}

func TestJobEventsOfAFinalJobEnd(t *testing.T) {
	rs := newReplicas(t)
	j := rs.putJob(t, 2)
	rs.completed(t, j, 0, 1)
	rs.failed(t, j, 1, 3, "gave up after 3 attempts")

	s := connect(t, rs.a.URL, j.ID, "")
	got := s.expect(t,
		"task photo-0.jpg succeeded 1",
		"task photo-1.jpg failed 3 gave up after 3 attempts",
		"job partial 1 succeeded, 1 failed of 2",
		"end partial 1 succeeded, 1 failed of 2")
	s.ended(t)

	// A client that reconnects once more learns only that it is over.
	s = connect(t, rs.b.URL, j.ID, got[len(got)-1].ID)
	s.expect(t, "job partial 1 succeeded, 1 failed of 2", "end partial 1 succeeded, 1 failed of 2")
	s.ended(t)
}

func TestJobEventsOfUnknownOrOthersJobs(t *testing.T) {
	rs := newReplicas(t)
	j := rs.putJob(t, 1)
	tests := []struct{ name, job, owner string }{
		{"unknown id", events.NewID(), LocalOwner},
		{"malformed id", "not-an-id", LocalOwner},
		{"someone else's job", j.ID, "mallory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", rs.a.URL+"/v1/jobs/"+tt.job+"/events", nil)
			req.Header.Set("X-Owner", tt.owner)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body api.Error
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusNotFound || !strings.Contains(body.Error, "not found") {
				t.Errorf("got %d %+v (%v), want 404 with an error", resp.StatusCode, body, err)
			}
		})
	}
}

func TestEventIDRoundTrip(t *testing.T) {
	tests := [][]uint64{
		{},
		{1},
		{3, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1},
		{0, 0, taskKey(records.TaskStatus{State: records.Failed, Attempts: 5, Error: "boom"}), 11, 0},
	}
	for _, view := range tests {
		id := "42." + encodeView(view)
		seq, got := parseEventID(id, len(view))
		if seq != 42 || !cmp.Equal(got, view, cmpopts.EquateEmpty()) {
			t.Errorf("parseEventID(%q) = %d, %v; want 42, %v", id, seq, got, view)
		}
		if len(view) > 0 {
			if seq, got := parseEventID(id, len(view)+1); seq != 0 || slicesAnyNonZero(got) {
				t.Errorf("parseEventID(%q) for %d tasks = %d, %v; want a fresh start", id, len(view)+1, seq, got)
			}
		}
	}
	// A job's view stays short while tasks finish roughly in order.
	view := make([]uint64, 1000)
	for i := range view {
		switch {
		case i < 600:
			view[i] = taskKey(records.TaskStatus{State: records.Succeeded, Attempts: 1})
		case i < 608:
			view[i] = taskKey(records.TaskStatus{State: records.Running, Attempts: 1})
		default:
			view[i] = taskKey(records.TaskStatus{State: records.Queued})
		}
	}
	if enc := encodeView(view); len(enc) > 16 {
		t.Errorf("view of 1000 tasks in three runs is %d characters: %q", len(enc), enc)
	}
}

func slicesAnyNonZero(v []uint64) bool {
	for _, x := range v {
		if x != 0 {
			return true
		}
	}
	return false
}

func TestTaskKeyTellsChangesApart(t *testing.T) {
	states := []records.TaskStatus{
		{State: records.Queued},
		{State: records.Running, Attempts: 1},
		{State: records.Running, Attempts: 2},
		{State: records.Succeeded, Attempts: 2},
		{State: records.Failed, Attempts: 2, Error: "a"},
		{State: records.Failed, Attempts: 2, Error: "b"},
		{State: records.Failed, Attempts: 3, Error: "a"},
	}
	seen := map[uint64]int{}
	for i, st := range states {
		k := taskKey(st)
		if k == 0 {
			t.Errorf("taskKey(%+v) is 0, which means unseen", st)
		}
		if j, dup := seen[k]; dup {
			t.Errorf("taskKey of %+v equals that of %+v", st, states[j])
		}
		seen[k] = i
	}
}
