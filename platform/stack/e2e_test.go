package stack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"math"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pixmill/pixmill/functions/imaging"
	"github.com/pixmill/pixmill/functions/imaging/imagingtest"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/stacktest"
)

func TestMain(m *testing.M) { imagingtest.Main(m) }

var (
	thumbOp      = json.RawMessage(`{"op":"thumbnail","width":256,"height":256}`)
	brightnessOp = json.RawMessage(`{"op":"brightness","factor":1.3}`)
)

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

	ids := upload(t, ctx, c, pics)
	job, err := c.CreateJob(ctx, client.JobRequest{Images: ids, Ops: []json.RawMessage{thumbOp, brightnessOp}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	job = waitFinal(t, ctx, c, job.ID)
	t.Logf("%d pictures processed in %s", len(pics), time.Since(start).Round(time.Millisecond))
	if job.State != client.JobSucceeded {
		t.Fatalf("job ended %s: %+v", job.State, failures(job))
	}

	byID := map[string]stacktest.Picture{}
	for i, id := range ids {
		byID[id] = pics[i]
	}
	var eg errgroup.Group
	eg.SetLimit(4)
	for _, task := range job.Tasks {
		eg.Go(func() error { return checkOutput(ctx, c, job.ID, task, byID[task.Image]) })
	}
	if err := eg.Wait(); err != nil {
		t.Fatal(err)
	}
}

func upload(t *testing.T, ctx context.Context, c *client.Client, pics []stacktest.Picture) []string {
	t.Helper()
	ids := make([]string, len(pics))
	var eg errgroup.Group
	eg.SetLimit(4)
	for start := 0; start < len(pics); start += 10 {
		end := min(start+10, len(pics))
		eg.Go(func() error {
			var files []client.File
			for _, p := range pics[start:end] {
				files = append(files, client.File{Name: p.Name, Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(p.Data)), nil }})
			}
			res, err := c.Upload(ctx, files)
			if err != nil {
				return err
			}
			for i, im := range res.Images {
				if !im.Accepted() {
					return fmt.Errorf("%s rejected: %s", im.Name, im.Error)
				}
				ids[start+i] = im.ID
			}
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		t.Fatal(err)
	}
	return ids
}

func waitFinal(t *testing.T, ctx context.Context, c *client.Client, id string) client.Job {
	t.Helper()
	var job client.Job
	err := stacktest.Eventually(ctx, 200*time.Millisecond, func() (bool, error) {
		var err error
		job, err = c.Job(ctx, id)
		return err == nil && job.State.Final(), err
	})
	if err != nil {
		t.Fatalf("waiting for job %s: %v (last state %s)", id, err, job.State)
	}
	return job
}

func failures(job client.Job) []string {
	var out []string
	for _, task := range job.Tasks {
		if task.State != client.TaskSucceeded {
			out = append(out, fmt.Sprintf("%s %s: %s", task.Name, task.State, task.Error))
		}
	}
	return out
}

// checkOutput downloads one output and compares it with the thumbnail of its
// original made here without the brightness op: same size, brighter.
func checkOutput(ctx context.Context, c *client.Client, job string, task client.Task, orig stacktest.Picture) error {
	var out bytes.Buffer
	if _, err := c.Output(ctx, job, task.ID, &out); err != nil {
		return fmt.Errorf("%s: %w", orig.Name, err)
	}
	got, _, err := image.Decode(bytes.NewReader(out.Bytes()))
	if err != nil {
		return fmt.Errorf("%s: output does not decode: %w", orig.Name, err)
	}
	info, err := imaging.Probe(orig.Data)
	if err != nil {
		return err
	}
	wantW, wantH := fitInside(info.Width, info.Height, 256)
	b := got.Bounds()
	if abs(b.Dx()-wantW) > 1 || abs(b.Dy()-wantH) > 1 || max(b.Dx(), b.Dy()) != 256 {
		return fmt.Errorf("%s: output is %dx%d, want %dx%d", orig.Name, b.Dx(), b.Dy(), wantW, wantH)
	}
	if task.Output == nil || task.Output.Width != b.Dx() || task.Output.Height != b.Dy() || task.Output.Bytes != int64(out.Len()) {
		return fmt.Errorf("%s: job reports output %+v, downloaded %dx%d %d bytes", orig.Name, task.Output, b.Dx(), b.Dy(), out.Len())
	}
	op, err := imaging.Parse(thumbOp)
	if err != nil {
		return err
	}
	ref, err := imaging.Process(ctx, orig.Data, []imaging.Op{op}, imaging.Output{Format: "png"})
	if err != nil {
		return err
	}
	refImg, _, err := image.Decode(bytes.NewReader(ref.Bytes))
	if err != nil {
		return err
	}
	before, after := meanLuma(refImg), meanLuma(got)
	// A factor of 1.3 on lightness lifts mid-tones by far more than this;
	// clipping near white is what keeps the margin modest.
	if want := before + 0.5*math.Min(0.3*before, 255-before); after < want {
		return fmt.Errorf("%s: mean luma %.1f after brightness 1.3, want at least %.1f (thumbnail alone %.1f)", orig.Name, after, want, before)
	}
	return nil
}

func fitInside(w, h, box int) (int, int) {
	s := math.Min(1, math.Min(float64(box)/float64(w), float64(box)/float64(h)))
	return int(math.Round(float64(w) * s)), int(math.Round(float64(h) * s))
}

func meanLuma(img image.Image) float64 {
	b := img.Bounds()
	var sum float64
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			sum += (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 257
		}
	}
	return sum / float64(b.Dx()*b.Dy())
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
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
	ids := upload(t, ctx, c, pics)
	job, err := c.CreateJob(ctx, client.JobRequest{Images: ids, Ops: []json.RawMessage{thumbOp}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Job(ctx, job.ID); err != nil || got.State != client.JobQueued {
		t.Fatalf("with no workers the job is %s (%v), want queued", got.State, err)
	}
	first.Stop()

	second := stacktest.Up(t, data, "--workers", "2")
	c = client.New(second.URL, nil)
	done := waitFinal(t, ctx, c, job.ID)
	if done.State != client.JobSucceeded || len(done.Tasks) != len(pics) {
		t.Fatalf("after restart the job is %s with %d tasks: %v", done.State, len(done.Tasks), failures(done))
	}
	for _, task := range done.Tasks {
		var out bytes.Buffer
		if _, err := c.Output(ctx, done.ID, task.ID, &out); err != nil || out.Len() == 0 {
			t.Errorf("output of %s: %v (%d bytes)", task.Name, err, out.Len())
		}
	}
}
