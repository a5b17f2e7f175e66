package fleet

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test binary is its own fake worker: started with FLEET_FAKE_WORKER
// set, it crashes at once if FAKE_CRASH is set; otherwise it makes a file
// named after its pid in FAKE_READY once it listens for SIGTERM, reports
// busy if its slot is FAKE_BUSY_SLOT, and on SIGTERM writes "slot pid" to
// the file FAKE_STOPPED and exits.
func TestMain(m *testing.M) {
	if os.Getenv("FLEET_FAKE_WORKER") != "" {
		fakeWorker()
		return
	}
	os.Exit(m.Run())
}

func fakeWorker() {
	if os.Getenv("FAKE_CRASH") != "" {
		os.Exit(3)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM)
	st := StatusFromEnv(os.Getenv)
	slot := os.Getenv("PIXMILL_WORKER_SLOT")
	if slot == os.Getenv("FAKE_BUSY_SLOT") {
		st.Busy("task-in-slot-" + slot)
	}
	if dir := os.Getenv("FAKE_READY"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, fmt.Sprint(os.Getpid())), nil, 0o600)
	}
	<-stop
	if p := os.Getenv("FAKE_STOPPED"); p != "" {
		f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err == nil {
			fmt.Fprintf(f, "%s %d\n", slot, os.Getpid())
			f.Close()
		}
	}
	st.Idle()
	os.Exit(0)
}

func startFleet(t *testing.T, size int, env ...string) *Fleet {
	t.Helper()
	ready = t.TempDir()
	started.mu.Lock()
	started.tasks = nil
	started.mu.Unlock()
	f, err := New(Config{
		Command:    []string{os.Args[0]},
		Env:        append([]string{"FLEET_FAKE_WORKER=1", "FAKE_READY=" + ready}, env...),
		Size:       size,
		Grace:      10 * time.Second,
		MinBackoff: 10 * time.Millisecond,
		MaxBackoff: 40 * time.Millisecond,
		Started: func(task string) {
			started.mu.Lock()
			defer started.mu.Unlock()
			started.tasks = append(started.tasks, task)
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if pids := f.PIDs(); len(pids) != 0 {
			t.Errorf("workers left running: %v", pids)
		}
	})
	return f
}

// ready is the FAKE_READY directory of the test running.
var ready string

// started are the tasks the fleet of the running test was told of.
var started struct {
	mu    sync.Mutex
	tasks []string
}

// readyWorkers counts the workers running now that listen for SIGTERM.
func readyWorkers(f *Fleet) int {
	n := 0
	for _, pid := range f.PIDs() {
		if _, err := os.Stat(filepath.Join(ready, fmt.Sprint(pid))); err == nil {
			n++
		}
	}
	return n
}

// waitFor polls cond until it holds, failing after 20s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestResize(t *testing.T) {
	stopped := filepath.Join(t.TempDir(), "stopped")
	f := startFleet(t, 0, "FAKE_STOPPED="+stopped)
	if st := f.Stats(); st != (Stats{}) {
		t.Fatalf("stats at size 0: %+v", st)
	}
	f.Resize(3)
	waitFor(t, "3 workers", func() bool { return f.Stats().Running == 3 && readyWorkers(f) == 3 })
	f.Resize(1)
	if f.Size() != 1 {
		t.Errorf("size %d after Resize(1)", f.Size())
	}
	waitFor(t, "1 worker left", func() bool { st := f.Stats(); return st.Running == 1 && st.Draining == 0 && len(f.PIDs()) == 1 })
	// The two retired got SIGTERM and exited by themselves: no crash.
	if n := f.Crashes(time.Now(), time.Minute); n != 0 {
		t.Errorf("%d crashes recorded for a scale-down", n)
	}
	b, _ := os.ReadFile(stopped)
	if n := strings.Count(string(b), "\n"); n != 2 {
		t.Errorf("%d workers stopped on SIGTERM, want 2:\n%s", n, b)
	}
	// Up again: the freed slots are reused.
	f.Resize(2)
	waitFor(t, "2 workers", func() bool { return f.Stats().Running == 2 })
}

func TestScaleDownRetiresBusyWorkersFirst(t *testing.T) {
	stopped := filepath.Join(t.TempDir(), "stopped")
	f := startFleet(t, 3, "FAKE_STOPPED="+stopped, "FAKE_BUSY_SLOT=1")
	waitFor(t, "3 workers, one busy", func() bool { st := f.Stats(); return st.Running == 3 && st.Busy == 1 && readyWorkers(f) == 3 })
	started.mu.Lock()
	if want := []string{"task-in-slot-1"}; !slices.Equal(started.tasks, want) {
		t.Errorf("the fleet was told of tasks started %q, want %q", started.tasks, want)
	}
	started.mu.Unlock()
	f.Resize(2)
	waitFor(t, "the retired worker to stop", func() bool { st := f.Stats(); return st.Running == 2 && st.Draining == 0 })
	b, _ := os.ReadFile(stopped)
	if !strings.HasPrefix(string(b), "1 ") {
		t.Errorf("stopped %q, want the busy worker in slot 1", b)
	}
	// Then the most recently started of the idle ones.
	f.Resize(1)
	waitFor(t, "one worker", func() bool { return f.Stats().Running == 1 && len(f.PIDs()) == 1 })
	b, _ = os.ReadFile(stopped)
	lines := strings.Fields(strings.ReplaceAll(string(b), "\n", " "))
	if len(lines) != 4 || !slices.Contains([]string{"0", "2"}, lines[2]) {
		t.Errorf("stopped %q", b)
	}
}

func TestCrashedWorkersAreRestarted(t *testing.T) {
	f := startFleet(t, 2, "FAKE_CRASH=1")
	waitFor(t, "crashes", func() bool { return f.Crashes(time.Now(), time.Minute) >= 6 })
	if f.Size() != 2 {
		t.Errorf("size %d, want 2 still", f.Size())
	}
	// A scale-down while the slots back off retires them for good.
	f.Resize(0)
	waitFor(t, "no slots", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.slots) == 0
	})
}

func TestStatusWithoutAFleet(t *testing.T) {
	var s *Status
	s.Busy("t") // nil: no-op
	if StatusFromEnv(func(string) string { return "" }) != nil {
		t.Error("a status without a pipe")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	st := &Status{f: w}
	r.Close()
	st.Busy("t") // the fleet went away: the write fails quietly, then stops
	st.Idle()
	if err := st.Close(); err != nil {
		t.Error(err)
	}
}
