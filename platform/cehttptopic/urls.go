package cehttptopic

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"gocloud.dev/pubsub"
)

// Schemes are the URL schemes this package registers with pubsub's default
// URL mux: a topic's URL is the receiver's own address (see the package
// documentation for why).
var Schemes = []string{"http", "https"}

func init() {
	o := new(URLOpener)
	for _, s := range Schemes {
		pubsub.DefaultURLMux().RegisterTopic(s, o)
		pubsub.DefaultURLMux().RegisterSubscription(s, o)
	}
}

// URLOpener opens http and https topic URLs. The zero value is ready to
// use.
type URLOpener struct {
	// Client sends the requests; nil is the package's shared client (see
	// TopicOptions.Client).
	Client *http.Client
}

// OpenTopicURL opens the topic that POSTs to u.
func (o *URLOpener) OpenTopicURL(ctx context.Context, u *url.URL) (*pubsub.Topic, error) {
	target, opts, err := parseURL(u)
	if err != nil {
		return nil, fmt.Errorf("open topic %s: %w", u.Redacted(), err)
	}
	opts.Client = o.Client
	return OpenTopic(target, &opts)
}

// OpenSubscriptionURL refuses: a CloudEvents receiver is pushed to, and
// there is nothing at its address to pull from.
func (o *URLOpener) OpenSubscriptionURL(ctx context.Context, u *url.URL) (*pubsub.Subscription, error) {
	return nil, fmt.Errorf("open subscription %s: cehttptopic: an %s URL is a topic, the address events are POSTed to; there is no subscription to pull from it (Knative pushes events to the functions through Triggers)", u.Redacted(), u.Scheme)
}

// parseURL splits u into the receiver's address and the driver's
// parameters.
func parseURL(u *url.URL) (*url.URL, TopicOptions, error) {
	var opts TopicOptions
	for name, vs := range u.Query() {
		if len(vs) > 1 {
			return nil, opts, fmt.Errorf("cehttptopic: parameter %s is given %d times", name, len(vs))
		}
		v := vs[0]
		switch name {
		case "timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return nil, opts, fmt.Errorf("cehttptopic: timeout %q is not a positive duration (e.g. 30s, 10m)", v)
			}
			opts.Timeout = d
		default:
			return nil, opts, fmt.Errorf("cehttptopic: unknown parameter %s=%q (the query string is the driver's, and its only parameter is timeout)", name, v)
		}
	}
	target := *u
	target.RawQuery = ""
	target.ForceQuery = false
	return &target, opts, nil
}
