package stack

import (
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/pixmill/pixmill/platform/quota"
)

// Default quotas and rate limits of `pixmill up`: generous enough that one
// person's library and the benchmarks never meet them, low enough that one
// owner cannot take a shared gateway for itself. docs/configuration.md
// explains each.
const (
	DefaultQuotaStoredBytes    = 0 // no limit: the disk is the limit
	DefaultQuotaUploadsPerHour = 100_000
	DefaultQuotaPhotosPerJob   = 10_000
	DefaultQuotaConcurrentJobs = 1_000
	DefaultOwnerRate           = 50.0
	DefaultOwnerBurst          = 3_000
	DefaultAddressRate         = 20.0
	DefaultAddressBurst        = 600
)

// bindQuotaFlags registers the flags of the owners' quotas and the rate
// limits.
func (c *Config) bindQuotaFlags(fs *flag.FlagSet) {
	q := &c.Limits.Quotas
	q.Defaults = quota.Limits{StoredBytes: DefaultQuotaStoredBytes, UploadsPerHour: DefaultQuotaUploadsPerHour, PhotosPerJob: DefaultQuotaPhotosPerJob, ConcurrentJobs: DefaultQuotaConcurrentJobs}
	quotaFlag := func(name string, dst *int64, usage string) {
		fs.Func(name, fmt.Sprintf("%s, per owner; 0 is no limit (default %d)", usage, *dst), func(s string) error {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 0 {
				return fmt.Errorf("%s: %q is not a whole number of at least 0", name, s)
			}
			*dst = n
			return nil
		})
	}
	quotaFlag("quota-stored-bytes", &q.Defaults.StoredBytes, "bytes of originals, results and previews an owner may keep")
	quotaFlag("quota-uploads-per-hour", &q.Defaults.UploadsPerHour, "pictures an owner may upload in any hour")
	quotaFlag("quota-photos-per-job", &q.Defaults.PhotosPerJob, "pictures in one job")
	quotaFlag("quota-concurrent-jobs", &q.Defaults.ConcurrentJobs, "jobs an owner may have submitted and not yet ended")
	fs.Func("quota-file", `JSON file of per-owner quotas that differ from the defaults: {"owners": {"<owner id>": {"stored_bytes": 10737418240}}}`, func(path string) error {
		owners, err := quota.ReadOverrides(path)
		if err != nil {
			return err
		}
		q.Owners = owners
		return nil
	})
	q.Recount = quota.DefaultRecount
	fs.Func("quota-recount", "how old an owner's count of stored bytes may grow before it is counted again by listing (default 5m)", durationFlag(&q.Recount, "quota-recount", time.Second))
	rl := &c.Limits.RateLimits
	rl.OwnerRate, rl.OwnerBurst = DefaultOwnerRate, DefaultOwnerBurst
	rl.AddressRate, rl.AddressBurst = DefaultAddressRate, DefaultAddressBurst
	fs.Float64Var(&rl.OwnerRate, "rate-limit", DefaultOwnerRate, "requests per second each owner may send on average; 0 is no limit")
	fs.IntVar(&rl.OwnerBurst, "rate-burst", DefaultOwnerBurst, "requests each owner may send at once, above --rate-limit")
	fs.Float64Var(&rl.AddressRate, "address-rate-limit", DefaultAddressRate, "requests per second each client address may send without naming an owner (web app files, failed sign-ins); 0 is no limit")
	fs.IntVar(&rl.AddressBurst, "address-rate-burst", DefaultAddressBurst, "requests each client address may send at once without naming an owner")
}
