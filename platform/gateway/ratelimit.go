package gateway

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"

	"golang.org/x/time/rate"

	"github.com/pixmill/pixmill/platform/api"
)

// RateLimits are the token buckets that bound how fast requests come: one
// per owner, and one per client address for requests that name no owner
// (the web app's files, the op catalogue, and requests whose credential
// is missing or wrong). Rate is the requests per second a bucket refills,
// Burst how many it holds; a zero Rate is no limit. Health checks and
// metrics are never limited.
type RateLimits struct {
	OwnerRate    float64
	OwnerBurst   int
	AddressRate  float64
	AddressBurst int
}

func (l *RateLimits) validate() error {
	check := func(name string, r float64, b int) error {
		switch {
		case r < 0 || math.IsNaN(r) || math.IsInf(r, 0):
			return fmt.Errorf("gateway: %s rate must be 0 (no limit) or more requests per second, got %v", name, r)
		case r > 0 && b < 1:
			return fmt.Errorf("gateway: %s burst must be at least 1 with a rate of %v, got %d", name, r, b)
		}
		return nil
	}
	if err := check("owner", l.OwnerRate, l.OwnerBurst); err != nil {
		return err
	}
	return check("address", l.AddressRate, l.AddressBurst)
}

// limiters are the token buckets of one policy, by key. A bucket that has
// refilled is the same as a new one, so full ones are dropped once there
// are many, which bounds the memory a flood of addresses can take.
type limiters struct {
	policy string
	every  rate.Limit
	burst  int
	now    Clock

	mu sync.Mutex
	m  map[string]*rate.Limiter
}

// maxLimiters is how many buckets a policy keeps before dropping full ones.
const maxLimiters = 10_000

func newLimiters(policy string, r float64, burst int, now Clock) *limiters {
	if r == 0 {
		return nil
	}
	return &limiters{policy: policy, every: rate.Limit(r), burst: burst, now: now, m: map[string]*rate.Limiter{}}
}

// allow takes a token from key's bucket and sets the RateLimit-Policy and
// RateLimit headers (draft-ietf-httpapi-ratelimit-headers-10): the policy
// is the bucket (q requests, refilled in w seconds), the state what is
// left (r) and the seconds until the bucket is full again (t). Without a
// token it answers 429 with Retry-After, the seconds until one is back,
// and returns false.
func (l *limiters) allow(w http.ResponseWriter, key string) bool {
	if l == nil {
		return true
	}
	now := l.now()
	l.mu.Lock()
	lim := l.m[key]
	if lim == nil {
		if len(l.m) >= maxLimiters {
			for k, v := range l.m {
				if v.TokensAt(now) >= float64(l.burst) {
					delete(l.m, k)
				}
			}
		}
		lim = rate.NewLimiter(l.every, l.burst)
		l.m[key] = lim
	}
	ok := lim.AllowN(now, 1)
	tokens := lim.TokensAt(now)
	l.mu.Unlock()

	h := w.Header()
	window := seconds(float64(l.burst) / float64(l.every))
	h.Set("RateLimit-Policy", fmt.Sprintf("%q;q=%d;w=%d", l.policy, l.burst, window))
	h.Set("RateLimit", fmt.Sprintf("%q;r=%d;t=%d", l.policy, max(int(math.Floor(tokens)), 0), seconds((float64(l.burst)-tokens)/float64(l.every))))
	if ok {
		return true
	}
	retry := max(seconds((1-tokens)/float64(l.every)), 1)
	h.Set("Retry-After", strconv.Itoa(retry))
	writeJSON(w, http.StatusTooManyRequests, api.Error{Error: fmt.Sprintf("too many requests: the %s limit is %d at once, refilled at %v a second; retry in %ds", l.policy, l.burst, float64(l.every), retry)})
	return false
}

// seconds rounds a time in seconds up to a whole number.
func seconds(s float64) int { return int(math.Ceil(max(s, 0) - 1e-9)) }

// clientAddress is the key of a request without an owner: the address the
// connection comes from, without its port.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limitAddress wraps a route that names no owner in the address buckets.
func (g *Gateway) limitAddress(h http.Handler) http.Handler {
	if g.byAddress == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.byAddress.allow(w, clientAddress(r)) {
			h.ServeHTTP(w, r)
		}
	})
}
