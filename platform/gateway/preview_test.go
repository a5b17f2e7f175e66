package gateway

import (
	"bytes"
	"context"
	"image/color"
	"net/http"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/functions/imaging"
)

// TestPreview: a succeeded task's preview is its result made small (never
// larger than it was), as WebP, made once and then served from the bucket;
// a task without a result, another owner's job and a result that is gone
// get a 404 that says which.
func TestPreview(t *testing.T) {
	e := newEnv(t, Config{})
	job := e.jobOK(t, map[string]any{"images": e.uploadOK(t, LocalOwner, 3), "ops": []any{map[string]any{"op": "brightness", "factor": 1.1}}})
	ctx := context.Background()
	now := time.Now()
	// Results as a worker would store them: a large one and a small one.
	for i, size := range [][2]int{{1600, 1200}, {200, 150}} {
		task := job.Tasks[i]
		data := jpegBytes(t, size[0], size[1], color.RGBA{200, 80, 40, 255})
		key := records.OutputKey(LocalOwner, job.ID, task.ID, ".jpg")
		if err := e.bucket.WriteAll(ctx, key, data, &blob.WriterOptions{ContentType: "image/jpeg"}); err != nil {
			t.Fatal(err)
		}
		res := events.Result{Key: key, Format: "jpeg", ContentType: "image/jpeg", Width: size[0], Height: size[1], Bytes: int64(len(data))}
		if err := e.store.MarkCompleted(ctx, events.TaskCompleted{Job: job.ID, Task: task.ID, Owner: LocalOwner, Attempt: 1, Result: res}, now); err != nil {
			t.Fatal(err)
		}
	}
	preview := func(i int) string { return "/v1/jobs/" + job.ID + "/tasks/" + job.Tasks[i].ID + "/preview" }

	for i, want := range [][2]int{{PreviewSize, PreviewSize * 3 / 4}, {200, 150}} {
		st, h, b := e.get(t, LocalOwner, preview(i))
		if st != http.StatusOK || h.Get("Content-Type") != "image/webp" {
			t.Fatalf("preview %d: %d %s %.100q", i, st, h.Get("Content-Type"), b)
		}
		info, err := imaging.Probe(b)
		if err != nil || info.Format != "webp" || info.Width != want[0] || info.Height != want[1] {
			t.Errorf("preview %d: %+v (%v), want a %dx%d webp", i, info, err, want[0], want[1])
		}
		kept, err := e.bucket.ReadAll(ctx, records.PreviewKey(LocalOwner, job.ID, job.Tasks[i].ID))
		if err != nil || !bytes.Equal(kept, b) {
			t.Errorf("preview %d is not kept in the bucket as served (%v)", i, err)
		}
		// Served from the bucket the second time: a changed copy there
		// is what comes back.
		if err := e.bucket.WriteAll(ctx, records.PreviewKey(LocalOwner, job.ID, job.Tasks[i].ID), append(kept, 0), nil); err != nil {
			t.Fatal(err)
		}
		if _, _, again := e.get(t, LocalOwner, preview(i)); len(again) != len(b)+1 {
			t.Errorf("preview %d was made again (%d bytes), not served from the bucket (%d)", i, len(again), len(b)+1)
		}
	}

	for _, tt := range []struct {
		name, owner, path, want string
	}{
		{"no result yet", LocalOwner, preview(2), "has no output yet"},
		{"another owner", "mallory", preview(0), "not found"},
		{"unknown task", LocalOwner, "/v1/jobs/" + job.ID + "/tasks/" + events.NewID() + "/preview", "not found in job"},
	} {
		if st, _, b := e.get(t, tt.owner, tt.path); st != http.StatusNotFound || !bytes.Contains(b, []byte(tt.want)) {
			t.Errorf("%s: %d %s, want 404 saying %q", tt.name, st, b, tt.want)
		}
	}
	// The result is gone and no preview was made of it.
	if err := e.bucket.Delete(ctx, records.PreviewKey(LocalOwner, job.ID, job.Tasks[1].ID)); err != nil {
		t.Fatal(err)
	}
	if err := e.bucket.Delete(ctx, records.OutputKey(LocalOwner, job.ID, job.Tasks[1].ID, ".jpg")); err != nil {
		t.Fatal(err)
	}
	if st, _, b := e.get(t, LocalOwner, preview(1)); st != http.StatusNotFound || !bytes.Contains(b, []byte("no longer stored")) {
		t.Errorf("preview of a result that is gone: %d %s, want 404 saying so", st, b)
	}
}
