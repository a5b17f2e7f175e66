package events

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"gocloud.dev/pubsub"
)

var now = time.Date(2026, 11, 26, 10, 0, 0, 123456789, time.UTC)

func request() TaskRequested {
	return TaskRequested{
		Job: "job1", Task: "task1", Owner: "alice", Image: "img1",
		Original: "originals/img1",
		Ops:      []json.RawMessage{json.RawMessage(`{"op":"thumbnail","width":256,"height":256}`), json.RawMessage(`{"op":"brightness","factor":1.2}`)},
		Output:   Output{Key: "results/job1/task1.jpeg", Format: "jpeg", Quality: 80},
	}
}

func TestRoundTrip(t *testing.T) {
	datas := []Data{
		request(),
		TaskStarted{Job: "j", Task: "t", Owner: "o", Attempt: 2},
		TaskCompleted{Job: "j", Task: "t", Owner: "o", Attempt: 1, Result: Result{Key: "k", Format: "png", ContentType: "image/png", Width: 3, Height: 4, Bytes: 99}},
		TaskFailed{Job: "j", Task: "t", Owner: "o", Attempt: 5, Kind: "permanent", Reason: "not an image", DeadLettered: true},
	}
	for _, d := range datas {
		t.Run(d.eventType(), func(t *testing.T) {
			e, err := New(SourceGateway, now, d)
			if err != nil {
				t.Fatal(err)
			}
			e.SetExtension("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
			m, err := ToMessage(e)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"ce-id", "ce-type", "ce-source", "ce-specversion", "ce-time", "ce-subject", "ce-traceparent", "content-type"} {
				if m.Metadata[k] == "" {
					t.Errorf("metadata %s missing: %v", k, m.Metadata)
				}
			}
			if m.Metadata["ce-type"] != d.eventType() || m.Metadata["ce-subject"] != d.taskID() {
				t.Errorf("type/subject = %q/%q", m.Metadata["ce-type"], m.Metadata["ce-subject"])
			}
			if !strings.HasPrefix(string(m.Body), "{") {
				t.Errorf("body is not the JSON data: %q", m.Body)
			}
			back, err := FromMessage(m)
			if err != nil {
				t.Fatal(err)
			}
			if back.ID() != e.ID() || back.Type() != e.Type() || back.Source() != e.Source() || !back.Time().Equal(now) {
				t.Errorf("attributes changed: got %v want %v", back, e)
			}
			if back.Extensions()["traceparent"] != "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" {
				t.Errorf("extension lost: %v", back.Extensions())
			}
			got := newOf(d)
			if err := Decode(back, got); err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(d)
			have, _ := json.Marshal(got)
			if string(want) != string(have) {
				t.Errorf("data changed:\n got %s\nwant %s", have, want)
			}
		})
	}
}

func newOf(d Data) Data {
	switch d.(type) {
	case TaskRequested:
		return &TaskRequested{}
	case TaskStarted:
		return &TaskStarted{}
	case TaskCompleted:
		return &TaskCompleted{}
	default:
		return &TaskFailed{}
	}
}

func TestStructuredMode(t *testing.T) {
	e, err := New(SourceGateway, now, request())
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	back, err := FromMessage(&pubsub.Message{Body: body, Metadata: map[string]string{"content-type": "application/cloudevents+json; charset=utf-8"}})
	if err != nil {
		t.Fatal(err)
	}
	var got TaskRequested
	if err := Decode(back, &got); err != nil {
		t.Fatal(err)
	}
	if got.Task != "task1" || len(got.Ops) != 2 {
		t.Errorf("got %+v", got)
	}
}

func TestFromMessageRejects(t *testing.T) {
	good := func() map[string]string {
		return map[string]string{"ce-specversion": "1.0", "ce-id": "1", "ce-source": "/x", "ce-type": TypeTaskStarted, "content-type": "application/json"}
	}
	tests := []struct {
		name   string
		mutate func(map[string]string)
		want   string
	}{
		{"no id", func(m map[string]string) { delete(m, "ce-id") }, "ce-id is missing"},
		{"no type", func(m map[string]string) { delete(m, "ce-type") }, "ce-type is missing"},
		{"no source", func(m map[string]string) { delete(m, "ce-source") }, "ce-source is missing"},
		{"no specversion", func(m map[string]string) { delete(m, "ce-specversion") }, "ce-specversion is missing"},
		{"old specversion", func(m map[string]string) { m["ce-specversion"] = "0.3" }, "not supported"},
		{"bad time", func(m map[string]string) { m["ce-time"] = "yesterday" }, "ce-time"},
		{"bad extension name", func(m map[string]string) { m["ce-bad_name!"] = "x" }, "ce-bad_name!"},
		{"empty id", func(m map[string]string) { m["ce-id"] = "" }, "id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md := good()
			tt.mutate(md)
			_, err := FromMessage(&pubsub.Message{Body: []byte(`{}`), Metadata: md})
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want ErrInvalid mentioning %q", err, tt.want)
			}
		})
	}
	if _, err := FromMessage(&pubsub.Message{Body: []byte(`{"specversion":`), Metadata: map[string]string{"content-type": "application/cloudevents+json"}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("broken structured event: %v", err)
	}
}

func TestDecodeRejects(t *testing.T) {
	started, _ := New(SourceEdit, now, TaskStarted{Job: "j", Task: "t", Owner: "o", Attempt: 1})
	badData := started.Clone()
	_ = badData.SetData("application/json", map[string]any{"job": "j", "task": "t", "owner": "o", "attempt": 0})
	notJSON := started.Clone()
	notJSON.DataEncoded = []byte("not json")
	tests := []struct {
		name string
		e    func() error
		want string
	}{
		{"wrong type", func() error { return Decode(started, &TaskCompleted{}) }, `want "` + TypeTaskCompleted + `"`},
		{"invalid data", func() error { return Decode(badData, &TaskStarted{}) }, "attempt: must be at least 1"},
		{"not json", func() error { return Decode(notJSON, &TaskStarted{}) }, "data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.e()
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want ErrInvalid mentioning %q", err, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*TaskRequested)
		want   string
	}{
		{"ok", func(*TaskRequested) {}, ""},
		{"no job", func(r *TaskRequested) { r.Job = "" }, "job: required"},
		{"no output key", func(r *TaskRequested) { r.Output.Key = "" }, "output.key: required"},
		{"no ops", func(r *TaskRequested) { r.Ops = nil }, "at least one op"},
		{"op without name", func(r *TaskRequested) { r.Ops[1] = json.RawMessage(`{"factor":2}`) }, "ops[1]"},
		{"op not object", func(r *TaskRequested) { r.Ops[0] = json.RawMessage(`7`) }, "ops[0]"},
		{"bad format", func(r *TaskRequested) { r.Output.Format = "bmp" }, `"bmp" is not one of`},
		{"bad quality", func(r *TaskRequested) { r.Output.Quality = 101 }, "quality"},
		{"bad metadata", func(r *TaskRequested) { r.Output.Metadata = "some" }, `output.metadata: must be "strip" or "keep", got "some"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request()
			tt.mutate(&r)
			err := r.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := New(SourceGateway, now, TaskFailed{Job: "j", Task: "t", Owner: "o", Kind: "permanent"}); err == nil || !strings.Contains(err.Error(), "reason: required") {
		t.Errorf("New accepted invalid data: %v", err)
	}
}

func TestIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewID()
		if !ValidID(id) || seen[id] {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
	for _, bad := range []string{"", "../../etc/passwd", strings.Repeat("A", 26), strings.Repeat("a", 25), strings.Repeat("1", 26)} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}

func TestAttempt(t *testing.T) {
	ctx := context.Background()
	if AttemptFrom(ctx) != 1 {
		t.Error("default attempt is not 1")
	}
	if got := AttemptFrom(WithAttempt(ctx, 4)); got != 4 {
		t.Errorf("attempt = %d", got)
	}
}
