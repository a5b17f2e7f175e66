package auth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/pixmill/pixmill/platform/auth"
	"github.com/pixmill/pixmill/platform/auth/authtest"
)

func newOIDC(t *testing.T, m *mockoidc.MockOIDC, c *authtest.Clock) (*auth.Authenticator, *auth.KeyStore) {
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
	m := authtest.Provider(t)
	c := authtest.NewClock(time.Now())
	a, keys := newOIDC(t, m, c)
	srv := serve(t, a)

	alice := &mockoidc.MockUser{Subject: "alice-sub", Email: "alice@example.com"}
	idToken, accessToken := authtest.SignIn(t, m, alice)
	aliceOwner := auth.OwnerID(m.Issuer(), alice.Subject)
	apiKey, _, err := keys.Create(context.Background(), aliceOwner, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	kid, _ := m.Keypair.KeyID()
	now := c.Now()
	good := authtest.Claims{Issuer: m.Issuer(), Subject: "bob-sub", Audience: []string{m.ClientID}, IssuedAt: now.Unix(), Expiry: now.Add(time.Hour).Unix()}
	with := func(f func(*authtest.Claims)) authtest.Claims { cl := good; f(&cl); return cl }
	provKey := m.Keypair.PrivateKey
	stranger, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}

	runCases(t, srv, []credentialCase{
		{"ID token from sign-in", authtest.Bearer(idToken), 200, aliceOwner, ""},
		{"access token from sign-in", authtest.Bearer(accessToken), 200, aliceOwner, ""},
		{"token signed by the provider's key", authtest.Bearer(authtest.Sign(t, jose.RS256, provKey, kid, good)), 200, auth.OwnerID(m.Issuer(), "bob-sub"), ""},
		{"API key, in the oidc mode too", authtest.Bearer(apiKey), 200, aliceOwner, ""},
		{"expired token", authtest.Bearer(authtest.Sign(t, jose.RS256, provKey, kid, with(func(c *authtest.Claims) { c.Expiry = now.Add(-time.Minute).Unix() }))), 401, "", challengeInvalid},
		{"token without expiry", authtest.Bearer(authtest.Sign(t, jose.RS256, provKey, kid, with(func(c *authtest.Claims) { c.Expiry = 0 }))), 401, "", challengeInvalid},
		{"wrong audience", authtest.Bearer(authtest.Sign(t, jose.RS256, provKey, kid, with(func(c *authtest.Claims) { c.Audience = []string{"another-app"} }))), 401, "", challengeInvalid},
		{"wrong issuer", authtest.Bearer(authtest.Sign(t, jose.RS256, provKey, kid, with(func(c *authtest.Claims) { c.Issuer = "https://issuer.example" }))), 401, "", challengeInvalid},
		{"not before, in the future", authtest.Bearer(authtest.Sign(t, jose.RS256, provKey, kid, with(func(c *authtest.Claims) { c.NotBefore = now.Add(10 * time.Minute).Unix() }))), 401, "", challengeInvalid},
		{"not before, within clock skew", authtest.Bearer(authtest.Sign(t, jose.RS256, provKey, kid, with(func(c *authtest.Claims) { c.NotBefore = now.Add(time.Minute).Unix() }))), 200, auth.OwnerID(m.Issuer(), "bob-sub"), ""},
		{"alg none", authtest.Bearer(authtest.Unsigned(t, good)), 401, "", challengeInvalid},
		{"unknown signing key", authtest.Bearer(authtest.Sign(t, jose.RS256, stranger, "not-the-providers", good)), 401, "", challengeInvalid},
		{"unknown key under the provider's key id", authtest.Bearer(authtest.Sign(t, jose.RS256, stranger, kid, good)), 401, "", challengeInvalid},
		{"HS256 with a guessable secret", authtest.Bearer(authtest.Sign(t, jose.HS256, []byte(strings.Repeat("k", 32)), kid, good)), 401, "", challengeInvalid},
		{"token cut short", authtest.Bearer(idToken[:len(idToken)-10]), 401, "", challengeInvalid},
		{"not a JWT", authtest.Bearer("hello"), 401, "", challengeInvalid},
		{"basic credentials", http.Header{"Authorization": {"Basic YWxpY2U6c2VjcmV0"}}, 401, "", challengeInvalid},
		{"a proxy's identity headers, in the oidc mode", http.Header{"X-Forwarded-User": {"alice-sub"}, "X-Forwarded-Email": {"alice@example.com"}}, 401, "", challengeMissing},
		{"no credential", nil, 401, "", challengeMissing},
	})
	// The provider's own token, once its lifetime has passed.
	c.Advance(m.AccessTTL + time.Minute)
	check(t, call(t, srv, "GET", "/v1/jobs", authtest.Bearer(idToken)), 401, "", challengeInvalid)
}

// Two people get two owners; each keeps theirs across sign-ins, and across
// replicas (two Authenticators) that share nothing but the configuration.
func TestOIDCOwnersAreStable(t *testing.T) {
	m := authtest.Provider(t)
	c := authtest.NewClock(time.Now())
	replica1, _ := newOIDC(t, m, c)
	replica2, _ := newOIDC(t, m, c)
	srv1, srv2 := serve(t, replica1), serve(t, replica2)

	alice := &mockoidc.MockUser{Subject: "248289761001", Email: "alice@example.com"}
	bob := &mockoidc.MockUser{Subject: "248289761002", Email: "bob@example.com"}
	a1, _ := authtest.SignIn(t, m, alice)
	a2, _ := authtest.SignIn(t, m, alice)
	b1, _ := authtest.SignIn(t, m, bob)

	alice1 := call(t, srv1, "GET", "/v1/jobs", authtest.Bearer(a1))
	alice2 := call(t, srv2, "GET", "/v1/jobs", authtest.Bearer(a2))
	bob1 := call(t, srv1, "GET", "/v1/jobs", authtest.Bearer(b1))
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
	m := authtest.Provider(t)
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
