package gateway

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"slices"
	"sort"
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
// A client that reconnects may reach another replica, whose feed (feed.go)
// read the records at other moments and knows nothing of this client; its
// Last-Event-ID must tell that replica everything needed. Tasks move on their own, in parallel, and their
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

// eventsEvery is how often a job's feed reads its records. A variable so
// tests can poll faster.
var eventsEvery = 500 * time.Millisecond

// keepAlive is how long a stream may pass without an event before a comment
// line keeps proxies from closing it.
const keepAlive = 15 * time.Second

// eventsRetry is the reconnection delay the browser is told to use.
const eventsRetry = 2 * time.Second

func (g *Gateway) jobEvents(w http.ResponseWriter, r *http.Request, owner string) {
	// The job's first read happens before any header is sent, so a
	// storage failure is still an HTTP error rather than a silent stream.
	j, err := g.loadJob(r, owner)
	if err != nil {
		g.fail(w, r, err)
		return
	}
	seq, keys := parseEventID(r.Header.Get("Last-Event-ID"), len(j.Tasks))
	f, err := g.feeds.subscribe(r.Context(), j, seq > 0)
	if err != nil {
		g.fail(w, r, err)
		return
	}
	defer g.feeds.release(f)
	ctx := r.Context()
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

	s := &eventStream{w: w, seq: seq, view: newView(keys)}
	var last api.Progress
	var gen uint64
	idle := time.NewTimer(keepAlive)
	defer idle.Stop()
	for {
		evs, sum, now, wake := f.since(s.view, gen)
		gen = now
		sent, err := s.sendChanges(evs, sum, last)
		if err != nil {
			return
		}
		if sent {
			last = sum
			idle.Reset(keepAlive)
		}
		if records.State(sum.State).Final() {
			_ = s.send("end", sum)
			_ = rc.Flush()
			return
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
		case <-idle.C:
			idle.Reset(keepAlive)
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
		case <-wake:
		}
	}
}

// eventStream writes events and keeps the id state of one client.
type eventStream struct {
	w    http.ResponseWriter
	seq  uint64
	view *view
}

// sendChanges sends the task events evs, then the summary if it differs
// from last, the one sent before on this connection (none on a new one). It
// reports whether it sent anything.
func (s *eventStream) sendChanges(evs []taskEvent, sum, last api.Progress) (bool, error) {
	sent := false
	for _, e := range evs {
		s.view.set(e.index, e.key)
		if err := s.write("task", e.data); err != nil {
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
	return s.write(event, data)
}

func (s *eventStream) write(event string, data []byte) error {
	s.seq++
	_, err := fmt.Fprintf(s.w, "id: %d.%s\nevent: %s\ndata: %s\n\n", s.seq, s.view.encode(), event, data)
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

// view is what a client has seen of each task, its taskKey (0: not seen),
// kept flat, to compare, and as runs of equal keys, so that writing the id
// of each event costs the runs, a few while tasks finish roughly in order,
// not the job's size.
type view struct {
	keys []uint64
	runs []viewRun // in order; a run ends where the next starts
}

type viewRun struct {
	start int
	key   uint64
}

func newView(keys []uint64) *view {
	v := &view{keys: keys}
	for i, k := range keys {
		if i == 0 || k != keys[i-1] {
			v.runs = append(v.runs, viewRun{i, k})
		}
	}
	return v
}

// set records that the client now knows task i as key k.
func (v *view) set(i int, k uint64) {
	if v.keys[i] == k {
		return
	}
	old := v.keys[i]
	v.keys[i] = k
	// The run holding i becomes up to three: before i, i, after i.
	r := sort.Search(len(v.runs), func(n int) bool { return v.runs[n].start > i }) - 1
	end := len(v.keys)
	if r+1 < len(v.runs) {
		end = v.runs[r+1].start
	}
	var parts []viewRun
	if i > v.runs[r].start {
		parts = append(parts, viewRun{v.runs[r].start, old})
	}
	parts = append(parts, viewRun{i, k})
	if i+1 < end {
		parts = append(parts, viewRun{i + 1, old})
	}
	v.runs = slices.Replace(v.runs, r, r+1, parts...)
	// Then neighbours with equal keys merge.
	for n := min(r+len(parts), len(v.runs)-1); n >= max(r, 1); n-- {
		if v.runs[n].key == v.runs[n-1].key {
			v.runs = slices.Delete(v.runs, n, n+1)
		}
	}
}

// encode writes the view as (key, run length) pairs of uvarints in
// unpadded base64url, which an SSE id can hold.
func (v *view) encode() string {
	var b []byte
	for n, r := range v.runs {
		end := len(v.keys)
		if n+1 < len(v.runs) {
			end = v.runs[n+1].start
		}
		b = binary.AppendUvarint(b, r.key)
		b = binary.AppendUvarint(b, uint64(end-r.start))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// encodeView is the id part of a view given as keys.
func encodeView(keys []uint64) string { return newView(keys).encode() }

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
