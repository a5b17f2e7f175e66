package client

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Defaults for SubmitOptions fields left at zero.
const (
	DefaultParallel        = 4
	DefaultFilesPerRequest = 8
	DefaultPollInterval    = 500 * time.Millisecond
)

// SubmitOptions configures Submit. Zero numbers take the defaults above.
type SubmitOptions struct {
	// Server is the base URL of the pixmill gateway.
	Server string
	// HTTPClient is used for every request; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Token, if set, is sent as "Authorization: Bearer" (see WithToken).
	Token string
	// Paths are the local pictures to upload.
	Paths []string
	// Ops are the edits, each a JSON object such as
	// {"op":"thumbnail","width":256,"height":256}.
	Ops []json.RawMessage
	// Preset names a saved or built-in recipe instead of Ops (GET
	// /v1/presets lists them).
	Preset string
	// Format and Quality of the outputs; see JobRequest.
	Format  string
	Quality int
	// KeepMetadata keeps the originals' EXIF, XMP and IPTC (the camera, the
	// time, the GPS position) in the results; by default they are removed.
	KeepMetadata bool
	// Notify, if set, is a URL the gateway POSTs a job.finished
	// CloudEvent to when the job ends (docs/api.md, "Notifications").
	Notify string
	// Parallel bounds the concurrent uploads, and later the concurrent
	// downloads.
	Parallel int
	// FilesPerRequest is how many files each upload request carries.
	FilesPerRequest int
	// Wait polls the job until it is final, every PollInterval.
	Wait         bool
	PollInterval time.Duration
	// Out, when set, is the folder the edited pictures are written to;
	// it is created if needed. It needs Wait.
	Out string
	// Progress receives progress and per-file messages, typically
	// os.Stderr; nil keeps Submit quiet.
	Progress io.Writer
}

// withDefaults fills the zero numbers.
func (o SubmitOptions) withDefaults() SubmitOptions {
	o.Parallel = cmp.Or(o.Parallel, DefaultParallel)
	o.FilesPerRequest = cmp.Or(o.FilesPerRequest, DefaultFilesPerRequest)
	o.PollInterval = cmp.Or(o.PollInterval, DefaultPollInterval)
	return o
}

// validate reports every invalid setting at once, each with its value, so
// a user fixes a command line in one go. Settings are named in lower case,
// as the pixmill command's flags name them.
func (o SubmitOptions) validate() error {
	var errs []error
	if u, err := url.Parse(o.Server); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("server %q: want an http or https URL such as http://127.0.0.1:8080", o.Server))
	}
	if len(o.Paths) == 0 {
		errs = append(errs, errors.New("paths: no files given"))
	}
	if o.Preset != "" && len(o.Ops) > 0 {
		errs = append(errs, fmt.Errorf("preset %q: give a preset or ops, not both", o.Preset))
	}
	for i, op := range o.Ops {
		if !json.Valid(op) {
			errs = append(errs, fmt.Errorf("ops[%d] %q: not valid JSON", i, op))
		}
	}
	if o.Quality < 0 || o.Quality > 100 {
		errs = append(errs, fmt.Errorf("quality %d: want 0 (server's choice) to 100", o.Quality))
	}
	if o.Parallel < 1 {
		errs = append(errs, fmt.Errorf("parallel %d: want at least 1", o.Parallel))
	}
	if o.FilesPerRequest < 1 {
		errs = append(errs, fmt.Errorf("files per request %d: want at least 1", o.FilesPerRequest))
	}
	if o.PollInterval < 0 {
		errs = append(errs, fmt.Errorf("poll interval %s: want a positive duration", o.PollInterval))
	}
	if o.Out != "" && !o.Wait {
		errs = append(errs, fmt.Errorf("out %q needs wait: outputs exist only once the job has run", o.Out))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("client: submit options: %w", err)
	}
	return nil
}

// metadata is the job request's metadata field for these options.
func (o SubmitOptions) metadata() string {
	if o.KeepMetadata {
		return "keep"
	}
	return ""
}
