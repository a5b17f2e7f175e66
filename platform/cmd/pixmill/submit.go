package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/pixmill/pixmill/functions/imaging"
	"github.com/pixmill/pixmill/platform/client"
)

type opList []json.RawMessage

func (o *opList) String() string { return fmt.Sprint(len(*o), " ops") }
func (o *opList) Set(s string) error {
	raw, err := imaging.ParseCompact(s)
	if err != nil {
		return err
	}
	*o = append(*o, raw)
	return nil
}

func runSubmit(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("pixmill submit", flag.ContinueOnError)
	opts := client.SubmitOptions{Progress: os.Stderr}
	var ops opList
	server, token := serverFlag(fs), tokenFlag(fs)
	fs.Var(&ops, "op", "an edit, repeatable, applied in order: NAME:FIELD=VALUE,… e.g. thumbnail:width=256,height=256 (see pixmill ops)")
	fs.StringVar(&opts.Preset, "preset", "", "a saved or built-in recipe instead of --op: web, square-1080, thumbnail-256, black-and-white, or one saved with POST /v1/presets")
	fs.StringVar(&opts.Format, "format", "", "output format (jpeg, png, webp, …); default: the original's")
	fs.IntVar(&opts.Quality, "quality", 0, "output quality 1-100 (0: the format's default)")
	fs.BoolVar(&opts.KeepMetadata, "keep-metadata", false, "keep the photos' EXIF, XMP and IPTC (camera, time, GPS position) in the results; removed by default")
	fs.BoolVar(&opts.Wait, "wait", false, "wait for the job to finish, showing progress")
	fs.StringVar(&opts.Notify, "notify", "", "an http(s) URL the gateway POSTs a signed job.finished CloudEvent to when the job ends (pixmill notify-secret shows the key)")
	fs.StringVar(&opts.Out, "out", "", "download the edited pictures to this folder (implies --wait)")
	fs.IntVar(&opts.Parallel, "parallel", client.DefaultParallel, "concurrent uploads and downloads")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: pixmill submit (--op OP [--op OP …] | --preset NAME) [--wait] [--out DIR] FILES…\n\nExample:\n  pixmill submit --op 'thumbnail:width=256,height=256' --op 'brightness:factor=1.2' photos/*.jpg --wait --out edited/\n\nFlags:\n")
		fs.PrintDefaults()
	}
	// Flags may follow the files, as in the example.
	paths, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(ops) == 0 && opts.Preset == "" {
		return fmt.Errorf("no --op or --preset given; for example --op 'thumbnail:width=256,height=256' (see pixmill ops) or --preset web")
	}
	opts.Server, opts.Paths, opts.Ops, opts.Token = *server, paths, ops, token()
	if opts.Out != "" {
		opts.Wait = true
	}
	rep, err := client.Submit(ctx, opts)
	if rep.JobID != "" {
		fmt.Fprintf(os.Stdout, "job %s: %d succeeded, %d failed, %d files rejected\n", rep.JobID, rep.Succeeded, rep.Failed, rep.Rejected)
	}
	if err == nil && (rep.Failed > 0 || rep.Rejected > 0) {
		// The report above lists each; the exit status tells scripts.
		err = fmt.Errorf("%d tasks failed and %d files were rejected", rep.Failed, rep.Rejected)
	}
	return err
}

// parseInterleaved parses args with fs, flags and other arguments in any
// order, and returns the other arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return rest, nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func runOps(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, op := range imaging.Catalogue() {
		fmt.Fprintf(tw, "%s\t%s\n", op.Name, op.Help)
		for _, f := range op.Fields {
			var notes []string
			if f.Required {
				notes = append(notes, "required")
			}
			if len(f.Enum) > 0 {
				notes = append(notes, "one of "+strings.Join(f.Enum, "|"))
			}
			if f.Min != nil || f.Max != nil {
				notes = append(notes, fmt.Sprintf("range %s..%s", num(f.Min), num(f.Max)))
			}
			if f.Default != nil {
				notes = append(notes, fmt.Sprintf("default %v", f.Default))
			}
			fmt.Fprintf(tw, "  %s=%s\t%s\t%s\n", f.Name, f.Type, f.Help, strings.Join(notes, ", "))
		}
	}
	return tw.Flush()
}

func num(p *float64) string {
	if p == nil {
		return ""
	}
	return fmt.Sprint(*p)
}
