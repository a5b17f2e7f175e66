package gateway

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gocloud.dev/pubsub/mempubsub"
	"golang.org/x/sync/errgroup"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/api"
)

// putImages stores n image records, as n uploads would (the job reads the
// records, not the pictures), and returns their ids.
func (e *env) putImages(t testing.TB, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = events.NewID()
		img := records.Image{ID: ids[i], Owner: LocalOwner, Name: fmt.Sprintf("photo-%05d.jpg", i), Key: records.ImageKey(LocalOwner, ids[i]), Format: "jpeg", Width: 64, Height: 48, Bytes: 1000, Created: time.Now().UTC()}
		if err := e.store.PutImage(context.Background(), img); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// TestJobOfTenThousandPhotos: a job of the largest size is accepted and
// queued whole, one more photo is refused, and the job's status comes a
// page at a time or as a summary.
func TestJobOfTenThousandPhotos(t *testing.T) {
	const tasks = DefaultMaxTasksPerJob
	topic := mempubsub.NewTopic()
	sub := mempubsub.NewSubscription(topic, time.Minute)
	t.Cleanup(func() { _ = sub.Shutdown(context.Background()) })
	e := newEnvWith(t, Config{}, topic, fileBucket(t))
	ids := e.putImages(t, tasks+1)
	ops := []any{map[string]any{"op": "thumbnail", "width": 64}}

	var refused api.Error
	if st := e.postJSON(t, LocalOwner, "/v1/jobs", map[string]any{"images": ids, "ops": ops}, &refused); st != http.StatusBadRequest || !strings.Contains(refused.Error, "over the limit of 10000") {
		t.Errorf("a job of %d photos: %d %q, want 400 naming the limit", tasks+1, st, refused.Error)
	}
	var job api.Job
	if st := e.postJSON(t, LocalOwner, "/v1/jobs", map[string]any{"images": ids[:tasks], "ops": ops}, &job); st != http.StatusAccepted || len(job.Tasks) != tasks || job.Total != tasks {
		t.Fatalf("a job of %d photos: %d, %d tasks, total %d", tasks, st, len(job.Tasks), job.Total)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range tasks {
		m, err := sub.Receive(ctx)
		if err != nil {
			t.Fatalf("request %d of %d: %v", i, tasks, err)
		}
		m.Ack()
	}

	// A few tasks move on, so that pages show states.
	for _, i := range []int{0, 999, 1000, 9999} {
		task := job.Tasks[i].ID
		if err := e.store.MarkStarted(ctx, events.TaskStarted{Job: job.ID, Task: task, Owner: LocalOwner, Attempt: 1}, time.Now()); err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			if err := e.store.MarkCompleted(ctx, events.TaskCompleted{Job: job.ID, Task: task, Owner: LocalOwner, Attempt: 1, Result: events.Result{Width: 64, Height: 48, Format: "jpeg"}}, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	wantCounts := map[api.TaskState]int{api.TaskQueued: tasks - 4, api.TaskRunning: 2, api.TaskSucceeded: 2}

	var summary api.Job
	e.getJSON(t, "/v1/jobs/"+job.ID+"?view=summary", &summary)
	if summary.Total != tasks || summary.Tasks != nil || summary.State != api.JobRunning || fmt.Sprint(summary.Counts) != fmt.Sprint(wantCounts) {
		t.Errorf("summary: total %d, %d tasks, %s, %v; want %d, none, running, %v", summary.Total, len(summary.Tasks), summary.State, summary.Counts, tasks, wantCounts)
	}

	var paged []api.Task
	pages := 0
	for token := ""; ; pages++ {
		q := url.Values{"limit": {"1000"}}
		if token != "" {
			q.Set("page_token", token)
		}
		var page api.Job
		e.getJSON(t, "/v1/jobs/"+job.ID+"?"+q.Encode(), &page)
		if len(page.Tasks) != 1000 || page.Total != tasks || fmt.Sprint(page.Counts) != fmt.Sprint(wantCounts) {
			t.Fatalf("page %d: %d tasks, total %d, counts %v", pages, len(page.Tasks), page.Total, page.Counts)
		}
		paged = append(paged, page.Tasks...)
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	if pages != 9 || len(paged) != tasks {
		t.Fatalf("%d pages, %d tasks; want 10 pages of 1000", pages+1, len(paged))
	}
	for i, tk := range paged {
		want := api.TaskQueued
		switch i {
		case 0, 1000:
			want = api.TaskRunning
		case 999, 9999:
			want = api.TaskSucceeded
		}
		if tk.ID != job.Tasks[i].ID || tk.State != want {
			t.Fatalf("task %d of the pages: %s %s, want %s %s", i, tk.ID, tk.State, job.Tasks[i].ID, want)
		}
	}
}

func (e *env) getJSON(t testing.TB, path string, out any) {
	t.Helper()
	st, _, b := e.get(t, LocalOwner, path)
	if st != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, st, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func TestJobPageRejectsBadParameters(t *testing.T) {
	e := newEnv(t, Config{})
	ids := e.putImages(t, 3)
	var job api.Job
	if st := e.postJSON(t, LocalOwner, "/v1/jobs", map[string]any{"images": ids, "ops": []any{map[string]any{"op": "thumbnail", "width": 64}}}, &job); st != http.StatusAccepted {
		t.Fatalf("create: %d", st)
	}
	tests := []struct{ query, want string }{
		{"limit=0", "limit: must be a whole number from 1 to 1000"},
		{"limit=1001", "limit: must be a whole number from 1 to 1000"},
		{"limit=x", "limit: must be a whole number"},
		{"limit=2&page_token=3", "page_token: not a page of this job"},
		{"limit=2&page_token=-1", "page_token: not a page of this job"},
		{"limit=2&page_token=abc", "page_token: not a page of this job"},
		{"view=tiny", `view: must be "full" (the default) or "summary"`},
		{"view=summary&limit=2", "view: a summary has no tasks"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			st, _, b := e.get(t, LocalOwner, "/v1/jobs/"+job.ID+"?"+tt.query)
			var body api.Error
			_ = json.Unmarshal(b, &body)
			if st != http.StatusBadRequest || !strings.Contains(body.Error, tt.want) {
				t.Errorf("got %d %s, want 400 with %q", st, b, tt.want)
			}
		})
	}
	// Without parameters, every task, as before pages existed.
	var full api.Job
	e.getJSON(t, "/v1/jobs/"+job.ID, &full)
	if len(full.Tasks) != 3 || full.NextPageToken != "" || full.Total != 3 {
		t.Errorf("the whole job: %d tasks, next %q, total %d", len(full.Tasks), full.NextPageToken, full.Total)
	}
	var last api.Job
	e.getJSON(t, "/v1/jobs/"+job.ID+"?limit=2&page_token="+strconv.Itoa(2), &last)
	if len(last.Tasks) != 1 || last.Tasks[0].ID != full.Tasks[2].ID || last.NextPageToken != "" {
		t.Errorf("the last page: %+v", last)
	}
}

// TestArchiveOfFiveThousandPhotos downloads the zip of a job of 5,000
// results of 24 KiB each (117 MiB) and watches the heap meanwhile: it
// grows by a small part of the archive, which streams through.
func TestArchiveOfFiveThousandPhotos(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 117 MiB of results")
	}
	const (
		tasks = 5000
		size  = 24 << 10
	)
	topic := mempubsub.NewTopic()
	sub := mempubsub.NewSubscription(topic, time.Hour)
	t.Cleanup(func() { _ = sub.Shutdown(context.Background()) })
	e := newEnvWith(t, Config{}, topic, fileBucket(t))
	var job api.Job
	if st := e.postJSON(t, LocalOwner, "/v1/jobs", map[string]any{"images": e.putImages(t, tasks), "ops": []any{map[string]any{"op": "thumbnail", "width": 64}}}, &job); st != http.StatusAccepted {
		t.Fatalf("submit: %d", st)
	}
	start := time.Now()
	ctx := context.Background()
	data := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	var eg errgroup.Group
	eg.SetLimit(16)
	for _, tk := range job.Tasks {
		eg.Go(func() error {
			key := records.OutputKey(LocalOwner, job.ID, tk.ID, ".jpg")
			if err := e.bucket.WriteAll(ctx, key, data, nil); err != nil {
				return err
			}
			res := events.Result{Key: key, Format: "jpeg", ContentType: "image/jpeg", Width: 64, Height: 48, Bytes: size}
			return e.store.MarkCompleted(ctx, events.TaskCompleted{Job: job.ID, Task: tk.ID, Owner: LocalOwner, Attempt: 1, Result: res}, time.Now())
		})
	}
	if err := eg.Wait(); err != nil {
		t.Fatal(err)
	}

	t.Logf("results written in %s", time.Since(start))
	// Collected often, the heap shows what is held rather than garbage
	// not yet collected.
	defer debug.SetGCPercent(debug.SetGCPercent(25))
	runtime.GC()
	base := heapBytes()
	var peak atomic.Uint64
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if h := heapBytes(); h > peak.Load() {
				peak.Store(h)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	start = time.Now()
	resp, err := http.Get(e.srv.URL + "/v1/jobs/" + job.ID + "/archive")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// The zip's directory is at its end: what comes before is counted,
	// the directory kept to read it.
	var tail tailBuffer
	n, err := io.Copy(&tail, resp.Body)
	close(done)
	<-sampled
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("archive read in %s", time.Since(start))
	grew := int64(peak.Load()) - int64(base)
	t.Logf("archive of %d photos: %d MiB; the heap grew by %d MiB at most", tasks, n>>20, grew>>20)
	if n < tasks*size {
		t.Fatalf("the archive is %d bytes, less than its %d outputs", n, tasks*size)
	}
	if grew > n/4 {
		t.Errorf("the heap grew by %d MiB while streaming an archive of %d MiB", grew>>20, n>>20)
	}
	entries, err := tail.zipEntries(n)
	if err != nil || entries != tasks {
		t.Errorf("the archive's directory lists %d entries (%v), want %d", entries, err, tasks)
	}
}

// heapBytes is the heap's objects, live or not yet collected, read without
// stopping the world.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// tailBuffer keeps the last bytes written to it: a zip's end records.
type tailBuffer struct{ b []byte }

const tailKeep = 22

func (t *tailBuffer) Write(p []byte) (int, error) {
	if len(p) >= tailKeep {
		t.b = append(t.b[:0], p[len(p)-tailKeep:]...)
		return len(p), nil
	}
	t.b = append(t.b, p...)
	if len(t.b) > tailKeep {
		t.b = append(t.b[:0], t.b[len(t.b)-tailKeep:]...)
	}
	return len(p), nil
}

// zipEntries reads the entry count from a zip's end of central directory
// record (the last 22 bytes of an archive without a comment).
func (t *tailBuffer) zipEntries(size int64) (int, error) {
	if len(t.b) < tailKeep || !bytes.Equal(t.b[:4], []byte("PK\x05\x06")) {
		return 0, fmt.Errorf("no end of central directory in %d bytes", size)
	}
	return int(binary.LittleEndian.Uint16(t.b[10:12])), nil
}
