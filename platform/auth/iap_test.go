package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/pixmill/pixmill/platform/auth"
	"github.com/pixmill/pixmill/platform/auth/authtest"
)

const iapAudience = "/projects/123456789/global/backendServices/987654321"

// TestIAP signs assertions as IAP does (ES256), with a key published as a
// JWKS by a test server standing in for Google's.
func TestIAP(t *testing.T) {
	iapKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &iapKey.PublicKey, KeyID: "iap-1", Algorithm: string(jose.ES256), Use: "sig"},
			// An RSA key in the set must not let an RS256 assertion in.
			{Key: &rsaKey.PublicKey, KeyID: "rsa-1", Algorithm: string(jose.RS256), Use: "sig"},
		}})
	}))
	t.Cleanup(jwks.Close)

	c := authtest.NewClock(time.Now())
	a, err := auth.New(context.Background(), auth.Config{Mode: auth.ModeIAP, IAPAudience: iapAudience, IAPJWKSURL: jwks.URL},
		auth.Deps{Keys: auth.NewKeyStore(newBucket(t), c.Now), Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, a)

	now := c.Now()
	good := authtest.Claims{Issuer: auth.IAPIssuer, Subject: "accounts.google.com:1001", Audience: []string{iapAudience},
		Email: "alice@example.com", IssuedAt: now.Unix(), Expiry: now.Add(10 * time.Minute).Unix()}
	with := func(f func(*authtest.Claims)) authtest.Claims { cl := good; f(&cl); return cl }
	assertion := func(tok string) http.Header { return http.Header{auth.IAPHeader: {tok}} }
	alice := auth.OwnerID(auth.IAPIssuer, "accounts.google.com:1001")
	forged := http.Header{
		"X-Goog-Authenticated-User-Email": {"accounts.google.com:mallory@example.com"},
		"X-Goog-Authenticated-User-Id":    {"accounts.google.com:666"},
	}
	forgedAndSigned := forged.Clone()
	forgedAndSigned.Set(auth.IAPHeader, authtest.Sign(t, jose.ES256, iapKey, "iap-1", good))

	runCases(t, srv, []credentialCase{
		{"valid assertion", assertion(authtest.Sign(t, jose.ES256, iapKey, "iap-1", good)), 200, alice, ""},
		{"unsigned IAP headers alone", forged, 401, "", challengeMissing},
		{"unsigned IAP headers beside a valid assertion", forgedAndSigned, 200, alice, ""},
		{"expired", assertion(authtest.Sign(t, jose.ES256, iapKey, "iap-1", with(func(c *authtest.Claims) { c.Expiry = now.Add(-time.Second).Unix() }))), 401, "", challengeInvalid},
		{"wrong audience", assertion(authtest.Sign(t, jose.ES256, iapKey, "iap-1", with(func(c *authtest.Claims) { c.Audience = []string{"/projects/1/global/backendServices/2"} }))), 401, "", challengeInvalid},
		{"wrong issuer", assertion(authtest.Sign(t, jose.ES256, iapKey, "iap-1", with(func(c *authtest.Claims) { c.Issuer = "https://accounts.google.com" }))), 401, "", challengeInvalid},
		{"signed by a key IAP does not publish", assertion(authtest.Sign(t, jose.ES256, otherKey, "iap-1", good)), 401, "", challengeInvalid},
		{"RS256 with a published RSA key", assertion(authtest.Sign(t, jose.RS256, rsaKey, "rsa-1", good)), 401, "", challengeInvalid},
		{"alg none", assertion(authtest.Unsigned(t, good)), 401, "", challengeInvalid},
		{"no assertion", nil, 401, "", challengeMissing},
	})
	// The assertion's email is the name the web app shows.
	if got, want := identify(t, a, assertion(authtest.Sign(t, jose.ES256, iapKey, "iap-1", good))), (auth.Identity{Owner: alice, Via: "iap", Name: "alice@example.com"}); got != want {
		t.Errorf("identity %+v, want %+v", got, want)
	}
}
