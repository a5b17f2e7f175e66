// Package fleet runs the local worker fleet: a set of separate OS processes,
// each running `pixmill worker`, so that a crash in libvips takes down one
// worker and the messages it holds (which the broker redelivers once their
// lease runs out), never the service.
//
// The fleet keeps Size workers alive, each in a numbered slot: a worker that
// exits unasked is started again, after a back-off that grows while workers
// keep crashing soon after start. Resize changes the size while the fleet
// runs; the autoscaler calls it. Stopping the fleet sends SIGTERM to every
// worker, which stops receiving and drains, and SIGKILL to any still running
// after Config.Grace.
//
// # Scaling down
//
// A scale-down retires workers with SIGTERM: a worker stops receiving,
// finishes the tasks in hand and exits, so nothing it holds is redelivered.
// The fleet retires busy workers before idle ones, the most recently started
// first. Busy first, because a worker with a task in hand has no request
// open on the broker (it asks for the next message only when a slot is
// free): it finishes its task and leaves. An idle worker is waiting on a
// pull request that stays open on the broker for up to the subscription's
// fetch wait (1s for JetStream); a request arriving in that moment goes to
// the worker that is leaving, which can only release it, and it is
// delivered again. A task longer than the worker's drain time (25s by
// default) is the one case where retiring a busy worker costs a delivery.
//
// # Worker status
//
// Each worker gets the write end of a pipe as file descriptor 3, named by
// PIXMILL_STATUS_FD, and reports on it through Status: a byte when it starts
// a task, another when it ends one. That is how the fleet knows which
// workers are busy; a worker that reports nothing counts as idle.
package fleet

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Config describes the workers to run.
type Config struct {
	// Command is the worker's argv; Command[0] is the program.
	Command []string
	// Env is added to the fleet process' environment for each worker.
	Env []string
	// SlotEnv, if set, gives more environment for the worker in a slot
	// (a metrics port per slot, say). Slots are numbered from 0; a new
	// worker takes the lowest number free.
	SlotEnv func(slot int) []string
	// Size is the number of workers to keep running at first.
	Size int
	// Grace is how long a stopping worker may drain before it is killed.
	Grace time.Duration
	// Output receives the workers' stdout and stderr (nil: discarded).
	Output io.Writer
	// MinBackoff and MaxBackoff bound the delay before restarting a worker
	// that crashed within a minute of starting.
	MinBackoff, MaxBackoff time.Duration
	// Started, if set, is told the id of each task a worker starts, as
	// the worker reports it; it must not block for long.
	Started func(task string)
}

func (c *Config) setDefaults() error {
	if len(c.Command) == 0 {
		return errors.New("fleet: no worker command")
	}
	if c.Size < 0 {
		return fmt.Errorf("fleet: size must not be negative, got %d", c.Size)
	}
	if c.Grace == 0 {
		c.Grace = 30 * time.Second
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = 100 * time.Millisecond
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 10 * time.Second
	}
	c.MinBackoff = min(c.MinBackoff, c.MaxBackoff)
	return nil
}

// Fleet supervises worker processes.
type Fleet struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	size    int
	slots   map[int]*slot
	ctx     context.Context // Run's; nil until it runs
	stopped bool            // Run's context ended: no new slots
	wg      sync.WaitGroup
	crashes []time.Time // when workers exited unasked, oldest first
}

// slot is one place in the fleet and the worker process in it, if any.
type slot struct {
	index    int
	retire   chan struct{} // closed when a scale-down retires the slot
	retiring bool
	pid      int       // 0 while no process runs (starting, backing off)
	started  time.Time // when the process in the slot started
	busy     int       // tasks in hand, as the worker reports them
}

// New returns a fleet that is not yet running.
func New(cfg Config, log *slog.Logger) (*Fleet, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Fleet{cfg: cfg, log: log, size: cfg.Size, slots: map[int]*slot{}}, nil
}

// PIDs returns the process ids of the running workers, draining ones
// included.
func (f *Fleet) PIDs() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int
	for _, s := range f.slots {
		if s.pid != 0 {
			out = append(out, s.pid)
		}
	}
	return out
}

// Size is the number of workers the fleet keeps, draining ones left out.
func (f *Fleet) Size() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.size
}

// Stats counts the worker processes.
type Stats struct {
	// Running workers take tasks; Draining ones were retired and are
	// finishing theirs.
	Running, Draining int
	// Busy workers have a task in hand (of those that report it).
	Busy int
}

// Stats returns the processes running now.
func (f *Fleet) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	var st Stats
	for _, s := range f.slots {
		switch {
		case s.pid == 0:
		case s.retiring:
			st.Draining++
		default:
			st.Running++
		}
		if s.pid != 0 && s.busy > 0 {
			st.Busy++
		}
	}
	return st
}

// Resize sets the number of workers to keep. Growing starts workers at
// once; shrinking retires workers as the package documentation says.
func (f *Fleet) Resize(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.size = max(n, 0)
	if f.ctx != nil {
		f.reconcile()
	}
}

// Crashes counts workers that exited without being asked to in the window
// before now.
func (f *Fleet) Crashes(now time.Time, window time.Duration) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, t := range f.crashes {
		if now.Sub(t) <= window {
			n++
		}
	}
	return n
}

// Run keeps the fleet at its size until ctx ends, then stops every worker and
// returns once all have exited.
func (f *Fleet) Run(ctx context.Context) error {
	f.mu.Lock()
	f.ctx = ctx
	f.reconcile()
	f.mu.Unlock()
	<-ctx.Done()
	f.mu.Lock()
	f.stopped = true
	f.mu.Unlock()
	f.wg.Wait()
	return nil
}

// reconcile starts or retires slots to match the size. f.mu is held.
func (f *Fleet) reconcile() {
	if f.stopped {
		return
	}
	var active []*slot
	for _, s := range f.slots {
		if !s.retiring {
			active = append(active, s)
		}
	}
	for n := len(active); n < f.size; n++ {
		i := 0
		for f.slots[i] != nil {
			i++
		}
		s := &slot{index: i, retire: make(chan struct{})}
		f.slots[i] = s
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.keep(f.ctx, s)
		}()
	}
	if len(active) <= f.size {
		return
	}
	// Busy first, then the most recently started (a slot with no process
	// yet counts as newest: it has nothing to lose), then the highest slot.
	slices.SortFunc(active, func(a, b *slot) int {
		if (a.busy > 0) != (b.busy > 0) {
			if a.busy > 0 {
				return -1
			}
			return 1
		}
		if c := b.started.Compare(a.started); c != 0 && a.pid != 0 && b.pid != 0 {
			return c
		}
		if (a.pid == 0) != (b.pid == 0) {
			if a.pid == 0 {
				return -1
			}
			return 1
		}
		return b.index - a.index
	})
	for _, s := range active[:len(active)-f.size] {
		s.retiring = true
		close(s.retire)
		f.log.Info("retiring a worker", "slot", s.index, "pid", s.pid, "busy", s.busy > 0)
	}
}

// done reports whether slot s is to stop: the fleet is stopping, or the
// slot was retired.
func (s *slot) done(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return true
	case <-s.retire:
		return true
	default:
		return false
	}
}

// keep runs the worker in slot s, restarting it after crashes, until ctx
// ends or the slot is retired.
func (f *Fleet) keep(ctx context.Context, s *slot) {
	defer func() {
		f.mu.Lock()
		delete(f.slots, s.index)
		f.mu.Unlock()
	}()
	backoff := f.cfg.MinBackoff
	for {
		if s.done(ctx) {
			return
		}
		started := time.Now()
		err := f.runOne(ctx, s)
		if s.done(ctx) {
			return
		}
		f.mu.Lock()
		f.crashes = append(f.crashes, time.Now())
		if len(f.crashes) > 1000 {
			f.crashes = f.crashes[len(f.crashes)-1000:]
		}
		f.mu.Unlock()
		if time.Since(started) > time.Minute {
			backoff = f.cfg.MinBackoff
		}
		f.log.Warn("worker exited, restarting", "slot", s.index, "err", err, "after", backoff)
		select {
		case <-ctx.Done():
			return
		case <-s.retire:
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, f.cfg.MaxBackoff)
	}
}

// runOne runs one worker process in slot s until it exits, or until ctx
// ends or the slot is retired, when it is asked to stop.
func (f *Fleet) runOne(ctx context.Context, s *slot) error {
	cmd := exec.Command(f.cfg.Command[0], f.cfg.Command[1:]...)
	cmd.Env = append(append(os.Environ(), f.cfg.Env...), fmt.Sprintf("PIXMILL_WORKER_SLOT=%d", s.index), EnvStatusFD+"=3")
	if f.cfg.SlotEnv != nil {
		cmd.Env = append(cmd.Env, f.cfg.SlotEnv(s.index)...)
	}
	out := f.cfg.Output
	if out == nil {
		out = io.Discard
	}
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, so a Ctrl-C at the terminal reaches the
	// supervisor first and workers drain in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	status, report, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("fleet: status pipe: %w", err)
	}
	cmd.ExtraFiles = []*os.File{report}
	err = cmd.Start()
	report.Close()
	if err != nil {
		status.Close()
		return fmt.Errorf("fleet: starting worker: %w", err)
	}
	pid := cmd.Process.Pid
	f.mu.Lock()
	s.pid, s.started, s.busy = pid, time.Now(), 0
	f.mu.Unlock()
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		f.readStatus(s, status)
	}()
	defer func() {
		status.Close()
		<-readDone
		f.mu.Lock()
		s.pid, s.busy = 0, 0
		f.mu.Unlock()
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		return err
	case <-ctx.Done():
	case <-s.retire:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		return err
	case <-time.After(f.cfg.Grace):
		f.log.Warn("worker did not drain in time, killing it", "pid", pid, "grace", f.cfg.Grace)
		_ = cmd.Process.Kill()
		return <-exited
	}
}

// readStatus follows a worker's reports until its pipe closes.
func (f *Fleet) readStatus(s *slot, r io.Reader) {
	br := bufio.NewReader(r)
	for {
		b, err := br.ReadByte()
		if err != nil {
			return
		}
		if b == statusBusy {
			line, err := br.ReadString(statusEnd)
			if err != nil {
				return
			}
			task := strings.TrimSuffix(line, string(statusEnd))
			if task != "" && f.cfg.Started != nil {
				f.cfg.Started(task)
			}
		}
		f.mu.Lock()
		switch b {
		case statusBusy:
			s.busy++
		case statusIdle:
			s.busy = max(s.busy-1, 0)
		}
		f.mu.Unlock()
	}
}
