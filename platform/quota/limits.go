// Package quota keeps each owner's use of pixmill against the owner's
// limits: bytes stored (originals, results and previews), uploads in the
// last hour, photos in one job, and jobs not yet ended. The gateway asks it
// before it stores or queues anything, so a request over a limit leaves
// nothing behind.
//
// # Accounting
//
// Use is kept in memory, per owner, by the process that serves the API,
// so checking a quota costs no storage round trip. It is counted from the
// bucket once (a listing of the owner's prefixes, records.OwnerPrefixes)
// the first time the owner is seen, then kept up to date as uploads are
// stored, results recorded ([Tracker.AddStored]) and previews made, and
// counted again by listing when it is older than Config.Recount, to
// correct what it could not see: results recorded by another process,
// objects removed by retention or erasure, a second gateway replica.
//
// Uploads reserve their bytes and their slot in the hour under the owner's
// lock before anything is written ([Tracker.ReserveUpload]), and release
// them if the write fails, so concurrent uploads never go over a limit;
// the worst a stale count does is refuse an upload that would have fitted
// until the next recount.
//
// # Errors
//
// A request over a quota gets an [*Exceeded], which names the quota, its
// limit and the current use, and says whether waiting helps (429 with
// Retry-After) or the request is too large to ever fit (413). It unwraps
// to a fault.LimitExceeded error with the same message.
package quota

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// Name names a quota in errors, in GET /v1/me and in the overrides file.
type Name string

// The quotas.
const (
	StoredBytes    Name = "stored_bytes"
	UploadsPerHour Name = "uploads_per_hour"
	PhotosPerJob   Name = "photos_per_job"
	ConcurrentJobs Name = "concurrent_jobs"
)

// Names lists the quotas in the order documentation shows them.
func Names() []Name { return []Name{StoredBytes, UploadsPerHour, PhotosPerJob, ConcurrentJobs} }

// Limits are one owner's quotas. Zero means no limit.
type Limits struct {
	// StoredBytes bounds the bytes of originals, results and previews.
	StoredBytes int64 `json:"stored_bytes"`
	// UploadsPerHour bounds the pictures accepted in any hour.
	UploadsPerHour int64 `json:"uploads_per_hour"`
	// PhotosPerJob bounds the pictures of one job.
	PhotosPerJob int64 `json:"photos_per_job"`
	// ConcurrentJobs bounds the jobs submitted and not yet ended.
	ConcurrentJobs int64 `json:"concurrent_jobs"`
}

// field returns a pointer to the limit called n.
func (l *Limits) field(n Name) *int64 {
	switch n {
	case StoredBytes:
		return &l.StoredBytes
	case UploadsPerHour:
		return &l.UploadsPerHour
	case PhotosPerJob:
		return &l.PhotosPerJob
	case ConcurrentJobs:
		return &l.ConcurrentJobs
	}
	return nil
}

// Config is the quota configuration of a gateway.
type Config struct {
	// Defaults are every owner's limits, unless Owners says otherwise.
	Defaults Limits
	// Owners overrides limits per owner id: each map holds the quotas it
	// changes, by name (0: no limit); the others keep the defaults.
	Owners map[string]map[Name]int64
	// Recount is how old an owner's count may grow before the next check
	// counts again by listing the owner's prefixes (default 5m).
	Recount time.Duration
}

// DefaultRecount is the default Config.Recount.
const DefaultRecount = 5 * time.Minute

// Validate names the first bad setting of each kind, with its value.
func (c *Config) Validate() error {
	var errs []error
	for _, n := range Names() {
		if v := *c.Defaults.field(n); v < 0 {
			errs = append(errs, fmt.Errorf("quota: %s must be 0 (no limit) or more, got %d", n, v))
		}
	}
	owners := make([]string, 0, len(c.Owners))
	for o := range c.Owners {
		owners = append(owners, o)
	}
	slices.Sort(owners)
	for _, o := range owners {
		for n, v := range c.Owners[o] {
			if (&Limits{}).field(n) == nil {
				errs = append(errs, fmt.Errorf("quota: owner %q: unknown quota %q (known: %s)", o, n, joinNames()))
			} else if v < 0 {
				errs = append(errs, fmt.Errorf("quota: owner %q: %s must be 0 (no limit) or more, got %d", o, n, v))
			}
		}
	}
	if c.Recount < 0 {
		errs = append(errs, fmt.Errorf("quota: recount must be positive, got %s", c.Recount))
	}
	return errors.Join(errs...)
}

// For returns owner's limits: the defaults with the owner's overrides.
func (c *Config) For(owner string) Limits {
	l := c.Defaults
	for n, v := range c.Owners[owner] {
		if p := l.field(n); p != nil {
			*p = v
		}
	}
	return l
}

func joinNames() string {
	s := make([]string, 0, 4)
	for _, n := range Names() {
		s = append(s, string(n))
	}
	return strings.Join(s, ", ")
}

// overridesFile is the format of the file of per-owner overrides:
//
//	{"owners": {"<owner id>": {"stored_bytes": 10737418240, "concurrent_jobs": 2}}}
type overridesFile struct {
	Owners map[string]map[Name]int64 `json:"owners"`
}

// ReadOverrides reads a file of per-owner overrides; unknown fields and
// quota names are errors that name them.
func ReadOverrides(path string) (map[string]map[Name]int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("quota-file: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	var f overridesFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("quota-file %s: not a valid overrides file ({\"owners\": {\"<owner id>\": {\"stored_bytes\": …}}}): %w", path, err)
	}
	c := Config{Owners: f.Owners}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("quota-file %s: %w", path, err)
	}
	return f.Owners, nil
}
