package jetstream

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/platform/embedded"
)

// TestBrokerRestart restarts the embedded server under a topic and a
// subscription opened by URL: the message queued before the restart is still
// there, and both ride out the restart on their pooled connection.
func TestBrokerRestart(t *testing.T) {
	dir := t.TempDir()
	srv, err := embedded.Start(t.Context(), embedded.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	_, js := connect(t, srv)
	if _, err := EnsureStream(t.Context(), js, "TASKS", []string{"pixmill.tasks"}, nil); err != nil {
		t.Fatal(err)
	}

	o := &URLOpener{}
	defer o.Close()
	mux := new(pubsub.URLMux)
	mux.RegisterTopic(Scheme, o)
	mux.RegisterSubscription(Scheme, o)
	url := "jetstream://" + srv.Addr() + "/pixmill.tasks"
	top, err := mux.OpenTopic(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer top.Shutdown(context.Background())
	sub, err := mux.OpenSubscription(t.Context(), url+"?consumer=workers")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := sub.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}()

	if err := top.Send(t.Context(), &pubsub.Message{Body: []byte("before")}); err != nil {
		t.Fatal(err)
	}
	srv.Shutdown()

	// The subscription keeps asking while the server is away.
	received := make(chan *pubsub.Message, 2)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	go func() {
		for {
			m, err := sub.Receive(ctx)
			if err != nil {
				return
			}

			received <- m
		}
	}()

	_, port, _ := net.SplitHostPort(srv.Addr())
	p, _ := strconv.Atoi(port)
	srv, err = embedded.Start(t.Context(), embedded.Config{Dir: dir, Port: p})
	if err != nil {
		t.Fatalf("restart on port %d: %v", p, err)
	}
	t.Cleanup(srv.Shutdown) // after the deferred shutdowns, which flush acks

	if err := top.Send(ctx, &pubsub.Message{Body: []byte("after")}); err != nil {
		t.Fatalf("send after restart: %v", err)
	}
	got := map[string]bool{}
	for len(got) < 2 {
		select {
		case m := <-received:
			got[string(m.Body)] = true
			m.Ack()
		case <-ctx.Done():
			t.Fatalf("received only %v after the restart", got)
		}
	}
}
