// Package embeddedtest starts a real embedded JetStream server for a test
// and connects to it: what every test of a queue on NATS begins with.
package embeddedtest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/pixmill/pixmill/platform/embedded"
)

// Start starts an embedded JetStream server storing in dir (a new
// temporary directory when dir is "") on a free loopback port, and returns
// it with a JetStream connection to it; both are closed when the test
// ends.
func Start(tb testing.TB, dir string) (*embedded.NATS, natsjs.JetStream) {
	tb.Helper()
	if dir == "" {
		dir = tb.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv, err := embedded.Start(ctx, embedded.Config{Dir: dir})
	if err != nil {
		tb.Fatalf("starting embedded NATS: %v", err)
	}
	tb.Cleanup(srv.Shutdown)
	return srv, Connect(tb, srv)
}

// Connect opens a JetStream connection to srv, closed when the test ends.
func Connect(tb testing.TB, srv *embedded.NATS) natsjs.JetStream {
	tb.Helper()
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		tb.Fatalf("connecting to %s: %v", srv.URL(), err)
	}
	tb.Cleanup(nc.Close)
	js, err := natsjs.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	return js
}
