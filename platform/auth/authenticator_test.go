package auth_test

import (
	"cmp"
	"context"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pixmill/pixmill/platform/auth"
	"github.com/pixmill/pixmill/platform/auth/authtest"
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

	t.Run("trusted", func(t *testing.T) {
		runCases(t, trusted, []credentialCase{
			{"user", headers("X-Forwarded-User", "alice", "X-Forwarded-Email", "alice@example.com"), 200, alice, ""},
			{"email alone", headers("X-Forwarded-Email", "alice@example.com"), 200, auth.OwnerID(auth.DefaultProxyIssuer, "alice@example.com"), ""},
			{"basic credentials passed on", headers("X-Forwarded-User", "alice", "Authorization", "Basic YWxpY2U6"), 200, alice, ""},
			{"ID token passed on", headers("X-Forwarded-User", "alice", "Authorization", "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln"), 200, alice, ""},
			{"no user named", nil, 401, "", challengeMissing},
		})
	})
	t.Run("untrusted", func(t *testing.T) {
		runCases(t, untrusted, []credentialCase{
			{"user", headers("X-Forwarded-User", "alice"), 401, "", challengeMissing},
			{"claiming a trusted address in X-Forwarded-For", headers("X-Forwarded-User", "alice", "X-Forwarded-For", "10.1.2.3", "X-Real-Ip", "10.1.2.3"), 401, "", challengeMissing},
			{"API key", authtest.Bearer(key), 200, "o_script", ""},
		})
	})
	t.Run("configured", func(t *testing.T) {
		runCases(t, custom, []credentialCase{
			{"user header and issuer", headers("X-Auth-Request-User", "sub-1", "X-Forwarded-User", "mallory"), 200, auth.OwnerID("https://issuer.example", "sub-1"), ""},
		})
	})
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
		t.Run(cmp.Or(string(mode), "zero config"), func(t *testing.T) {
			runCases(t, serve(t, a), []credentialCase{
				{"no credential", nil, 200, auth.LocalOwner, ""},
				{"API key", authtest.Bearer(key), 200, "o_script", ""},
				{"unknown API key", authtest.Bearer(key[:len(key)-52] + strings.Repeat("a", 52)), 401, "", challengeInvalid},
				{"a token this mode cannot check", authtest.Bearer("eyJhbGciOiJSUzI1NiJ9.e30.c2ln"), 401, "", challengeInvalid},
			})
		})
	}
}
