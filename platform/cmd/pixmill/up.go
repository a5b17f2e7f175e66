package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/platform/brokers"
	"github.com/pixmill/pixmill/platform/stack"
)

func runUp(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("pixmill up", flag.ContinueOnError)
	var cfg stack.Config
	cfg.BindFlags(fs, os.Getenv)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: pixmill up [flags]\n\nStarts the local stack: an embedded NATS JetStream queue and a file bucket under\n--data (unless queue and bucket URLs are given), the HTTP gateway, the results\nhandler and a fleet of worker processes, which the autoscaler grows with the\nqueue's backlog and stops when idle (--workers N pins its size). Stop it with\nCtrl-C: workers finish what they hold, queued requests wait on disk for the next\nstart. GET /metrics on the gateway serves Prometheus metrics.\n\nWith --requests-topic and neither --requests-subscription nor\n--responses-subscription it runs the gateway alone: the functions consume the\nrequests elsewhere (e.g. Knative Services behind a Broker, whose http:// ingress\nis the topic) and write the task records to the shared --bucket.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := checkProvisioned(ctx, cfg.Queues.Queues, cfg.MaxAttempts, cfg.AckWait); err != nil {
		return err
	}
	return stack.Up(ctx, cfg, logger(os.Stderr, "up"))
}

func runWorker(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("pixmill worker", flag.ContinueOnError)
	var cfg stack.WorkerConfig
	cfg.BindFlags(fs, os.Getenv)
	if err := fs.Parse(args); err != nil {
		return err
	}
	err := stack.Worker(ctx, cfg, logger(os.Stderr, "worker"))
	if err != nil && ctx.Err() == nil {
		// Workers start often (an autoscaled fleet, a crash loop), so the
		// broker is asked what is missing only once one has failed.
		q := brokers.Queues{RequestsSubscription: cfg.RequestsSubscription, ResponsesTopic: cfg.ResponsesTopic, DeadletterTopic: cfg.DeadletterTopic}
		if cerr := checkProvisioned(ctx, q, cfg.MaxAttempts, cfg.AckWait); fault.KindOf(cerr) == fault.NotFound {
			return errors.Join(cerr, err)
		}
	}
	return err
}
