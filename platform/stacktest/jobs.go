package stacktest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg" // outputs are decoded to be measured
	_ "image/png"
	"io"
	"math"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pixmill/pixmill/functions/imaging"
	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/client"
)

// The edits of the end-to-end scenario, which every backend runs.
var (
	ThumbOp      = json.RawMessage(`{"op":"thumbnail","width":256,"height":256}`)
	BrightnessOp = json.RawMessage(`{"op":"brightness","factor":1.3}`)
)

func Upload(tb testing.TB, ctx context.Context, c *client.Client, pics []Picture) []string {
	tb.Helper()
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
		tb.Fatal(err)
	}
	return ids
}

func WaitFinal(tb testing.TB, ctx context.Context, c *client.Client, id string) api.Job {
	tb.Helper()
	var job api.Job
	err := Eventually(ctx, 200*time.Millisecond, func() (bool, error) {
		var err error
		job, err = c.Job(ctx, id)
		return err == nil && job.State.Final(), err
	})
	if err != nil {
		tb.Fatalf("waiting for job %s: %v (last state %s)", id, err, job.State)
	}
	return job
}

func Failures(job api.Job) []string {
	var out []string
	for _, task := range job.Tasks {
		if task.State != api.TaskSucceeded {
			out = append(out, fmt.Sprintf("%s %s: %s", task.Name, task.State, task.Error))
		}
	}
	return out
}

// CheckOutputs runs CheckOutput on every task of job, four at a time,
// finding each task's original among pics by the image ids Upload returned
// for them (ids[i] is pics[i]).
func CheckOutputs(ctx context.Context, c *client.Client, job api.Job, ids []string, pics []Picture) error {
	byID := make(map[string]Picture, len(ids))
	for i, id := range ids {
		byID[id] = pics[i]
	}
	var eg errgroup.Group
	eg.SetLimit(4)
	for _, task := range job.Tasks {
		orig, ok := byID[task.Image]
		if !ok {
			return fmt.Errorf("task %s: its image %s is not among the pictures uploaded", task.ID, task.Image)
		}
		eg.Go(func() error { return CheckOutput(ctx, c, job.ID, task, orig) })
	}
	return eg.Wait()
}

// referenceMu makes the reference pictures one at a time. Downloads run in
// parallel, but libvips used from several goroutines of this test process
// once crashed in clear_image (a rare libvips/govips race others report
// too, e.g. govips issue 251); pixmill's workers edit one picture at a time
// each, and a test should fail on pixmill's behaviour, not on that.
var referenceMu sync.Mutex

// CheckOutput downloads one output and compares it with the thumbnail of its
// original made here without the brightness op: same size, brighter.
func CheckOutput(ctx context.Context, c *client.Client, job string, task api.Task, orig Picture) error {
	var out bytes.Buffer
	ctype, err := c.Output(ctx, job, task.ID, &out)
	if err != nil {
		return fmt.Errorf("%s: %w", orig.Name, err)
	}
	if task.Output == nil || ctype != imaging.ContentType(task.Output.Format) {
		return fmt.Errorf("%s: output served as %q, job reports %+v", orig.Name, ctype, task.Output)
	}
	got, _, err := image.Decode(bytes.NewReader(out.Bytes()))
	if err != nil {
		return fmt.Errorf("%s: output does not decode: %w", orig.Name, err)
	}
	info, err := imaging.Probe(orig.Data)
	if err != nil {
		return err
	}
	wantW, wantH := FitInside(info.Width, info.Height, 256)
	b := got.Bounds()
	if abs(b.Dx()-wantW) > 1 || abs(b.Dy()-wantH) > 1 || max(b.Dx(), b.Dy()) != 256 {
		return fmt.Errorf("%s: output is %dx%d, want %dx%d", orig.Name, b.Dx(), b.Dy(), wantW, wantH)
	}
	if task.Output == nil || task.Output.Width != b.Dx() || task.Output.Height != b.Dy() || task.Output.Bytes != int64(out.Len()) {
		return fmt.Errorf("%s: job reports output %+v, downloaded %dx%d %d bytes", orig.Name, task.Output, b.Dx(), b.Dy(), out.Len())
	}
	op, err := imaging.Parse(ThumbOp)
	if err != nil {
		return err
	}
	referenceMu.Lock()
	ref, err := imaging.Process(ctx, orig.Data, []imaging.Op{op}, imaging.Output{Format: "png"})
	referenceMu.Unlock()
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

func FitInside(w, h, box int) (int, int) {
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
