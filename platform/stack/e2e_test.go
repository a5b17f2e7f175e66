package stack_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pixmill/pixmill/functions/imaging"
	"github.com/pixmill/pixmill/functions/imaging/exiftest"
	"github.com/pixmill/pixmill/functions/imaging/imagingtest"
	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/stacktest"
)

func TestMain(m *testing.M) { imagingtest.Main(m) }

// TestEndToEnd runs the whole path on the real local stack: separate worker
// processes, the embedded JetStream, a file bucket, the HTTP API over a
// socket. It uploads real photos and generated pictures, runs thumbnail +
// brightness on all of them, downloads every output and measures it.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	pics := append(stacktest.Photos(t), stacktest.Generated(t, 100, 1)...)
	p := stacktest.Up(t, t.TempDir(), "--workers", "2")
	c := client.New(p.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	ids := stacktest.Upload(t, ctx, c, pics)
	job, err := c.CreateJob(ctx, api.JobRequest{Images: ids, Ops: []json.RawMessage{stacktest.ThumbOp, stacktest.BrightnessOp}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	job = stacktest.WaitFinal(t, ctx, c, job.ID)
	t.Logf("%d pictures processed in %s", len(pics), time.Since(start).Round(time.Millisecond))
	if job.State != api.JobSucceeded {
		t.Fatalf("job ended %s: %+v", job.State, stacktest.Failures(job))
	}

	if err := stacktest.CheckOutputs(ctx, c, job, ids, pics); err != nil {
		t.Fatal(err)
	}
	// The originals stay downloadable, byte for byte, as what they are.
	for i, id := range ids {
		resp, err := http.Get(p.URL + "/v1/images/" + id)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		info, _ := imaging.Probe(pics[i].Data)
		if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(body, pics[i].Data) || resp.Header.Get("Content-Type") != imaging.ContentType(info.Format) {
			t.Errorf("original %s: %d, %d bytes of %d, served as %q (%v), want it as %s", pics[i].Name, resp.StatusCode, len(body), len(pics[i].Data), resp.Header.Get("Content-Type"), err, imaging.ContentType(info.Format))
		}
	}

	// What the camera wrote (its make, here) is gone from the results
	// unless the job asks to keep it.
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, image.NewGray(image.Rect(0, 0, 320, 240)), nil); err != nil {
		t.Fatal(err)
	}
	camera := stacktest.Upload(t, ctx, c, []stacktest.Picture{{Name: "camera.jpg", Data: exiftest.JPEG(plain.Bytes(), 1, "PixmillTestCamera")}})
	for _, metadata := range []string{"", "strip", "keep"} {
		job, err := c.CreateJob(ctx, api.JobRequest{Images: camera, Ops: []json.RawMessage{stacktest.ThumbOp}, Metadata: metadata})
		if err != nil {
			t.Fatal(err)
		}
		if job = stacktest.WaitFinal(t, ctx, c, job.ID); job.State != api.JobSucceeded {
			t.Fatalf("metadata %q: job ended %s: %v", metadata, job.State, stacktest.Failures(job))
		}
		var out bytes.Buffer
		if _, err := c.Output(ctx, job.ID, job.Tasks[0].ID, &out); err != nil {
			t.Fatal(err)
		}
		keep := metadata == "keep"
		if kept := exiftest.HasEXIF(out.Bytes(), "PixmillTestCamera"); kept != keep {
			t.Errorf("metadata %q: the camera's EXIF is in the result: %v, want %v", metadata, kept, keep)
		}
		if want := map[bool]string{false: "strip", true: "keep"}[keep]; job.Metadata != want {
			t.Errorf("metadata %q: the job shows metadata %q, want %q", metadata, job.Metadata, want)
		}
	}
}

// TestRestartKeepsQueuedRequests stops the stack while requests wait in the
// queue with no worker running, starts it again with workers, and expects
// every task to complete.
func TestRestartKeepsQueuedRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	data := t.TempDir()
	pics := stacktest.Generated(t, 12, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	first := stacktest.Up(t, data, "--workers", "0")
	c := client.New(first.URL, nil)
	ids := stacktest.Upload(t, ctx, c, pics)
	job, err := c.CreateJob(ctx, api.JobRequest{Images: ids, Ops: []json.RawMessage{stacktest.ThumbOp}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Job(ctx, job.ID); err != nil || got.State != api.JobQueued {
		t.Fatalf("with no workers the job is %s (%v), want queued", got.State, err)
	}
	first.Stop()

	second := stacktest.Up(t, data, "--workers", "2")
	c = client.New(second.URL, nil)
	done := stacktest.WaitFinal(t, ctx, c, job.ID)
	if done.State != api.JobSucceeded || len(done.Tasks) != len(pics) {
		t.Fatalf("after restart the job is %s with %d tasks: %v", done.State, len(done.Tasks), stacktest.Failures(done))
	}
	for _, task := range done.Tasks {
		var out bytes.Buffer
		if _, err := c.Output(ctx, done.ID, task.ID, &out); err != nil || out.Len() == 0 {
			t.Errorf("output of %s: %v (%d bytes)", task.Name, err, out.Len())
		}
	}
}

// TestCLIJobs: `pixmill jobs` lists a person's jobs with their states, and
// `pixmill archive` downloads one as a zip of its results.
func TestCLIJobs(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	pics := stacktest.Generated(t, 2, 5)
	p := stacktest.Up(t, t.TempDir(), "--workers", "1")
	c := client.New(p.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ids := stacktest.Upload(t, ctx, c, pics)
	var jobs []string
	for range 2 {
		job, err := c.CreateJob(ctx, api.JobRequest{Images: ids, Ops: []json.RawMessage{stacktest.ThumbOp, stacktest.BrightnessOp}})
		if err != nil {
			t.Fatal(err)
		}
		stacktest.WaitFinal(t, ctx, c, job.ID)
		jobs = append(jobs, job.ID)
	}

	out, err := stacktest.Command(t, "jobs", "--server", p.URL)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "JOB") {
		t.Fatalf("pixmill jobs printed:\n%s\nwant a header and two jobs", out)
	}
	for i, id := range []string{jobs[1], jobs[0]} { // newest first
		f := strings.Fields(lines[i+1])
		if len(f) < 7 || f[0] != id || f[3] != "succeeded" || f[4] != "2" || strings.Join(f[5:], " ") != "thumbnail, brightness" {
			t.Errorf("line %d: %q, want job %s, succeeded, 2 photos, thumbnail, brightness", i+1, lines[i+1], id)
		}
	}

	zipPath := filepath.Join(t.TempDir(), "edited.zip")
	if out, err := stacktest.Command(t, "archive", jobs[0], "--server", p.URL, "--out", zipPath); err != nil || !strings.Contains(out, "wrote "+zipPath) {
		t.Fatalf("pixmill archive: %q %v", out, err)
	}
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 2 {
		t.Errorf("the archive holds %d files, want the 2 results", len(zr.File))
	}
	if _, err := stacktest.Command(t, "archive", "--server", p.URL); err == nil || !strings.Contains(err.Error(), "which job?") {
		t.Errorf("pixmill archive without a job: %v, want it to ask which job", err)
	}
	dir := t.TempDir()
	if _, err := stacktest.Command(t, "archive", "--server", p.URL, "--out", filepath.Join(dir, "x.zip"), "nosuchjob"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("pixmill archive of an unknown job: %v, want not found", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("a failed download left %v behind", left)
	}
}
