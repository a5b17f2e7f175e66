package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/auth"
)

// defaultLinkTTL is how long a link lasts when the request does not say.
const defaultLinkTTL = time.Hour

// linkable routes the paths a signed link may open to the check that the
// caller owns what the path names. A link acts as its owner on its path, so
// only reads of one object are signed: never a route that changes anything,
// lists, or hands out more links.
func (g *Gateway) linkable() *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range g.ownedRoutes() {
		if rt.exists == nil {
			continue
		}
		mux.HandleFunc(rt.pattern, func(w http.ResponseWriter, r *http.Request) {
			c := r.Context().Value(linkCheckKey{}).(*linkCheck)
			c.matched, c.err = true, rt.exists(r, c.owner)
		})
	}
	return mux
}

type linkCheckKey struct{}

// linkCheck carries the owner to a linkable route's check and its answer
// back.
type linkCheck struct {
	owner   string
	matched bool
	err     error
}

// createLink answers POST /v1/links: 201 with a link to one of the
// caller's objects, 404 for someone else's (as for an unknown id), 400 for
// a path no link may open or an expiry out of range.
func (g *Gateway) createLink(w http.ResponseWriter, r *http.Request, owner string) {
	if g.deps.Links == nil {
		writeJSON(w, http.StatusNotImplemented, api.Error{Error: "this gateway signs no links: start it with --link-keys-file (docs/auth.md)"})
		return
	}
	var req api.LinkRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 8<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		g.fail(w, r, fault.New(fault.InvalidArgument, "the link request is not valid JSON: %v", err))
		return
	}
	ttl, err := linkTTL(req.ExpiresIn)
	if err != nil {
		g.fail(w, r, err)
		return
	}
	if err := g.checkLinkPath(r.Context(), owner, req.Path); err != nil {
		g.fail(w, r, err)
		return
	}
	expiry := g.deps.Now().Add(ttl).Truncate(time.Second)
	link, err := g.deps.Links.Link(http.MethodGet, req.Path, owner, expiry)
	if err != nil {
		g.fail(w, r, fault.Wrap(fault.InvalidArgument, err, "%v", err))
		return
	}
	writeJSON(w, http.StatusCreated, api.Link{URL: link, Expires: expiry.UTC()})
}

// checkLinkPath finds p among the linkable routes and checks that owner
// has what it names.
func (g *Gateway) checkLinkPath(ctx context.Context, owner, p string) error {
	u, err := url.Parse(p)
	if err != nil || u.Path != p || u.RawQuery != "" || u.Fragment != "" || path.Clean(p) != p || !strings.HasPrefix(p, "/") {
		return fault.New(fault.InvalidArgument, "path: %q is not the path of an API route, without a query", p)
	}
	c := &linkCheck{owner: owner}
	r, err := http.NewRequestWithContext(context.WithValue(ctx, linkCheckKey{}, c), http.MethodGet, p, nil)
	if err != nil {
		return fault.Wrap(fault.InvalidArgument, err, "path: %q is not a path", p)
	}
	g.links.ServeHTTP(discard{}, r)
	if !c.matched {
		return fault.New(fault.InvalidArgument, "path: links open only an original, an output, a preview or an archive (%s), not %q", strings.Join(g.linkablePatterns(), ", "), p)
	}
	return c.err
}

func (g *Gateway) linkablePatterns() []string {
	var ps []string
	for _, rt := range g.ownedRoutes() {
		if rt.exists != nil {
			ps = append(ps, rt.pattern)
		}
	}
	return ps
}

// linkTTL reads expires_in: a Go duration ("90m", "1h") or whole days
// ("7d"), more than zero and at most auth.MaxLinkTTL.
func linkTTL(s string) (time.Duration, error) {
	if s == "" {
		return defaultLinkTTL, nil
	}
	d, err := time.ParseDuration(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		// Counted in days before turning into a duration, which a
		// large count would overflow.
		if n, err = strconv.Atoi(days); err == nil {
			d = time.Duration(min(max(n, 0), 8)) * 24 * time.Hour
		}
	}
	switch {
	case err != nil:
		return 0, fault.New(fault.InvalidArgument, "expires_in: %q is not a duration such as 1h or 7d", s)
	case d <= 0 || d > auth.MaxLinkTTL:
		return 0, fault.New(fault.InvalidArgument, "expires_in: %s is not between 1s and 7d", s)
	}
	return d, nil
}

// discard is the ResponseWriter of a link's check, which writes nothing.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}
