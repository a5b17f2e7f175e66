package stack_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// BenchmarkFairShareAlone is the price of fair share to an owner alone: one
// job on `pixmill up --workers 2`, timed from POST /v1/jobs until the job
// has ended, with the dispatcher's window (the default) and without it
// (--fair-window 0: every task sent at once), in the same run. Two
// workloads: 400 tiny pictures, whose short tasks show as much as anything
// can the time a freed slot takes to refill, and 240 real 1–5 MP
// photographs (the fetched photos, repeated) thumbnailed to 256 px, which
// is what users send. The two settings alternate, fifo-fair-fair-fifo, so that a change
// of the machine's load falls on both alike; it reports both rates and
// their ratio, which should stay within 5 % of 1. One iteration is the
// whole comparison: run it with -benchtime 1x. PIXMILL_BENCH_FAIR_ARGS
// gives the fair side flags of its own (say "--fair-window 16") to compare
// settings.
func BenchmarkFairShareAlone(b *testing.B) {
	for _, w := range []struct {
		name string
		pics func(*testing.B) []stacktest.Picture
		op   string
	}{
		{"tiny", func(b *testing.B) []stacktest.Picture { return stacktest.Tiny(b, 400) }, `{"op":"thumbnail","width":48,"height":48}`},
		{"photos", func(b *testing.B) []stacktest.Picture {
			return repeatPictures(pickPhotos(b, stacktest.Photos(b), between(1, 5)), 240)
		}, `{"op":"thumbnail","width":256,"height":256}`},
	} {
		b.Run(w.name, func(b *testing.B) {
			pics := w.pics(b)
			for b.Loop() {
				var fifo, fair time.Duration
				for _, fairFirst := range []bool{false, true} {
					for _, on := range []bool{fairFirst, !fairFirst} {
						args := []string{"--fair-window", "0"}
						if on {
							args = strings.Fields(os.Getenv("PIXMILL_BENCH_FAIR_ARGS"))
						}
						d := aloneTime(b, pics, w.op, args...)
						if on {
							fair += d
						} else {
							fifo += d
						}
					}
				}
				n := float64(2 * len(pics))
				b.ReportMetric(n/fifo.Seconds(), "fifo-tasks/s")
				b.ReportMetric(n/fair.Seconds(), "fair-tasks/s")
				b.ReportMetric(fifo.Seconds()/fair.Seconds(), "fair/fifo")
			}
		})
	}
}

// aloneTime runs one job of pics with op on a fresh stack started with
// args, and returns the time from its creation to its end.
func aloneTime(b *testing.B, pics []stacktest.Picture, op string, args ...string) time.Duration {
	b.Helper()
	p := stacktest.Up(b, b.TempDir(), append([]string{"--workers", "2"}, args...)...)
	defer p.Stop()
	c := client.New(p.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	ids := stacktest.Upload(b, ctx, c, pics)
	start := time.Now()
	job, err := c.CreateJob(ctx, api.JobRequest{Images: ids, Ops: []json.RawMessage{json.RawMessage(op)}})
	if err != nil {
		b.Fatal(err)
	}
	err = stacktest.Eventually(ctx, 20*time.Millisecond, func() (bool, error) {
		j, err := c.JobSummary(ctx, job.ID)
		if err == nil && j.State.Final() && j.State != api.JobSucceeded {
			b.Fatalf("job ended %s: %v", j.State, j.Counts)
		}
		return err == nil && j.State.Final(), err
	})
	if err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}
