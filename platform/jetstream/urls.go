package jetstream

import (
	"context"
	"fmt"
	"net/url"
	"sync"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
	"gocloud.dev/pubsub"
)

// Scheme is the URL scheme this package registers with pubsub's default URL
// mux.
const Scheme = "jetstream"

func init() {
	o := new(URLOpener)
	pubsub.DefaultURLMux().RegisterTopic(Scheme, o)
	pubsub.DefaultURLMux().RegisterSubscription(Scheme, o)
}

// URLOpener opens jetstream:// URLs (see the package documentation). It
// dials each server once, on first use, and shares that connection among all
// topics and subscriptions it opens on the server. The zero value is ready to
// use; the one registered for the scheme lives as long as the process.
type URLOpener struct {
	// Options are added to the opener's own (a client name, and reconnecting
	// forever, since a worker should ride out a broker restart) when a
	// server is dialled; later options win.
	Options []nats.Option

	mu    sync.Mutex
	conns map[string]*nats.Conn
	js    map[string]natsjs.JetStream
}

// OpenTopicURL opens the topic named by u.
func (o *URLOpener) OpenTopicURL(ctx context.Context, u *url.URL) (*pubsub.Topic, error) {
	p, opts, err := parseTopicURL(u)
	if err != nil {
		return nil, fmt.Errorf("open topic %s: %w", u.Redacted(), err)
	}
	js, err := o.dial(p.server)
	if err != nil {
		return nil, fmt.Errorf("open topic %s: %w", u.Redacted(), err)
	}
	return OpenTopic(js, p.subject, &opts)
}

// OpenSubscriptionURL opens the subscription named by u, creating or
// updating its consumer.
func (o *URLOpener) OpenSubscriptionURL(ctx context.Context, u *url.URL) (*pubsub.Subscription, error) {
	p, opts, err := parseSubscriptionURL(u)
	if err != nil {
		return nil, fmt.Errorf("open subscription %s: %w", u.Redacted(), err)
	}
	js, err := o.dial(p.server)
	if err != nil {
		return nil, fmt.Errorf("open subscription %s: %w", u.Redacted(), err)
	}
	s, err := OpenSubscription(ctx, js, p.subject, &opts)
	if err != nil {
		return nil, fmt.Errorf("open subscription %s: %w", u.Redacted(), err)
	}
	return s, nil
}

// dial returns the pooled JetStream context for server, connecting if there
// is none yet or the pooled connection was closed.
func (o *URLOpener) dial(server string) (natsjs.JetStream, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if nc := o.conns[server]; nc != nil && !nc.IsClosed() {
		return o.js[server], nil
	}
	opts := append([]nats.Option{nats.Name("pixmill"), nats.MaxReconnects(-1)}, o.Options...)
	nc, err := nats.Connect(server, opts...)
	if err != nil {
		return nil, fmt.Errorf("jetstream: connect to %s: %w", redact(server), err)
	}
	js, err := natsjs.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	if o.conns == nil {
		o.conns = map[string]*nats.Conn{}
		o.js = map[string]natsjs.JetStream{}
	}
	o.conns[server] = nc
	o.js[server] = js
	return js, nil
}

// Close closes the pooled connections. Topics and subscriptions opened by o
// stop working.
func (o *URLOpener) Close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for server, nc := range o.conns {
		nc.Close()
		delete(o.conns, server)
		delete(o.js, server)
	}
}

func redact(server string) string {
	u, err := url.Parse(server)
	if err != nil {
		return "server"
	}
	return u.Redacted()
}
