package stack_test

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/notify"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// hook is a webhook receiver on a real socket: it answers the CloudEvents
// abuse-protection handshake, and keeps every POST it accepted.
type hook struct {
	url string

	mu sync.Mutex
	// failing is how many more POSTs are answered 503; hanging holds
	// every POST unanswered until release.
	failing int
	hanging bool
	posts   int
	got     []post
	arrived chan post
	release chan struct{}
}

type post struct {
	header http.Header
	body   []byte
	at     time.Time
}

func newHook(t *testing.T, failing int, hanging bool) *hook {
	h := &hook{failing: failing, hanging: hanging, arrived: make(chan post, 64), release: make(chan struct{})}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	h.url = srv.URL + "/hooks/pixmill?token=receiver-token"
	return h
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions {
		w.Header().Set("WebHook-Allowed-Origin", r.Header.Get("WebHook-Request-Origin"))
		return
	}
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.posts++
	hanging, failing := h.hanging, h.failing > 0
	if failing {
		h.failing--
	}
	h.mu.Unlock()
	if hanging {
		select {
		case <-r.Context().Done():
		case <-h.release:
		}
		return
	}
	if failing {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	p := post{header: r.Header.Clone(), body: body, at: time.Now()}
	h.mu.Lock()
	h.got = append(h.got, p)
	h.mu.Unlock()
	h.arrived <- p
}

// answer makes a hanging receiver answer from now on.
func (h *hook) answer() {
	h.mu.Lock()
	h.hanging = false
	h.mu.Unlock()
	close(h.release)
}

func (h *hook) seen() (posts int, got []post) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.posts, append([]post(nil), h.got...)
}

// check verifies that p is a binary-mode job.finished CloudEvent signed
// with secret, and returns its data.
func check(t *testing.T, p post, secret string) notify.JobFinished {
	t.Helper()
	for k, want := range map[string]string{"Ce-Type": notify.TypeJobFinished, "Ce-Specversion": "1.0", "Content-Type": "application/json", "Ce-Source": "/pixmill/gateway"} {
		if got := p.header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	sig := p.header.Get(notify.SignatureHeader)
	ts, _, _ := strings.Cut(strings.TrimPrefix(sig, "t="), ",")
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(unix, 0)) > time.Minute {
		t.Errorf("signature %q: no recent time", sig)
	}
	if want := notify.Sign([]byte(secret), time.Unix(unix, 0), p.body); !hmac.Equal([]byte(sig), []byte(want)) {
		t.Errorf("signature %q does not verify with the owner's secret (want %q)", sig, want)
	}
	var d notify.JobFinished
	if err := json.Unmarshal(p.body, &d); err != nil {
		t.Errorf("body %s: %v", p.body, err)
	}
	if p.header.Get("Ce-Id") != "finished-"+d.Job || p.header.Get("Ce-Subject") != d.Job {
		t.Errorf("ce-id %q, ce-subject %q: want finished-%s and the job id", p.header.Get("Ce-Id"), p.header.Get("Ce-Subject"), d.Job)
	}
	return d
}

// TestJobNotifications runs the real stack with jobs that ask to be told
// of their end: each receiver gets exactly one signed job.finished per
// job, with the job's final state and counts; a receiver that fails three
// times gets it once, on the fourth POST; one that never answers holds up
// no other job's notification, and its notification ends in pixmill dlq,
// from where a redrive delivers it once the receiver answers.
func TestJobNotifications(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	ok, flaky, silent := newHook(t, 0, false), newHook(t, 3, false), newHook(t, 0, true)
	data := t.TempDir()
	const attempts, timeout = 4, time.Second
	p := stacktest.Up(t, data, "--workers", "2", "--notify-allow-private", "--notify-sweep", "300ms",
		"--notify-backoff", "50ms", "--notify-timeout", timeout.String(), "--notify-attempts", strconv.Itoa(attempts))
	c := client.New(p.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	secret, err := c.NotifySecret(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := stacktest.Command(t, "notify-secret", "--server", p.URL); err != nil || strings.TrimSpace(out) != secret.Secret {
		t.Errorf("pixmill notify-secret: %q %v, want the secret GET /v1/me/notify-secret gives", out, err)
	}

	// Two pictures big enough for the crop, four too small for it.
	ids := stacktest.Upload(t, ctx, c, append(stacktest.Generated(t, 2, 11), stacktest.Tiny(t, 4)...))
	big, tiny := ids[:2], ids[2:]
	crop := json.RawMessage(`{"op":"crop","width":200,"height":200}`)
	submit := func(images []string, op json.RawMessage, url string) string {
		t.Helper()
		j, err := c.CreateJob(ctx, api.JobRequest{Images: images, Ops: []json.RawMessage{op}, Notify: &api.Notify{URL: url}})
		if err != nil {
			t.Fatal(err)
		}
		return j.ID
	}
	type want struct {
		state             string
		total, succ, fail int
	}
	wants := map[string]want{}
	succeeded := submit(tiny[:3], stacktest.ThumbOp, ok.url)
	wants[succeeded] = want{"succeeded", 3, 3, 0}
	partial := submit([]string{big[0], big[1], tiny[3]}, crop, ok.url)
	wants[partial] = want{"partial", 3, 2, 1}
	failed := submit(tiny[:1], crop, ok.url)
	wants[failed] = want{"failed", 1, 0, 1}
	// The flaky receiver's job comes from the command line.
	pic := filepath.Join(t.TempDir(), "flaky.jpg")
	if err := os.WriteFile(pic, stacktest.Tiny(t, 1)[0].Data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := stacktest.Command(t, "submit", "--server", p.URL, "--op", "thumbnail:width=64,height=64", "--notify", flaky.url, pic)
	flakyJob, _, _ := strings.Cut(strings.TrimPrefix(out, "job "), ":")
	if err != nil || len(flakyJob) != 26 {
		t.Fatalf("pixmill submit --notify: %q %v", out, err)
	}
	if j, err := c.Job(ctx, flakyJob); err != nil || j.Notify == nil || j.Notify.URL != flaky.url {
		t.Fatalf("the job pixmill submit --notify made: %+v %v, want notify %s", j.Notify, err, flaky.url)
	}
	silentJob := submit(tiny[2:3], stacktest.ThumbOp, silent.url)
	stacktest.WaitFinal(t, ctx, c, silentJob)
	// The silent receiver now holds a delivery; the next job's must not
	// wait for it.
	after := submit(tiny[3:], stacktest.ThumbOp, ok.url)
	wants[after] = want{"succeeded", 1, 1, 0}
	ended := stacktest.WaitFinal(t, ctx, c, after)
	if ended.Notify == nil || ended.Notify.URL != ok.url {
		t.Errorf("GET /v1/jobs/{id} shows notify %+v, want %s", ended.Notify, ok.url)
	}
	endedAt := time.Now()

	got := map[string]int{}
	for len(got) < len(wants) {
		select {
		case p := <-ok.arrived:
			d := check(t, p, secret.Secret)
			got[d.Job]++
			w, known := wants[d.Job]
			if !known || d.State != w.state || d.Total != w.total || d.Succeeded != w.succ || d.Failed != w.fail || d.Owner == "" {
				t.Errorf("job %s: told %+v, want %+v", d.Job, d, w)
			}
			if d.Job == after {
				// One attempt of the silent receiver's may be under way;
				// this one waits for none of its retries.
				t.Logf("the job after the silent receiver's: told %s after its end was polled", p.at.Sub(endedAt).Round(time.Millisecond))
				if took := p.at.Sub(endedAt); took > timeout+2*time.Second {
					t.Errorf("the notification of a job that ended after the silent receiver's took %s, want under %s", took, timeout+2*time.Second)
				}
			}
		case <-ctx.Done():
			t.Fatalf("notifications received %v, want one for each of %d jobs", got, len(wants))
		}
	}
	select {
	case p := <-flaky.arrived:
		if d := check(t, p, secret.Secret); d.Job != flakyJob || d.State != "succeeded" {
			t.Errorf("the flaky receiver was told %+v, want job %s succeeded", d, flakyJob)
		}
	case <-ctx.Done():
		t.Fatal("the receiver that failed three times never got its notification")
	}

	// The silent receiver's notification is dead-lettered after its
	// attempts, and listed by pixmill dlq.
	var list string
	err = stacktest.Eventually(ctx, 200*time.Millisecond, func() (bool, error) {
		out, err := stacktest.Command(t, "dlq", "list", "--data", data)
		list = out
		return strings.Contains(out, "notify-"+silentJob), err
	})
	if err != nil || !strings.Contains(list, "notification") || strings.Contains(list, "receiver-token") {
		t.Fatalf("pixmill dlq list does not show the silent receiver's notification, of kind notification, without the URL's token (%v):\n%s", err, list)
	}
	if posts, _ := silent.seen(); posts != attempts {
		t.Errorf("the silent receiver was sent %d POSTs, want %d", posts, attempts)
	}

	// Several sweeps later, nothing was sent twice.
	time.Sleep(time.Second)
	posts, accepted := ok.seen()
	if posts != len(wants) || len(accepted) != len(wants) {
		t.Errorf("the receiver got %d POSTs, accepted %d, want exactly one for each of %d jobs", posts, len(accepted), len(wants))
	}
	if posts, accepted := flaky.seen(); posts != 4 || len(accepted) != 1 {
		t.Errorf("the flaky receiver got %d POSTs, accepted %d; want 4 (3 failed), 1", posts, len(accepted))
	}

	// Redriven once the receiver answers: delivered once, and no longer
	// listed.
	silent.answer()
	if out, err := stacktest.Command(t, "dlq", "redrive", "--data", data, "--task", "notify-"+silentJob); err != nil || !strings.Contains(out, "redriven: 1") {
		t.Fatalf("redrive: %v %s", err, out)
	}
	select {
	case p := <-silent.arrived:
		if d := check(t, p, secret.Secret); d.Job != silentJob {
			t.Errorf("the redriven notification is of job %s, want %s", d.Job, silentJob)
		}
	case <-ctx.Done():
		t.Fatal("the redriven notification never came")
	}
	time.Sleep(time.Second)
	if _, accepted := silent.seen(); len(accepted) != 1 {
		t.Errorf("the redriven notification was accepted %d times, want once", len(accepted))
	}
	if out, _ := stacktest.Command(t, "dlq", "list", "--data", data); strings.Contains(out, "notify-"+silentJob) {
		t.Errorf("the redriven notification is still listed:\n%s", out)
	}
}
