package gateway

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/quota"
)

// usage is owner's use of its quotas and its limits, as GET /v1/me shows
// them.
func (g *Gateway) usage(ctx context.Context, owner string) (api.Usage, api.Limits, error) {
	u, l, err := g.quotas.Usage(ctx, owner)
	if err != nil {
		return api.Usage{}, api.Limits{}, err
	}
	return api.Usage{StoredBytes: u.StoredBytes, UploadsLastHour: u.UploadsLastHour, ConcurrentJobs: u.ConcurrentJobs},
		api.Limits{StoredBytes: l.StoredBytes, UploadsPerHour: l.UploadsPerHour, PhotosPerJob: l.PhotosPerJob, ConcurrentJobs: l.ConcurrentJobs}, nil
}

// writeExceeded answers a request over a quota: 413 when it can never fit
// as it is, else 429 with the seconds until it may in Retry-After. The body
// names the quota, its limit and the use.
func writeExceeded(w http.ResponseWriter, e *quota.Exceeded) {
	status := http.StatusRequestEntityTooLarge
	if !e.TooLarge() {
		status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	writeJSON(w, status, api.Error{Error: e.Error(), Quota: &api.QuotaExceeded{Name: string(e.Quota), Limit: e.Limit, Used: e.Used, Requested: e.Requested}})
}
