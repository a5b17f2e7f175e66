// Package authtest gives tests of sign-in real credentials and real
// forgeries: an OpenID provider (mockoidc) on a socket in the test's
// process, the authorization-code sign-in a web app runs against it, and
// tokens signed, or not signed, as a provider never would. It also holds the
// clock those tests move by hand.
package authtest

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/oauth2-proxy/mockoidc"
)

// Clock is a test's time: it moves only when the test says.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now is the clock's time; pass c.Now where a clock is wanted.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// Provider starts a real OpenID provider in the test's process, on a
// loopback socket, and stops it when the test ends.
func Provider(tb testing.TB) *mockoidc.MockOIDC {
	tb.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		tb.Fatal(err)
	}
	// The key id is computed once, before the server's goroutine can.
	if _, err := m.Keypair.KeyID(); err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = m.Shutdown() })
	return m
}

// SignIn runs the authorization-code flow for user, as a web app would,
// and returns the ID and access tokens the provider issues.
func SignIn(tb testing.TB, m *mockoidc.MockOIDC, user *mockoidc.MockUser) (idToken, accessToken string) {
	tb.Helper()
	m.QueueUser(user)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	q := url.Values{"client_id": {m.ClientID}, "response_type": {"code"}, "scope": {"openid email"},
		"state": {"s"}, "nonce": {"n"}, "redirect_uri": {"http://127.0.0.1/callback"}}
	resp, err := noRedirect.Get(m.AuthorizationEndpoint() + "?" + q.Encode())
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		tb.Fatalf("authorize answered %s, Location %q", resp.Status, resp.Header.Get("Location"))
	}
	resp, err = http.PostForm(m.TokenEndpoint(), url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"client_id": {m.ClientID}, "client_secret": {m.ClientSecret}, "redirect_uri": {"http://127.0.0.1/callback"}})
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var tokens struct {
		IDToken     string `json:"id_token"`
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tokens); err != nil || tokens.IDToken == "" {
		tb.Fatalf("token endpoint answered %s: %v", resp.Status, err)
	}
	return tokens.IDToken, tokens.AccessToken
}

// Sign makes a JWT of claims with key, named kid, in alg: the forgeries
// and the edge cases a provider would not issue.
func Sign(tb testing.TB, alg jose.SignatureAlgorithm, key any, kid string, claims any) string {
	tb.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader(jose.HeaderKey("kid"), kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// Unsigned is a JWT with "alg": "none": claims anyone can write.
func Unsigned(tb testing.TB, claims any) string {
	tb.Helper()
	b, err := json.Marshal(claims)
	if err != nil {
		tb.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(b) + "."
}

// Claims are the claims of a token, as Sign and Unsigned write them.
type Claims struct {
	Issuer    string   `json:"iss,omitempty"`
	Subject   string   `json:"sub,omitempty"`
	Audience  []string `json:"aud,omitempty"`
	Expiry    int64    `json:"exp,omitempty"`
	NotBefore int64    `json:"nbf,omitempty"`
	IssuedAt  int64    `json:"iat,omitempty"`
	Email     string   `json:"email,omitempty"`
	Name      string   `json:"name,omitempty"`
	// PreferredUsername is preferred_username: a number here, unlike the
	// string the OpenID spec asks for, tells whether a claim of the wrong
	// type is skipped.
	PreferredUsername any `json:"preferred_username,omitempty"`
}

// Bearer is the header of a request that sends token.
func Bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}
