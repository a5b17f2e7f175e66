package stack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
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
	"golang.org/x/sync/errgroup"

	"github.com/pixmill/pixmill/functions/imaging"
	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/jetstream"
	"github.com/pixmill/pixmill/platform/stack"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// TestChaos runs PIXMILL_CHAOS_TASKS tasks (default 200; `make chaos` runs
// 1,000) over the real photos while a random worker process is killed with
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
	p := stacktest.Up(t, data, "--workers", "6", "--ack-wait", "1s", "--max-attempts", "200", "--restart-backoff-max", "200ms")
	c := client.New(p.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()

	ids := stacktest.Upload(t, ctx, c, photos)
	ops := []json.RawMessage{stacktest.ThumbOp, json.RawMessage(`{"op":"brightness","factor":1.1}`)}
	var jobs []string
	for submitted := 0; submitted < want; submitted += len(ids) {
		job, err := c.CreateJob(ctx, api.JobRequest{Images: ids[:min(len(ids), want-submitted)], Ops: ops})
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, job.ID)
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
	for _, id := range jobs {
		finished = append(finished, stacktest.WaitFinal(t, ctx, c, id))
	}
	stopChaos()
	wg.Wait()
	elapsed := time.Since(start)

	sizes := map[string][2]int{}
	for i, id := range ids {
		info, err := imaging.Probe(photos[i].Data)
		if err != nil {
			t.Fatal(err)
		}
		w, h := stacktest.FitInside(info.Width, info.Height, 256)
		sizes[id] = [2]int{w, h}
	}
	var succeeded, redelivered, lost int
	var eg errgroup.Group
	eg.SetLimit(8)
	for _, job := range finished {
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

	report := fmt.Sprintf("chaos: submitted=%d succeeded=%d redelivered=%d dead-lettered=%d lost=%d kills=%d broker-restarts=1 time=%s backlog=%+v",
		want, succeeded, redelivered, deadLettered, lost, kills, elapsed.Round(time.Millisecond), backlog)
	t.Log(report)
	fmt.Println(report)
	if succeeded != want || lost != 0 || deadLettered != 0 {
		t.Errorf("want all %d tasks succeeded and none dead-lettered", want)
	}
	if backlog.Pending != 0 || backlog.InFlight != 0 {
		t.Errorf("requests left in the queue: %+v", backlog)
	}
	if kills < 4 {
		t.Errorf("only %d workers were killed: the run did not test much", kills)
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
