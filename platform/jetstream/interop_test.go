package jetstream

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"gocloud.dev/pubsub"
)

// TestHeadersReadableByPlainNATS publishes a CloudEvent-shaped message
// through the driver and reads it with a plain nats.go subscriber, which
// knows nothing of gocloud.
func TestHeadersReadableByPlainNATS(t *testing.T) {
	q := newQueue(t)
	sub, err := q.nc.SubscribeSync(q.subject)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	md := map[string]string{
		"ce-specversion": "1.0",
		"ce-id":          "task-42",
		"ce-source":      "/gateway",
		"ce-type":        "dev.pixmill.task.requested.v1",
		"ce-time":        "2026-01-02T03:04:05Z",
		"content-type":   "application/json",
	}
	body := []byte(`{"image":"originals/abc"}`)
	if err := q.topic(t, nil).Send(t.Context(), &pubsub.Message{Body: body, Metadata: md}); err != nil {
		t.Fatal(err)
	}

	m, err := sub.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Data) != string(body) {
		t.Errorf("body %q, want %q", m.Data, body)
	}
	got := map[string]string{}
	for k := range m.Header {
		got[k] = m.Header.Get(k)
	}
	if diff := cmp.Diff(md, got); diff != "" {
		t.Errorf("NATS headers (-want +got):\n%s", diff)
	}
}

// TestPlainNATSPublishReceived goes the other way: headers set by a plain
// JetStream publisher arrive as metadata.
func TestPlainNATSPublishReceived(t *testing.T) {
	q := newQueue(t)
	s := q.subscription(t, SubscriptionOptions{})
	m := nats.NewMsg(q.subject)
	m.Data = []byte("hi")
	m.Header.Set("ce-type", "dev.example.v1")
	m.Header.Set("Trace-Id", "abc")
	if _, err := q.js.PublishMsg(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	got := receive(t, s, 5*time.Second)
	got.Ack()
	want := map[string]string{"ce-type": "dev.example.v1", "Trace-Id": "abc"}
	if diff := cmp.Diff(want, got.Metadata); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
	if got.LoggableID != "1" {
		t.Errorf("LoggableID = %q, want the stream sequence 1", got.LoggableID)
	}
}

func TestMsgIDKeyDeduplicates(t *testing.T) {
	q := newQueue(t)
	top := q.topic(t, &TopicOptions{MsgIDKey: "ce-id"})
	for _, id := range []string{"a", "a", "b"} {
		m := &pubsub.Message{Body: []byte(id), Metadata: map[string]string{"ce-id": id}}
		if err := top.Send(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	// A message without the key is never deduplicated.
	for range 2 {
		if err := top.Send(t.Context(), &pubsub.Message{Body: []byte("no id")}); err != nil {
			t.Fatal(err)
		}
	}
	st, err := q.js.Stream(t.Context(), q.stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 4 {
		t.Errorf("stream holds %d messages, want 4 (a, b and two without an id)", info.State.Msgs)
	}
}
