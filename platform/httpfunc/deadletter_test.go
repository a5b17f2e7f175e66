package httpfunc_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"gocloud.dev/blob"
	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// deadLetterRig is the DeadLetter function served by pixmill-function with
// nothing but a file bucket, and the records store on that bucket.
type deadLetterRig struct {
	url   string
	store *records.Store
}

func newDeadLetterRig(t *testing.T) *deadLetterRig {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bucket")
	bucketURL := (&url.URL{Scheme: "file", Path: dir, RawQuery: "create_dir=1&no_tmp_dir=1"}).String()
	bucket, err := blob.OpenBucket(context.Background(), bucketURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bucket.Close() })
	return &deadLetterRig{url: stacktest.Function(t, "DeadLetter", "PIXMILL_BUCKET="+bucketURL), store: records.NewStore(bucket)}
}

// job stores a one-task job, as the gateway does, and returns the
// task.requested the gateway sent for it.
func (r *deadLetterRig) job(t *testing.T) (cloudevents.Event, records.Job) {
	t.Helper()
	job, task, image := events.NewID(), events.NewID(), events.NewID()
	output := events.Output{Key: records.OutputKey("owner", job, task, ".png"), Format: "png"}
	j := records.Job{ID: job, Owner: "owner", Created: time.Now().UTC(), Ops: []json.RawMessage{json.RawMessage(`{"op":"brightness","factor":2}`)},
		Tasks: []records.JobTask{{ID: task, Image: image, Name: "a.png", Output: output}}}
	if err := r.store.PutJob(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	e, err := events.New(events.SourceGateway, time.Now(), events.TaskRequested{Job: job, Task: task, Owner: "owner", Image: image,
		Original: records.ImageKey("owner", image), Ops: j.Ops, Output: output})
	if err != nil {
		t.Fatal(err)
	}
	return e, j
}

// task is the job's one task as the gateway would show it.
func (r *deadLetterRig) task(t *testing.T, j records.Job) records.TaskStatus {
	t.Helper()
	ts, err := r.store.Tasks(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	return ts[0]
}

// deadLetters returns the dead-letter records with key, or all of them for "".
func (r *deadLetterRig) deadLetters(t *testing.T, key string) []records.DeadLetter {
	t.Helper()
	all, err := r.store.DeadLetters(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []records.DeadLetter
	for _, d := range all {
		if key == "" || d.Key == key {
			out = append(out, d)
		}
	}
	return out
}

// knativeDeadLetter is e as Knative's deadLetterSink delivers it in the
// binary content mode, after the subscriber answered 500 with body.
func knativeDeadLetter(e cloudevents.Event, body string) (http.Header, []byte) {
	h, b := binary(e)
	h.Set("Ce-Knativeerrordest", "http://edit.pixmill.svc.cluster.local")
	h.Set("Ce-Knativeerrorcode", "500")
	h.Set("Ce-Knativeerrordata", base64.StdEncoding.EncodeToString([]byte(body)))
	return h, b
}

// deadLetterPush is a Pub/Sub push from a subscription on the dead-letter
// topic: the message as published, plus the attributes Pub/Sub's
// dead-letter policy adds.
func deadLetterPush(t *testing.T, data []byte, attrs map[string]string, deliveries int) []byte {
	t.Helper()
	md := map[string]string{
		"CloudPubSubDeadLetterSourceDeliveryCount":       "5",
		"CloudPubSubDeadLetterSourceSubscription":        "projects/p/subscriptions/pixmill-requests",
		"CloudPubSubDeadLetterSourceSubscriptionProject": "p",
		"CloudPubSubDeadLetterSourceTopicPublishTime":    time.Now().UTC().Format(time.RFC3339Nano),
	}
	for k, v := range attrs {
		md[k] = v
	}
	b, err := json.Marshal(map[string]any{
		"message": map[string]any{
			"attributes":  md,
			"data":        base64.StdEncoding.EncodeToString(data),
			"messageId":   "dl-1",
			"publishTime": time.Now().UTC().Format(time.RFC3339Nano),
		},
		"subscription":    "projects/p/subscriptions/pixmill-deadletter",
		"deliveryAttempt": deliveries,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDeadLetterOverHTTP(t *testing.T) {
	r := newDeadLetterRig(t)
	const knative500 = "Knative gave up delivering the request: the last attempt ended with HTTP 500 (Internal Server Error)"
	pushed := func(t *testing.T, e cloudevents.Event) int {
		m, err := events.ToMessage(e)
		if err != nil {
			t.Fatal(err)
		}
		// A plain push subscription: the framework makes a messagePublished
		// event of it, attributes included.
		return post(t, r.url+"/projects/p/topics/pixmill-deadletter", http.Header{"Content-Type": {"application/json"}}, deadLetterPush(t, m.Body, m.Metadata, 1))
	}
	tests := []struct {
		name         string
		send         func(t *testing.T, e cloudevents.Event) int
		reason       string
		attempts     int
		recordReason string
	}{
		{"knative, binary mode", func(t *testing.T, e cloudevents.Event) int {
			return post(t, r.url, hdr(knativeDeadLetter(e, "the function failed unexpectedly (boom)")), e.Data())
		}, knative500, 0, knative500 + ": the function failed unexpectedly (boom) (subscriber http://edit.pixmill.svc.cluster.local)"},
		{"knative, structured mode", func(t *testing.T, e cloudevents.Event) int {
			e = e.Clone()
			e.SetExtension("knativeerrorcode", 500)
			e.SetExtension("knativeerrordest", "http://edit.pixmill.svc.cluster.local")
			e.SetExtension("knativeerrordata", base64.StdEncoding.EncodeToString([]byte("the function is not ready")))
			h, b := structured(t, e)
			return post(t, r.url, h, b)
		}, knative500, 0, knative500 + ": the function is not ready (subscriber http://edit.pixmill.svc.cluster.local)"},
		{"pub/sub push of the dead-letter topic", pushed,
			"Pub/Sub gave up after 5 delivery attempts: the processor failed or stopped each time", 5,
			"Pub/Sub gave up after 5 delivery attempts: the processor failed or stopped each time (subscription projects/p/subscriptions/pixmill-requests)"},
		{"pub/sub messagePublished event", func(t *testing.T, e cloudevents.Event) int {
			// As an Eventarc trigger on the dead-letter topic delivers it.
			m, err := events.ToMessage(e)
			if err != nil {
				t.Fatal(err)
			}
			outer := cloudevents.NewEvent()
			outer.SetID("outer-" + e.ID())
			outer.SetSource("//pubsub.googleapis.com/projects/p/topics/pixmill-deadletter")
			outer.SetType("google.cloud.pubsub.topic.v1.messagePublished")
			outer.SetTime(time.Now())
			outer.DataEncoded = deadLetterPush(t, m.Body, m.Metadata, 2)
			outer.SetDataContentType("application/json")
			return post(t, r.url, hdr(binary(outer)), outer.Data())
		}, "Pub/Sub gave up after 5 delivery attempts: the processor failed or stopped each time", 5,
			"Pub/Sub gave up after 5 delivery attempts: the processor failed or stopped each time (subscription projects/p/subscriptions/pixmill-requests)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, j := r.job(t)
			task := j.Tasks[0].ID
			if got := tt.send(t, e); got != http.StatusOK {
				t.Fatalf("status %d, want 200", got)
			}
			st := r.task(t, j)
			if st.State != records.Failed || st.Error != tt.reason || st.Attempts != tt.attempts || !st.DeadLettered || st.ErrorKind != "transient" {
				t.Errorf("task %+v, want failed, dead-lettered, after %d attempts, with %q", st, tt.attempts, tt.reason)
			}
			dls := r.deadLetters(t, task)
			if len(dls) != 1 {
				t.Fatalf("dead letters for the task: %+v, want one", dls)
			}
			d := dls[0]
			if d.Job != j.ID || d.Owner != "owner" || d.Reason != tt.recordReason || d.Attempts != tt.attempts {
				t.Errorf("dead letter %+v, want reason %q", d, tt.recordReason)
			}
			// The record holds the request as the gateway sent it, ready to
			// be redriven: the broker's dead-letter attributes are gone.
			redriven, err := events.FromMessage(&pubsub.Message{Body: d.Body, Metadata: d.Metadata})
			if err != nil || redriven.ID() != e.ID() || redriven.Type() != events.TypeTaskRequested {
				t.Errorf("the recorded message is not the request: %v %v", redriven, err)
			}
			for k := range d.Metadata {
				if strings.Contains(strings.ToLower(k), "knativeerror") || strings.HasPrefix(k, "CloudPubSubDeadLetter") {
					t.Errorf("the record keeps %s", k)
				}
			}
		})
	}
}

func TestDeadLetterLeavesASucceededTask(t *testing.T) {
	r := newDeadLetterRig(t)
	e, j := r.job(t)
	task := j.Tasks[0].ID
	res := events.Result{Key: j.Tasks[0].Output.Key, Format: "png", ContentType: "image/png", Width: 4, Height: 3, Bytes: 10}
	if err := r.store.MarkCompleted(context.Background(), events.TaskCompleted{Job: j.ID, Task: task, Owner: "owner", Attempt: 2, Result: res}, time.Now()); err != nil {
		t.Fatal(err)
	}
	// The edit finished after all, late: Pub/Sub parked the request anyway.
	m, err := events.ToMessage(e)
	if err != nil {
		t.Fatal(err)
	}
	if got := post(t, r.url+"/projects/p/topics/pixmill-deadletter", http.Header{"Content-Type": {"application/json"}}, deadLetterPush(t, m.Body, m.Metadata, 1)); got != http.StatusOK {
		t.Fatalf("status %d, want 200", got)
	}
	if st := r.task(t, j); st.State != records.Succeeded || st.Result == nil || *st.Result != res || st.Error != "" {
		t.Errorf("task %+v, want it to stay succeeded", st)
	}
	if dls := r.deadLetters(t, task); len(dls) != 1 {
		t.Errorf("dead letters for the task: %+v, want one", dls)
	}
}

func TestDeadLetterTwiceKeepsOneRecord(t *testing.T) {
	r := newDeadLetterRig(t)
	e, j := r.job(t)
	task := j.Tasks[0].ID
	// The runner told the owner first, with its own reason.
	runner := events.TaskFailed{Job: j.ID, Task: task, Owner: "owner", Attempt: 4, Kind: "transient", Reason: "gave up after 4 attempts: the bucket is unreachable", DeadLettered: true}
	if err := r.store.MarkFailed(context.Background(), runner, time.Now()); err != nil {
		t.Fatal(err)
	}
	h, b := knativeDeadLetter(e, "the function is not ready")
	for i := range 2 {
		if got := post(t, r.url, h, b); got != http.StatusOK {
			t.Fatalf("delivery %d: status %d, want 200", i+1, got)
		}
	}
	if dls := r.deadLetters(t, task); len(dls) != 1 {
		t.Errorf("dead letters for the task: %+v, want one", dls)
	}
	if st := r.task(t, j); st.State != records.Failed || st.Error != runner.Reason || st.Attempts != 4 {
		t.Errorf("task %+v, want the runner's failure unchanged", st)
	}
}

func TestDeadLetterKeepsWhatItCannotRead(t *testing.T) {
	r := newDeadLetterRig(t)
	garbage := cloudevents.NewEvent()
	garbage.SetID("not-one-of-ours/../x")
	garbage.SetSource("/somewhere")
	garbage.SetType(events.TypeTaskRequested)
	garbage.DataEncoded = []byte("\x00\x01 not json")
	garbage.SetDataContentType("application/octet-stream")
	kh, kb := knativeDeadLetter(garbage, "bad request")
	pushHeader := http.Header{"Content-Type": {"application/json"}}
	notAnEvent := deadLetterPush(t, []byte("hello"), map[string]string{"origin": "elsewhere"}, 1)
	envelopeless := cloudevents.NewEvent()
	envelopeless.SetID("outer")
	envelopeless.SetSource("//pubsub.googleapis.com/projects/p/topics/pixmill-deadletter")
	envelopeless.SetType("google.cloud.pubsub.topic.v1.messagePublished")
	envelopeless.DataEncoded = []byte(`"not an envelope"`)
	envelopeless.SetDataContentType("application/json")
	eh, eb := binary(envelopeless)

	for _, tt := range []struct {
		name   string
		url    string
		header http.Header
		body   []byte
	}{
		{"knative event with unreadable data", r.url, kh, kb},
		{"pub/sub message that is no event", r.url + "/projects/p/topics/pixmill-deadletter", pushHeader, notAnEvent},
		{"messagePublished without a message", r.url, eh, eb},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := len(r.deadLetters(t, ""))
			for i := range 2 { // the same dead letter twice: one record
				if got := post(t, tt.url, tt.header, tt.body); got != http.StatusOK {
					t.Fatalf("delivery %d: status %d, want 200", i+1, got)
				}
			}
			if n := len(r.deadLetters(t, "")) - before; n != 1 {
				t.Errorf("%d new records, want 1", n)
			}
		})
	}
	for _, d := range r.deadLetters(t, "") {
		if !strings.HasPrefix(d.Key, "msg-") || strings.ContainsAny(d.Key, "./") || d.Task != "" {
			t.Errorf("record %+v: want a content key and no task", d)
		}
	}

	// Not a CloudEvent at all: the framework's 400, nothing recorded.
	before := len(r.deadLetters(t, ""))
	if got := post(t, r.url, http.Header{"Content-Type": {"application/json"}}, []byte(`{"hello":"world"}`)); got != http.StatusBadRequest {
		t.Errorf("not a CloudEvent: status %d, want 400", got)
	}
	if n := len(r.deadLetters(t, "")); n != before {
		t.Errorf("not a CloudEvent: %d records, want %d", n, before)
	}
}

// TestDeadLetterBucketFailureIsRetryable serves DeadLetter on a bucket that
// cannot be opened: the broker must keep the dead letter and try again.
func TestDeadLetterBucketFailureIsRetryable(t *testing.T) {
	missing := (&url.URL{Scheme: "file", Path: filepath.Join(t.TempDir(), "missing")}).String()
	u := stacktest.Function(t, "DeadLetter", "PIXMILL_BUCKET="+missing)
	req, err := newRequestEvent(t)
	if err != nil {
		t.Fatal(err)
	}
	if got := post(t, u, hdr(knativeDeadLetter(req, "x")), req.Data()); got != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", got)
	}
}
