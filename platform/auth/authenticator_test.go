package auth_test

import (
	"cmp"
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pixmill/pixmill/platform/auth"
)

// TestProxy: the proxy's headers count only on connections from a trusted
// network, as RemoteAddr tells it; the test server's peer is 127.0.0.1.
func TestProxy(t *testing.T) {
	ctx := context.Background()
	keys := auth.NewKeyStore(newBucket(t), nil)
	newProxy := func(cfg auth.Config) *auth.Authenticator {
		t.Helper()
		cfg.Mode = auth.ModeProxy
		a, err := auth.New(ctx, cfg, auth.Deps{Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	elsewhere := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	trusted := serve(t, newProxy(auth.Config{TrustedProxies: loopback}))
	untrusted := serve(t, newProxy(auth.Config{TrustedProxies: elsewhere}))
	custom := serve(t, newProxy(auth.Config{TrustedProxies: loopback, ProxyUserHeader: "X-Auth-Request-User", ProxyIssuer: "https://issuer.example"}))
	key, _, err := keys.Create(ctx, "o_script", 0)
	if err != nil {
		t.Fatal(err)
	}
	alice := auth.OwnerID(auth.DefaultProxyIssuer, "alice")
	headers := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}

	tests := []struct {
		name      string
		srv       int // 0 trusted, 1 untrusted, 2 custom headers
		header    http.Header
		status    int
		owner     string
		challenge string
	}{
		{"user from a trusted proxy", 0, headers("X-Forwarded-User", "alice", "X-Forwarded-Email", "alice@example.com"), 200, alice, ""},
		{"email alone from a trusted proxy", 0, headers("X-Forwarded-Email", "alice@example.com"), 200, auth.OwnerID(auth.DefaultProxyIssuer, "alice@example.com"), ""},
		{"trusted proxy passing basic credentials on", 0, headers("X-Forwarded-User", "alice", "Authorization", "Basic YWxpY2U6"), 200, alice, ""},
		{"trusted proxy passing its ID token on", 0, headers("X-Forwarded-User", "alice", "Authorization", "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln"), 200, alice, ""},
		{"trusted proxy naming no user", 0, nil, 401, "", challengeMissing},
		{"headers from an untrusted address", 1, headers("X-Forwarded-User", "alice"), 401, "", challengeMissing},
		{"untrusted address claiming a trusted one in X-Forwarded-For", 1, headers("X-Forwarded-User", "alice", "X-Forwarded-For", "10.1.2.3", "X-Real-Ip", "10.1.2.3"), 401, "", challengeMissing},
		{"API key from an untrusted address", 1, bearer(key), 200, "o_script", ""},
		{"configured user header and issuer", 2, headers("X-Auth-Request-User", "sub-1", "X-Forwarded-User", "mallory"), 200, auth.OwnerID("https://issuer.example", "sub-1"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := []*httptest.Server{trusted, untrusted, custom}[tt.srv]
			check(t, call(t, srv, "GET", "/v1/jobs", tt.header), tt.status, tt.owner, tt.challenge)
		})
	}
}

// TestLoopbackAndNone: one local owner, as before sign-in existed; API keys
// still name their own owner, and a credential that is not one is refused
// rather than ignored.
func TestLoopbackAndNone(t *testing.T) {
	ctx := context.Background()
	keys := auth.NewKeyStore(newBucket(t), nil)
	key, _, err := keys.Create(ctx, "o_script", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []auth.Mode{auth.ModeLoopback, auth.ModeNone, ""} {
		a, err := auth.New(ctx, auth.Config{Mode: mode}, auth.Deps{Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		srv := serve(t, a)
		tests := []struct {
			name      string
			header    http.Header
			status    int
			owner     string
			challenge string
		}{
			{"no credential", nil, 200, auth.LocalOwner, ""},
			{"API key", bearer(key), 200, "o_script", ""},
			{"unknown API key", bearer(key[:len(key)-52] + strings.Repeat("a", 52)), 401, "", challengeInvalid},
			{"a token this mode cannot check", bearer("eyJhbGciOiJSUzI1NiJ9.e30.c2ln"), 401, "", challengeInvalid},
		}
		for _, tt := range tests {
			t.Run(cmp.Or(string(mode), "zero config")+"/"+tt.name, func(t *testing.T) {
				check(t, call(t, srv, "GET", "/v1/jobs", tt.header), tt.status, tt.owner, tt.challenge)
			})
		}
	}
}
