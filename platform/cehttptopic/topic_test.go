package cehttptopic

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/google/go-cmp/cmp"
	"gocloud.dev/gcerrors"
	"gocloud.dev/pubsub"
	"gocloud.dev/pubsub/driver"

	"github.com/pixmill/pixmill/events"
)

// receiver is a CloudEvents receiver on a real socket: it records every
// request and answers the n-th (from 0) with answer(n, w, r).
type receiver struct {
	url    string
	answer func(n int, w http.ResponseWriter, r *http.Request)

	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{answer: answer}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		n := len(rc.reqs)
		rc.reqs = append(rc.reqs, recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		rc.mu.Unlock()
		rc.answer(n, w, r)
	}))
	t.Cleanup(srv.Close)
	rc.url = srv.URL
	return rc
}

// statuses answers the n-th request with codes[n], the last one from then
// on, and a two-line body.
func statuses(codes ...int) func(int, http.ResponseWriter, *http.Request) {
	return func(n int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(codes[min(n, len(codes)-1)])
		_, _ = io.WriteString(w, "  the reason is here  \nand not this\n")
	}
}

func (rc *receiver) requests() []recorded {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]recorded(nil), rc.reqs...)
}

func taskEvent(t *testing.T) cloudevents.Event {
	t.Helper()
	e, err := events.New(events.SourceGateway, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), events.TaskRequested{
		Job: events.NewID(), Task: events.NewID(), Owner: "owner", Image: "img", Original: "originals/img",
		Ops:    []json.RawMessage{json.RawMessage(`{"op":"thumbnail","width":64,"height":64}`)},
		Output: events.Output{Key: "results/j/t.png", Format: "png"},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.SetExtension("pixmilldlreason", "an extension travels too")
	return e
}

func driverMessage(t *testing.T, e cloudevents.Event) *driver.Message {
	t.Helper()
	m, err := events.ToMessage(e)
	if err != nil {
		t.Fatal(err)
	}
	return &driver.Message{Body: m.Body, Metadata: m.Metadata}
}

func openTest(t *testing.T, raw string) *pubsub.Topic {
	t.Helper()
	topic, err := pubsub.OpenTopic(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = topic.Shutdown(context.Background()) })
	return topic
}

// TestBinaryMode sends an event in each content mode a pubsub message can
// hold, and expects one binary-mode POST that decodes to the same event.
func TestBinaryMode(t *testing.T) {
	want := taskEvent(t)
	binary, err := events.ToMessage(want)
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		msg  *pubsub.Message
	}{
		{"binary message", binary},
		{"structured message", &pubsub.Message{Body: js, Metadata: map[string]string{"content-type": "application/cloudevents+json"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, statuses(http.StatusAccepted))
			topic := openTest(t, rc.url+"/pixmill/pixmill")
			if err := topic.Send(context.Background(), tt.msg); err != nil {
				t.Fatal(err)
			}
			reqs := rc.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != http.MethodPost || r.Path != "/pixmill/pixmill" {
				t.Errorf("%s %s, want POST /pixmill/pixmill", r.Method, r.Path)
			}
			wantHeaders := map[string]string{
				"Ce-Specversion":     "1.0",
				"Ce-Id":              want.ID(),
				"Ce-Source":          events.SourceGateway,
				"Ce-Type":            events.TypeTaskRequested,
				"Ce-Subject":         want.Subject(),
				"Ce-Time":            "2026-03-01T12:00:00Z",
				"Ce-Pixmilldlreason": "an extension travels too",
				"Content-Type":       "application/json",
			}
			gotHeaders := map[string]string{}
			for k := range wantHeaders {
				gotHeaders[k] = r.Header.Get(k)
			}
			if diff := cmp.Diff(wantHeaders, gotHeaders); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(string(want.Data()), string(r.Body)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			// What a receiver makes of it is the event that was sent.
			attrs := map[string]string{}
			for k, v := range r.Header {
				attrs[k] = v[0]
			}
			got, err := events.FromAttributes(attrs, r.Body)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.String(), got.String()); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStatus sends one attempt to receivers answering each status and
// checks how the driver classifies the answer.
func TestStatus(t *testing.T) {
	tests := []struct {
		status    int
		wantCode  gcerrors.ErrorCode // OK: sent
		wantRetry bool
	}{
		{http.StatusOK, gcerrors.OK, false},
		{http.StatusAccepted, gcerrors.OK, false},
		{http.StatusNoContent, gcerrors.OK, false},
		{http.StatusNotFound, gcerrors.NotFound, true},
		{http.StatusRequestTimeout, gcerrors.DeadlineExceeded, true},
		{http.StatusConflict, gcerrors.Unknown, true},
		{http.StatusTooManyRequests, gcerrors.ResourceExhausted, true},
		{http.StatusInternalServerError, gcerrors.Unknown, true},
		{http.StatusNotImplemented, gcerrors.Unknown, true},
		{http.StatusBadGateway, gcerrors.Unknown, true},
		{http.StatusServiceUnavailable, gcerrors.Unknown, true},
		{http.StatusGatewayTimeout, gcerrors.DeadlineExceeded, true},
		{http.StatusBadRequest, gcerrors.InvalidArgument, false},
		{http.StatusRequestEntityTooLarge, gcerrors.InvalidArgument, false},
		{http.StatusUnsupportedMediaType, gcerrors.InvalidArgument, false},
		{http.StatusUnprocessableEntity, gcerrors.InvalidArgument, false},
		{http.StatusUnauthorized, gcerrors.PermissionDenied, false},
		{http.StatusForbidden, gcerrors.PermissionDenied, false},
		{http.StatusMethodNotAllowed, gcerrors.FailedPrecondition, false},
		{http.StatusGone, gcerrors.FailedPrecondition, false},
		{http.StatusTemporaryRedirect, gcerrors.FailedPrecondition, false},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Location", "https://elsewhere.example/")
				statuses(tt.status)(0, w, r)
			})
			target, _ := url.Parse(rc.url + "/sink")
			d, err := openTopic(target, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = d.SendBatch(context.Background(), []*driver.Message{driverMessage(t, taskEvent(t))})
			if n := len(rc.requests()); n != 1 {
				t.Errorf("%d requests, want 1 (redirects are not followed, the driver does not retry)", n)
			}
			if tt.wantCode == gcerrors.OK {
				if err != nil {
					t.Fatalf("status %d: %v, want sent", tt.status, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("status %d: sent, want an error", tt.status)
			}
			if code, retry := d.ErrorCode(err), d.IsRetryable(err); code != tt.wantCode || retry != tt.wantRetry {
				t.Errorf("status %d: code %v retryable %v, want %v %v", tt.status, code, retry, tt.wantCode, tt.wantRetry)
			}
			msg := err.Error()
			for _, want := range []string{rc.url + "/sink", http.StatusText(tt.status), "the reason is here"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not say %q", msg, want)
				}
			}
			if strings.Contains(msg, "and not this") {
				t.Errorf("error %q holds more than the body's first line", msg)
			}
			if tt.status/100 == 3 && !strings.Contains(msg, "https://elsewhere.example/") {
				t.Errorf("error %q does not say where the redirect points", msg)
			}
		})
	}
}

// TestRetries sends through a pubsub.Topic, whose shared layer retries what
// the driver calls retryable: it must try exactly as often as the answers
// require.
func TestRetries(t *testing.T) {
	dropOnce := func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}
	tests := []struct {
		name         string
		answer       func(int, http.ResponseWriter, *http.Request)
		wantRequests int
		wantCode     gcerrors.ErrorCode // OK: sent
	}{
		{"accepted at once", statuses(http.StatusAccepted), 1, gcerrors.OK},
		{"unavailable, then accepted", statuses(http.StatusServiceUnavailable, http.StatusAccepted), 2, gcerrors.OK},
		{"overloaded, then accepted", statuses(http.StatusTooManyRequests, http.StatusAccepted), 2, gcerrors.OK},
		{"connection dropped, then accepted", dropOnce, 2, gcerrors.OK},
		{"refused for good", statuses(http.StatusBadRequest), 1, gcerrors.InvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, tt.answer)
			topic := openTest(t, rc.url)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err := events.Send(ctx, topic, taskEvent(t))
			if got := gcerrors.Code(err); got != tt.wantCode {
				t.Errorf("code %v (%v), want %v", got, err, tt.wantCode)
			}
			if n := len(rc.requests()); n != tt.wantRequests {
				t.Errorf("%d requests, want %d", n, tt.wantRequests)
			}
			if err == nil {
				return
			}
			var se *StatusError
			if !topic.ErrorAs(err, &se) || se.StatusCode != http.StatusBadRequest || se.Body != "the reason is here" {
				t.Errorf("ErrorAs: %+v, want the 400 and its reason", se)
			}
		})
	}
}

// TestTimeout has a receiver that never answers: the attempt ends after
// the URL's timeout, as a retryable DeadlineExceeded.
func TestTimeout(t *testing.T) {
	rc := newReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	u, _ := url.Parse(rc.url + "/?timeout=50ms")
	target, opts, err := parseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	d, err := openTopic(target, &opts)
	if err != nil {
		t.Fatal(err)
	}
	err = d.SendBatch(context.Background(), []*driver.Message{driverMessage(t, taskEvent(t))})
	if code := d.ErrorCode(err); code != gcerrors.DeadlineExceeded || !d.IsRetryable(err) {
		t.Errorf("%v: code %v retryable %v, want DeadlineExceeded, retryable", err, code, d.IsRetryable(err))
	}
	if err == nil || !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Errorf("error %v does not name the timeout", err)
	}
}

// TestUnreachable posts to a port nobody listens on: retryable, and the
// error names the URL without its password.
func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	target, _ := url.Parse("http://user:secret@" + addr + "/")
	d, err := openTopic(target, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = d.SendBatch(context.Background(), []*driver.Message{driverMessage(t, taskEvent(t))})
	if err == nil || !d.IsRetryable(err) || d.ErrorCode(err) != gcerrors.Unknown {
		t.Fatalf("%v: want a retryable Unknown error", err)
	}
	if msg := err.Error(); strings.Contains(msg, "secret") || !strings.Contains(msg, addr) {
		t.Errorf("error %q: want the address, without the password", msg)
	}
}

// TestNotAnEvent sends messages that hold no valid CloudEvent: nothing
// reaches the receiver, and the error is final.
func TestNotAnEvent(t *testing.T) {
	tests := []struct {
		name string
		msg  *pubsub.Message
	}{
		{"no attributes", &pubsub.Message{Body: []byte("hello")}},
		{"no ce-id", &pubsub.Message{Body: []byte("{}"), Metadata: map[string]string{"ce-specversion": "1.0", "ce-source": "s", "ce-type": "t"}}},
		{"broken structured event", &pubsub.Message{Body: []byte(`{"specversion":`), Metadata: map[string]string{"content-type": "application/cloudevents+json"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, statuses(http.StatusAccepted))
			topic := openTest(t, rc.url)
			err := topic.Send(context.Background(), tt.msg)
			if gcerrors.Code(err) != gcerrors.InvalidArgument || !strings.Contains(err.Error(), "not a CloudEvent") {
				t.Errorf("%v: want InvalidArgument, not a CloudEvent", err)
			}
			if n := len(rc.requests()); n != 0 {
				t.Errorf("%d requests, want none", n)
			}
		})
	}
}

// TestSendHooks uses BeforeSend to add a header and AfterSend to see the
// answer.
func TestSendHooks(t *testing.T) {
	rc := newReceiver(t, statuses(http.StatusAccepted))
	topic := openTest(t, rc.url)
	m, err := events.ToMessage(taskEvent(t))
	if err != nil {
		t.Fatal(err)
	}
	var status int
	m.BeforeSend = func(as func(any) bool) error {
		var req *http.Request
		if !as(&req) {
			return errors.New("BeforeSend: no *http.Request")
		}
		req.Header.Set("Authorization", "Bearer token")
		return nil
	}
	m.AfterSend = func(as func(any) bool) error {
		var res *http.Response
		if !as(&res) {
			return errors.New("AfterSend: no *http.Response")
		}
		status = res.StatusCode
		return nil
	}
	if err := topic.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got := rc.requests()[0].Header.Get("Authorization"); got != "Bearer token" || status != http.StatusAccepted {
		t.Errorf("Authorization %q, status %d: want the header sent and 202 seen", got, status)
	}
}
