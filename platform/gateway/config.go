package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/pixmill/pixmill/events/imagetype"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/quota"
)

// Config holds the gateway's limits. Zero values take the defaults.
type Config struct {
	// MaxFileBytes is the largest accepted upload, per file (default 64 MiB).
	MaxFileBytes int64
	// MaxRequestBytes bounds one upload request's body (default 1 GiB).
	MaxRequestBytes int64
	// MaxPixels is the largest accepted width×height, read from the file's
	// header before any pixel is decoded (default 50 megapixels), so a small
	// file that unpacks to gigabytes is turned away.
	MaxPixels int64
	// MaxFrames bounds the frames of an animation or pages of a document
	// (default 100): each is a picture to decode.
	MaxFrames int
	// MaxTasksPerJob bounds the images in one job (default 10,000: a
	// person's library of photos).
	MaxTasksPerJob int
	// Formats are the accepted upload formats (default: every format the
	// table in package imagetype reads).
	Formats []string
	// EnqueueTimeout bounds publishing a job's requests (default 1m). A
	// broker that cannot be reached is retried until then; the tasks not
	// queued by then are failed with "could not be queued" and the job's
	// request is answered 503, instead of waiting for good.
	EnqueueTimeout time.Duration
	// ProgressResync is how often a job's progress feed lists all of the
	// job's records although a Changes tells it what changed (default
	// 5s): the records written by other processes show within that time.
	ProgressResync time.Duration
	// PreviewCPU is the share of the machine's CPUs the gateway may spend
	// making previews (default 0.08: previews slow the batch workers on the
	// same machine by at most that much). A gateway with a machine of its
	// own, as on Knative or Cloud Run, can take 1.
	PreviewCPU float64
	// Quotas are the owners' quotas (package quota); zero limits are none.
	Quotas quota.Config
	// RateLimits bound how fast requests come; zero rates are no limit.
	RateLimits RateLimits
	// NotifyAllowPrivate accepts jobs' notification URLs that name
	// loopback, private or link-local addresses (package notify,
	// "Destinations"); they are refused by default.
	NotifyAllowPrivate bool
}

// Defaults.
const (
	DefaultMaxFileBytes    = 64 << 20
	DefaultMaxRequestBytes = 1 << 30
	DefaultMaxPixels       = 50_000_000
	DefaultMaxTasksPerJob  = 10_000
	DefaultMaxFrames       = 100
	DefaultEnqueueTimeout  = time.Minute
	DefaultProgressResync  = 5 * time.Second
	DefaultPreviewCPU      = 0.08
)

// DefaultFormats are the upload formats accepted unless configured.
var DefaultFormats = imagetype.Readable()

func (c *Config) setDefaults() error {
	var errs []error
	def := func(v *int64, d int64, name string) {
		switch {
		case *v == 0:
			*v = d
		case *v < 0:
			errs = append(errs, fmt.Errorf("gateway: %s must be positive, got %d", name, *v))
		}
	}
	def(&c.MaxFileBytes, DefaultMaxFileBytes, "max file bytes")
	def(&c.MaxRequestBytes, DefaultMaxRequestBytes, "max request bytes")
	def(&c.MaxPixels, DefaultMaxPixels, "max pixels")
	if c.MaxFrames == 0 {
		c.MaxFrames = DefaultMaxFrames
	}
	if c.MaxFrames < 0 {
		errs = append(errs, fmt.Errorf("gateway: max frames must be positive, got %d", c.MaxFrames))
	}
	if c.MaxTasksPerJob == 0 {
		c.MaxTasksPerJob = DefaultMaxTasksPerJob
	}
	if c.MaxTasksPerJob < 0 {
		errs = append(errs, fmt.Errorf("gateway: max tasks per job must be positive, got %d", c.MaxTasksPerJob))
	}
	if len(c.Formats) == 0 {
		c.Formats = DefaultFormats
	}
	switch {
	case c.EnqueueTimeout == 0:
		c.EnqueueTimeout = DefaultEnqueueTimeout
	case c.EnqueueTimeout < 0:
		errs = append(errs, fmt.Errorf("gateway: enqueue timeout must be positive, got %s", c.EnqueueTimeout))
	}
	switch {
	case c.ProgressResync == 0:
		c.ProgressResync = DefaultProgressResync
	case c.ProgressResync < 0:
		errs = append(errs, fmt.Errorf("gateway: progress resync must be positive, got %s", c.ProgressResync))
	}
	switch {
	case c.PreviewCPU == 0:
		c.PreviewCPU = DefaultPreviewCPU
	case c.PreviewCPU < 0 || c.PreviewCPU > 1:
		errs = append(errs, fmt.Errorf("gateway: preview CPU must be a share between 0 and 1, got %g", c.PreviewCPU))
	}
	errs = append(errs, c.RateLimits.validate())
	return errors.Join(errs...)
}

// Owners tells who sends a request: auth.Authenticator.Owner, which
// `pixmill up` sets from its --auth flags. The default has one owner. An
// error that auth.WriteUnauthorized recognizes answers 401 with
// WWW-Authenticate; any other is answered by its fault kind.
type Owners func(r *http.Request) (string, error)

// LocalOwner is the single owner of an open, loopback-only gateway.
const LocalOwner = records.LocalOwner

// Clock gives the time of day.
type Clock func() time.Time
