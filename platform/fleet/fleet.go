// Package fleet runs the local worker fleet: a set of separate OS processes,
// each running `pixmill worker`, so that a crash in libvips takes down one
// worker and the messages it holds (which the broker redelivers once their
// lease runs out), never the service.
//
// The fleet keeps Size workers alive: a worker that exits is started again,
// after a back-off that grows while workers keep crashing soon after start.
// Stopping the fleet sends SIGTERM to every worker, which stops receiving and
// drains, and SIGKILL to any still running after Config.Grace.
package fleet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
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
	// Size is the number of workers to keep running.
	Size int
	// Grace is how long a stopping worker may drain before it is killed.
	Grace time.Duration
	// Output receives the workers' stdout and stderr (nil: discarded).
	Output io.Writer
	// MinBackoff and MaxBackoff bound the delay before restarting a worker
	// that crashed within a minute of starting.
	MinBackoff, MaxBackoff time.Duration
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
	pids    map[int]struct{}
	crashes []time.Time // when workers exited unasked, oldest first
}

// New returns a fleet that is not yet running.
func New(cfg Config, log *slog.Logger) (*Fleet, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Fleet{cfg: cfg, log: log, pids: map[int]struct{}{}}, nil
}

// PIDs returns the process ids of the running workers.
func (f *Fleet) PIDs() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]int, 0, len(f.pids))
	for p := range f.pids {
		out = append(out, p)
	}
	return out
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
	var wg sync.WaitGroup
	for i := range f.cfg.Size {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.keep(ctx, i)
		}()
	}
	<-ctx.Done()
	wg.Wait()
	return nil
}

// keep runs worker slot i, restarting it until ctx ends.
func (f *Fleet) keep(ctx context.Context, slot int) {
	backoff := f.cfg.MinBackoff
	for ctx.Err() == nil {
		started := time.Now()
		err := f.runOne(ctx, slot)
		if ctx.Err() != nil {
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
		f.log.Warn("worker exited, restarting", "slot", slot, "err", err, "after", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, f.cfg.MaxBackoff)
	}
}

func (f *Fleet) runOne(ctx context.Context, slot int) error {
	cmd := exec.Command(f.cfg.Command[0], f.cfg.Command[1:]...)
	cmd.Env = append(append(os.Environ(), f.cfg.Env...), fmt.Sprintf("PIXMILL_WORKER_SLOT=%d", slot))
	out := f.cfg.Output
	if out == nil {
		out = io.Discard
	}
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, so a Ctrl-C at the terminal reaches the
	// supervisor first and workers drain in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("fleet: starting worker: %w", err)
	}
	pid := cmd.Process.Pid
	f.mu.Lock()
	f.pids[pid] = struct{}{}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.pids, pid)
		f.mu.Unlock()
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		return err
	case <-ctx.Done():
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
