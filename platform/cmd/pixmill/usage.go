package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/client"
)

// runUsage prints the caller's use of each quota against its limit.
func runUsage(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("pixmill usage", flag.ContinueOnError)
	server, token := serverFlag(fs), tokenFlag(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: pixmill usage\n\nPrints what you use of each quota and its limit.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	me, err := client.New(*server, nil, client.WithToken(token())).Me(ctx)
	if err != nil {
		return err
	}
	return printUsage(w, me)
}

// printUsage writes one line a quota: its name, the use and the limit.
func printUsage(w io.Writer, me api.Me) error {
	u, l := me.Usage, me.Limits
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "QUOTA\tUSED\tLIMIT")
	fmt.Fprintf(tw, "stored bytes\t%s\t%s\n", bytesText(u.StoredBytes), limitText(l.StoredBytes, bytesText))
	fmt.Fprintf(tw, "uploads per hour\t%d\t%s\n", u.UploadsLastHour, limitText(l.UploadsPerHour, count))
	fmt.Fprintf(tw, "photos per job\t-\t%s\n", limitText(l.PhotosPerJob, count))
	fmt.Fprintf(tw, "concurrent jobs\t%d\t%s\n", u.ConcurrentJobs, limitText(l.ConcurrentJobs, count))
	return tw.Flush()
}

func count(n int64) string { return strconv.FormatInt(n, 10) }

func limitText(n int64, f func(int64) string) string {
	if n == 0 {
		return "none"
	}
	return f(n)
}

// bytesText writes n bytes in the largest binary unit it has at least one
// of, with one decimal, and the exact count.
func bytesText(n int64) string {
	units := []string{"KiB", "MiB", "GiB", "TiB"}
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v, u := float64(n)/1024, 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	return fmt.Sprintf("%.1f %s (%d B)", v, units[u], n)
}
