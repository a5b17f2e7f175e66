package notify_test

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pixmill/pixmill/platform/notify"
)

var secret = []byte("alice's notification secret")

// receiver is a webhook receiver on a real socket that does the handshake,
// checks each POST and counts what it accepted.
type receiver struct {
	t *testing.T
	// fail answers this many POSTs 503 before accepting.
	fail int
	// hang, if set, never answers a POST until the test ends.
	hang chan struct{}

	mu       sync.Mutex
	posts    int
	accepted []notify.JobFinished
	ids      []string
	got      chan struct{}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions {
		if r.Header.Get("WebHook-Request-Origin") == "" {
			http.Error(w, "no origin", http.StatusBadRequest)
			return
		}
		w.Header().Set("WebHook-Allowed-Origin", r.Header.Get("WebHook-Request-Origin"))
		return
	}
	if rc.hang != nil {
		<-rc.hang
		return
	}
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.posts++
	if rc.posts <= rc.fail {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if r.Header.Get("Ce-Type") != notify.TypeJobFinished || r.Header.Get("Ce-Specversion") != "1.0" || r.Header.Get("Content-Type") != "application/json" {
		rc.t.Errorf("not a binary-mode job.finished: %v", r.Header)
	}
	ts, _, _ := strings.Cut(strings.TrimPrefix(r.Header.Get(notify.SignatureHeader), "t="), ",")
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		rc.t.Errorf("signature %q has no time", r.Header.Get(notify.SignatureHeader))
	}
	if want := notify.Sign(secret, time.Unix(unix, 0), body); !hmac.Equal([]byte(r.Header.Get(notify.SignatureHeader)), []byte(want)) {
		rc.t.Errorf("signature %q, want %q", r.Header.Get(notify.SignatureHeader), want)
	}
	var d notify.JobFinished
	if err := json.Unmarshal(body, &d); err != nil {
		rc.t.Errorf("body %s: %v", body, err)
	}
	rc.accepted = append(rc.accepted, d)
	rc.ids = append(rc.ids, r.Header.Get("Ce-Id"))
	rc.got <- struct{}{}
}

func serveReceiver(t *testing.T, rc *receiver) string {
	t.Helper()
	rc.t, rc.got = t, make(chan struct{}, 16)
	srv := httptest.NewServer(rc)
	t.Cleanup(func() {
		if rc.hang != nil {
			close(rc.hang)
		}
		srv.Close()
	})
	return srv.URL + "/hooks/pixmill?token=receiver-secret"
}

type letters struct {
	mu  sync.Mutex
	got []notify.Letter
	ch  chan struct{}
}

func newNotifier(t *testing.T, cfg notify.Config, dl *letters) *notify.Notifier {
	t.Helper()
	dl.ch = make(chan struct{}, 16)
	cfg.AllowPrivate = true // the receivers listen on loopback
	n, err := notify.New(cfg, notify.Deps{
		Secret: func(context.Context, string) ([]byte, error) { return secret, nil },
		DeadLetter: func(_ context.Context, l notify.Letter) error {
			dl.mu.Lock()
			dl.got = append(dl.got, l)
			dl.mu.Unlock()
			dl.ch <- struct{}{}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	return n
}

func wait(t *testing.T, ch chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s within 10s", what)
	}
}

// TestNotify: each receiver gets exactly one signed job.finished per job,
// also after failing three times; a receiver that never answers holds up
// no other job's notification, and its notification ends dead-lettered.
func TestNotify(t *testing.T) {
	cfg := notify.Config{MaxAttempts: 4, Backoff: time.Millisecond, Timeout: 300 * time.Millisecond, Workers: 2}
	job := func(id string) notify.JobFinished {
		return notify.JobFinished{Job: id, Owner: "o_alice", State: "partial", Total: 10, Succeeded: 9, Failed: 1}
	}

	t.Run("one per job", func(t *testing.T) {
		var dl letters
		n := newNotifier(t, cfg, &dl)
		rc := &receiver{}
		url := serveReceiver(t, rc)
		for _, id := range []string{"job-1", "job-2", "job-3"} {
			if err := n.Notify(notify.Notification{URL: url, Data: job(id)}); err != nil {
				t.Fatal(err)
			}
		}
		for range 3 {
			wait(t, rc.got, "notification")
		}
		time.Sleep(50 * time.Millisecond) // for a duplicate, were one sent
		rc.mu.Lock()
		defer rc.mu.Unlock()
		seen := map[string]int{}
		for _, d := range rc.accepted {
			seen[d.Job]++
			if d.Total != 10 || d.Succeeded != 9 || d.Failed != 1 || d.State != "partial" {
				t.Errorf("data %+v", d)
			}
		}
		if len(seen) != 3 || rc.posts != 3 {
			t.Errorf("received %v in %d posts, want each of 3 jobs once", seen, rc.posts)
		}
	})

	t.Run("fails three times, then succeeds", func(t *testing.T) {
		var dl letters
		n := newNotifier(t, cfg, &dl)
		rc := &receiver{fail: 3}
		url := serveReceiver(t, rc)
		if err := n.Notify(notify.Notification{URL: url, Data: job("job-1")}); err != nil {
			t.Fatal(err)
		}
		wait(t, rc.got, "notification")
		time.Sleep(50 * time.Millisecond)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if len(rc.accepted) != 1 || rc.posts != 4 || len(dl.got) != 0 {
			t.Errorf("accepted %d after %d posts, %d dead letters; want 1 after 4, none", len(rc.accepted), rc.posts, len(dl.got))
		}
	})

	t.Run("a receiver that never answers", func(t *testing.T) {
		var dl letters
		n := newNotifier(t, cfg, &dl)
		silent := &receiver{hang: make(chan struct{})}
		silentURL := serveReceiver(t, silent)
		ok := &receiver{}
		okURL := serveReceiver(t, ok)
		start := time.Now()
		for _, id := range []string{"slow-1", "slow-2"} {
			if err := n.Notify(notify.Notification{URL: silentURL, Data: job(id)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := n.Notify(notify.Notification{URL: okURL, Data: job("quick")}); err != nil {
			t.Fatal(err)
		}
		wait(t, ok.got, "the other job's notification")
		// Both workers may be held by the silent receiver for one attempt's
		// timeout, not for its back-offs and retries (4 × 300 ms): the
		// bound leaves room for a loaded machine.
		if took := time.Since(start); took > 3*cfg.Timeout {
			t.Errorf("the other job's notification took %s behind a silent receiver, want under %s", took, 3*cfg.Timeout)
		}
		wait(t, dl.ch, "dead letter")
		wait(t, dl.ch, "dead letter")
		dl.mu.Lock()
		defer dl.mu.Unlock()
		for _, l := range dl.got {
			if l.Attempts != cfg.MaxAttempts || !strings.Contains(l.Reason, "POST") || strings.Contains(l.Reason, "receiver-secret") {
				t.Errorf("dead letter %+v: want %d attempts, a reason naming the POST, no query", l, cfg.MaxAttempts)
			}
		}
	})
}

// TestNotifyRefusedHandshake: a receiver that does not allow the origin is
// sent nothing, and the notification is dead-lettered at once.
func TestNotifyRefusedHandshake(t *testing.T) {
	var dl letters
	n := newNotifier(t, notify.Config{Backoff: time.Millisecond}, &dl)
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			posts.Add(1)
		}
	}))
	t.Cleanup(srv.Close)
	if err := n.Notify(notify.Notification{URL: srv.URL, Data: notify.JobFinished{Job: "j"}}); err != nil {
		t.Fatal(err)
	}
	wait(t, dl.ch, "dead letter")
	if posts.Load() != 0 || dl.got[0].Attempts != 1 || !strings.Contains(dl.got[0].Reason, "allows origin") {
		t.Errorf("%d posts, letter %+v; want none, and a letter after 1 attempt naming the origin", posts.Load(), dl.got[0])
	}
	if err := n.Notify(notify.Notification{URL: "ftp://example.com/x"}); err == nil || !strings.Contains(err.Error(), "notify.url") {
		t.Errorf("an ftp URL: %v, want an error naming notify.url", err)
	}
}

// TestCheckURL: a job is refused a notification URL that is not http(s)
// or, unless private destinations are allowed, that names this machine or
// an address inside a network.
func TestCheckURL(t *testing.T) {
	tests := []struct {
		url          string
		allowPrivate bool
		want         string // in the error; "" for none
	}{
		{"https://hooks.example.com/pixmill?token=x", false, ""},
		{"http://93.184.216.34:8080/hook", false, ""},
		{"ftp://example.com/x", false, "not an http or https URL"},
		{"https:///no-host", false, "not an http or https URL"},
		{"http://localhost:9000/hook", false, "this machine"},
		{"http://api.localhost/hook", false, "this machine"},
		{"http://127.0.0.1/hook", false, "loopback, private or link-local"},
		{"http://10.1.2.3/hook", false, "loopback, private or link-local"},
		{"http://192.168.0.10/hook", false, "loopback, private or link-local"},
		{"http://169.254.169.254/latest/meta-data", false, "loopback, private or link-local"},
		{"http://100.64.0.1/hook", false, "loopback, private or link-local"},
		{"http://[::1]:8080/hook", false, "loopback, private or link-local"},
		{"http://[fd00::1]/hook", false, "loopback, private or link-local"},
		{"http://[::ffff:127.0.0.1]/hook", false, "loopback, private or link-local"},
		{"http://0.0.0.0/hook", false, "loopback, private or link-local"},
		{"http://127.0.0.1:9000/hook", true, ""},
		{"http://localhost:9000/hook", true, ""},
	}
	for _, tt := range tests {
		err := notify.CheckURL(tt.url, tt.allowPrivate)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckURL(%q, %t): %v, want none", tt.url, tt.allowPrivate, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "notify.url: ")):
			t.Errorf("CheckURL(%q, %t): %v, want an error naming notify.url saying %q", tt.url, tt.allowPrivate, err, tt.want)
		}
	}
}

// TestClientRefusesPrivate: the default client will not connect to a
// loopback address, whatever the URL said, so a name that resolves there
// reaches nothing; with private destinations allowed it does.
func TestClientRefusesPrivate(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	// "localhost" resolves to the loopback address at dial time; the URL
	// check alone would not see an IP.
	target := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	_, err := notify.Client(false).Get(target)
	if err == nil || !strings.Contains(err.Error(), "not a public address") {
		t.Errorf("GET %s with the default client: %v, want refused as not public", target, err)
	}
	resp, err := notify.Client(true).Get(target)
	if err != nil {
		t.Fatalf("GET %s with private allowed: %v", target, err)
	}
	resp.Body.Close()
	if hits.Load() != 1 {
		t.Errorf("the receiver saw %d requests, want 1 (the allowed one)", hits.Load())
	}
}
