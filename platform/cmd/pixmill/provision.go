package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/platform/brokers"
	"github.com/pixmill/pixmill/platform/provision"
	"github.com/pixmill/pixmill/platform/stack"
)

// runProvision makes on the broker what the queue URLs of pixmill up need.
// It takes up's flags and environment, so that one set of PIXMILL_*
// variables serves provision, up and worker; of them it uses the queue
// URLs, --max-attempts and --ack-wait.
func runProvision(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("pixmill provision", flag.ContinueOnError)
	var cfg stack.Config
	cfg.BindFlags(fs, os.Getenv)
	replicas := fs.Int("replicas", 1, "copies of each JetStream stream, for a NATS cluster (1 to 5)")
	dryRun := fs.Bool("dry-run", false, "print the plan; create and change nothing")
	update := fs.Bool("update", false, "change in place what differs, where the broker can without losing queued work (JetStream streams and consumers, Pub/Sub subscriptions' deadlines and policies)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: pixmill provision [--dry-run] [--update] [--replicas N] [pixmill up's flags]

Creates on an external broker what the queue URLs of pixmill up and pixmill
worker need, or checks that it is there: JetStream streams (work queue, file
storage, --replicas copies) and durable consumers; RabbitMQ fanout exchanges
and quorum queues, bound, the requests queue with its delivery limit and
dead-letter exchange; Pub/Sub topics and subscriptions with their ack
deadline, dead-letter and retry policies. It reads the same flags and
environment as pixmill up (PIXMILL_REQUESTS_TOPIC …, PIXMILL_MAX_ATTEMPTS,
PIXMILL_ACK_WAIT, RABBIT_SERVER_URL, PUBSUB_EMULATOR_HOST) and uses the queue
URLs, --max-attempts and --ack-wait.

It is idempotent: it prints each object as created, ok, or DIFFERS with the
settings that differ, which it does not change unless --update asks (and the
broker can change them in place); it exits with status 1 when something still
differs. See docs/scale-out.md.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *replicas < 1 || *replicas > 5 {
		return fault.New(fault.InvalidArgument, "replicas: %d is not between 1 and 5 (JetStream's most)", *replicas)
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	r, err := provision.Apply(ctx, cfg.Queues.Queues, provision.Options{
		MaxAttempts: cfg.MaxAttempts,
		AckWait:     cfg.AckWait,
		Replicas:    *replicas,
		DryRun:      *dryRun,
		Update:      *update,
	})
	if len(r.Items) > 0 {
		if werr := r.Write(stdout); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil {
		return err
	}
	if n := r.Count(provision.Differs); n > 0 {
		return fault.New(fault.Permanent, "%d objects differ from what pixmill needs and were left as they are", n)
	}
	return nil
}

// checkProvisioned fails, naming each missing object and pixmill provision,
// when the broker lacks what the URLs need: up asks before it opens them,
// worker once it has failed, instead of stopping on a bare "not found" deep
// in a driver. The embedded JetStream (no URLs) provisions itself.
func checkProvisioned(ctx context.Context, q brokers.Queues, maxAttempts int, ackWait time.Duration) error {
	if q == (brokers.Queues{}) {
		return nil
	}
	return provision.Check(ctx, q, provision.Options{MaxAttempts: maxAttempts, AckWait: ackWait})
}
