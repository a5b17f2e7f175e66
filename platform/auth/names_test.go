package auth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/pixmill/pixmill/platform/auth"
	"github.com/pixmill/pixmill/platform/auth/authtest"
)

// TestIdentityNames: each mode says how it identified the caller, and
// gives the name the proxy or the token carries, for the web app to show;
// an API key and the single local owner carry none.
func TestIdentityNames(t *testing.T) {
	ctx := context.Background()
	m := authtest.Provider(t)
	c := authtest.NewClock(time.Now())
	oidcAuth, keys := newOIDC(t, m, c)
	proxyAuth, err := auth.New(ctx, auth.Config{Mode: auth.ModeProxy, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}, auth.Deps{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	loopAuth, err := auth.New(ctx, auth.Config{Mode: auth.ModeLoopback}, auth.Deps{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := keys.Create(ctx, "o_script", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := m.Keypair.KeyID()
	now := c.Now()
	token := func(f func(*authtest.Claims)) http.Header {
		cl := authtest.Claims{Issuer: m.Issuer(), Subject: "alice-sub", Audience: []string{m.ClientID}, IssuedAt: now.Unix(), Expiry: now.Add(time.Hour).Unix()}
		f(&cl)
		return authtest.Bearer(authtest.Sign(t, jose.RS256, m.Keypair.PrivateKey, kid, cl))
	}
	aliceOIDC := auth.OwnerID(m.Issuer(), "alice-sub")
	aliceProxy := auth.OwnerID(auth.DefaultProxyIssuer, "alice-sub")
	proxy := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}

	tests := []struct {
		name   string
		a      *auth.Authenticator
		header http.Header
		want   auth.Identity
	}{
		{"token with email and name", oidcAuth, token(func(c *authtest.Claims) { c.Email, c.Name = "alice@example.com", "Alice A." }), auth.Identity{Owner: aliceOIDC, Via: "oidc", Name: "alice@example.com"}},
		{"token with a name only", oidcAuth, token(func(c *authtest.Claims) { c.Name = "Alice A." }), auth.Identity{Owner: aliceOIDC, Via: "oidc", Name: "Alice A."}},
		{"token with a preferred user name only", oidcAuth, token(func(c *authtest.Claims) { c.PreferredUsername = "alice" }), auth.Identity{Owner: aliceOIDC, Via: "oidc", Name: "alice"}},
		{"token whose user name is no string", oidcAuth, token(func(c *authtest.Claims) { c.PreferredUsername = 42 }), auth.Identity{Owner: aliceOIDC, Via: "oidc"}},
		{"token without a name", oidcAuth, token(func(*authtest.Claims) {}), auth.Identity{Owner: aliceOIDC, Via: "oidc"}},
		{"proxy: email first", proxyAuth, proxy("X-Forwarded-User", "alice-sub", "X-Forwarded-Email", "alice@example.com", "X-Forwarded-Preferred-Username", "alice"), auth.Identity{Owner: aliceProxy, Via: "proxy", Name: "alice@example.com"}},
		{"proxy: preferred user name", proxyAuth, proxy("X-Forwarded-User", "alice-sub", "X-Forwarded-Preferred-Username", "alice"), auth.Identity{Owner: aliceProxy, Via: "proxy", Name: "alice"}},
		{"proxy: user alone", proxyAuth, proxy("X-Forwarded-User", "alice-sub"), auth.Identity{Owner: aliceProxy, Via: "proxy", Name: "alice-sub"}},
		{"API key", proxyAuth, authtest.Bearer(key), auth.Identity{Owner: "o_script", Via: "key"}},
		{"loopback", loopAuth, nil, auth.Identity{Owner: auth.LocalOwner, Via: "loopback"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := identify(t, tt.a, tt.header)
			got.KeyID = ""
			if got != tt.want {
				t.Errorf("identity %+v, want %+v", got, tt.want)
			}
		})
	}
}

// identify sends a request with header to a server that answers with the
// Identity a gives it, over a real socket, from 127.0.0.1.
func identify(t *testing.T, a *auth.Authenticator, header http.Header) auth.Identity {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := a.Authenticate(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(id)
	}))
	defer srv.Close()
	req, err := http.NewRequest("GET", srv.URL+"/v1/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var id auth.Identity
	if err := json.NewDecoder(resp.Body).Decode(&id); resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("%d, %v", resp.StatusCode, err)
	}
	return id
}
