package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/auth"
	"github.com/pixmill/pixmill/platform/dlq"
	"github.com/pixmill/pixmill/platform/stack"
)

const dlqUsage = `Usage:
  pixmill dlq list    [--data DIR | --bucket URL] [--owner NAME]
  pixmill dlq redrive [--data DIR | --bucket URL --requests-topic URL] [--owner NAME] (--task ID | --all)

list shows the requests parked on the dead-letter topic, whose they are and
why; redrive sends them again with a fresh attempt count. --owner keeps one
owner's (a name as given to keys create, or an owner id). Job-end
notifications that could not be delivered are listed too, as notify-JOB of
kind notification; redriving one (--task notify-JOB) makes the running
pixmill up send it again at its next --notify-sweep.

These are an operator's tools: they read and write the bucket and the queue
directly, with the operator's credentials for them, and see every owner's
requests. No HTTP route of the gateway shows dead letters. With --data, the
URLs are those of the pixmill up running on DIR.
`

func runDLQ(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "redrive") {
		fmt.Fprint(os.Stderr, dlqUsage)
		return errors.New("want list or redrive")
	}
	verb := args[0]
	fs := flag.NewFlagSet("pixmill dlq "+verb, flag.ContinueOnError)
	data := fs.String("data", envOr(stack.EnvData, stack.DefaultData), "data directory of the running pixmill up")
	bucketURL := fs.String("bucket", os.Getenv(stack.EnvBucket), "blob bucket URL (instead of --data)")
	topicURL := fs.String("requests-topic", os.Getenv(stack.EnvRequestsTopic), "requests topic URL (instead of --data)")
	task := fs.String("task", "", "redrive only this task id")
	all := fs.Bool("all", false, "redrive every parked request (of --owner, if given)")
	ownerName := fs.String("owner", "", "only this owner's requests: a name as given to keys create, or an owner id")
	fs.Usage = func() { fmt.Fprint(fs.Output(), dlqUsage); fs.PrintDefaults() }
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *bucketURL == "" || (verb == "redrive" && *topicURL == "") {
		ep, err := stack.ReadEndpoints(*data)
		if err != nil {
			return err
		}
		*bucketURL, *topicURL = ep.Bucket, ep.RequestsTopic
	}
	ofOwner := func(records.DeadLetter) bool { return true }
	if *ownerName != "" {
		owner, err := auth.ResolveOwner(*ownerName)
		if err != nil {
			return err
		}
		ofOwner = func(d records.DeadLetter) bool { return d.Owner == owner }
	}
	bucket, err := blob.OpenBucket(ctx, *bucketURL)
	if err != nil {
		return fmt.Errorf("bucket %q: %w", *bucketURL, err)
	}
	defer bucket.Close()
	store := records.NewStore(bucket)
	if verb == "list" {
		parked, err := dlq.List(ctx, store)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TASK\tJOB\tOWNER\tATTEMPTS\tKIND\tPARKED\tREASON")
		for _, d := range parked {
			if ofOwner(d) {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", d.Key, d.Job, cmp.Or(d.Owner, "-"), d.Attempts, d.Kind, d.At.Format(time.RFC3339), d.Reason)
			}
		}
		return tw.Flush()
	}
	if (*task == "") == !*all {
		return errors.New("give --task ID or --all")
	}
	topic, err := pubsub.OpenTopic(ctx, *topicURL)
	if err != nil {
		return fmt.Errorf("requests topic %q: %w", *topicURL, err)
	}
	defer topic.Shutdown(context.Background())
	n, err := dlq.Redrive(ctx, store, topic, func(d records.DeadLetter) bool { return ofOwner(d) && (*all || d.Key == *task) })
	fmt.Fprintf(stdout, "redriven: %d\n", n)
	if err == nil && n == 0 && *task != "" {
		err = fmt.Errorf("task %q is not in the dead-letter queue", *task)
		if *ownerName != "" {
			err = fmt.Errorf("task %q is not in the dead-letter queue among %s's requests", *task, *ownerName)
		}
	}
	return err
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
