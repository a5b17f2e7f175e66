package gateway

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/api"
)

// GET /v1/jobs/{id}/events streams a job's progress as server-sent events:
//
//	event: task   a task whose state, attempts or error changed, shaped like
//	              a task of GET /v1/jobs/{id}
//	event: job    {"id","state","counts","total","notice"}, first on each
//	              connection, then whenever it changes
//	event: end    the same summary, once the job is final; the stream closes
//
// # Why ids carry what the client has seen
//
// The gateway keeps nothing in memory between requests, so a client that
// reconnects may reach another replica; its Last-Event-ID must tell that
// replica everything needed. Tasks move on their own, in parallel, and their
// records carry no global order: two replicas polling the same bucket can see
// task 3 finish before task 7 or after it, so no job-wide number derived from
// the records (a count of facts, a sum of per-task versions) says which
// changes a client already has. A client that saw 5 events and one that saw
// another 5 would resume alike, and one of them would miss an event or get
// one twice.
//
// So each event id is "N.VIEW": N counts the events this client has received
// over all its connections (so ids increase strictly, whichever replica sends
// them), and VIEW is, for every task in the job's order, the (state,
// attempts, error) the client now knows, run-length encoded. A replica
// resuming from an id compares VIEW with the records and sends exactly the
// tasks that differ: nothing missed, nothing twice, even when the connection
// broke between two tasks of one poll. Workers take tasks roughly in the
// job's order, so VIEW is a few runs (done, a few in flight, queued) and
// stays short.
//
// Events report states, not every fact: a task that started and finished
// between two polls arrives once, as succeeded, with its attempts. The job
// summary is a snapshot: sending it again on a new connection is harmless.

// eventsEvery is how often a stream reads a job's records. A variable so
// tests can poll faster.
var eventsEvery = 500 * time.Millisecond

// keepAlivePolls is how many polls without an event pass before a comment
// line keeps proxies from closing an idle stream (15s at the default rate).
const keepAlivePolls = 30

// eventsRetry is the reconnection delay the browser is told to use.
const eventsRetry = 2 * time.Second

func (g *Gateway) jobEvents(w http.ResponseWriter, r *http.Request, owner string) {
	// The first read happens before any header is sent, so a storage
	// failure is still an HTTP error rather than a silent stream.
	j, tasks, ok := g.jobTasks(w, r, owner)
	if !ok {
		return
	}
	ctx := r.Context()
	seq, view := parseEventID(r.Header.Get("Last-Event-ID"), len(j.Tasks))
	rc := http.NewResponseController(w)
	// A server-wide write timeout would cut the stream; it ends when the
	// client goes or the job is final.
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: %d\n\n", eventsRetry.Milliseconds())

	s := &eventStream{w: w, seq: seq, view: view}
	var last api.Progress
	tick := time.NewTicker(eventsEvery)
	defer tick.Stop()
	idle := 0
	for {
		idle++
		if tasks != nil {
			sum := g.summary(r, j, tasks)
			sent, err := s.sendChanges(tasks, sum, last)
			if err != nil {
				return
			}
			if sent {
				idle, last = 0, sum
			}
			if records.State(sum.State).Final() {
				_ = s.send("end", sum)
				_ = rc.Flush()
				return
			}
		}
		if idle >= keepAlivePolls {
			idle = 0
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-g.closing:
			// The server is shutting down: end the stream so shutdown
			// need not wait; the client reconnects to another replica
			// or to this one once it is back, and misses nothing.
			return
		case <-tick.C:
		}
		var err error
		if tasks, err = g.store.Tasks(ctx, j); err != nil {
			if ctx.Err() != nil {
				return
			}
			// Keep the stream: the next poll may succeed, and the
			// client would only reconnect to the same trouble.
			g.log.Warn("events: reading task records", "job", j.ID, "err", err)
			tasks = nil
		}
	}
}

func (g *Gateway) summary(r *http.Request, j records.Job, tasks []records.TaskStatus) api.Progress {
	state := records.JobState(tasks)
	sum := api.Progress{ID: j.ID, State: api.JobState(state), Counts: map[api.TaskState]int{}, Total: len(tasks)}
	for st, n := range records.Counts(tasks) {
		sum.Counts[api.TaskState(st)] = n
	}
	if !state.Final() {
		sum.Notice = g.notice(r.Context())
	}
	return sum
}

// eventStream writes events and keeps the id state of one client.
type eventStream struct {
	w    http.ResponseWriter
	seq  uint64
	view []uint64
}

// sendChanges sends a task event for every task the client's view does not
// match, in the job's order, then the summary if it differs from last, the
// one sent before on this connection (none on a new one). It reports whether
// it sent anything.
func (s *eventStream) sendChanges(tasks []records.TaskStatus, sum, last api.Progress) (bool, error) {
	sent := false
	for i, t := range tasks {
		k := taskKey(t)
		if s.view[i] == k {
			continue
		}
		s.view[i] = k
		if err := s.send("task", taskView(t)); err != nil {
			return sent, err
		}
		sent = true
	}
	if !sameSummary(sum, last) {
		if err := s.send("job", sum); err != nil {
			return sent, err
		}
		sent = true
	}
	return sent, nil
}

func (s *eventStream) send(event string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	s.seq++
	_, err = fmt.Fprintf(s.w, "id: %d.%s\nevent: %s\ndata: %s\n\n", s.seq, encodeView(s.view), event, data)
	return err
}

func sameSummary(a, b api.Progress) bool {
	if a.ID != b.ID || a.State != b.State || a.Total != b.Total || a.Notice != b.Notice || len(a.Counts) != len(b.Counts) {
		return false
	}
	for k, v := range a.Counts {
		if b.Counts[k] != v {
			return false
		}
	}
	return true
}

func taskView(t records.TaskStatus) api.Task {
	tb := api.Task{ID: t.ID, Image: t.Image, Name: t.Name, State: api.TaskState(t.State), Attempts: t.Attempts, Error: t.Error}
	if t.Result != nil {
		tb.Output = &api.Output{Width: t.Result.Width, Height: t.Result.Height, Format: t.Result.Format, Bytes: t.Result.Bytes}
	}
	return tb
}

// taskKey packs what a client sees of a task into a number: the state in the
// low 3 bits, then the attempts, then 16 bits of a checksum of the error
// (a task's reason changes with its attempt in practice; the checksum
// catches a record rewritten with another reason for the same attempt).
// Never 0, which stands for a task the client has not seen: every state is
// 1 or more.
func taskKey(t records.TaskStatus) uint64 {
	var st uint64
	switch t.State {
	case records.Queued:
		st = 1
	case records.Running:
		st = 2
	case records.Succeeded:
		st = 3
	case records.Failed:
		st = 4
	default:
		st = 5
	}
	var e uint64
	if t.Error != "" {
		e = uint64(crc32.ChecksumIEEE([]byte(t.Error)) & 0xffff)
	}
	attempts := uint64(min(max(t.Attempts, 0), 1<<20-1))
	return e<<23 | attempts<<3 | st
}

// encodeView writes a view as (key, run length) pairs of uvarints in
// unpadded base64url, which an SSE id can hold.
func encodeView(view []uint64) string {
	var b []byte
	for i := 0; i < len(view); {
		j := i + 1
		for j < len(view) && view[j] == view[i] {
			j++
		}
		b = binary.AppendUvarint(b, view[i])
		b = binary.AppendUvarint(b, uint64(j-i))
		i = j
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// parseEventID reads a Last-Event-ID. Anything that is not an id of this
// job's stream (absent, malformed, another job's number of tasks) starts
// afresh: every task is sent.
func parseEventID(id string, tasks int) (uint64, []uint64) {
	fresh := make([]uint64, tasks)
	n, enc, ok := strings.Cut(id, ".")
	if !ok {
		return 0, fresh
	}
	seq, err := strconv.ParseUint(n, 10, 64)
	if err != nil {
		return 0, fresh
	}
	b, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return 0, fresh
	}
	view := make([]uint64, 0, tasks)
	for len(b) > 0 {
		key, k := binary.Uvarint(b)
		if k <= 0 {
			return 0, fresh
		}
		run, m := binary.Uvarint(b[k:])
		if m <= 0 || run == 0 || run > uint64(tasks-len(view)) {
			return 0, fresh
		}
		for range run {
			view = append(view, key)
		}
		b = b[k+m:]
	}
	if len(view) != tasks {
		return 0, fresh
	}
	return seq, view
}
