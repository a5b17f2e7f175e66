package stack_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/auth"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/stack"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// TestQueuedTasksOfErasedOwnerWriteNothing: on a real `pixmill up --auth
// keys` with no worker, alice's job and one of bob's two jobs wait in the
// queue; alice erases herself and bob deletes that job, both with `pixmill
// delete`. The stack is started again with a worker, which takes every
// request off the queue: bob's other job succeeds, and the bucket, listed,
// holds nothing of alice's and nothing of bob's deleted job. Alice's key
// then fails with 401.
func TestQueuedTasksOfErasedOwnerWriteNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	data := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	first := stacktest.Up(t, data, "--auth", "keys", "--workers", "0")
	key := func(name string) string {
		out, err := stacktest.Command(t, "keys", "create", "--owner", name, "--data", data)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out)
	}
	aliceKey, bobKey := key("alice"), key("bob")
	alice, _ := auth.ResolveOwner("alice")
	bob, _ := auth.ResolveOwner("bob")
	job := func(c *client.Client, n int, seed uint64) api.Job {
		ids := stacktest.Upload(t, ctx, c, stacktest.Generated(t, n, seed))
		j, err := c.CreateJob(ctx, api.JobRequest{Images: ids, Ops: []json.RawMessage{stacktest.ThumbOp}})
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	ca, cb := client.New(first.URL, nil, client.WithToken(aliceKey)), client.New(first.URL, nil, client.WithToken(bobKey))
	aliceJob, deleted, kept := job(ca, 3, 21), job(cb, 2, 22), job(cb, 2, 23)
	if b := queueBacklog(t, ctx, data); b.Pending != 7 {
		t.Fatalf("%d requests wait in the queue, want 7", b.Pending)
	}
	for _, args := range [][]string{
		{"delete", "me", "--yes", "--server", first.URL, "--token", aliceKey},
		{"delete", "job", deleted.ID, "--server", first.URL, "--token", bobKey},
		{"delete", "job", deleted.ID, "--server", first.URL, "--token", bobKey},
	} {
		if out, err := stacktest.Command(t, args...); err != nil {
			t.Fatalf("pixmill %s: %v\n%s", strings.Join(args[:2], " "), err, out)
		}
	}
	first.Stop()

	second := stacktest.Up(t, data, "--auth", "keys", "--workers", "1")
	cb = client.New(second.URL, nil, client.WithToken(bobKey))
	if done := stacktest.WaitFinal(t, ctx, cb, kept.ID); done.State != api.JobSucceeded {
		t.Fatalf("bob's kept job ended %s: %v", done.State, stacktest.Failures(done))
	}
	if err := stacktest.Eventually(ctx, 100*time.Millisecond, func() (bool, error) {
		b := queueBacklog(t, ctx, data)
		return b.Pending == 0 && b.InFlight == 0, nil
	}); err != nil {
		t.Fatalf("the queue never emptied: %+v", queueBacklog(t, ctx, data))
	}

	ep, err := stack.ReadEndpoints(data)
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := blob.OpenBucket(ctx, ep.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	count := func(prefix string) int {
		n := 0
		it := bucket.List(&blob.ListOptions{Prefix: prefix})
		for {
			if _, err := it.Next(ctx); err == io.EOF {
				return n
			} else if err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	bobs := records.OwnerPrefixes(bob)
	for _, c := range []struct {
		what   string
		prefix string
		want   int
	}{
		{"alice's originals", records.OwnerPrefixes(alice)[0], 0},
		{"alice's results", records.OwnerPrefixes(alice)[1], 0},
		{"alice's previews", records.OwnerPrefixes(alice)[2], 0},
		{"alice's job's records", "records/jobs/" + aliceJob.ID + "/", 0},
		{"bob's deleted job's results", bobs[1] + deleted.ID + "/", 0},
		{"bob's deleted job's records", "records/jobs/" + deleted.ID + "/", 0},
		{"bob's kept job's results", bobs[1] + kept.ID + "/", 2},
		{"bob's originals", bobs[0], 4},
	} {
		if got := count(c.prefix); got != c.want {
			t.Errorf("%s (%s): %d objects, want %d", c.what, c.prefix, got, c.want)
		}
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", second.URL+"/v1/jobs", nil)
	req.Header.Set("Authorization", "Bearer "+aliceKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("alice's key after her erasure: %d, want 401", resp.StatusCode)
	}
	if _, err := cb.Job(ctx, deleted.ID); err == nil || !strings.Contains(err.Error(), "was deleted on") {
		t.Errorf("bob's deleted job reads %v, want a 404 saying it was deleted", err)
	}
}

// TestRetentionFlags: --retain-originals and --retain-results take days or
// a duration, and a bad value is refused naming the flag and the value.
func TestRetentionFlags(t *testing.T) {
	const day = 24 * time.Hour
	for _, c := range []struct {
		args    []string
		want    records.Retention
		every   time.Duration
		errText string
	}{
		{args: nil, every: time.Hour},
		{args: []string{"--retain-originals", "30d", "--retain-results", "7d"}, want: records.Retention{Originals: 30 * day, Results: 7 * day}, every: time.Hour},
		{args: []string{"--retain-results", "36h", "--retention-sweep", "5m"}, want: records.Retention{Results: 36 * time.Hour}, every: 5 * time.Minute},
		{args: []string{"--retain-originals", "30days"}, errText: `retain-originals: "30days" is not a number of days`},
		{args: []string{"--retain-results", "-7d"}, errText: `retain-results: "-7d" is not a number of days`},
		{args: []string{"--retention-sweep", "-1m"}, errText: "retention-sweep: -1m0s is negative"},
	} {
		cfg, err := parseUp(c.args, nil)
		switch {
		case c.errText != "":
			if err == nil || !strings.Contains(err.Error(), c.errText) {
				t.Errorf("%q: error %v, want one saying %q", c.args, err, c.errText)
			}
		case err != nil:
			t.Errorf("%q: %v", c.args, err)
		case cfg.Retention != c.want || cfg.SweepEvery != c.every:
			t.Errorf("%q: retention %+v every %s, want %+v every %s", c.args, cfg.Retention, cfg.SweepEvery, c.want, c.every)
		}
	}
}

// TestExpiryOnARealStack: `pixmill up --retain-results 3s` sweeps every
// 200ms; a job made there reads, once past its retention, as a 404 saying
// it expired and under which retention, and its results are gone from the
// bucket, while its originals, kept for good, are still there.
func TestExpiryOnARealStack(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	data := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p := stacktest.Up(t, data, "--workers", "1", "--retain-results", "3s", "--retention-sweep", "200ms")
	c := client.New(p.URL, nil)
	ids := stacktest.Upload(t, ctx, c, stacktest.Generated(t, 2, 31))
	job, err := c.CreateJob(ctx, api.JobRequest{Images: ids, Ops: []json.RawMessage{stacktest.ThumbOp}})
	if err != nil {
		t.Fatal(err)
	}
	var last error
	if err := stacktest.Eventually(ctx, 100*time.Millisecond, func() (bool, error) {
		_, last = c.Job(ctx, job.ID)
		return last != nil && strings.Contains(last.Error(), "under the 3s retention"), nil
	}); err != nil {
		t.Fatalf("the job never read as expired; last answer: %v", last)
	}
	if !strings.Contains(last.Error(), "404") || !strings.Contains(last.Error(), `expired on `+time.Now().UTC().Format(time.DateOnly)) {
		t.Errorf("the expired job reads %v, want a 404 saying when it expired", last)
	}
	ep, err := stack.ReadEndpoints(data)
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := blob.OpenBucket(ctx, ep.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	local := records.OwnerPrefixes(records.LocalOwner)
	// A task still running at the expiry removes its result itself once
	// written; give it the time to.
	if err := stacktest.Eventually(ctx, 100*time.Millisecond, func() (bool, error) {
		objs, _, err := bucket.ListPage(ctx, blob.FirstPageToken, 1, &blob.ListOptions{Prefix: local[1] + job.ID + "/"})
		return len(objs) == 0, err
	}); err != nil {
		t.Errorf("the expired job's results are still stored: %v", err)
	}
	for _, id := range ids {
		if ok, err := bucket.Exists(ctx, records.ImageKey(records.LocalOwner, id)); !ok || err != nil {
			t.Errorf("original %s, kept for good, is gone (%v)", id, err)
		}
	}
}
