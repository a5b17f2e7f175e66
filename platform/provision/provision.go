// Package provision makes on an external broker what pixmill's queue URLs
// need, before `pixmill up` and `pixmill worker` open them: JetStream
// streams and durable consumers, RabbitMQ exchanges and quorum queues with
// their delivery limit and dead-letter exchange, Pub/Sub topics and
// subscriptions with their policies. What each object must be is decided
// by the package that owns the broker (jetstream, brokers); this package
// reads the URLs, asks the broker what exists, and plans per scheme.
//
// Apply is idempotent: a missing object is created, an existing one that is
// as pixmill needs it is left alone and reported OK, and one that differs
// is reported with each differing setting and not changed, since changing
// it may lose queued work or break another user of the broker, unless
// Options.Update asks to change what the broker can change in place. A dry
// run plans without creating or changing anything.
//
// Check is Apply's dry run as `pixmill up` and `pixmill worker` use it at
// start: a missing object is a fault.NotFound error that names it and says
// to run `pixmill provision`; a broker that cannot be reached is
// fault.Transient. URLs of schemes with nothing to provision (mem://, the
// http:// of a Knative Broker) are skipped.
package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/platform/brokers"
)

// Outcome is what provisioning found, or did, for one object.
type Outcome int

// The outcomes.
const (
	// Created: the object did not exist and was made (in a dry run: would
	// be).
	Created Outcome = iota
	// OK: the object exists as pixmill needs it.
	OK
	// Differs: the object exists with settings pixmill needs otherwise;
	// they are left as they are.
	Differs
	// Skipped: the URL's scheme has nothing to provision.
	Skipped
	// Updated: the object differed and was changed in place, as
	// Options.Update asks (in a dry run: would be).
	Updated
)

// Item is one object of the plan.
type Item struct {
	// Kind is the broker's word for the object: stream, consumer,
	// exchange, queue, binding, topic, subscription.
	Kind string
	// Name is the object's name on the broker.
	Name string
	// For is the flag whose URL needs the object, e.g. requests-topic.
	For     string
	Outcome Outcome
	// Details are the differing settings (Differs), or a note.
	Details []string
	// Optional marks an object that up and worker also make themselves
	// when they open their URLs (a JetStream durable consumer): Check
	// does not require it.
	Optional bool
}

// Report is the plan, or what was done.
type Report struct {
	DryRun bool
	Items  []Item
}

// Count returns how many items have outcome o.
func (r Report) Count(o Outcome) int {
	n := 0
	for _, it := range r.Items {
		if it.Outcome == o {
			n++
		}
	}
	return n
}

// Write prints one line per object, then a summary.
func (r Report) Write(w io.Writer) error {
	var b strings.Builder
	for _, it := range r.Items {
		word := map[Outcome]string{Created: "created", OK: "ok", Differs: "DIFFERS", Skipped: "skipped", Updated: "updated"}[it.Outcome]
		switch {
		case it.Outcome == Created && r.DryRun:
			word = "would create"
		case it.Outcome == Updated && r.DryRun:
			word = "would update"
		}
		fmt.Fprintf(&b, "%-13s %s %s (%s)", word, it.Kind, it.Name, it.For)
		if len(it.Details) > 0 {
			fmt.Fprintf(&b, ": %s", strings.Join(it.Details, "; "))
		}
		b.WriteString("\n")
	}
	created, ok, differs, updated := r.Count(Created), r.Count(OK), r.Count(Differs), r.Count(Updated)
	switch {
	case created == 0 && differs == 0 && updated == 0:
		fmt.Fprintf(&b, "nothing to change: %d objects already as pixmill needs them\n", ok)
	case r.DryRun:
		fmt.Fprintf(&b, "dry run: %d to create, %d to update, %d already right, %d differ\n", created, updated, ok, differs)
	default:
		fmt.Fprintf(&b, "%d created, %d updated, %d already right, %d differ\n", created, updated, ok, differs)
	}
	if differs > 0 {
		fmt.Fprintf(&b, "objects that differ were not changed: --update changes what the broker can change in place; changing the rest can lose queued work: fix it by hand, or delete the object and run pixmill provision again\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Options are the settings of `pixmill up` and `pixmill worker` that shape
// the objects beside the URLs.
type Options struct {
	// MaxAttempts is the platform's --max-attempts; brokers that
	// dead-letter by themselves do it one attempt later (see brokers).
	MaxAttempts int
	// AckWait is the requests' lease, --ack-wait: the Pub/Sub requests
	// subscription's ack deadline.
	AckWait time.Duration
	// Replicas is the number of copies of each JetStream stream in a
	// cluster; 0 means 1.
	Replicas int
	// DryRun plans without creating anything.
	DryRun bool
	// Update changes in place what differs where the broker allows it
	// without losing queued work: a JetStream stream's replicas and
	// subjects, a consumer's settings, a Pub/Sub subscription's ack
	// deadline and policies. RabbitMQ cannot change a queue's arguments.
	Update bool
}

// updated records the outcome of an update of it: Updated, or still
// Differs with the broker's refusal.
func updated(it *Item, err error) {
	if err != nil {
		it.Details = append(it.Details, fmt.Sprintf("not updated: %v", err))
		return
	}
	it.Outcome = Updated
}

// role is one of pixmill's three queues: a topic and the subscription on
// it, each optional.
type role struct {
	name       string // requests, responses, deadletter
	topic, sub string
}

func (r role) topicFlag() string { return r.name + "-topic" }
func (r role) subFlag() string   { return r.name + "-subscription" }

func roles(q brokers.Queues) []role {
	return []role{
		{"requests", q.RequestsTopic, q.RequestsSubscription},
		{"responses", q.ResponsesTopic, q.ResponsesSubscription},
		{"deadletter", q.DeadletterTopic, q.DeadletterSubscription},
	}
}

// planner provisions the URLs of one scheme.
type planner func(ctx context.Context, q brokers.Queues, o Options) ([]Item, error)

var planners = map[string]planner{
	"jetstream": planJetStream,
	"rabbit":    planRabbit,
	"gcppubsub": planPubSub,
}

// Apply creates what q needs and reports every object (see the package
// documentation). Errors name the flag and the object.
func Apply(ctx context.Context, q brokers.Queues, o Options) (Report, error) {
	r := Report{DryRun: o.DryRun}
	if q == (brokers.Queues{}) {
		return r, fault.New(fault.InvalidArgument, "queues: no URLs given: pixmill provision makes what the --requests-topic, --requests-subscription … URLs (or PIXMILL_REQUESTS_TOPIC …) of pixmill up need; the embedded JetStream provisions itself")
	}
	byScheme := map[string]brokers.Queues{}
	var order []string
	for i, f := range fields(&q) {
		if *f.v == "" {
			continue
		}
		u, err := url.Parse(*f.v)
		if err != nil {
			return r, fault.Wrap(fault.InvalidArgument, err, "%s: the URL does not parse", f.flag)
		}
		if _, ok := planners[u.Scheme]; !ok {
			r.Items = append(r.Items, Item{Kind: u.Scheme + "://", Name: redact(*f.v), For: f.flag, Outcome: Skipped, Details: []string{"nothing to provision for this scheme"}})
			continue
		}
		if _, ok := byScheme[u.Scheme]; !ok {
			order = append(order, u.Scheme)
		}
		sq := byScheme[u.Scheme]
		*fields(&sq)[i].v = *f.v
		byScheme[u.Scheme] = sq
	}
	for _, scheme := range order {
		items, err := planners[scheme](ctx, byScheme[scheme], o)
		r.Items = append(r.Items, items...)
		if err != nil {
			return r, err
		}
	}
	return r, nil
}

// Check plans q as a dry run and fails, with fault.NotFound, naming every
// required object that does not exist and the command that makes it.
// Objects that differ are not its concern: pixmill provision reports them.
func Check(ctx context.Context, q brokers.Queues, o Options) error {
	o.DryRun = true
	r, err := Apply(ctx, q, o)
	if err != nil {
		return err
	}
	var missing []string
	for _, it := range r.Items {
		if it.Outcome == Created && !it.Optional {
			missing = append(missing, fmt.Sprintf("%s %q (%s)", it.Kind, it.Name, it.For))
		}
	}
	if len(missing) > 0 {
		return fault.New(fault.NotFound, "not provisioned: missing %s; run `pixmill provision` with the same queue URLs and environment first (it is idempotent; --dry-run shows the plan)", strings.Join(missing, ", "))
	}
	return nil
}

type field struct {
	flag string
	v    *string
}

func fields(q *brokers.Queues) []field {
	return []field{
		{"requests-topic", &q.RequestsTopic}, {"requests-subscription", &q.RequestsSubscription},
		{"responses-topic", &q.ResponsesTopic}, {"responses-subscription", &q.ResponsesSubscription},
		{"deadletter-topic", &q.DeadletterTopic}, {"deadletter-subscription", &q.DeadletterSubscription},
	}
}

// unreachable wraps a failure to reach a broker.
func unreachable(err error, format string, args ...any) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	return fault.Wrap(fault.Transient, err, format, args...)
}

func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(a URL that does not parse)"
	}
	return u.Redacted()
}

func emulator() string { return os.Getenv("PUBSUB_EMULATOR_HOST") }
