package stack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
	"gocloud.dev/blob"
	"golang.org/x/sync/errgroup"

	"github.com/pixmill/pixmill/functions/imaging"
	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/jetstream"
	"github.com/pixmill/pixmill/platform/stack"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// TestChaos runs PIXMILL_CHAOS_TASKS tasks (default 200; `make chaos` runs
// 1,000) over the real photos, submitted by two owners in turn so that the
// fair-share dispatcher is always choosing between them, while a random worker process is killed with
// SIGKILL every 250 ms and the embedded broker is restarted once. Nothing may
// be lost: every task succeeds, exactly once in its record, every output
// decodes at the expected size, and no request is left in the queue.
//
// The run allows 200 attempts per task and runs six workers (each lives
// about 1.5 s between kills): with a kill every 250 ms a large photo is
// often killed several times, and the point here is that it is never lost,
// not that it is given up on (TestPoisonRequestIsDeadLettered covers that).
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	want := 200
	if v := os.Getenv("PIXMILL_CHAOS_TASKS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("PIXMILL_CHAOS_TASKS=%q", v)
		}
		want = n
	}
	photos := stacktest.Photos(t)
	data := t.TempDir()
	p := stacktest.Up(t, data, "--auth", "keys", "--workers", "6", "--ack-wait", "1s", "--max-attempts", "200", "--restart-backoff-max", "200ms")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()

	// Two owners, each with the photos uploaded; jobs go to them in turn.
	owners := []*client.Client{
		client.New(p.URL, nil, client.WithToken(newKey(t, data, "ann"))),
		client.New(p.URL, nil, client.WithToken(newKey(t, data, "ben"))),
	}
	ownerIDs := make([][]string, len(owners))
	for i, c := range owners {
		ownerIDs[i] = stacktest.Upload(t, ctx, c, photos)
	}
	ops := []json.RawMessage{stacktest.ThumbOp, json.RawMessage(`{"op":"brightness","factor":1.1}`)}
	type submitted struct {
		c  *client.Client
		id string
	}
	var jobs []submitted
	for n, i := 0, 0; n < want; i++ {
		c, ids := owners[i%2], ownerIDs[i%2]
		job, err := c.CreateJob(ctx, api.JobRequest{Images: ids[:min(len(ids), want-n)], Ops: ops})
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, submitted{c, job.ID})
		n += len(job.Tasks)
	}

	// The chaos: a kill every 250 ms, one broker restart once the run is
	// under way.
	chaosCtx, stopChaos := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var kills int
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		restartAt := time.Now().Add(3 * time.Second)
		for {
			select {
			case <-chaosCtx.Done():
				return
			case <-tick.C:
			}
			if pids := p.Workers(); len(pids) > 0 {
				if syscall.Kill(pids[rand.IntN(len(pids))], syscall.SIGKILL) == nil {
					kills++
				}
			}
			if !restartAt.IsZero() && time.Now().After(restartAt) {
				restartAt = time.Time{}
				if err := p.Signal(syscall.SIGUSR1); err != nil {
					t.Errorf("restarting the broker: %v", err)
				}
			}
		}
	}()

	var finished []api.Job
	start := time.Now()
	for _, j := range jobs {
		finished = append(finished, stacktest.WaitFinal(t, ctx, j.c, j.id))
	}
	stopChaos()
	wg.Wait()
	elapsed := time.Since(start)

	sizes := map[string][2]int{}
	for _, ids := range ownerIDs {
		for i, id := range ids {
			info, err := imaging.Probe(photos[i].Data)
			if err != nil {
				t.Fatal(err)
			}
			w, h := stacktest.FitInside(info.Width, info.Height, 256)
			sizes[id] = [2]int{w, h}
		}
	}
	var succeeded, redelivered, lost int
	var eg errgroup.Group
	eg.SetLimit(8)
	for n, job := range finished {
		c := jobs[n].c
		for _, task := range job.Tasks {
			if task.State != api.TaskSucceeded {
				lost++
				t.Errorf("task %s of job %s ended %s: %s", task.ID, job.ID, task.State, task.Error)
				continue
			}
			succeeded++
			redelivered += max(task.Attempts-1, 0)
			eg.Go(func() error {
				var out bytes.Buffer
				if _, err := c.Output(ctx, job.ID, task.ID, &out); err != nil {
					return err
				}
				cfg, _, err := image.DecodeConfig(&out)
				if err != nil {
					return fmt.Errorf("output of task %s does not decode: %w", task.ID, err)
				}
				if want := sizes[task.Image]; abs(cfg.Width-want[0]) > 1 || abs(cfg.Height-want[1]) > 1 {
					return fmt.Errorf("output of task %s is %dx%d, want %dx%d", task.ID, cfg.Width, cfg.Height, want[0], want[1])
				}
				return nil
			})
		}
	}
	if err := eg.Wait(); err != nil {
		t.Error(err)
	}
	parked, err := stacktest.Command(t, "dlq", "list", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	deadLettered := strings.Count(strings.TrimSpace(parked), "\n") // lines after the header
	backlog := queueBacklog(t, ctx, data)
	results, orphans := countResults(t, ctx, data)

	report := fmt.Sprintf("chaos: owners=2 submitted=%d succeeded=%d results=%d redelivered=%d dead-lettered=%d lost=%d kills=%d broker-restarts=1 interrupted-writes=%d time=%s backlog=%+v",
		want, succeeded, results, redelivered, deadLettered, lost, kills, orphans, elapsed.Round(time.Millisecond), backlog)
	t.Log(report)
	fmt.Println(report)
	if succeeded != want || lost != 0 || deadLettered != 0 {
		t.Errorf("want all %d tasks succeeded and none dead-lettered", want)
	}
	if results != want {
		t.Errorf("%d results stored, want one per task: %d", results, want)
	}
	if backlog.Pending != 0 || backlog.InFlight != 0 {
		t.Errorf("requests left in the queue: %+v", backlog)
	}
	if kills < 4 {
		t.Errorf("only %d workers were killed: the run did not test much", kills)
	}
}

// countResults counts the result pictures in the bucket of the stack
// running on data: one per task, since a task processed twice writes its
// one output key again. Apart, it counts the temporary files of writes a
// SIGKILL interrupted, which the file bucket lists too (pixmill up removes
// them once they are ten minutes old).
func countResults(t *testing.T, ctx context.Context, data string) (results, orphans int) {
	t.Helper()
	ep, err := stack.ReadEndpoints(data)
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := blob.OpenBucket(ctx, ep.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	it := bucket.List(&blob.ListOptions{Prefix: "results/"})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return results, orphans
		}
		if err != nil {
			t.Fatal(err)
		}
		if stack.IsInterruptedWrite(obj.Key) {
			orphans++
		} else {
			results++
		}
	}
}

// queueBacklog reads the requests consumer of the stack running on data.
func queueBacklog(t *testing.T, ctx context.Context, data string) jetstream.Backlog {
	t.Helper()
	ep, err := stack.ReadEndpoints(data)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(ep.RequestsSubscription)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect("nats://" + u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := natsjs.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	b, err := jetstream.ConsumerBacklog(ctx, js, strings.TrimPrefix(u.Path, "/"), u.Query().Get("consumer"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
