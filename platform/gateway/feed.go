package gateway

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/api"
)

// # Progress feeds
//
// Every client that follows a job (GET /v1/jobs/{id}/events) is served from
// one feed per job and gateway replica: the feed reads the job's records
// once a tick and keeps the job's state in memory; its streams compare what
// their client has seen with that state. So 25 watchers of a job cost the
// bucket what one does, and a tick costs each stream only the tasks that
// changed in it.
//
// What a tick reads depends on whether the feed is told of changes. A
// gateway given a Changes (pixmill up, where the results function runs in
// the same process) reads only the tasks it was told about, one small
// listing and at most one record each: a tick costs what changed, not the
// job's size. It still lists the whole job every Config.ProgressResync, for
// the records written elsewhere (another replica's results function, the
// dead-letter recorder, a redrive). A gateway alone (a gateway-only
// replica) lists the whole job every tick, as it must, but once for all
// its watchers.
//
// The feed keeps no state a client depends on: each event id still carries
// everything the client has seen (see sse.go), so a stream resumes exactly on
// any replica, whatever that replica's feed read and when.

// feeds are a gateway's progress feeds, by job id.
type feeds struct {
	store  *records.Store
	now    Clock
	log    *slog.Logger
	notice func(context.Context) string
	// told is whether a Changes tells of this process's writes; resync is
	// then how often a feed lists the whole job all the same.
	told   bool
	resync time.Duration
	// wait returns after a tick, or false once ctx is done.
	wait func(ctx context.Context) bool

	mu sync.Mutex
	m  map[string]*feed
}

// feedTicks is how many ticks of changes a feed remembers, so that a stream
// a little behind (its client slow to read) catches up from them rather
// than compare the whole job.
const feedTicks = 16

// feed is the shared reader of one job.
type feed struct {
	fs    *feeds
	job   records.Job
	index map[string]int // task id → position, for TaskChanged
	ready chan struct{}  // closed once the first read is done
	err   error          // of the first read, set before ready is closed

	ctx    context.Context
	cancel context.CancelFunc
	subs   int // guarded by fs.mu

	mu       sync.Mutex
	gen      uint64        // counts ticks that changed something, from 1
	wake     chan struct{} // closed when gen goes up
	keys     []uint64      // taskKey of each task
	data     [][]byte      // each task's event data, made once per change
	states   []records.State
	counts   map[records.State]int // of states; only run changes it
	sum      api.Progress
	recent   []feedTick // the last feedTicks ticks, oldest first
	pending  map[int]bool
	lastFull time.Time
	// Full reads (listings of the whole job) started and done, a channel
	// closed when one is done, and whether a stream asked for one.
	fullStarts, fullDone uint64
	fullRead             chan struct{}
	wantFull             bool
}

// feedTick is what one tick changed.
type feedTick struct {
	gen     uint64
	changed []int
}

// taskChanged hands a change on to the feed of its job, if anyone watches
// it.
func (fs *feeds) taskChanged(job, task string) {
	fs.mu.Lock()
	f := fs.m[job]
	fs.mu.Unlock()
	if f == nil {
		return
	}
	i, ok := f.index[task]
	if !ok {
		return
	}
	f.mu.Lock()
	f.pending[i] = true
	f.mu.Unlock()
}

// subscribe returns the feed of job j, starting it if nobody watches j on
// this replica yet, once it has read the job; release it when done.
//
// A client that resumes may know of changes this feed has not read yet:
// another replica told them, or this feed's last read was before them. Sent
// the feed's older state, it would see a task go back and then get its
// newer state twice. So for a resuming client (resume) the feed lists the
// whole job once more, after the client connected, before it is served:
// what the feed then knows is at least as new as anything the client saw.
func (fs *feeds) subscribe(ctx context.Context, j records.Job, resume bool) (*feed, error) {
	fs.mu.Lock()
	f := fs.m[j.ID]
	started := f != nil
	if f == nil {
		f = &feed{fs: fs, job: j, ready: make(chan struct{}), wake: make(chan struct{}), pending: map[int]bool{}, fullRead: make(chan struct{})}
		f.ctx, f.cancel = context.WithCancel(context.Background())
		if fs.told {
			f.index = make(map[string]int, len(j.Tasks))
			for i, t := range j.Tasks {
				f.index[t.ID] = i
			}
		}
		fs.m[j.ID] = f
		go f.run()
	}
	f.subs++
	fs.mu.Unlock()
	select {
	case <-f.ready:
	case <-ctx.Done():
		fs.release(f)
		return nil, ctx.Err()
	}
	if f.err != nil {
		fs.release(f)
		return nil, f.err
	}
	if started && resume {
		if err := f.readAfterNow(ctx); err != nil {
			fs.release(f)
			return nil, err
		}
	}
	return f, nil
}

// readAfterNow returns once a full read that started after the call is done.
func (f *feed) readAfterNow(ctx context.Context) error {
	f.mu.Lock()
	f.wantFull = true
	target := f.fullStarts + 1
	for f.fullDone < target {
		done := f.fullRead
		f.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		case <-f.ctx.Done():
			return f.ctx.Err()
		}
		f.mu.Lock()
	}
	f.mu.Unlock()
	return nil
}

// release ends a subscription; the last one stops the feed.
func (fs *feeds) release(f *feed) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f.subs--
	if f.subs == 0 {
		f.cancel()
		if fs.m[f.job.ID] == f {
			delete(fs.m, f.job.ID)
		}
	}
}

// run reads the job, then once a tick until the last watcher leaves. A
// failed first read fails the subscriptions waiting for it; a later one is
// logged and the state kept, as the next tick may succeed.
func (f *feed) run() {
	tasks, err := f.fs.store.Tasks(f.ctx, f.job)
	if err != nil {
		f.err = err
		f.fs.mu.Lock()
		if f.fs.m[f.job.ID] == f {
			delete(f.fs.m, f.job.ID)
		}
		f.fs.mu.Unlock()
		close(f.ready)
		return
	}
	f.lastFull = f.fs.now()
	f.keys = make([]uint64, len(tasks))
	f.data = make([][]byte, len(tasks))
	f.states = make([]records.State, len(tasks))
	f.counts = map[records.State]int{}
	f.update(allTasks(len(tasks)), tasks)
	close(f.ready)

	for f.fs.wait(f.ctx) {
		if err := f.read(); err != nil && f.ctx.Err() == nil {
			f.fs.log.Warn("events: reading task records", "job", f.job.ID, "err", err)
		}
	}
}

// read is one tick: the tasks TaskChanged named, or the whole job when the
// feed is not told of changes or its resync is due.
func (f *feed) read() error {
	now := f.fs.now()
	f.mu.Lock()
	full := f.wantFull || !f.fs.told || now.Sub(f.lastFull) >= f.fs.resync
	if full {
		f.fullStarts++
		f.wantFull = false
	}
	n := f.fullStarts
	f.mu.Unlock()
	if full {
		// Changes told while the listing runs are read after it: the
		// newer answer wins.
		tasks, err := f.fs.store.Tasks(f.ctx, f.job)
		if err != nil {
			f.mu.Lock()
			f.wantFull = true
			f.mu.Unlock()
			return err
		}
		f.lastFull = now
		f.update(allTasks(len(tasks)), tasks)
		f.mu.Lock()
		f.fullDone = n
		close(f.fullRead)
		f.fullRead = make(chan struct{})
		f.mu.Unlock()
	}
	f.mu.Lock()
	which := make([]int, 0, len(f.pending))
	for i := range f.pending {
		which = append(which, i)
	}
	clear(f.pending)
	f.mu.Unlock()
	if len(which) == 0 {
		f.update(nil, nil)
		return nil
	}
	slices.Sort(which)
	tasks, err := f.fs.store.TasksAt(f.ctx, f.job, which)
	if err != nil {
		f.mu.Lock()
		for _, i := range which {
			f.pending[i] = true
		}
		f.mu.Unlock()
		return err
	}
	f.update(which, tasks)
	return nil
}

// waitTick waits eventsEvery from the end of one read to the next, so that
// a slow bucket is not read back to back.
func waitTick(ctx context.Context) bool {
	t := time.NewTimer(eventsEvery)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func allTasks(n int) []int {
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	return all
}

// update takes the statuses of the tasks at the indexes which, keeps those
// that changed and the summary, and wakes the streams if anything did.
func (f *feed) update(which []int, tasks []records.TaskStatus) {
	var changed []int
	for n, i := range which {
		k := taskKey(tasks[n])
		if f.keys[i] == k {
			continue
		}
		data, err := json.Marshal(taskView(tasks[n]))
		if err != nil {
			f.fs.log.Error("events: encoding a task", "job", f.job.ID, "err", err)
			continue
		}
		changed = append(changed, i)
		if f.states[i] != "" {
			f.counts[f.states[i]]--
		}
		f.counts[tasks[n].State]++
		f.states[i] = tasks[n].State
		f.mu.Lock()
		f.keys[i], f.data[i] = k, data
		f.mu.Unlock()
	}
	sum := f.summary()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(changed) == 0 && sameSummary(sum, f.sum) {
		return
	}
	f.gen++
	f.sum = sum
	f.recent = append(f.recent, feedTick{gen: f.gen, changed: changed})
	if len(f.recent) > feedTicks {
		f.recent = slices.Delete(f.recent, 0, len(f.recent)-feedTicks)
	}
	close(f.wake)
	f.wake = make(chan struct{})
}

// summary is the job's "job" event, from the tally of its tasks.
func (f *feed) summary() api.Progress {
	total := len(f.job.Tasks)
	state := records.JobStateOf(f.counts, total)
	sum := api.Progress{ID: f.job.ID, State: api.JobState(state), Counts: map[api.TaskState]int{}, Total: total}
	for st, n := range f.counts {
		if n > 0 {
			sum.Counts[api.TaskState(st)] = n
		}
	}
	if !state.Final() {
		sum.Notice = f.fs.notice(f.ctx)
	}
	return sum
}

// taskEvent is a task event a stream is to send.
type taskEvent struct {
	index int
	key   uint64
	data  []byte
}

// since returns what a client with view v, up to date with tick gen, has
// not seen: the tasks whose state differs from v, in the job's order, the
// summary, the feed's tick and a channel closed when the next tick changes
// something. A stream just connected (gen 0) or far behind compares every
// task; others only those that changed since gen.
func (f *feed) since(v *view, gen uint64) ([]taskEvent, api.Progress, uint64, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var which []int
	if gen == 0 || len(f.recent) == 0 || f.recent[0].gen > gen+1 {
		which = allTasks(len(f.keys))
	} else {
		for _, t := range f.recent {
			if t.gen > gen {
				which = append(which, t.changed...)
			}
		}
		slices.Sort(which)
		which = slices.Compact(which)
	}
	var evs []taskEvent
	for _, i := range which {
		if v.keys[i] != f.keys[i] {
			evs = append(evs, taskEvent{index: i, key: f.keys[i], data: f.data[i]})
		}
	}
	return evs, f.sum, f.gen, f.wake
}
