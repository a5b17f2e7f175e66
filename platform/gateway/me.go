package gateway

import (
	"net/http"

	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/auth"
)

// Identify tells who sends a request, and how they were identified:
// auth.Authenticator.Authenticate. Its errors are answered as Owners' are.
type Identify func(r *http.Request) (auth.Identity, error)

// identityKey holds the caller's auth.Identity in a request's context.
type identityKey struct{}

// getMe answers GET /v1/me: who the caller is taken for, and their use of
// their quotas. The name is personal data: it is answered to its owner and
// never logged.
func (g *Gateway) getMe(w http.ResponseWriter, r *http.Request, owner string) {
	id, _ := r.Context().Value(identityKey{}).(auth.Identity)
	u, l, err := g.usage(r.Context(), owner)
	if err != nil {
		g.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.Me{Owner: owner, Via: id.Via, Name: id.Name, Usage: u, Limits: l})
}

// identify is deps.Identify, or, without it, deps.Owners, which knows
// no name; the default single owner is said to be a loopback one.
func identify(deps Deps) Identify {
	switch {
	case deps.Identify != nil:
		return deps.Identify
	case deps.Owners != nil:
		owners := deps.Owners
		return func(r *http.Request) (auth.Identity, error) {
			owner, err := owners(r)
			return auth.Identity{Owner: owner}, err
		}
	}
	return func(*http.Request) (auth.Identity, error) {
		return auth.Identity{Owner: LocalOwner, Via: string(auth.ModeLoopback)}, nil
	}
}

// getNotifySecret answers GET /v1/me/notify-secret: the key the caller's
// job notifications are signed with, made on first use.
func (g *Gateway) getNotifySecret(w http.ResponseWriter, r *http.Request, owner string) {
	s, err := g.store.OwnerNotifySecret(r.Context(), owner, g.deps.Now())
	if err != nil {
		g.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, api.NotifySecret{Secret: s.Secret, Created: s.Created})
}

// rotateNotifySecret answers POST /v1/me/notify-secret: a new key, which
// signs the notifications sent from then on.
func (g *Gateway) rotateNotifySecret(w http.ResponseWriter, r *http.Request, owner string) {
	s, err := g.store.RotateNotifySecret(r.Context(), owner, g.deps.Now())
	if err != nil {
		g.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, api.NotifySecret{Secret: s.Secret, Created: s.Created})
}
