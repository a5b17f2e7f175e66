// Package auth tells who sends a request to pixmill, for a deployment that
// many people share. It turns a credential into an owner: the stable,
// pseudonymous id under which that person's images, jobs, results and keys
// are kept, and which every route scopes its reads and writes to.
//
// # Modes
//
// One mode is configured ([Config], flag --auth); pixmill's own API keys are
// honoured in every mode, so scripts work whatever the people use:
//
//	loopback  the default: one owner, [LocalOwner], for a gateway that only
//	          this machine can reach ([Check] refuses any other address)
//	none      the same single owner on any address, a risk the operator
//	          accepts explicitly (the caller logs a warning)
//	keys      only API keys: Authorization: Bearer pmk_…
//	oidc      Bearer ID or access tokens of one OpenID provider
//	proxy     identity headers set by a trusted authenticating proxy
//	          (oauth2-proxy), honoured only from --trusted-proxies
//	iap       Google IAP's signed x-goog-iap-jwt-assertion header
//
// A signed link ([Links]) is a credential too: it opens one method and path,
// for one owner, until it expires.
//
// # Guarantees
//
//   - An owner id is derived from the identity's issuer and subject alone
//     ([OwnerID]): the same on every replica and after every restart, and the
//     same for two modes that see the same issuer and subject. It is a hash,
//     so no email address or user name appears in bucket keys, logs or
//     metrics; it is pseudonymous, not secret: whoever knows an issuer and a
//     subject can compute it.
//   - Logs name owners by pseudonym ([Pseudonyms]), a keyed hash of the
//     owner id that, unlike the id, no one can compute from a subject;
//     [Pseudonyms.Redact] replaces every owner id in what a logger writes.
//   - Tokens are verified by go-oidc and go-jose, not by code of ours: the
//     signature against the issuer's published keys (fetched, cached, and
//     fetched again when a signature matches no cached key), the algorithm
//     (never "none"), the issuer, the audience, the expiry and the
//     not-before time (with the five minutes of clock skew go-oidc allows).
//   - Identity headers are read only in their mode, and proxy headers only
//     from a connection whose address (RemoteAddr, never X-Forwarded-For) is
//     in a trusted network. IAP's unsigned x-goog-authenticated-user-*
//     headers are never read.
//   - API keys are stored hashed; a key is read from the bucket on every
//     request, so a revoked or expired key fails on the very next one.
//   - Signed links are HMAC-SHA256 over method, path, owner and expiry,
//     compared in constant time, valid at most [MaxLinkTTL]; several keys
//     verify so that a rotation keeps the links already given out working.
//
// # Errors
//
// A missing, expired or invalid credential is an [*Error]: the gateway
// answers it 401 with [WriteUnauthorized], which sets the WWW-Authenticate
// challenge RFC 6750 describes. Any other error (the bucket that holds the
// keys unreachable) carries a kind of package fault, Transient for storage,
// and is answered like any other failure (503): a key that cannot be read
// now is not a bad key. In the oidc and iap modes go-oidc does not tell an
// unreachable key set from a bad signature: a token signed by a key not yet
// cached fails as invalid while the issuer's keys cannot be fetched.
//
// # Use
//
// A gateway makes one Authenticator at start, after [Check]:
//
//	a, err := auth.New(ctx, cfg, auth.Deps{Keys: auth.NewKeyStore(bucket, now), Now: now})
//
// identifies each request with a.Owner (the shape of gateway.Owners) or
// a.Authenticate, answers a failure with [WriteUnauthorized] when it is an
// [*Error] and as any other failure when not, and hands out links with
// a.Links().Link.
package auth
