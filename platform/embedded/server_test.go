package embedded

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func start(t *testing.T, cfg Config) *NATS {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	n, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(n.Shutdown)
	return n
}

func connect(t *testing.T, n *NATS) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(n.URL())
	if err != nil {
		t.Fatalf("connect to %s: %v", n.URL(), err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func TestStart(t *testing.T) {
	n := start(t, Config{Dir: t.TempDir()})

	if !strings.HasPrefix(n.Addr(), "127.0.0.1:") {
		t.Errorf("Addr() = %q, want 127.0.0.1:port", n.Addr())
	}
	if strings.HasSuffix(n.Addr(), ":4222") {
		t.Errorf("Addr() = %q, picked the system port", n.Addr())
	}
	if want := "nats://" + n.Addr(); n.URL() != want {
		t.Errorf("URL() = %q, want %q", n.URL(), want)
	}
	js := connect(t, n)
	info, err := js.AccountInfo(t.Context())
	if err != nil {
		t.Fatalf("JetStream is not available: %v", err)
	}
	if info.Streams != 0 {
		t.Errorf("fresh server has %d streams, want 0", info.Streams)
	}
}

// TestRestartKeepsMessages publishes to a work queue, restarts the server on
// the same directory (the port may change) and receives the message.
func TestRestartKeepsMessages(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()

	first, err := Start(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	js := connect(t, first)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name:      "REQUESTS",
		Subjects:  []string{"pixmill.requests"},
		Retention: jetstream.WorkQueuePolicy,
		Storage:   jetstream.FileStorage,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "pixmill.requests", []byte("edit photo 1")); err != nil {
		t.Fatal(err)
	}
	first.Shutdown()

	second := start(t, Config{Dir: dir})
	js = connect(t, second)
	cons, err := js.CreateOrUpdateConsumer(ctx, "REQUESTS", jetstream.ConsumerConfig{
		Durable:   "workers",
		AckPolicy: jetstream.AckExplicitPolicy,
	})
	if err != nil {
		t.Fatalf("stream did not survive the restart: %v", err)
	}
	msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil {
		t.Fatalf("message did not survive the restart: %v", err)
	}
	if got, want := string(msg.Data()), "edit photo 1"; got != want {
		t.Errorf("got message %q, want %q", got, want)
	}
	if err := msg.DoubleAck(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestConfigRejected(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error
	}{
		{"system port", Config{Dir: "d", Port: 4222}, []string{"port 4222 is refused"}},
		{"no dir", Config{}, []string{"dir is required"}},
		{"public host", Config{Dir: "d", Host: "0.0.0.0"}, []string{`host "0.0.0.0" is not a loopback address`}},
		{"port range", Config{Dir: "d", Port: 70000}, []string{"port 70000 is out of range"}},
		{"all at once", Config{Host: "192.0.2.1", Port: 4222}, []string{"dir is required", `host "192.0.2.1"`, "port 4222"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Start(t.Context(), tt.cfg)
			if err == nil {
				n.Shutdown()
				t.Fatalf("Start(%+v) succeeded, want error", tt.cfg)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestConfigAccepted(t *testing.T) {
	for _, host := range []string{"", "127.0.0.1", "127.0.0.2", "localhost", "::1"} {
		if err := (Config{Dir: "d", Host: host}).withDefaults().validate(); err != nil {
			t.Errorf("host %q: %v", host, err)
		}
	}
}

func TestPortTaken(t *testing.T) {
	first := start(t, Config{Dir: t.TempDir()})
	_, p, err := net.SplitHostPort(first.Addr())
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}

	n, err := Start(t.Context(), Config{Dir: t.TempDir(), Port: port})
	if err == nil {
		n.Shutdown()
		t.Fatalf("second server on port %d started, want error", port)
	}
	if !strings.Contains(err.Error(), "did not start") {
		t.Errorf("error %q does not say the server did not start", err)
	}
}

// TestLogs checks that the server is silent by default and writes to the
// configured logger otherwise.
func TestLogs(t *testing.T) {
	t.Run("silent by default", func(t *testing.T) {
		out := captureStdio(t, func() {
			start(t, Config{Dir: t.TempDir()}).Shutdown()
		})
		if out != "" {
			t.Errorf("server wrote to stdout/stderr:\n%s", out)
		}
	})
	t.Run("configured logger", func(t *testing.T) {
		h := &recordingHandler{}
		start(t, Config{Dir: t.TempDir(), Logger: slog.New(h)}).Shutdown()
		if !h.saw("Server is ready") {
			t.Errorf("logger did not get the server's start-up notice; got %q", h.lines())
		}
	})
}

// captureStdio runs f with os.Stdout and os.Stderr redirected and returns
// what was written to them.
func captureStdio(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = w, w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	defer func() {
		os.Stdout, os.Stderr = stdout, stderr
	}()
	f()
	os.Stdout, os.Stderr = stdout, stderr
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return <-done
}

type recordingHandler struct {
	mu   sync.Mutex
	msgs []string
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler            { return h }

func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.msgs = append(h.msgs, r.Message)
	return nil
}

func (h *recordingHandler) lines() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.msgs...)
}

func (h *recordingHandler) saw(msg string) bool {
	for _, l := range h.lines() {
		if strings.Contains(l, msg) {
			return true
		}
	}
	return false
}

func TestDirInUse(t *testing.T) {
	dir := t.TempDir()
	first := start(t, Config{Dir: dir})

	n, err := Start(t.Context(), Config{Dir: dir})
	if err == nil {
		n.Shutdown()
		t.Fatal("second server on the same dir started, want error")
	}
	if !strings.Contains(err.Error(), "in use by another embedded server") {
		t.Errorf("error %q does not say the dir is in use", err)
	}

	// Once the first server is down, the dir is free again.
	first.Shutdown()
	start(t, Config{Dir: dir})
}
