package records

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
)

// TestClaimNotificationOnce: however many stores on one bucket race to
// claim a job's notification, exactly one claim of each generation is
// made, on a cloud-like bucket (memblob: the check and the write are one
// step) and on the file bucket pixmill up uses.
func TestClaimNotificationOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	file, err := fileblob.OpenBucket(dir, &fileblob.Options{NoTempDir: true, Metadata: fileblob.MetadataDontWrite})
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for _, b := range []struct {
		name   string
		bucket *blob.Bucket
	}{{"mem", memblob.OpenBucket(nil)}, {"file", file}} {
		t.Run(b.name, func(t *testing.T) {
			stores := []*Store{NewStore(b.bucket), NewStore(b.bucket), NewStore(b.bucket)}
			for gen := 1; gen <= 2; gen++ {
				var won atomic.Int32
				var wg sync.WaitGroup
				for i := range 30 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						ok, err := stores[i%len(stores)].ClaimNotification(ctx, "job1", Claim{Generation: gen, By: "p" + string(rune('a'+i)), At: t0})
						if err != nil {
							t.Error(err)
						}
						if ok {
							won.Add(1)
						}
					}()
				}
				wg.Wait()
				if won.Load() != 1 {
					t.Errorf("generation %d: %d claims made, want exactly 1", gen, won.Load())
				}
				last, ok, err := stores[0].LastClaim(ctx, "job1")
				if err != nil || !ok || last.Generation != gen {
					t.Errorf("last claim %+v %t %v, want generation %d", last, ok, err, gen)
				}
			}
		})
	}
}

// TestPendingNotification: a pending notification stays until the
// delivery of its generation ends; a redrive asks for the generation after
// the last claim, and the end of an older delivery does not clear it.
func TestPendingNotification(t *testing.T) {
	ctx := context.Background()
	s := NewStore(memblob.OpenBucket(nil))
	if err := s.PutPending(ctx, Pending{Job: "j1", Owner: "alice", Generation: 1, At: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPending(ctx, Pending{Job: "j2", Owner: "bob", Generation: 1, At: t0}); err != nil {
		t.Fatal(err)
	}
	jobs, err := s.PendingNotifications(ctx)
	if err != nil || strings.Join(jobs, ",") != "j1,j2" {
		t.Fatalf("pending %v %v, want j1,j2", jobs, err)
	}
	if ok, err := s.ClaimNotification(ctx, "j1", Claim{Generation: 1, By: "a", At: t0}); !ok || err != nil {
		t.Fatalf("first claim: %t %v", ok, err)
	}
	// Dead-lettered, then redriven while the old delivery's end is
	// being recorded.
	if err := s.RedriveNotification(ctx, "alice", "j1", t0); err != nil {
		t.Fatal(err)
	}
	if err := s.DonePending(ctx, "j1", 1); err != nil {
		t.Fatal(err)
	}
	p, err := s.PendingNotification(ctx, "j1")
	if err != nil || p.Generation != 2 || p.Owner != "alice" {
		t.Fatalf("after a redrive: %+v %v, want generation 2 still pending", p, err)
	}
	if err := s.DonePending(ctx, "j1", 2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PendingNotification(ctx, "j1"); fault.KindOf(err) != fault.NotFound {
		t.Errorf("after its delivery: %v, want not found", err)
	}
	if err := s.DonePending(ctx, "j1", 2); err != nil {
		t.Errorf("ending it again: %v, want no error", err)
	}
	// Deleting the job deletes its claims.
	j := newJob("a")
	j.ID = "j1"
	if err := s.DeleteJob(ctx, j, t0); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.LastClaim(ctx, "j1"); ok || err != nil {
		t.Errorf("a deleted job's claim is still there (%v)", err)
	}
}

// TestNotifySecret: an owner's secret is made once, whoever asks first and
// however many ask at once; rotating replaces it; erasing the owner
// erases it.
func TestNotifySecret(t *testing.T) {
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	stores := []*Store{NewStore(b), NewStore(b)}
	owner := "o/alice"
	got := make([]NotifySecret, 20)
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if got[i], err = stores[i%2].OwnerNotifySecret(ctx, owner, t0); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	first := got[0]
	if !strings.HasPrefix(first.Secret, "whsec_") || len(first.Secret) != len("whsec_")+52 {
		t.Fatalf("secret %q: want whsec_ and 52 characters", first.Secret)
	}
	for _, s := range got {
		if s != first {
			t.Fatalf("first uses at once made two secrets: %q and %q", first.Secret, s.Secret)
		}
	}
	if bobs, _ := stores[0].OwnerNotifySecret(ctx, "bob", t0); bobs.Secret == first.Secret {
		t.Error("two owners share a secret")
	}
	rotated, err := stores[1].RotateNotifySecret(ctx, owner, t0.Add(time.Hour))
	if err != nil || rotated.Secret == first.Secret {
		t.Fatalf("rotated: %q %v, want a new secret", rotated.Secret, err)
	}
	if now, _ := stores[0].OwnerNotifySecret(ctx, owner, t0); now != rotated {
		t.Errorf("after rotating: %+v, want %+v", now, rotated)
	}
	if _, err := stores[0].EraseOwner(ctx, owner, t0); err != nil {
		t.Fatal(err)
	}
	if ok, _ := b.Exists(ctx, notifySecretKey(owner)); ok {
		t.Error("erasing the owner left its secret")
	}
}

// TestOnTaskEndEveryHook: every hook given is told of each ended task, in
// order, and none of a task that only started.
func TestOnTaskEndEveryHook(t *testing.T) {
	ctx := context.Background()
	s := NewStore(memblob.OpenBucket(nil))
	var got []string
	s.OnTaskEnd(func(job, task string) { got = append(got, "dispatch:"+task) })
	s.OnTaskEnd(func(job, task string) { got = append(got, "notify:"+task) })
	if err := s.MarkStarted(ctx, events.TaskStarted{Job: "j", Task: "t1", Attempt: 1}, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkCompleted(ctx, events.TaskCompleted{Job: "j", Task: "t1", Attempt: 1}, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, events.TaskFailed{Job: "j", Task: "t2", Attempt: 1, Kind: "permanent"}, t0); err != nil {
		t.Fatal(err)
	}
	if want := "dispatch:t1 notify:t1 dispatch:t2 notify:t2"; strings.Join(got, " ") != want {
		t.Errorf("hooks told %v, want %s", got, want)
	}
}
