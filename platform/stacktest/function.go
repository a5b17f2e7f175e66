package stacktest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	functionOnce sync.Once
	functionBin  string
	functionErr  error
)

// FunctionBinary builds pixmill-function (the Functions Framework server
// around the root package, as Knative and Cloud Run run it) once, with the
// test-only fault ops as Binary, and returns its path.
func FunctionBinary(tb testing.TB) string {
	tb.Helper()
	functionOnce.Do(func() {
		root, err := ModuleRoot()
		if err != nil {
			functionErr = err
			return
		}
		dir, err := os.MkdirTemp("", "pixmill-function-")
		if err != nil {
			functionErr = err
			return
		}
		functionBin = filepath.Join(dir, "pixmill-function")
		cmd := exec.Command("go", "build", "-tags", "pixmill_faults", "-o", functionBin, "./platform/cmd/pixmill-function")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			functionErr = fmt.Errorf("building pixmill-function: %v\n%s", err, out)
		}
	})
	if functionErr != nil {
		tb.Fatal(functionErr)
	}
	return functionBin
}

// Function serves the function target (Edit, Results, …) with
// pixmill-function on a free loopback port, with env added to its
// environment, and returns its base URL once it listens. It is stopped when
// the test ends, and its log is shown if the test failed.
func Function(tb testing.TB, target string, env ...string) string {
	tb.Helper()
	return serveFunction(tb, target, false, env).URL
}

// Served is a function served by RestartingFunction.
type Served struct {
	// URL is the function's base URL; it stays the same across restarts.
	URL      string
	restarts *atomic.Int32
}

// Restarts is how many times the function's process died and was started
// again.
func (s *Served) Restarts() int { return int(s.restarts.Load()) }

// RestartingFunction is Function for a process that may die (a crash op
// kills it), served the way Cloud Run and Knative serve one: whenever the
// process exits a new one is started, and callers reach it through a front
// end of their own (a reverse proxy on a second address, the URL returned)
// that holds a request until an instance listens and answers 503 for a
// request whose instance died under it.
func RestartingFunction(tb testing.TB, target string, env ...string) *Served {
	tb.Helper()
	s := serveFunction(tb, target, true, env)
	backend, err := url.Parse(s.URL)
	if err != nil {
		tb.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(backend)
	dialer := &net.Dialer{}
	proxy.Transport = &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			// Between instances nothing listens: wait for the next one.
			for {
				c, err := dialer.DialContext(ctx, network, addr)
				if err == nil || ctx.Err() != nil {
					return c, err
				}
				select {
				case <-ctx.Done():
					return nil, ctx.Err()
				case <-time.After(20 * time.Millisecond):
				}
			}
		},
		DisableKeepAlives: true,
	}
	proxy.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		http.Error(w, "the instance failed: "+err.Error(), http.StatusServiceUnavailable)
	}
	front := httptest.NewServer(proxy)
	tb.Cleanup(front.Close)
	return &Served{URL: front.URL, restarts: s.restarts}
}

func serveFunction(tb testing.TB, target string, restart bool, env []string) *Served {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &Served{URL: "http://" + addr, restarts: new(atomic.Int32)}
	log := &SyncBuffer{}
	start := func() (*exec.Cmd, chan struct{}, error) {
		cmd := exec.Command(FunctionBinary(tb))
		cmd.Env = append(os.Environ(), append([]string{"FUNCTION_TARGET=" + target, "HOST=127.0.0.1", "PORT=" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)}, env...)...)
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			return nil, nil, err
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		return cmd, exited, nil
	}
	cmd, exited, err := start()
	if err != nil {
		tb.Fatal(err)
	}
	var (
		mu      sync.Mutex
		stopped bool
		done    = make(chan struct{})
	)
	if restart {
		go func() {
			defer close(done)
			for {
				mu.Lock()
				ex := exited
				mu.Unlock()
				<-ex
				mu.Lock()
				if stopped {
					mu.Unlock()
					return
				}
				s.restarts.Add(1)
				log.WriteString(fmt.Sprintf("--- %s exited; starting it again\n", target))
				c, e, err := start()
				if err != nil {
					log.WriteString(fmt.Sprintf("--- restarting %s: %v\n", target, err))
					mu.Unlock()
					return
				}
				cmd, exited = c, e
				mu.Unlock()
			}
		}()
	} else {
		close(done)
	}
	tb.Cleanup(func() {
		mu.Lock()
		stopped = true
		c, ex := cmd, exited
		mu.Unlock()
		_ = c.Process.Kill()
		<-ex
		<-done
		if tb.Failed() {
			tb.Logf("%s function log:\n%s", target, log.String())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = Eventually(ctx, 20*time.Millisecond, func() (bool, error) {
		if !restart {
			select {
			case <-exited:
				return false, fmt.Errorf("exited: %v", cmd.ProcessState)
			default:
			}
		}
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil, nil
	})
	if err != nil {
		tb.Fatalf("%s function did not listen on %s: %v\n%s", target, addr, err, log.String())
	}
	return s
}
