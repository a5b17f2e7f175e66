package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pixmill/pixmill/platform/client"
)

// serverFlag adds --server, defaulting to $PIXMILL_SERVER or the local
// gateway.
func serverFlag(fs *flag.FlagSet) *string {
	server := os.Getenv("PIXMILL_SERVER")
	if server == "" {
		server = "http://127.0.0.1:8080"
	}
	return fs.String("server", server, "gateway URL (env PIXMILL_SERVER)")
}

// tokenFlag adds --token, and returns what to send: the flag, else
// $PIXMILL_TOKEN. The environment is read after parsing so that -h never
// prints a key.
func tokenFlag(fs *flag.FlagSet) func() string {
	token := fs.String("token", "", "API key (pmk_…) or OpenID token, sent as Authorization: Bearer; prefer the environment, which other users of the machine cannot list (env PIXMILL_TOKEN)")
	return func() string { return cmp.Or(*token, os.Getenv("PIXMILL_TOKEN")) }
}

// runJobs lists the caller's jobs, newest first, with each one's state.
func runJobs(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("pixmill jobs", flag.ContinueOnError)
	server, token := serverFlag(fs), tokenFlag(fs)
	limit := fs.Int("limit", 20, "how many jobs to list, newest first (1-100)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: pixmill jobs [--limit N]\n\nLists your jobs, newest first: id, when, state, photos and edits.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	c := client.New(*server, nil, client.WithToken(token()))
	jobs, _, err := c.Jobs(ctx, "", *limit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tCREATED\tSTATE\tPHOTOS\tEDITS")
	for _, j := range jobs {
		state := "?"
		if sum, err := c.JobSummary(ctx, j.ID); err == nil {
			state = string(sum.State)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", j.ID, j.Created.Local().Format(time.DateTime), state, j.Tasks, strings.Join(j.Ops, ", "))
	}
	return tw.Flush()
}

// runArchive downloads a zip of a job's results.
func runArchive(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("pixmill archive", flag.ContinueOnError)
	server, token := serverFlag(fs), tokenFlag(fs)
	out := fs.String("out", "", "the zip file to write (default JOB.zip)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: pixmill archive [--out FILE] JOB\n\nDownloads a zip of the job's results, named after their originals.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	// The job may come before the flags.
	jobs, err := parseInterleaved(fs, args)
	switch {
	case err != nil:
		return err
	case len(jobs) == 0:
		return errors.New("which job? pixmill jobs lists them")
	case len(jobs) > 1:
		return fmt.Errorf("one job at a time, got %q", jobs)
	}
	job := jobs[0]
	if *out == "" {
		*out = job + ".zip"
	}
	// Written beside the target and renamed when complete, so a failed
	// download leaves no half a zip under the name.
	f, err := os.CreateTemp(filepath.Dir(*out), ".pixmill-archive-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := client.New(*server, nil, client.WithToken(token())).Archive(ctx, job, f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), *out); err != nil {
		return err
	}
	fmt.Fprintf(os.Stdout, "wrote %s\n", *out)
	return nil
}
