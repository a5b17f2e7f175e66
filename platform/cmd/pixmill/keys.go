package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"gocloud.dev/blob"

	"github.com/pixmill/pixmill/platform/auth"
	"github.com/pixmill/pixmill/platform/stack"
)

const keysUsage = `Usage:
  pixmill keys create --owner OWNER [--expires 90d] [--data DIR | --bucket URL]
  pixmill keys list   [--data DIR | --bucket URL]
  pixmill keys revoke [--data DIR | --bucket URL] ID

API keys for scripts: send one as Authorization: Bearer (pixmill submit
--token, or PIXMILL_TOKEN); they work whatever --auth the gateway runs with.

create prints the new key alone on standard output, once: pixmill keeps only
its hash. OWNER is an owner id (o_…), "local" (the one owner of a stack
without sign-in), or a name for a script, made into an owner id so that the
name itself is not stored. --expires takes days (90d), a Go duration (12h) or
"never". revoke takes the id that list shows, the 16 characters after pmk_;
the key fails from the next request on. With --data, the bucket is that of the
pixmill up running on DIR.
`

func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "list" && args[0] != "revoke") {
		fmt.Fprint(stderr, keysUsage)
		return errors.New("want create, list or revoke")
	}
	verb := args[0]
	fs := flag.NewFlagSet("pixmill keys "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", envOr(stack.EnvData, stack.DefaultData), "data directory of the running pixmill up")
	bucketURL := fs.String("bucket", os.Getenv(stack.EnvBucket), "blob bucket URL (instead of --data)")
	owner := fs.String("owner", "", "create: the key's owner: an owner id, local, or a name")
	expires := fs.String("expires", "90d", "create: lifetime of the key: days (90d), a duration (12h) or never")
	fs.Usage = func() { fmt.Fprint(fs.Output(), keysUsage); fs.PrintDefaults() }
	rest, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	switch {
	case verb == "revoke" && len(rest) != 1:
		return errors.New("revoke takes one key id; pixmill keys list shows them")
	case verb != "revoke" && len(rest) > 0:
		return fmt.Errorf("unexpected arguments %q", rest)
	}
	bucket, err := openDataBucket(ctx, *data, *bucketURL)
	if err != nil {
		return err
	}
	defer bucket.Close()
	keys := auth.NewKeyStore(bucket, nil)

	switch verb {
	case "create":
		o, err := auth.ResolveOwner(*owner)
		if err != nil {
			return err
		}
		ttl, err := parseLifetime(*expires)
		if err != nil {
			return err
		}
		token, k, err := keys.Create(ctx, o, ttl)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "key %s for owner %s, expires %s; it is shown this once\n", k.ID, k.Owner, when(k.Expires, "never"))
		_, err = fmt.Fprintln(stdout, token)
		return err
	case "revoke":
		k, err := keys.Revoke(ctx, rest[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %s (owner %s) at %s\n", k.ID, k.Owner, k.Revoked.Format(time.RFC3339))
		return nil
	}
	list, err := keys.List(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tOWNER\tSTATE\tCREATED\tEXPIRES\tLAST USED")
	for _, k := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Owner, k.State(now), when(k.Created, ""), when(k.Expires, "never"), when(k.LastUsed, "never"))
	}
	return tw.Flush()
}

// openDataBucket opens bucketURL, or else the bucket of the pixmill up
// running on data.
func openDataBucket(ctx context.Context, data, bucketURL string) (*blob.Bucket, error) {
	if bucketURL == "" {
		ep, err := stack.ReadEndpoints(data)
		if err != nil {
			return nil, err
		}
		bucketURL = ep.Bucket
	}
	bucket, err := blob.OpenBucket(ctx, bucketURL)
	if err != nil {
		return nil, fmt.Errorf("bucket %q: %w", bucketURL, err)
	}
	return bucket, nil
}

// parseLifetime reads --expires: 90d, a Go duration, or never (0).
func parseLifetime(s string) (time.Duration, error) {
	if s == "never" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, fmt.Errorf("expires: %q is not a number of days (90d), a duration (12h) or never", s)
}

func when(t time.Time, zero string) string {
	if t.IsZero() {
		return zero
	}
	return t.Local().Format(time.DateTime)
}
