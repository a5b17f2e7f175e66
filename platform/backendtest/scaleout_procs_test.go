package backendtest

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pixmill/pixmill/platform/stacktest"
)

// runPixmill runs pixmill to completion, or kills it after timeout, and
// returns its standard output and error together.
func runPixmill(t *testing.T, timeout time.Duration, args ...string) (string, error) {
	t.Helper()
	bin := stacktest.Binary(t) // built before the clock starts
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("pixmill %s did not finish within %s:\n%s", strings.Join(args, " "), timeout, out)
	}
	return string(out), err
}

// worker is a `pixmill worker` process, standing for one machine.
type worker struct {
	t    *testing.T
	cmd  *exec.Cmd
	log  string
	done chan error
}

func startWorker(t *testing.T, args []string) *worker {
	t.Helper()
	log := filepath.Join(t.TempDir(), "worker.log")
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(stacktest.Binary(t), append([]string{"worker"}, args...)...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := &worker{t: t, cmd: cmd, log: log, done: make(chan error, 1)}
	go func() { w.done <- cmd.Wait() }()
	t.Cleanup(func() {
		w.stop()
		if t.Failed() {
			b, _ := os.ReadFile(log)
			t.Logf("pixmill worker %d log:\n%s", cmd.Process.Pid, b)
		}
	})
	return w
}

// kill ends the worker with SIGKILL, as a machine losing power would.
func (w *worker) kill() {
	_ = w.cmd.Process.Signal(syscall.SIGKILL)
	<-w.done
	w.done = nil
}

var ackedLine = regexp.MustCompile(`msg="worker stopped" .*\backed=(\d+)`)

// stop ends the worker with SIGTERM and returns how many requests it acked
// over its life. It is safe to call twice.
func (w *worker) stop() int {
	if w.done != nil {
		_ = w.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-w.done:
			if err != nil {
				w.t.Errorf("pixmill worker exited with %v", err)
			}
		case <-time.After(60 * time.Second):
			_ = w.cmd.Process.Kill()
			w.t.Errorf("pixmill worker did not stop within 60s of SIGTERM")
		}
		w.done = nil
	}
	f, err := os.Open(w.log)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := ackedLine.FindStringSubmatch(sc.Text()); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n
		}
	}
	return 0
}
