package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/pixmill/pixmill/events/fault"
)

// tokenVerifier checks the JWTs of one issuer for one audience. go-oidc
// does every check: the signature against the issuer's key set (cached,
// and fetched again when a signature matches no cached key, as the OpenID
// spec asks of key rotation), the algorithm against those allowed (never
// "none"), iss, aud, exp and nbf.
//
// That refetch is also what a forged token causes: go-oidc runs one fetch
// at a time and keeps the cached keys when a fetch fails, so a flood of
// forgeries costs the issuer a stream of key-set requests, not the
// signed-in people their access. A minimum interval between fetches would
// need a key set of our own.
type tokenVerifier struct {
	issuer string
	v      *oidc.IDTokenVerifier
}

// newOIDCVerifier discovers issuer's keys and algorithms from its
// /.well-known/openid-configuration. A provider that cannot be reached
// is Transient: starting again later may work.
func newOIDCVerifier(ctx context.Context, hc *http.Client, issuer, audience string, now Clock) (*tokenVerifier, error) {
	ctx = oidc.ClientContext(ctx, hc)
	p, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		return nil, fault.Wrap(fault.Transient, err, "auth: discovering the OpenID provider %s", issuer)
	}
	return &tokenVerifier{issuer: issuer, v: p.VerifierContext(ctx, &oidc.Config{ClientID: audience, Now: now})}, nil
}

// newIAPVerifier checks IAP's assertions: ES256 only, IAP's issuer, keys
// from jwksURL.
func newIAPVerifier(ctx context.Context, hc *http.Client, jwksURL, audience string, now Clock) *tokenVerifier {
	ctx = oidc.ClientContext(ctx, hc)
	keys := oidc.NewRemoteKeySet(ctx, jwksURL)
	return &tokenVerifier{issuer: IAPIssuer, v: oidc.NewVerifier(IAPIssuer, keys, &oidc.Config{
		ClientID:             audience,
		SupportedSigningAlgs: []string{oidc.ES256},
		Now:                  now,
	})}
}

// identify verifies raw and returns its owner and, when the token carries
// one, a name. The owner is derived from the configured issuer, which the
// token's iss has just been checked against.
func (t *tokenVerifier) identify(ctx context.Context, raw, what string) (Identity, error) {
	tok, err := t.v.Verify(ctx, raw)
	var expired *oidc.TokenExpiredError
	switch {
	case errors.As(err, &expired):
		return Identity{}, invalid(err, "the %s has expired", what)
	case err != nil:
		return Identity{}, invalid(err, "the %s is not valid here", what)
	case tok.Subject == "":
		return Identity{}, invalid(nil, "the %s names no subject", what)
	}
	return Identity{Owner: OwnerID(t.issuer, tok.Subject), Name: tokenName(tok)}, nil
}

// tokenName is the token's email, or its name, or its preferred user name:
// the first of those claims it carries as a string. A token whose claims
// do not decode still identifies its owner; it only has no name.
func tokenName(tok *oidc.IDToken) string {
	var c struct {
		Email             any `json:"email"`
		Name              any `json:"name"`
		PreferredUsername any `json:"preferred_username"`
	}
	if tok.Claims(&c) != nil {
		return ""
	}
	for _, v := range []any{c.Email, c.Name, c.PreferredUsername} {
		if s, ok := v.(string); ok && strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	return ""
}
