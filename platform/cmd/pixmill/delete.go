package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/auth"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/stack"
)

const deleteUsage = `Usage:
  pixmill delete image ID
  pixmill delete job ID
  pixmill delete me --yes

image deletes one of your originals (jobs made of it keep their results);
job deletes a job's results, previews and records, and its tasks still
queued write nothing; me erases everything of yours: originals, jobs,
presets and every API key, the one used here included. Deleting what is
already deleted is no error.
`

// runDelete deletes an image, a job, or everything of the caller's.
func runDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pixmill delete", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server, token := serverFlag(fs), tokenFlag(fs)
	yes := fs.Bool("yes", false, "me: yes, erase everything of mine; nothing can be undone")
	fs.Usage = func() { fmt.Fprint(fs.Output(), deleteUsage); fs.PrintDefaults() }
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	c := client.New(*server, nil, client.WithToken(token()))
	switch {
	case len(rest) == 2 && rest[0] == "image":
		if err := c.DeleteImage(ctx, rest[1]); err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "deleted image %s\n", rest[1])
	case len(rest) == 2 && rest[0] == "job":
		if err := c.DeleteJob(ctx, rest[1]); err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "deleted job %s\n", rest[1])
	case len(rest) == 1 && rest[0] == "me":
		if !*yes {
			return errors.New("delete me erases every original, job, preset and API key of yours and cannot be undone: add --yes")
		}
		if err := c.DeleteMe(ctx); err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, "erased everything of yours; your API keys no longer work")
	default:
		fmt.Fprint(stderr, deleteUsage)
		return fmt.Errorf("want image ID, job ID or me --yes, got %q", rest)
	}
	return err
}

const retentionUsage = `Usage:
  pixmill retention --owner OWNER [--originals 90d] [--results 30d] [--data DIR | --bucket URL]

Sets one owner's own retention, which the sweep of pixmill up uses in place
of --retain-originals and --retain-results; a duration left out is the
deployment's, "forever" keeps whatever the deployment's says; with neither,
the owner's own is removed. OWNER is as pixmill keys create takes it.
`

// runRetention sets an owner's own retention in the bucket.
func runRetention(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pixmill retention", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", envOr(stack.EnvData, stack.DefaultData), "data directory of the running pixmill up")
	bucketURL := fs.String("bucket", os.Getenv(stack.EnvBucket), "blob bucket URL (instead of --data)")
	owner := fs.String("owner", "", "the owner: an owner id, local, or a name")
	var r records.Retention
	fs.Func("originals", "keep this owner's originals this long: days (90d), a duration (36h) or forever", func(s string) error {
		d, err := records.ParseRetention(s)
		r.Originals = d
		return err
	})
	fs.Func("results", "keep this owner's jobs and results this long", func(s string) error {
		d, err := records.ParseRetention(s)
		r.Results = d
		return err
	})
	fs.Usage = func() { fmt.Fprint(fs.Output(), retentionUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	o, err := auth.ResolveOwner(*owner)
	if err != nil {
		return err
	}
	bucket, err := openDataBucket(ctx, *data, *bucketURL)
	if err != nil {
		return err
	}
	defer bucket.Close()
	if err := records.NewStore(bucket).PutRetention(ctx, o, r); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "owner %s: originals %s, results %s\n", o, retentionText(r.Originals), retentionText(r.Results))
	return err
}

// retentionText is how the owner's retention d reads.
func retentionText(d time.Duration) string {
	switch d {
	case 0:
		return "as the deployment's"
	case records.Forever:
		return "forever"
	}
	return records.RetentionName(d)
}
