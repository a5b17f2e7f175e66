package auth

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Identity is who sent a request.
type Identity struct {
	// Owner is the owner id everything the request touches is scoped to.
	Owner string
	// Via names the credential: "key", "link", or the mode that
	// identified the caller ("oidc", "proxy", "iap", "loopback", "none").
	Via string
	// KeyID is the API key's id when Via is "key", for logs.
	KeyID string
	// Name is what to call the person, for showing them who is signed in:
	// the proxy's email or user name, the token's email or name claim;
	// empty when none is known. It is personal data: never log it.
	Name string
}

// Deps are what an Authenticator reaches outside itself.
type Deps struct {
	// Keys holds the API keys; required, since keys work in every mode.
	Keys *KeyStore
	// HTTPClient fetches the OpenID discovery document and key sets (nil:
	// http.DefaultClient).
	HTTPClient *http.Client
	// Now is the clock (nil: time.Now).
	Now Clock
}

// Authenticator identifies the senders of requests, in one mode. It is safe
// for concurrent use.
type Authenticator struct {
	cfg   Config
	keys  *KeyStore
	links *Links
	names *Pseudonyms
	oidc  *tokenVerifier
	iap   *tokenVerifier
}

// New returns an Authenticator for cfg, or an error naming the first bad
// setting. In the oidc mode it fetches the provider's discovery document,
// with ctx; the key sets are fetched when first needed.
func New(ctx context.Context, cfg Config, deps Deps) (*Authenticator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Keys == nil {
		return nil, errors.New("auth: a key store is required: API keys work in every mode")
	}
	hc := deps.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	a := &Authenticator{cfg: cfg, keys: deps.Keys, names: NewPseudonyms(pseudonymKey(cfg.LinkKeys))}
	if len(cfg.LinkKeys) > 0 {
		links, err := NewLinks(cfg.LinkKeys, now)
		if err != nil {
			return nil, err
		}
		a.links = links
	}
	switch cfg.Mode {
	case ModeOIDC:
		v, err := newOIDCVerifier(ctx, hc, cfg.OIDCIssuer, cfg.OIDCAudience, now)
		if err != nil {
			return nil, err
		}
		a.oidc = v
	case ModeIAP:
		a.iap = newIAPVerifier(ctx, hc, cfg.IAPJWKSURL, cfg.IAPAudience, now)
	}
	return a, nil
}

// Mode is the configured mode.
func (a *Authenticator) Mode() Mode { return a.cfg.Mode }

// Links signs and verifies links; nil when no link key is configured, and
// links are then refused.
func (a *Authenticator) Links() *Links { return a.links }

// Pseudonyms names owners in logs. Its key is derived from the first link
// key: every replica with the same keys names an owner alike, and the names
// change when that key does. Without link keys it holds for this process.
func (a *Authenticator) Pseudonyms() *Pseudonyms { return a.names }

// Owner returns the owner of the request: the shape of gateway.Owners.
func (a *Authenticator) Owner(r *http.Request) (string, error) {
	id, err := a.Authenticate(r)
	return id.Owner, err
}

// Authenticate tells who sent r. It looks, in this order, at:
//
//  1. Authorization: Bearer pmk_… — an API key, in every mode;
//  2. any other Authorization — a token in the oidc mode; in the proxy mode
//     from a trusted proxy, left alone (oauth2-proxy may pass one on);
//     elsewhere, refused rather than silently ignored;
//  3. a signed link's query parameters;
//  4. the mode: the proxy's headers, IAP's assertion, or, in the loopback
//     and none modes, LocalOwner.
//
// A missing or invalid credential is an [*Error]; see the package comment.
func (a *Authenticator) Authenticate(r *http.Request) (Identity, error) {
	ctx := r.Context()
	trustedProxy := a.cfg.Mode == ModeProxy && a.fromTrustedProxy(r)
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, _ := strings.Cut(h, " ")
		token = strings.TrimSpace(token)
		bearer := strings.EqualFold(scheme, "Bearer") && token != ""
		switch {
		case bearer && strings.HasPrefix(token, KeyPrefix):
			return a.key(ctx, token)
		case bearer && a.oidc != nil:
			id, err := a.oidc.identify(ctx, token, "token")
			id.Via = string(ModeOIDC)
			return id, err
		case !trustedProxy:
			return Identity{}, invalid(nil, "this gateway takes Authorization: Bearer %s with one of its API keys%s", KeyPrefix+"…", a.alsoTakes())
		}
	}
	if q := r.URL.Query(); IsLink(q) {
		if a.links == nil {
			return Identity{}, invalid(nil, "this gateway has no signed links")
		}
		owner, err := a.links.Verify(r.Method, r.URL.Path, q)
		return Identity{Owner: owner, Via: "link"}, err
	}
	switch a.cfg.Mode {
	case ModeLoopback, ModeNone:
		return Identity{Owner: LocalOwner, Via: string(a.cfg.Mode)}, nil
	case ModeProxy:
		if trustedProxy {
			return a.proxyIdentity(r)
		}
	case ModeIAP:
		// Only the signed assertion: the x-goog-authenticated-user-*
		// headers are not signed, and anyone who reaches the gateway
		// around IAP can set them.
		if raw := r.Header.Get(IAPHeader); raw != "" {
			id, err := a.iap.identify(ctx, raw, "IAP assertion")
			id.Via = string(ModeIAP)
			return id, err
		}
	}
	return Identity{}, missing("sign in, or send Authorization: Bearer with an API key%s", a.alsoTakes())
}

func (a *Authenticator) alsoTakes() string {
	if a.cfg.Mode == ModeOIDC {
		return " or a token of " + a.cfg.OIDCIssuer
	}
	return ""
}

func (a *Authenticator) key(ctx context.Context, token string) (Identity, error) {
	k, err := a.keys.Authenticate(ctx, token)
	if err != nil {
		return Identity{}, err
	}
	return Identity{Owner: k.Owner, Via: "key", KeyID: k.ID}, nil
}

// fromTrustedProxy checks the connection's own address: X-Forwarded-For
// is a header like any other, set by whoever sends the request.
func (a *Authenticator) fromTrustedProxy(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap().WithZone("")
	return slices.ContainsFunc(a.cfg.TrustedProxies, func(p netip.Prefix) bool { return p.Contains(ip) })
}

func (a *Authenticator) proxyIdentity(r *http.Request) (Identity, error) {
	user := strings.TrimSpace(r.Header.Get(a.cfg.ProxyUserHeader))
	if user == "" {
		user = strings.TrimSpace(r.Header.Get(a.cfg.ProxyEmailHeader))
	}
	if user == "" {
		return Identity{}, missing("the authenticating proxy named no user in %s or %s", a.cfg.ProxyUserHeader, a.cfg.ProxyEmailHeader)
	}
	return Identity{Owner: OwnerID(a.cfg.ProxyIssuer, user), Via: string(ModeProxy), Name: a.proxyName(r)}, nil
}

// ProxyPreferredUsernameHeader is where oauth2-proxy passes the user's
// preferred_username claim (--pass-user-headers).
const ProxyPreferredUsernameHeader = "X-Forwarded-Preferred-Username"

// proxyName is what the trusted proxy calls the user: the email, the
// preferred user name, or the user, whichever it sends first.
func (a *Authenticator) proxyName(r *http.Request) string {
	for _, h := range []string{a.cfg.ProxyEmailHeader, ProxyPreferredUsernameHeader, a.cfg.ProxyUserHeader} {
		if v := strings.TrimSpace(r.Header.Get(h)); v != "" {
			return v
		}
	}
	return ""
}
