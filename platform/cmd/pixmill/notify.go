package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/pixmill/pixmill/platform/client"
)

// runNotifySecret prints the key the caller's job notifications are signed
// with, alone on a line, for a receiver's configuration; --rotate makes a
// new one first.
func runNotifySecret(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("pixmill notify-secret", flag.ContinueOnError)
	server, token := serverFlag(fs), tokenFlag(fs)
	rotate := fs.Bool("rotate", false, "replace the secret with a new one: notifications sent from then on are signed with it")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: pixmill notify-secret [--rotate]\n\nPrints the key your job notifications (submit --notify URL) are signed with:\nthe receiver checks the Pixmill-Signature header with it (docs/api.md,\n\"Notifications\"). It is made on first use.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	s, err := client.New(*server, nil, client.WithToken(token())).NotifySecret(ctx, *rotate)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, s.Secret)
	return err
}
