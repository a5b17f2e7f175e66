package gateway

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"gocloud.dev/blob/memblob"
	"gocloud.dev/pubsub/mempubsub"

	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/platform/auth/authtest"
)

// clientFrom is an HTTP client whose connections come from the loopback
// address ip, so that the gateway sees different client addresses.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// TestRateLimits sends requests on a fake clock: the headers count down,
// the request past the burst gets 429 with Retry-After, each owner and
// each address without an owner has its own bucket, and the bucket refills
// as the clock moves.
func TestRateLimits(t *testing.T) {
	clock := authtest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	topic := mempubsub.NewTopic()
	bucket := memblob.OpenBucket(nil)
	t.Cleanup(func() { _ = topic.Shutdown(context.Background()); _ = bucket.Close() })
	e := serve(t, Config{RateLimits: RateLimits{OwnerRate: 0.5, OwnerBurst: 3, AddressRate: 1, AddressBurst: 2}}, Deps{
		Bucket: bucket, Requests: topic, Now: clock.Now,
		Owners: func(r *http.Request) (string, error) {
			switch o := r.Header.Get("X-Owner"); o {
			case "":
				return "", fault.New(fault.InvalidArgument, "no credential")
			default:
				return o, nil
			}
		},
	})
	type step struct {
		name    string
		from    string // client address
		owner   string // "" sends no credential
		path    string
		advance time.Duration
		status  int
		policy  string
		state   string
		retry   string
	}
	steps := []step{
		{name: "ann 1", from: "127.0.0.1", owner: "ann", path: "/v1/me", status: 200, policy: `"owner";q=3;w=6`, state: `"owner";r=2;t=2`},
		{name: "ann 2", from: "127.0.0.1", owner: "ann", path: "/v1/me", status: 200, policy: `"owner";q=3;w=6`, state: `"owner";r=1;t=4`},
		{name: "ann 3", from: "127.0.0.1", owner: "ann", path: "/v1/me", status: 200, policy: `"owner";q=3;w=6`, state: `"owner";r=0;t=6`},
		{name: "ann over", from: "127.0.0.1", owner: "ann", path: "/v1/me", status: 429, policy: `"owner";q=3;w=6`, state: `"owner";r=0;t=6`, retry: "2"},
		{name: "ben from the same address", from: "127.0.0.1", owner: "ben", path: "/v1/me", status: 200, policy: `"owner";q=3;w=6`, state: `"owner";r=2;t=2`},
		{name: "anonymous 1", from: "127.0.0.2", path: "/v1/ops", status: 200, policy: `"address";q=2;w=2`, state: `"address";r=1;t=1`},
		{name: "anonymous, failed sign-in", from: "127.0.0.2", path: "/v1/me", status: 400, policy: `"address";q=2;w=2`, state: `"address";r=0;t=2`},
		{name: "anonymous over", from: "127.0.0.2", path: "/", status: 429, policy: `"address";q=2;w=2`, state: `"address";r=0;t=2`, retry: "1"},
		{name: "another address", from: "127.0.0.3", path: "/v1/ops", status: 200, policy: `"address";q=2;w=2`, state: `"address";r=1;t=1`},
		{name: "ann 2s later", from: "127.0.0.1", owner: "ann", path: "/v1/me", advance: 2 * time.Second, status: 200, policy: `"owner";q=3;w=6`, state: `"owner";r=0;t=6`},
		// 3 s after it ran dry, the address's bucket is full again.
		{name: "anonymous 3s later", from: "127.0.0.2", path: "/v1/ops", advance: time.Second, status: 200, policy: `"address";q=2;w=2`, state: `"address";r=1;t=1`},
		{name: "health checks are never limited", from: "127.0.0.2", path: "/healthz", status: 200},
	}
	for _, s := range steps {
		clock.Advance(s.advance)
		req, _ := http.NewRequest("GET", e.srv.URL+s.path, nil)
		if s.owner != "" {
			req.Header.Set("X-Owner", s.owner)
		}
		resp, err := clientFrom(s.from).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		h := resp.Header
		if resp.StatusCode != s.status || h.Get("RateLimit-Policy") != s.policy || h.Get("RateLimit") != s.state || h.Get("Retry-After") != s.retry {
			t.Errorf("%s: %d, RateLimit-Policy %s, RateLimit %s, Retry-After %q; want %d, %s, %s, %q", s.name,
				resp.StatusCode, h.Get("RateLimit-Policy"), h.Get("RateLimit"), h.Get("Retry-After"), s.status, s.policy, s.state, s.retry)
		}
	}
}

func TestRateLimitsConfig(t *testing.T) {
	tests := []struct {
		limits RateLimits
		want   string
	}{
		{RateLimits{OwnerRate: -1, OwnerBurst: 1}, "gateway: owner rate must be 0 (no limit) or more requests per second, got -1"},
		{RateLimits{OwnerRate: 1}, "gateway: owner burst must be at least 1 with a rate of 1, got 0"},
		{RateLimits{AddressRate: 2, AddressBurst: -3}, "gateway: address burst must be at least 1 with a rate of 2, got -3"},
	}
	for _, tt := range tests {
		_, err := New(Config{RateLimits: tt.limits}, Deps{Bucket: memblob.OpenBucket(nil), Requests: mempubsub.NewTopic()})
		if err == nil || err.Error() != tt.want {
			t.Errorf("%+v: got %v, want %q", tt.limits, err, tt.want)
		}
	}
}
