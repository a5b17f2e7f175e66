// Command pixmill runs pixmill: the local stack, a worker, or a batch
// submission from the command line.
//
//	pixmill up        queue, bucket, gateway, results handler and workers
//	pixmill worker    one worker process (started by up, or by a fleet manager)
//	pixmill provision make on an external broker what the queue URLs need
//	pixmill submit    upload pictures, run edits, wait and download
//	pixmill ops       list the edit ops and their fields
//	pixmill dlq       list or redrive dead-lettered requests
//	pixmill delete    delete an image, a job, or everything of yours
//	pixmill retention set one owner's own retention
//	pixmill usage     what you use of your quotas, and their limits
//	pixmill notify-secret the key job notifications are signed with
//
// Run `pixmill COMMAND -h` for a command's flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	_ "github.com/pixmill/pixmill/platform/drivers"
)

const usage = `pixmill — a serverless image-processing pipeline

Usage:
  pixmill up [flags]                 start the local stack (gateway on 127.0.0.1:8080)
  pixmill worker [flags]             run one worker process
  pixmill provision [flags]          create on an external broker what the queue URLs need
  pixmill submit [flags] FILES...    upload pictures, apply edits, wait, download
  pixmill jobs [flags]               list your jobs, newest first, with their states
  pixmill archive [flags] JOB        download a zip of a job's results
  pixmill ops                        list the edit ops and their fields
  pixmill dlq list|redrive           show or resend requests parked on the dead-letter topic
  pixmill keys create|list|revoke    make, list or revoke API keys for scripts
  pixmill delete image|job ID        delete one of your originals, or a job's results
  pixmill delete me --yes            erase everything of yours, API keys included
  pixmill retention --owner OWNER    set one owner's own retention (--originals, --results)
  pixmill usage                      what you use of your quotas, and their limits
  pixmill notify-secret [--rotate]   the key your job notifications are signed with

Run "pixmill COMMAND -h" for the flags of a command.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	cmd, args := os.Args[1], os.Args[2:]
	stopProfile, err := startProfile()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pixmill %s: %v\n", cmd, err)
		os.Exit(1)
	}
	switch cmd {
	case "up":
		err = runUp(ctx, args)
	case "worker":
		err = runWorker(ctx, args)
	case "provision":
		err = runProvision(ctx, args, os.Stdout)
	case "submit":
		err = runSubmit(ctx, args)
	case "dlq":
		err = runDLQ(ctx, args, os.Stdout)
	case "jobs":
		err = runJobs(ctx, args, os.Stdout)
	case "archive":
		err = runArchive(ctx, args)
	case "ops":
		err = runOps(os.Stdout)
	case "keys":
		err = runKeys(ctx, args, os.Stdout, os.Stderr)
	case "delete":
		err = runDelete(ctx, args, os.Stdout, os.Stderr)
	case "retention":
		err = runRetention(ctx, args, os.Stdout, os.Stderr)
	case "usage":
		err = runUsage(ctx, args, os.Stdout)
	case "notify-secret":
		err = runNotifySecret(ctx, args, os.Stdout)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(os.Stdout, usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "pixmill: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	stopProfile()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pixmill %s: %v\n", cmd, err)
		os.Exit(1)
	}
}

func logger(w io.Writer, component string) *slog.Logger {
	level := slog.LevelInfo
	if os.Getenv("PIXMILL_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})).With("process", component, "pid", os.Getpid())
}
