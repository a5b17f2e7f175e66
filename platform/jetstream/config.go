package jetstream

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults of SubscriptionOptions.
const (
	DefaultAckWait    = 30 * time.Second
	DefaultMaxDeliver = -1 // unlimited: the platform counts attempts and dead-letters
	DefaultMaxBatch   = 1
	DefaultFetchWait  = time.Second
)

// TopicOptions tune a topic.
type TopicOptions struct {
	// MsgIDKey names a metadata key (for CloudEvents, "ce-id") whose value,
	// when a message has it, is also sent as the Nats-Msg-Id header. The
	// stream then stores a message published twice with the same id within
	// its duplicate window (two minutes by default) only once, and the second
	// Send succeeds. Empty (the default) sets no Nats-Msg-Id, except that a
	// metadata entry named Nats-Msg-Id is, like every entry, sent as that
	// header.
	MsgIDKey string
}

// SubscriptionOptions tune a subscription and the durable consumer behind it.
type SubscriptionOptions struct {
	// Consumer is the durable consumer's name (required). Every subscription
	// with the same name shares one queue: each message goes to one of them.
	Consumer string

	// AckWait is the lease: how long a delivered message may stay un-acked
	// before the server delivers it again (default 30s). ExtendLease restarts
	// it.
	AckWait time.Duration

	// MaxDeliver caps deliveries of a message; after that the server keeps it
	// but stops delivering it. -1 (the default) is unlimited.
	MaxDeliver int

	// MaxBatch caps the messages fetched by one request, and so the messages
	// a subscriber holds without working on them (default 1; see the package
	// documentation on prefetching).
	MaxBatch int

	// FetchWait is how long one fetch waits for a first message before
	// ReceiveBatch returns none and gocloud asks again (default 1s). A
	// message that arrives meanwhile is returned at once.
	FetchWait time.Duration
}

func (o *SubscriptionOptions) setDefaults() {
	o.AckWait = cmp.Or(o.AckWait, DefaultAckWait)
	o.MaxDeliver = cmp.Or(o.MaxDeliver, DefaultMaxDeliver)
	o.MaxBatch = cmp.Or(o.MaxBatch, DefaultMaxBatch)
	o.FetchWait = cmp.Or(o.FetchWait, DefaultFetchWait)
}

// validate reports every bad setting at once, each with its key and value.
// It expects defaults to be set, so zeros are gone.
func (o SubscriptionOptions) validate() error {
	var errs []error
	if err := checkConsumerName(o.Consumer); err != nil {
		errs = append(errs, err)
	}
	if o.AckWait < 0 {
		errs = append(errs, fmt.Errorf("jetstream: ack_wait %s must be positive", o.AckWait))
	}
	if o.MaxDeliver < -1 {
		errs = append(errs, fmt.Errorf("jetstream: max_deliver %d must be -1 (unlimited) or at least 1", o.MaxDeliver))
	}
	if o.MaxBatch < 1 {
		errs = append(errs, fmt.Errorf("jetstream: max_batch %d must be at least 1", o.MaxBatch))
	}
	if o.FetchWait < 0 {
		errs = append(errs, fmt.Errorf("jetstream: fetch wait %s must be positive", o.FetchWait))
	}
	return errors.Join(errs...)
}

// checkConsumerName applies the server's rules for durable names, so that a
// bad name fails when the URL is parsed, with the key in the message.
func checkConsumerName(name string) error {
	switch {
	case name == "":
		return errors.New("jetstream: consumer is required (the durable consumer's name)")
	case strings.ContainsAny(name, ".*> \t\r\n/\\"):
		return fmt.Errorf("jetstream: consumer %q must not contain '.', '*', '>', '/', '\\' or whitespace", name)
	}
	return nil
}

// checkSubject checks a subject to publish on (wildcards false) or to filter
// a consumer on (wildcards true).
func checkSubject(subject string, wildcards bool) error {
	if subject == "" {
		return errors.New("jetstream: subject is missing: the URL path must be /SUBJECT")
	}
	tokens := strings.Split(subject, ".")
	for i, tok := range tokens {
		switch {
		case tok == "" || strings.ContainsAny(tok, " \t\r\n"):
			return fmt.Errorf("jetstream: subject %q is not a valid NATS subject", subject)
		case !wildcards && strings.ContainsAny(tok, "*>"):
			return fmt.Errorf("jetstream: subject %q: a topic cannot publish to a wildcard subject", subject)
		case tok == ">" && i != len(tokens)-1:
			return fmt.Errorf("jetstream: subject %q: '>' must be the last token", subject)
		}
	}
	return nil
}

// Query parameters of topic and subscription URLs.
var (
	topicParams        = []string{"msg_id_key"}
	subscriptionParams = []string{"ack_wait", "consumer", "max_batch", "max_deliver"}
)

// parsedURL is what both kinds of URL have in common.
type parsedURL struct {
	server  string // nats://[user[:password]@]host:port
	subject string
	query   map[string]string
}

func parseURL(u *url.URL, known []string) (parsedURL, error) {
	var errs []error
	if u.Host == "" || u.Port() == "" {
		errs = append(errs, fmt.Errorf("jetstream: URL %q needs a server as host:port", u.Redacted()))
	}
	query := map[string]string{}
	for k, vs := range u.Query() {
		switch {
		case !slices.Contains(known, k):
			errs = append(errs, fmt.Errorf("jetstream: unknown query parameter %q (known: %s)", k, strings.Join(known, ", ")))
		case len(vs) > 1:
			errs = append(errs, fmt.Errorf("jetstream: query parameter %q given %d times", k, len(vs)))
		default:
			query[k] = vs[0]
		}
	}
	server := &url.URL{Scheme: "nats", User: u.User, Host: u.Host}
	return parsedURL{
		server:  server.String(),
		subject: strings.TrimPrefix(u.Path, "/"),
		query:   query,
	}, errors.Join(errs...)
}

func parseTopicURL(u *url.URL) (parsedURL, TopicOptions, error) {
	p, err := parseURL(u, topicParams)
	errs := []error{err, checkSubject(p.subject, false)}
	return p, TopicOptions{MsgIDKey: p.query["msg_id_key"]}, errors.Join(errs...)
}

func parseSubscriptionURL(u *url.URL) (parsedURL, SubscriptionOptions, error) {
	p, err := parseURL(u, subscriptionParams)
	errs := []error{err, checkSubject(p.subject, true)}
	opts := SubscriptionOptions{Consumer: p.query["consumer"]}
	if v, ok := p.query["ack_wait"]; ok {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("jetstream: ack_wait %q is not a duration such as 30s or 5m", v))
		case d <= 0:
			errs = append(errs, fmt.Errorf("jetstream: ack_wait %q must be positive", v))
		default:
			opts.AckWait = d
		}
	}
	if v, ok := p.query["max_deliver"]; ok {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("jetstream: max_deliver %q is not an integer", v))
		case n == 0:
			errs = append(errs, fmt.Errorf("jetstream: max_deliver %q must be -1 (unlimited) or at least 1", v))
		default:
			opts.MaxDeliver = n
		}
	}
	if v, ok := p.query["max_batch"]; ok {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("jetstream: max_batch %q is not an integer", v))
		case n < 1:
			errs = append(errs, fmt.Errorf("jetstream: max_batch %q must be at least 1", v))
		default:
			opts.MaxBatch = n
		}
	}
	errs = append(errs, checkConsumerName(opts.Consumer))
	opts.setDefaults()
	return p, opts, errors.Join(errs...)
}
