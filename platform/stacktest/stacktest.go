// Package stacktest runs the real pixmill binary for end-to-end tests and
// benchmarks: it builds `pixmill` once per test binary, starts `pixmill up`
// as a separate process on a data directory, finds the gateway's address in
// its log, and stops it with SIGTERM as a user's Ctrl-C would.
//
// It also provides test pictures: real photographs fetched by
// scripts/fetch-photos.sh (PIXMILL_PHOTOS) and generated ones.
package stacktest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// Binary builds the pixmill command once, with the test-only fault ops
// (-tags pixmill_faults: crash, sleep), and returns its path.
func Binary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		root, err := ModuleRoot()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "pixmill-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "pixmill")
		cmd := exec.Command("go", "build", "-tags", "pixmill_faults", "-o", binary, "./platform/cmd/pixmill")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building pixmill: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return binary
}

// ModuleRoot is the folder of pixmill's go.mod, where scripts and the
// Makefile are.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the pixmill module")
	}
	return filepath.Dir(mod), nil
}

// Proc is a running `pixmill up`.
type Proc struct {
	// URL is the gateway's base URL.
	URL  string
	cmd  *exec.Cmd
	log  *SyncBuffer
	tb   testing.TB
	done chan error
}

var upLine = regexp.MustCompile(`msg="pixmill is up" .*\burl=(\S+)`)

// Up starts `pixmill up --data DATA --addr 127.0.0.1:0 ARGS…` and waits
// until the gateway listens. The process is stopped when the test ends, and
// its log is shown if the test failed.
func Up(tb testing.TB, data string, args ...string) *Proc {
	tb.Helper()
	cmd := exec.Command(Binary(tb), append([]string{"up", "--data", data, "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), "PIXMILL_DEBUG=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	p := &Proc{cmd: cmd, log: &SyncBuffer{}, tb: tb, done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.log.WriteString(line + "\n")
			if m := upLine.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		p.done <- cmd.Wait()
	}()
	tb.Cleanup(func() {
		p.Stop()
		if tb.Failed() {
			tb.Logf("pixmill up log:\n%s", p.log.String())
		}
	})
	select {
	case p.URL = <-found:
	case err := <-p.done:
		p.done <- err
		tb.Fatalf("pixmill up exited before listening: %v\n%s", err, p.log.String())
	case <-time.After(60 * time.Second):
		tb.Fatalf("pixmill up did not start within 60s:\n%s", p.log.String())
	}
	return p
}

// Stop sends SIGTERM and waits for a clean exit. It is safe to call twice.
func (p *Proc) Stop() {
	p.tb.Helper()
	if p.cmd.ProcessState != nil || p.done == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done = nil
		if err != nil {
			p.tb.Errorf("pixmill up exited with %v", err)
		}
	case <-time.After(90 * time.Second):
		_ = p.cmd.Process.Kill()
		p.tb.Errorf("pixmill up did not stop within 90s of SIGTERM")
	}
}

// Log returns what the process has logged so far.
func (p *Proc) Log() string { return p.log.String() }

// SyncBuffer is a buffer that a process's output, or a logger, writes to
// while the test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// WriteString appends v.
func (s *SyncBuffer) WriteString(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.WriteString(v)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Eventually polls cond until it returns true or the deadline passes.
func Eventually(ctx context.Context, every time.Duration, cond func() (bool, error)) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Command runs `pixmill ARGS…` to completion and returns its standard output.
func Command(tb testing.TB, args ...string) (string, error) {
	tb.Helper()
	cmd := exec.Command(Binary(tb), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("pixmill %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out), nil
}

// Signal sends sig to the `pixmill up` process.
func (p *Proc) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Workers returns the process ids of the worker processes `pixmill up` runs
// now, read from /proc (their parent is the up process).
func (p *Proc) Workers() []int {
	parent := p.cmd.Process.Pid
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The command name is in parentheses and may hold spaces; the
		// parent pid is the second field after it.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(parent) && f[0] != "Z" {
			out = append(out, pid)
		}
	}
	return out
}
