package backendtest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/platform/brokers"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// scaleOutPage is the docs page whose commands TestScaleOut runs.
const scaleOutPage = "docs/scale-out.md"

// ScaleOutPhotos is how many real photographs the scale-out scenario
// processes on each broker.
const ScaleOutPhotos = 300

// scaleOutBroker is one broker of the scale-out scenario: the URLs it gives
// each process, named after the test.
type scaleOutBroker struct {
	// block names the page's environment block for the broker.
	block         string
	service, addr string
	ackWait       time.Duration
	// env gives the PIXMILL_* queue variables for a test id.
	env func(id string) map[string]string
	// missing is the object an unprovisioned up must name.
	missing  func(id string) string
	teardown func(t *testing.T, id string)
}

func scaleOutBrokers() []scaleOutBroker {
	return []scaleOutBroker{
		{
			block: "jetstream", service: "nats", addr: NATSAddr, ackWait: 2 * time.Second,
			env:      func(id string) map[string]string { return queueEnv(natsQueues(id)) },
			missing:  func(id string) string { return streamName(id, "requests") },
			teardown: func(t *testing.T, id string) { teardownNATS(t, URLs{Name: id}) },
		},
		{
			block: "rabbit", service: "rabbitmq", addr: RabbitAddr, ackWait: 2 * time.Second,
			env: func(id string) map[string]string {
				base := "rabbit://pixmill-" + id + "."
				return queueEnv(brokers.Queues{
					RequestsTopic:          base + "requests",
					RequestsSubscription:   base + "requests?prefetch_count=1",
					ResponsesTopic:         base + "responses",
					ResponsesSubscription:  base + "responses?prefetch_count=32",
					DeadletterTopic:        base + "deadletter",
					DeadletterSubscription: base + "deadletter?prefetch_count=8",
				})
			},
			missing:  func(id string) string { return "pixmill-" + id + ".requests" },
			teardown: func(t *testing.T, id string) { teardownRabbit(t, URLs{Name: "pixmill-" + id}) },
		},
		{
			// Pub/Sub's shortest ack deadline is 10s.
			block: "gcppubsub", service: "pubsub", addr: PubSubAddr, ackWait: 10 * time.Second,
			env: func(id string) map[string]string {
				p := "gcppubsub://projects/" + PubSubProject + "/"
				return queueEnv(brokers.Queues{
					RequestsTopic:          p + "topics/pixmill-" + id + "-requests",
					RequestsSubscription:   p + "subscriptions/pixmill-" + id + "-requests?max_recv_batch_size=1",
					ResponsesTopic:         p + "topics/pixmill-" + id + "-responses",
					ResponsesSubscription:  p + "subscriptions/pixmill-" + id + "-responses",
					DeadletterTopic:        p + "topics/pixmill-" + id + "-deadletter",
					DeadletterSubscription: p + "subscriptions/pixmill-" + id + "-deadletter",
				})
			},
			missing:  func(id string) string { return "projects/" + PubSubProject + "/topics/pixmill-" + id + "-requests" },
			teardown: func(t *testing.T, id string) { teardownPubSub(t, URLs{Name: id}) },
		},
	}
}

// queueEnv is the environment that carries q, as the page writes it.
func queueEnv(q brokers.Queues) map[string]string {
	return map[string]string{
		"PIXMILL_REQUESTS_TOPIC":          q.RequestsTopic,
		"PIXMILL_REQUESTS_SUBSCRIPTION":   q.RequestsSubscription,
		"PIXMILL_RESPONSES_TOPIC":         q.ResponsesTopic,
		"PIXMILL_RESPONSES_SUBSCRIPTION":  q.ResponsesSubscription,
		"PIXMILL_DEADLETTER_TOPIC":        q.DeadletterTopic,
		"PIXMILL_DEADLETTER_SUBSCRIPTION": q.DeadletterSubscription,
	}
}

// TestScaleOut follows docs/scale-out.md on each external broker, with the
// S3 server as the bucket: the page's commands, run as separate processes
// standing for separate machines. Brokers run one after another: each
// scenario keeps both cores busy.
func TestScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end suite")
	}
	page := readScaleOutPage(t)
	pics := scaleOutPhotos(t)
	for _, b := range scaleOutBrokers() {
		t.Run(b.block, func(t *testing.T) {
			start := time.Now()
			scaleOut(t, page, b, pics)
			t.Logf("%s: scale-out scenario took %s", b.block, time.Since(start).Round(time.Millisecond))
		})
	}
}

// TestScaleOutPage checks, without servers, that the page has the three
// commands and sets, for each broker, the variables TestScaleOut sets.
func TestScaleOutPage(t *testing.T) {
	page := readScaleOutPage(t)
	for _, b := range scaleOutBrokers() {
		if err := page.sameAsTest(b, b.env("id"), scaleOutCommon(s3URL("bucket"), b)); err != nil {
			t.Error(err)
		}
	}
}

// scaleOutCommon is the environment every broker's scenario shares.
func scaleOutCommon(bucket string, b scaleOutBroker) map[string]string {
	return map[string]string{
		"PIXMILL_BUCKET":       bucket,
		"PIXMILL_ACK_WAIT":     b.ackWait.String(),
		"PIXMILL_MAX_ATTEMPTS": strconv.Itoa(MaxAttempts),
	}
}

func (d scaleOutDoc) sameAsTest(b scaleOutBroker, env, common map[string]string) error {
	if err := errors.Join(sameVariables("common", d.env["common"], common), sameVariables(b.block, d.env[b.block], env)); err != nil {
		return fmt.Errorf("%s and the test set different variables: %w", scaleOutPage, err)
	}
	return nil
}

func scaleOut(t *testing.T, page scaleOutDoc, b scaleOutBroker, pics []stacktest.Picture) {
	Need(t, b.service, b.addr)
	id := strings.ToLower(events.NewID()[:12])
	bucket := setupS3(t, Params{ID: id})
	t.Cleanup(func() { teardownS3(t, bucket) })

	env, common := b.env(id), scaleOutCommon(bucket.Bucket, b)
	if err := page.sameAsTest(b, env, common); err != nil {
		t.Fatal(err)
	}
	for k, v := range common {
		t.Setenv(k, v)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	data := t.TempDir()

	// Unprovisioned: up stops at once, naming what is missing and the fix.
	out, err := runPixmill(t, 30*time.Second, append([]string{"up", "--data", data, "--addr", "127.0.0.1:0"}, page.commands["up"]...)...)
	if err == nil {
		t.Fatalf("pixmill up on an unprovisioned broker succeeded:\n%s", out)
	}
	for _, want := range []string{"not provisioned", b.missing(id), "pixmill provision"} {
		if !strings.Contains(out, want) {
			t.Errorf("pixmill up on an unprovisioned broker: %q not in its error:\n%s", want, out)
		}
	}

	// Provision, then again: the second run changes nothing.
	t.Cleanup(func() { b.teardown(t, id) })
	provision := append([]string{"provision"}, page.commands["provision"]...)
	out, err = runPixmill(t, time.Minute, provision...)
	if err != nil || !strings.Contains(out, "created") || strings.Contains(out, "DIFFERS") {
		t.Fatalf("first pixmill provision: %v\n%s", err, out)
	}
	out, err = runPixmill(t, time.Minute, provision...)
	if err != nil || !strings.Contains(out, "nothing to change") || strings.Contains(out, "created") {
		t.Fatalf("second pixmill provision changed something: %v\n%s", err, out)
	}

	gw := stacktest.Up(t, data, page.commands["up"]...)
	c := client.New(gw.URL, nil)
	w1 := startWorker(t, page.commands["worker"])
	w2 := startWorker(t, page.commands["worker"])

	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	start := time.Now()
	ids := stacktest.Upload(t, ctx, c, pics)
	uploaded := time.Since(start)
	job, err := c.CreateJob(ctx, client.JobRequest{Images: ids, Ops: []json.RawMessage{stacktest.ThumbOp, stacktest.BrightnessOp}})
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	// A fifth done: one machine dies, with no goodbye, and another joins.
	done := 0
	if err := stacktest.Eventually(ctx, 100*time.Millisecond, func() (bool, error) {
		j, err := c.Job(ctx, job.ID)
		done = succeeded(j)
		return done >= len(pics)/5, err
	}); err != nil {
		t.Fatalf("waiting for a fifth of the tasks: %v", err)
	}
	w1.kill()
	w3 := startWorker(t, page.commands["worker"])
	job = stacktest.WaitFinal(t, ctx, c, job.ID)
	processed := time.Since(start)
	if job.State != client.JobSucceeded || succeeded(job) != len(pics) || len(job.Tasks) != len(pics) {
		t.Fatalf("job ended %s with %d of %d tasks succeeded: %v", job.State, succeeded(job), len(pics), stacktest.Failures(job))
	}
	acked2, acked3 := w2.stop(), w3.stop()
	if acked3 == 0 {
		t.Errorf("the worker that joined mid-run took no work (the other survivor acked %d)", acked2)
	}
	start = time.Now()
	if err := stacktest.CheckOutputs(ctx, c, job, ids, pics); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d photos uploaded in %s; worker 1 killed after %d done, worker 3 joined; all processed in %s (%.1f/s); worker 2 acked %d, worker 3 %d; outputs checked in %s",
		b.block, len(pics), uploaded.Round(time.Millisecond), done, processed.Round(time.Millisecond),
		float64(len(pics))/processed.Seconds(), acked2, acked3, time.Since(start).Round(time.Millisecond))
}

func succeeded(j client.Job) int {
	n := 0
	for _, task := range j.Tasks {
		if task.State == client.TaskSucceeded {
			n++
		}
	}
	return n
}

// scaleOutPhotos are ScaleOutPhotos real photographs: the small ones of
// PIXMILL_PHOTOS, each uploaded several times under its own name. Small
// photos keep the scenario about the broker, not about libvips.
func scaleOutPhotos(t *testing.T) []stacktest.Picture {
	var small []stacktest.Picture
	for _, p := range stacktest.Photos(t) {
		if len(p.Data) < 400<<10 {
			small = append(small, p)
		}
	}
	if len(small) == 0 {
		t.Fatal("no photo under 400 KiB in PIXMILL_PHOTOS")
	}
	out := make([]stacktest.Picture, ScaleOutPhotos)
	for i := range out {
		p := small[i%len(small)]
		out[i] = stacktest.Picture{Name: fmt.Sprintf("%03d-%s", i, p.Name), Data: p.Data}
	}
	return out
}

// scaleOutDoc is what the test takes from the page: the environment blocks
// (marked <!-- scale-out:env NAME -->) and the commands block (marked
// <!-- scale-out:commands -->), each command's arguments by subcommand.
type scaleOutDoc struct {
	env      map[string]map[string]string
	commands map[string][]string
}

func readScaleOutPage(t *testing.T) scaleOutDoc {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, scaleOutPage))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := parseScaleOutPage(string(b))
	if err != nil {
		t.Fatalf("%s: %v", scaleOutPage, err)
	}
	return doc
}

var marker = regexp.MustCompile(`^<!-- scale-out:(env (\S+)|commands) -->$`)

func parseScaleOutPage(page string) (scaleOutDoc, error) {
	doc := scaleOutDoc{env: map[string]map[string]string{}, commands: map[string][]string{}}
	lines := strings.Split(page, "\n")
	for i := 0; i < len(lines); i++ {
		m := marker.FindStringSubmatch(strings.TrimSpace(lines[i]))
		if m == nil {
			continue
		}
		if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "```") {
			return doc, fmt.Errorf("line %d: %s is not followed by a code block", i+1, m[0])
		}
		var block []string
		for i += 2; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
			if l := strings.TrimSpace(lines[i]); l != "" && !strings.HasPrefix(l, "#") {
				block = append(block, l)
			}
		}
		if m[2] != "" {
			env := map[string]string{}
			for _, l := range block {
				k, v, ok := strings.Cut(strings.TrimPrefix(l, "export "), "=")
				if !ok {
					return doc, fmt.Errorf("env %s: %q is not export NAME=VALUE", m[2], l)
				}
				env[k] = strings.Trim(v, "'\"")
			}
			doc.env[m[2]] = env
			continue
		}
		for _, l := range block {
			f := strings.Fields(l)
			if len(f) < 2 || f[0] != "pixmill" {
				return doc, fmt.Errorf("commands: %q is not a pixmill command", l)
			}
			doc.commands[f[1]] = f[2:]
		}
	}
	for _, cmd := range []string{"provision", "up", "worker"} {
		if _, ok := doc.commands[cmd]; !ok {
			return doc, fmt.Errorf("no `pixmill %s` in the commands block", cmd)
		}
	}
	return doc, nil
}

// sameVariables checks that the page's block sets the PIXMILL_* variables
// the test sets, with values of the same form: the same URL scheme and query
// parameters, or a value that parses alike.
func sameVariables(block string, page, test map[string]string) error {
	var errs []error
	var pageKeys, testKeys []string
	for k := range page {
		if strings.HasPrefix(k, "PIXMILL_") {
			pageKeys = append(pageKeys, k)
		}
	}
	for k := range test {
		testKeys = append(testKeys, k)
	}
	slices.Sort(pageKeys)
	slices.Sort(testKeys)
	if !slices.Equal(pageKeys, testKeys) {
		return fmt.Errorf("block %s sets %v, the test %v", block, pageKeys, testKeys)
	}
	for _, k := range testKeys {
		if a, b := form(k, page[k]), form(k, test[k]); a != b {
			errs = append(errs, fmt.Errorf("block %s: %s is %q on the page (%s), %q in the test (%s)", block, k, page[k], a, test[k], b))
		}
	}
	return errors.Join(errs...)
}

// form is the shape of the value of key: a queue URL's scheme and query
// parameter names (the bucket's parameters are the S3 server's business),
// or whether it is a duration or a number.
func form(key, v string) string {
	if _, err := time.ParseDuration(v); err == nil {
		return "duration"
	}
	if _, err := strconv.Atoi(v); err == nil {
		return "number"
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" {
		return "text"
	}
	if key == "PIXMILL_BUCKET" {
		return u.Scheme + "://"
	}
	var keys []string
	for k := range u.Query() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return u.Scheme + "://?" + strings.Join(keys, "&")
}

// runPixmill runs pixmill to completion, or kills it after timeout, and
// returns its standard output and error together.
func runPixmill(t *testing.T, timeout time.Duration, args ...string) (string, error) {
	t.Helper()
	bin := stacktest.Binary(t) // built before the clock starts
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("pixmill %s did not finish within %s:\n%s", strings.Join(args, " "), timeout, out)
	}
	return string(out), err
}

// worker is a `pixmill worker` process, standing for one machine.
type worker struct {
	t    *testing.T
	cmd  *exec.Cmd
	log  string
	done chan error
}

func startWorker(t *testing.T, args []string) *worker {
	t.Helper()
	log := filepath.Join(t.TempDir(), "worker.log")
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(stacktest.Binary(t), append([]string{"worker"}, args...)...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := &worker{t: t, cmd: cmd, log: log, done: make(chan error, 1)}
	go func() { w.done <- cmd.Wait() }()
	t.Cleanup(func() {
		w.stop()
		if t.Failed() {
			b, _ := os.ReadFile(log)
			t.Logf("pixmill worker %d log:\n%s", cmd.Process.Pid, b)
		}
	})
	return w
}

// kill ends the worker with SIGKILL, as a machine losing power would.
func (w *worker) kill() {
	_ = w.cmd.Process.Signal(syscall.SIGKILL)
	<-w.done
	w.done = nil
}

var ackedLine = regexp.MustCompile(`msg="worker stopped" .*\backed=(\d+)`)

// stop ends the worker with SIGTERM and returns how many requests it acked
// over its life. It is safe to call twice.
func (w *worker) stop() int {
	if w.done != nil {
		_ = w.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-w.done:
			if err != nil {
				w.t.Errorf("pixmill worker exited with %v", err)
			}
		case <-time.After(60 * time.Second):
			_ = w.cmd.Process.Kill()
			w.t.Errorf("pixmill worker did not stop within 60s of SIGTERM")
		}
		w.done = nil
	}
	f, err := os.Open(w.log)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := ackedLine.FindStringSubmatch(sc.Text()); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n
		}
	}
	return 0
}
