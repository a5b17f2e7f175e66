package stack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// BenchmarkBatchWithPreviews is the batch a person starts and then keeps
// editing the next one while it runs: a 500-task job of real 1–5 MP photos
// (thumbnail 256) through pixmill up, once alone and once while a client
// asks POST /v1/previews for a new preview every 300 ms (the web app's
// debounce), alternating between an 18 MP photo and a smaller one, each
// edited with thumbnail + recolor + watermark. It reports both rates and
// their ratio (the bound: previews lower the batch's throughput by
// at most 10 %, a ratio of at least 0.9), the previews made and those
// answered "busy" (the gateway's --preview-cpu share was in use for longer
// than a request waits; the web app asks again), and their median time.
// The batches alternate, alone-with-with-alone, and the rates are each
// pair's total tasks over total time.
func BenchmarkBatchWithPreviews(b *testing.B) {
	const tasks = 500
	all := stacktest.Photos(b)
	small := pickPhotos(b, all, between(1, 5))
	large := pickPhotos(b, all, between(15, 25))
	b.Logf("load before: %s", loadavg())
	for b.Loop() {
		p := stacktest.Up(b, b.TempDir(), "--workers", fmt.Sprint(runtime.NumCPU()))
		cl := client.New(p.URL, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
		ids := stacktest.Upload(b, ctx, cl, repeatPictures(small, tasks))
		edited := stacktest.Upload(b, ctx, cl, []stacktest.Picture{large[0], small[0]})
		waitWorkers(b, ctx, p, runtime.NumCPU())

		batch := func() float64 {
			start := time.Now()
			job, err := cl.CreateJob(ctx, api.JobRequest{Images: ids, Ops: []json.RawMessage{photoThumb}, Format: "jpeg"})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := stacktest.Follow(ctx, p.URL, job.ID); err != nil {
				b.Fatal(err)
			}
			return tasks / time.Since(start).Seconds()
		}
		var made, busy atomic.Int64
		var took []time.Duration
		// withPreviews runs a batch while a client asks for previews.
		withPreviews := func() float64 {
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				tick := time.NewTicker(300 * time.Millisecond)
				defer tick.Stop()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					case <-tick.C:
					}
					d, err := preview(ctx, p.URL, edited[i%2], i)
					if errors.Is(err, errBusy) {
						busy.Add(1) // the web app asks again later
						continue
					}
					if err != nil {
						b.Error(err)
						return
					}
					made.Add(1)
					took = append(took, d)
				}
			}()
			rate := batch()
			close(stop)
			<-done
			return rate
		}
		// Alone, with, with, alone: a change of the machine's load in
		// the meantime falls on both alike.
		alone := batch()
		with := withPreviews()
		with = 2 / (1/with + 1/withPreviews())
		alone = 2 / (1/alone + 1/batch())
		p.Stop()
		cancel()

		b.ReportMetric(alone, "alone-tasks/s")
		b.ReportMetric(with, "with-previews-tasks/s")
		b.ReportMetric(with/alone, "ratio")
		b.ReportMetric(float64(made.Load()), "previews")
		b.ReportMetric(float64(busy.Load()), "previews-busy")
		if len(took) > 0 {
			b.ReportMetric(ms(median(took)), "preview-median-ms")
		}
	}
	b.Logf("load after: %s", loadavg())
}

// preview asks for a 640-pixel preview of image, its brightness following
// i as a slider would, and returns how long it took.
func preview(ctx context.Context, url, image string, i int) (time.Duration, error) {
	body, _ := json.Marshal(map[string]any{"image": image, "size": 640, "ops": []any{
		map[string]any{"op": "thumbnail", "width": 2048, "height": 2048},
		map[string]any{"op": "recolor", "mode": "sepia", "strength": 0.3 + float64(i%5)/10},
		map[string]any{"op": "watermark", "text": "© pixmill"},
	}})
	start := time.Now()
	req, _ := http.NewRequestWithContext(ctx, "POST", url+"/v1/previews", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "" {
		return 0, errBusy
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("preview: %s", resp.Status)
	}
	return time.Since(start), nil
}

// errBusy is a preview answered 503 with Retry-After: the previews' share
// of the CPUs was in use for longer than a request waits.
var errBusy = errors.New("previews busy")

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
