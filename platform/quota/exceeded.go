package quota

import (
	"fmt"
	"time"

	"github.com/pixmill/pixmill/events/fault"
)

// Exceeded is a request over one of the owner's quotas.
type Exceeded struct {
	Quota Name
	// Limit is the owner's limit, Used what is used now, and Requested
	// what the request asked for on top (bytes, uploads, photos or jobs).
	Limit, Used, Requested int64
	// RetryAfter is how long until the request may fit; 0 when waiting
	// does not help (stored bytes, photos per job): the request is too
	// large.
	RetryAfter time.Duration
}

// TooLarge reports whether the request can never fit as it is: a batch or
// a job larger than what is left, answered 413 rather than 429.
func (e *Exceeded) TooLarge() bool { return e.RetryAfter == 0 }

// Error is the public message.
func (e *Exceeded) Error() string {
	switch e.Quota {
	case StoredBytes:
		return fmt.Sprintf("quota %s exceeded: %d bytes stored of %d, and this upload needs %d more; delete pictures or ask for a larger quota", e.Quota, e.Used, e.Limit, e.Requested)
	case UploadsPerHour:
		return fmt.Sprintf("quota %s exceeded: %d uploads in the last hour of %d; retry in %s", e.Quota, e.Used, e.Limit, retryText(e.RetryAfter))
	case PhotosPerJob:
		return fmt.Sprintf("quota %s exceeded: the job has %d photos, over the limit of %d; split it", e.Quota, e.Requested, e.Limit)
	default:
		return fmt.Sprintf("quota %s exceeded: %d jobs not yet ended of %d; retry when one ends", e.Quota, e.Used, e.Limit)
	}
}

// Unwrap gives the fault kind: a limit, never retried as such.
func (e *Exceeded) Unwrap() error { return fault.New(fault.LimitExceeded, "%s", e.Error()) }

func retryText(d time.Duration) string {
	return (d + time.Second - 1).Truncate(time.Second).String()
}
