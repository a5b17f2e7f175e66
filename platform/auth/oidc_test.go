package auth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/pixmill/pixmill/platform/auth"
)

// provider is a real OpenID provider, in the test's process, on a socket.
func provider(t *testing.T) *mockoidc.MockOIDC {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	// The key id is computed once, before the server's goroutine can.
	if _, err := m.Keypair.KeyID(); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return m
}

// signIn runs the authorization-code flow for user, as a web app would,
// and returns the ID and access tokens the provider issues.
func signIn(t *testing.T, m *mockoidc.MockOIDC, user *mockoidc.MockUser) (idToken, accessToken string) {
	t.Helper()
	m.QueueUser(user)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	q := url.Values{"client_id": {m.ClientID}, "response_type": {"code"}, "scope": {"openid email"},
		"state": {"s"}, "nonce": {"n"}, "redirect_uri": {"http://127.0.0.1/callback"}}
	resp, err := noRedirect.Get(m.AuthorizationEndpoint() + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize answered %s, Location %q", resp.Status, resp.Header.Get("Location"))
	}
	resp, err = http.PostForm(m.TokenEndpoint(), url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"client_id": {m.ClientID}, "client_secret": {m.ClientSecret}, "redirect_uri": {"http://127.0.0.1/callback"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tokens struct {
		IDToken     string `json:"id_token"`
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tokens); err != nil || tokens.IDToken == "" {
		t.Fatalf("token endpoint answered %s: %v", resp.Status, err)
	}
	return tokens.IDToken, tokens.AccessToken
}

// sign makes a JWT of claims with key, named kid, in alg: the forgeries
// and the edge cases a provider would not issue.
func sign(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader(jose.HeaderKey("kid"), kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// unsigned is a JWT with "alg": "none": claims anyone can write.
func unsigned(t *testing.T, claims any) string {
	t.Helper()
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(b) + "."
}

type claims struct {
	Issuer    string   `json:"iss,omitempty"`
	Subject   string   `json:"sub,omitempty"`
	Audience  []string `json:"aud,omitempty"`
	Expiry    int64    `json:"exp,omitempty"`
	NotBefore int64    `json:"nbf,omitempty"`
	IssuedAt  int64    `json:"iat,omitempty"`
	Email     string   `json:"email,omitempty"`
}

func newOIDC(t *testing.T, m *mockoidc.MockOIDC, c *clock) (*auth.Authenticator, *auth.KeyStore) {
	t.Helper()
	keys := auth.NewKeyStore(newBucket(t), c.Now)
	a, err := auth.New(context.Background(), auth.Config{Mode: auth.ModeOIDC, OIDCIssuer: m.Issuer(), OIDCAudience: m.ClientID},
		auth.Deps{Keys: keys, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return a, keys
}

func TestOIDC(t *testing.T) {
	m := provider(t)
	c := newClock(time.Now())
	a, keys := newOIDC(t, m, c)
	srv := serve(t, a)

	alice := &mockoidc.MockUser{Subject: "alice-sub", Email: "alice@example.com"}
	idToken, accessToken := signIn(t, m, alice)
	aliceOwner := auth.OwnerID(m.Issuer(), alice.Subject)
	apiKey, _, err := keys.Create(context.Background(), aliceOwner, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	kid, _ := m.Keypair.KeyID()
	now := c.Now()
	good := claims{Issuer: m.Issuer(), Subject: "bob-sub", Audience: []string{m.ClientID}, IssuedAt: now.Unix(), Expiry: now.Add(time.Hour).Unix()}
	with := func(f func(*claims)) claims { cl := good; f(&cl); return cl }
	provKey := m.Keypair.PrivateKey
	stranger, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}

	runCases(t, srv, []credentialCase{
		{"ID token from sign-in", bearer(idToken), 200, aliceOwner, ""},
		{"access token from sign-in", bearer(accessToken), 200, aliceOwner, ""},
		{"token signed by the provider's key", bearer(sign(t, jose.RS256, provKey, kid, good)), 200, auth.OwnerID(m.Issuer(), "bob-sub"), ""},
		{"API key, in the oidc mode too", bearer(apiKey), 200, aliceOwner, ""},
		{"expired token", bearer(sign(t, jose.RS256, provKey, kid, with(func(c *claims) { c.Expiry = now.Add(-time.Minute).Unix() }))), 401, "", challengeInvalid},
		{"token without expiry", bearer(sign(t, jose.RS256, provKey, kid, with(func(c *claims) { c.Expiry = 0 }))), 401, "", challengeInvalid},
		{"wrong audience", bearer(sign(t, jose.RS256, provKey, kid, with(func(c *claims) { c.Audience = []string{"another-app"} }))), 401, "", challengeInvalid},
		{"wrong issuer", bearer(sign(t, jose.RS256, provKey, kid, with(func(c *claims) { c.Issuer = "https://issuer.example" }))), 401, "", challengeInvalid},
		{"not before, in the future", bearer(sign(t, jose.RS256, provKey, kid, with(func(c *claims) { c.NotBefore = now.Add(10 * time.Minute).Unix() }))), 401, "", challengeInvalid},
		{"not before, within clock skew", bearer(sign(t, jose.RS256, provKey, kid, with(func(c *claims) { c.NotBefore = now.Add(time.Minute).Unix() }))), 200, auth.OwnerID(m.Issuer(), "bob-sub"), ""},
		{"alg none", bearer(unsigned(t, good)), 401, "", challengeInvalid},
		{"unknown signing key", bearer(sign(t, jose.RS256, stranger, "not-the-providers", good)), 401, "", challengeInvalid},
		{"unknown key under the provider's key id", bearer(sign(t, jose.RS256, stranger, kid, good)), 401, "", challengeInvalid},
		{"HS256 with a guessable secret", bearer(sign(t, jose.HS256, []byte(strings.Repeat("k", 32)), kid, good)), 401, "", challengeInvalid},
		{"token cut short", bearer(idToken[:len(idToken)-10]), 401, "", challengeInvalid},
		{"not a JWT", bearer("hello"), 401, "", challengeInvalid},
		{"basic credentials", http.Header{"Authorization": {"Basic YWxpY2U6c2VjcmV0"}}, 401, "", challengeInvalid},
		{"a proxy's identity headers, in the oidc mode", http.Header{"X-Forwarded-User": {"alice-sub"}, "X-Forwarded-Email": {"alice@example.com"}}, 401, "", challengeMissing},
		{"no credential", nil, 401, "", challengeMissing},
	})
	// The provider's own token, once its lifetime has passed.
	c.Advance(m.AccessTTL + time.Minute)
	check(t, call(t, srv, "GET", "/v1/jobs", bearer(idToken)), 401, "", challengeInvalid)
}

// Two people get two owners; each keeps theirs across sign-ins, and across
// replicas (two Authenticators) that share nothing but the configuration.
func TestOIDCOwnersAreStable(t *testing.T) {
	m := provider(t)
	c := newClock(time.Now())
	replica1, _ := newOIDC(t, m, c)
	replica2, _ := newOIDC(t, m, c)
	srv1, srv2 := serve(t, replica1), serve(t, replica2)

	alice := &mockoidc.MockUser{Subject: "248289761001", Email: "alice@example.com"}
	bob := &mockoidc.MockUser{Subject: "248289761002", Email: "bob@example.com"}
	a1, _ := signIn(t, m, alice)
	a2, _ := signIn(t, m, alice)
	b1, _ := signIn(t, m, bob)

	alice1 := call(t, srv1, "GET", "/v1/jobs", bearer(a1))
	alice2 := call(t, srv2, "GET", "/v1/jobs", bearer(a2))
	bob1 := call(t, srv1, "GET", "/v1/jobs", bearer(b1))
	for _, a := range []answer{alice1, alice2, bob1} {
		if a.status != 200 {
			t.Fatalf("status %d, want 200", a.status)
		}
	}
	if alice1.owner != alice2.owner {
		t.Errorf("alice is %q on one replica and %q on the other", alice1.owner, alice2.owner)
	}
	if alice1.owner == bob1.owner {
		t.Errorf("alice and bob are both %q", alice1.owner)
	}
	if want := auth.OwnerID(m.Issuer(), alice.Subject); alice1.owner != want {
		t.Errorf("alice is %q, want OwnerID(issuer, subject) = %q", alice1.owner, want)
	}
	for _, a := range []answer{alice1, bob1} {
		if strings.Contains(a.owner, "example.com") || !auth.IsOwnerID(a.owner) {
			t.Errorf("owner %q is not a pseudonymous owner id", a.owner)
		}
	}
}

// The provider is asked for its discovery document when the Authenticator
// is made; one that cannot be reached fails the start, transiently.
func TestOIDCProviderUnreachable(t *testing.T) {
	m := provider(t)
	issuer := m.Issuer()
	if err := m.Shutdown(); err != nil {
		t.Fatal(err)
	}
	_, err := auth.New(context.Background(), auth.Config{Mode: auth.ModeOIDC, OIDCIssuer: issuer, OIDCAudience: "app"},
		auth.Deps{Keys: auth.NewKeyStore(newBucket(t), nil)})
	if err == nil || !strings.Contains(err.Error(), issuer) {
		t.Errorf("New with the provider down: %v, want an error naming %s", err, issuer)
	}
}
