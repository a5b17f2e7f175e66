package stack

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/records"
)

// receiver counts the job.finished POSTs it accepted, by event id.
type receiver struct {
	mu  sync.Mutex
	ids []string
	got chan struct{}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions {
		w.Header().Set("WebHook-Allowed-Origin", "*")
		return
	}
	rc.mu.Lock()
	rc.ids = append(rc.ids, r.Header.Get("Ce-Id"))
	rc.mu.Unlock()
	rc.got <- struct{}{}
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.ids)
}

// notifyFixture is a bucket with one job of two tasks that asks to be
// told at url, and its pending notification.
func notifyFixture(t *testing.T, url string) (*blob.Bucket, *records.Store, records.Job) {
	t.Helper()
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	s := records.NewStore(b)
	j := records.Job{ID: events.NewID(), Owner: "o_alice", Created: time.Now(), Notify: &records.Notify{URL: url},
		Tasks: []records.JobTask{{ID: events.NewID()}, {ID: events.NewID()}}}
	if err := s.PutJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPending(ctx, records.Pending{Job: j.ID, Owner: j.Owner, Generation: 1, At: j.Created}); err != nil {
		t.Fatal(err)
	}
	return b, s, j
}

func endTasks(t *testing.T, s *records.Store, j records.Job) {
	t.Helper()
	for _, task := range j.Tasks {
		if err := s.MarkCompleted(context.Background(), events.TaskCompleted{Job: j.ID, Task: task.ID, Owner: j.Owner, Attempt: 1}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
}

var testNotify = Notifications{Sweep: time.Hour, AllowPrivate: true, Attempts: 2, Backoff: 10 * time.Millisecond, Timeout: time.Second}

func startTestNotifier(t *testing.T, cfg Notifications, s *records.Store) *notifier {
	t.Helper()
	n, err := startNotifications(cfg, s, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.close)
	return n
}

func serve(t *testing.T) (*receiver, string) {
	rc := &receiver{got: make(chan struct{}, 8)}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return rc, srv.URL
}

func waitGot(t *testing.T, rc *receiver) {
	t.Helper()
	select {
	case <-rc.got:
	case <-time.After(10 * time.Second):
		t.Fatal("no notification within 10s")
	}
}

// TestJobNotificationsOnce: two processes' notifiers on one bucket, both told
// that the job's tasks ended, send its notification once; a third started
// later finds nothing left to send.
func TestJobNotificationsOnce(t *testing.T) {
	rc, url := serve(t)
	bucket, s, j := notifyFixture(t, url)
	startTestNotifier(t, testNotify, s)
	other := records.NewStore(bucket)
	b := startTestNotifier(t, testNotify, other)
	endTasks(t, s, j) // a is told by its Store's hook
	b.taskEnded(j.ID, j.Tasks[1].ID)
	waitGot(t, rc)
	startTestNotifier(t, Notifications{Sweep: 20 * time.Millisecond, AllowPrivate: true}, records.NewStore(bucket))
	time.Sleep(300 * time.Millisecond)
	if n := rc.count(); n != 1 {
		t.Errorf("%d notifications sent, want 1", n)
	}
	if _, err := s.PendingNotification(context.Background(), j.ID); err == nil {
		t.Error("the delivered notification is still pending")
	}
}

// TestJobNotificationsResume: a job that ended while no notifier ran is told of
// when one starts; a claim whose sender stopped mid-delivery, long ago, is
// taken over and the notification sent once.
func TestJobNotificationsResume(t *testing.T) {
	t.Run("ended while down", func(t *testing.T) {
		rc, url := serve(t)
		bucket, s, j := notifyFixture(t, url)
		endTasks(t, s, j)
		startTestNotifier(t, testNotify, records.NewStore(bucket))
		waitGot(t, rc)
	})
	t.Run("started mid-job", func(t *testing.T) {
		// A task ended before this process started; the last one ends
		// through it, and the hour-long sweep is not what finds it.
		rc, url := serve(t)
		bucket, s, j := notifyFixture(t, url)
		ctx := context.Background()
		if err := s.MarkFailed(ctx, events.TaskFailed{Job: j.ID, Task: j.Tasks[0].ID, Owner: j.Owner, Attempt: 1, Kind: "permanent"}, time.Now()); err != nil {
			t.Fatal(err)
		}
		hooked := records.NewStore(bucket)
		startTestNotifier(t, testNotify, hooked)
		if err := hooked.MarkCompleted(ctx, events.TaskCompleted{Job: j.ID, Task: j.Tasks[1].ID, Owner: j.Owner, Attempt: 1}, time.Now()); err != nil {
			t.Fatal(err)
		}
		waitGot(t, rc)
	})
	t.Run("its sender stopped", func(t *testing.T) {
		rc, url := serve(t)
		bucket, s, j := notifyFixture(t, url)
		endTasks(t, s, j)
		ctx := context.Background()
		if ok, err := s.ClaimNotification(ctx, j.ID, records.Claim{Generation: 1, By: "a stopped process", At: time.Now().Add(-time.Hour)}); !ok || err != nil {
			t.Fatal(ok, err)
		}
		startTestNotifier(t, testNotify, records.NewStore(bucket))
		waitGot(t, rc)
		last, _, err := s.LastClaim(ctx, j.ID)
		if err != nil || last.Generation != 2 {
			t.Errorf("last claim %+v (%v), want generation 2", last, err)
		}
	})
	t.Run("its sender is still on it", func(t *testing.T) {
		rc, url := serve(t)
		bucket, s, j := notifyFixture(t, url)
		endTasks(t, s, j)
		if ok, err := s.ClaimNotification(context.Background(), j.ID, records.Claim{Generation: 1, By: "a live process", At: time.Now()}); !ok || err != nil {
			t.Fatal(ok, err)
		}
		startTestNotifier(t, Notifications{Sweep: 20 * time.Millisecond, AllowPrivate: true}, records.NewStore(bucket))
		time.Sleep(300 * time.Millisecond)
		if n := rc.count(); n != 0 {
			t.Errorf("%d notifications sent behind a live claim, want none", n)
		}
	})
}

// TestNotifyFlags: the notification flags' defaults, and private
// destinations allowed at submission and delivery alike by one flag.
func TestNotifyFlags(t *testing.T) {
	parse := func(args ...string) (Config, error) {
		fs := flag.NewFlagSet("up", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var c Config
		c.BindFlags(fs, func(string) string { return "" })
		return c, fs.Parse(args)
	}
	c, err := parse()
	if err != nil {
		t.Fatal(err)
	}
	want := Notifications{Sweep: 30 * time.Second, Attempts: 5, Backoff: time.Second, Timeout: 10 * time.Second}
	if c.Notify != want || c.Limits.NotifyAllowPrivate {
		t.Errorf("defaults %+v (gateway allows private: %t), want %+v, private refused", c.Notify, c.Limits.NotifyAllowPrivate, want)
	}
	c, err = parse("--notify-allow-private", "--notify-sweep", "2s", "--notify-attempts", "3")
	if err != nil || !c.Notify.AllowPrivate || !c.Limits.NotifyAllowPrivate || c.Notify.Sweep != 2*time.Second || c.Notify.Attempts != 3 {
		t.Errorf("%+v %v: want private allowed in both, a 2s sweep, 3 attempts", c.Notify, err)
	}
	for _, args := range [][]string{{"--notify-sweep", "0"}, {"--notify-attempts", "0"}, {"--notify-allow-private=maybe"}} {
		if _, err := parse(args...); err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(strings.SplitN(args[0], "=", 2)[0], "--")) {
			t.Errorf("%v: %v, want an error naming the flag", args, err)
		}
	}
}
