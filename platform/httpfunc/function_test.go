package httpfunc_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob"
	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/embedded/embeddedtest"
	"github.com/pixmill/pixmill/platform/jetstream"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// rig is one function served by the real pixmill-function binary (the
// Functions Framework around the root package, as Cloud Run functions runs
// it), with a file bucket and a JetStream responses topic it writes to.
type rig struct {
	url       string
	bucket    *blob.Bucket
	responses *pubsub.Subscription
}

func newRig(t *testing.T, target string) *rig {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	ns, js := embeddedtest.Start(t, filepath.Join(dir, "queue"))
	if _, err := jetstream.EnsureStream(ctx, js, "RESPONSES", []string{"pixmill.responses"}, nil); err != nil {
		t.Fatal(err)
	}
	bucketURL := (&url.URL{Scheme: "file", Path: filepath.Join(dir, "bucket"), RawQuery: "create_dir=1&no_tmp_dir=1"}).String()
	bucket, err := blob.OpenBucket(ctx, bucketURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bucket.Close() })
	sub, err := pubsub.OpenSubscription(ctx, "jetstream://"+ns.Addr()+"/pixmill.responses?consumer=test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Shutdown(context.Background()) })
	u := stacktest.Function(t, target, "PIXMILL_BUCKET="+bucketURL, "PIXMILL_RESPONSES_TOPIC=jetstream://"+ns.Addr()+"/pixmill.responses")
	return &rig{url: u, bucket: bucket, responses: sub}
}

// request stores a generated original and returns a task.requested for it.
func (r *rig) request(t *testing.T) (cloudevents.Event, events.TaskRequested) {
	t.Helper()
	pic := stacktest.Generated(t, 1, 11)[0]
	job, task, image := events.NewID(), events.NewID(), events.NewID()
	req := events.TaskRequested{
		Job: job, Task: task, Owner: "owner", Image: image, Original: records.ImageKey("owner", image),
		Ops:    []json.RawMessage{json.RawMessage(`{"op":"thumbnail","width":64,"height":64}`)},
		Output: events.Output{Key: records.OutputKey("owner", job, task, ".png"), Format: "png"},
	}
	if err := r.bucket.WriteAll(context.Background(), req.Original, pic.Data, nil); err != nil {
		t.Fatal(err)
	}
	e, err := events.New(events.SourceGateway, time.Now(), req)
	if err != nil {
		t.Fatal(err)
	}
	return e, req
}

// post sends body with headers to the function and returns the status.
func post(t *testing.T, target string, header http.Header, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	msg, _ := io.ReadAll(res.Body)
	t.Logf("%s → %d %s", target, res.StatusCode, strings.TrimSpace(string(msg)))
	return res.StatusCode
}

// binary is e in the binary content mode, as Knative delivers it.
func binary(e cloudevents.Event) (http.Header, []byte) {
	h := http.Header{}
	h.Set("Content-Type", e.DataContentType())
	h.Set("Ce-Specversion", e.SpecVersion())
	h.Set("Ce-Id", e.ID())
	h.Set("Ce-Source", e.Source())
	h.Set("Ce-Type", e.Type())
	if e.Subject() != "" {
		h.Set("Ce-Subject", e.Subject())
	}
	h.Set("Ce-Time", e.Time().Format(time.RFC3339Nano))
	return h, e.Data()
}

// structured is e in the structured content mode.
func structured(t *testing.T, e cloudevents.Event) (http.Header, []byte) {
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/cloudevents+json; charset=utf-8")
	return h, b
}

// pushEnvelope is e as a Pub/Sub push request carries it: pixmill's binary
// mode in the message attributes and data.
func pushEnvelope(t *testing.T, e cloudevents.Event, attempt int) []byte {
	m, err := events.ToMessage(e)
	if err != nil {
		t.Fatal(err)
	}
	body := map[string]any{
		"message": map[string]any{
			"attributes":  m.Metadata,
			"data":        base64.StdEncoding.EncodeToString(m.Body),
			"messageId":   "m-" + e.ID(),
			"publishTime": time.Now().UTC().Format(time.RFC3339Nano),
		},
		"subscription": "projects/p/subscriptions/edit",
	}
	if attempt > 0 {
		body["deliveryAttempt"] = attempt
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// responsesFor reads the response events published for task within wait,
// want of them, and returns the completions among them.
func (r *rig) responsesFor(t *testing.T, task string, want int, wait time.Duration) []events.TaskCompleted {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	var completed []events.TaskCompleted
	var types []string
	for len(types) < want {
		m, err := r.responses.Receive(ctx)
		if err != nil {
			break
		}
		m.Ack()
		e, err := events.FromMessage(m)
		if err != nil {
			t.Fatalf("response is not an event: %v", err)
		}
		if e.Subject() != task {
			continue
		}
		types = append(types, e.Type())
		if e.Type() == events.TypeTaskCompleted {
			var c events.TaskCompleted
			if err := events.Decode(e, &c); err != nil {
				t.Fatal(err)
			}
			completed = append(completed, c)
		}
	}
	if len(types) != want {
		t.Fatalf("task %s: response events %v, want %d", task, types, want)
	}
	return completed
}

func TestEditOverHTTP(t *testing.T) {
	r := newRig(t, "Edit")
	tests := []struct {
		name        string
		send        func(t *testing.T, e cloudevents.Event) int
		wantAttempt int
	}{
		{"binary mode", func(t *testing.T, e cloudevents.Event) int {
			h, b := binary(e)
			return post(t, r.url, h, b)
		}, 1},
		{"structured mode", func(t *testing.T, e cloudevents.Event) int {
			h, b := structured(t, e)
			return post(t, r.url, h, b)
		}, 1},
		{"pub/sub push", func(t *testing.T, e cloudevents.Event) int {
			// A plain push subscription: no CloudEvents headers; the
			// framework turns it into a messagePublished event.
			h := http.Header{"Content-Type": {"application/json"}}
			return post(t, r.url+"/projects/p/topics/requests", h, pushEnvelope(t, e, 0))
		}, 1},
		{"pub/sub messagePublished event", func(t *testing.T, e cloudevents.Event) int {
			// As a Cloud Run functions Pub/Sub trigger delivers it, from a
			// subscription with a dead-letter policy.
			outer := cloudevents.NewEvent()
			outer.SetID("outer-" + e.ID())
			outer.SetSource("//pubsub.googleapis.com/projects/p/topics/requests")
			outer.SetType("google.cloud.pubsub.topic.v1.messagePublished")
			outer.SetTime(time.Now())
			outer.DataEncoded = pushEnvelope(t, e, 3)
			outer.SetDataContentType("application/json")
			h, b := binary(outer)
			return post(t, r.url, h, b)
		}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, req := r.request(t)
			if got := tt.send(t, e); got != http.StatusOK {
				t.Fatalf("status %d, want 200", got)
			}
			attrs, err := r.bucket.Attributes(context.Background(), req.Output.Key)
			if err != nil || attrs.Size == 0 || attrs.ContentType != "image/png" {
				t.Fatalf("result %s: %+v %v", req.Output.Key, attrs, err)
			}
			completed := r.responsesFor(t, req.Task, 1, 10*time.Second)
			if len(completed) != 1 || completed[0].Attempt != tt.wantAttempt {
				t.Errorf("task.completed %+v, want attempt %d", completed, tt.wantAttempt)
			}
			st, err := records.NewStore(r.bucket).Tasks(context.Background(), records.Job{ID: req.Job, Tasks: []records.JobTask{{ID: req.Task}}})
			if err != nil || len(st) != 1 || st[0].Attempts != tt.wantAttempt {
				t.Errorf("task records %+v (%v), want attempt %d started", st, err, tt.wantAttempt)
			}
		})
	}
}

func TestMalformedEventsAreRejected(t *testing.T) {
	r := newRig(t, "Edit")
	good, _ := r.request(t)
	wrongData := good.Clone()
	wrongData.DataEncoded = []byte(`{"job":"j"}`)
	wrongType := good.Clone()
	wrongType.SetType(events.TypeTaskCompleted)
	notAnEvent := cloudevents.NewEvent()
	notAnEvent.SetID("x")
	notAnEvent.SetSource("//pubsub.googleapis.com/projects/p/topics/requests")
	notAnEvent.SetType("google.cloud.pubsub.topic.v1.messagePublished")
	notAnEvent.DataEncoded = []byte(`{"message":{"data":"aGVsbG8=","attributes":{"foo":"bar"}}}`)
	notAnEvent.SetDataContentType("application/json")

	tests := []struct {
		name   string
		header http.Header
		body   []byte
	}{
		{"invalid data", hdr(binary(wrongData)), wrongData.Data()},
		{"wrong type", hdr(binary(wrongType)), wrongType.Data()},
		{"pub/sub message without an event", hdr(binary(notAnEvent)), notAnEvent.Data()},
		{"no attributes at all", http.Header{"Content-Type": {"application/json"}}, []byte(`{"hello":"world"}`)},
		{"missing ce-id", func() http.Header { h, _ := binary(good); h.Del("Ce-Id"); return h }(), good.Data()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := post(t, r.url, tt.header, tt.body); got < 400 || got >= 500 {
				t.Errorf("status %d, want 4xx", got)
			}
		})
	}
	// Structured mode: the body is read by the CloudEvents SDK before any
	// function runs; structured.go makes an unreadable one a 400 too.
	structured := http.Header{"Content-Type": {"application/cloudevents+json; charset=utf-8"}}
	for _, tt := range []struct{ name, body string }{
		{"truncated JSON", `{"specversion":`},
		{"not JSON", `hello`},
		{"JSON of the wrong shape", `[1,2,3]`},
		{"no id", `{"specversion":"1.0","type":"dev.pixmill.task.requested.v1","source":"/x"}`},
	} {
		t.Run("structured/"+tt.name, func(t *testing.T) {
			if got := post(t, r.url, structured, []byte(tt.body)); got != http.StatusBadRequest {
				t.Errorf("status %d, want 400", got)
			}
		})
	}
	// Nothing changed: no result, no response event.
	var keys []string
	it := r.bucket.List(&blob.ListOptions{Prefix: "results/"})
	for {
		obj, err := it.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, obj.Key)
	}
	if len(keys) != 0 {
		t.Errorf("results written: %v", keys)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if m, err := r.responses.Receive(ctx); err == nil {
		m.Ack()
		t.Errorf("a response was published: %v", m.Metadata)
	}
}

func hdr(h http.Header, _ []byte) http.Header { return h }

// TestTransientFailureIsRetryable serves the edit function with a responses
// topic on a broker that is not there: the event is not done, and the
// answer is one the broker retries.
func TestTransientFailureIsRetryable(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	bucketURL := (&url.URL{Scheme: "file", Path: dir, RawQuery: "no_tmp_dir=1"}).String()
	u := stacktest.Function(t, "Edit", "PIXMILL_BUCKET="+bucketURL, "PIXMILL_RESPONSES_TOPIC=jetstream://"+dead+"/pixmill.responses")
	e, err := events.New(events.SourceGateway, time.Now(), events.TaskRequested{Job: "j", Task: "t", Owner: "o", Image: "i", Original: "originals/i",
		Ops: []json.RawMessage{json.RawMessage(`{"op":"brightness","factor":2}`)}, Output: events.Output{Key: "results/j/t.png"}})
	if err != nil {
		t.Fatal(err)
	}
	h, b := binary(e)
	if got := post(t, u, h, b); got < 500 && got != http.StatusTooManyRequests {
		t.Errorf("status %d, want 5xx or 429", got)
	}
}

func TestResultsOverHTTP(t *testing.T) {
	r := newRig(t, "Results")
	job, task := events.NewID(), events.NewID()
	done, err := events.New(events.SourceEdit, time.Now(), events.TaskCompleted{Job: job, Task: task, Owner: "o", Attempt: 1,
		Result: events.Result{Key: "results/" + job + "/" + task + ".png", Format: "png", ContentType: "image/png", Width: 4, Height: 3, Bytes: 10}})
	if err != nil {
		t.Fatal(err)
	}
	h, b := structured(t, done)
	if got := post(t, r.url, h, b); got != http.StatusOK {
		t.Fatalf("status %d, want 200", got)
	}
	var keys []string
	it := r.bucket.List(&blob.ListOptions{Prefix: "records/"})
	for {
		obj, err := it.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, obj.Key)
	}
	if len(keys) == 0 || !strings.Contains(strings.Join(keys, " "), task) {
		t.Errorf("no record of task %s: %v", task, keys)
	}
	// A request is not a response event: permanent, 4xx.
	req, _ := newRequestEvent(t)
	h, b = binary(req)
	if got := post(t, r.url, h, b); got < 400 || got >= 500 {
		t.Errorf("task.requested to Results: status %d, want 4xx", got)
	}
}

func newRequestEvent(t *testing.T) (cloudevents.Event, error) {
	return events.New(events.SourceGateway, time.Now(), events.TaskRequested{Job: "j", Task: "t", Owner: "o", Image: "i", Original: "originals/i",
		Ops: []json.RawMessage{json.RawMessage(`{"op":"brightness","factor":2}`)}, Output: events.Output{Key: "results/j/t.png"}})
}
