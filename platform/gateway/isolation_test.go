package gateway

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"image/color"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/auth"
	"github.com/pixmill/pixmill/platform/auth/authtest"
)

// routeCase is how the isolation matrix calls one route on what an owner
// holds, and what it expects.
type routeCase struct {
	path func(h holdings) string
	body func(t testing.TB, h holdings) (contentType string, body []byte)
	// owner is the status for the owner of h.
	owner int
	// other is the status for another owner: what an unknown id gets,
	// with the same body, for the routes that name one.
	other int
	// destroys is set on the routes that delete what they name: each
	// call of theirs gets holdings and people of its own.
	destroys bool
}

func noBody(testing.TB, holdings) (string, []byte) { return "", nil }

// routeCases has a case for every route that acts for an owner.
var routeCases = map[string]routeCase{
	"POST /v1/images": {
		path: func(holdings) string { return "/v1/images" },
		body: func(t testing.TB, _ holdings) (string, []byte) {
			return multipartBody(t, file{"b.jpg", jpegBytes(t, 32, 24, color.RGBA{10, 200, 50, 255})})
		},
		owner: http.StatusCreated, other: http.StatusCreated,
	},
	"GET /v1/images/{id}": {
		path:  func(h holdings) string { return "/v1/images/" + h.image },
		body:  noBody,
		owner: http.StatusOK, other: http.StatusNotFound,
	},
	"POST /v1/jobs": {
		path: func(holdings) string { return "/v1/jobs" },
		body: func(_ testing.TB, h holdings) (string, []byte) {
			return jsonBody(map[string]any{"images": []string{h.image}, "ops": []any{map[string]any{"op": "brightness", "factor": 1.2}}})
		},
		// An image id that is not the caller's is refused as a bad
		// request, as an unknown one is.
		owner: http.StatusAccepted, other: http.StatusBadRequest,
	},
	// Deleting is idempotent: the owner gets 204 every time; another
	// owner's id is unknown.
	"DELETE /v1/images/{id}": {
		path:  func(h holdings) string { return "/v1/images/" + h.image },
		body:  noBody,
		owner: http.StatusNoContent, other: http.StatusNotFound, destroys: true,
	},
	"DELETE /v1/jobs/{id}": {
		path:  func(h holdings) string { return "/v1/jobs/" + h.job },
		body:  noBody,
		owner: http.StatusNoContent, other: http.StatusNotFound, destroys: true,
	},
	// Everyone may erase themselves, and only themselves.
	"DELETE /v1/me": {
		path:  func(holdings) string { return "/v1/me" },
		body:  noBody,
		owner: http.StatusNoContent, other: http.StatusNoContent, destroys: true,
	},
	"GET /v1/jobs": {
		path:  func(holdings) string { return "/v1/jobs" },
		body:  noBody,
		owner: http.StatusOK, other: http.StatusOK,
	},
	"GET /v1/jobs/{id}": {
		path:  func(h holdings) string { return "/v1/jobs/" + h.job },
		body:  noBody,
		owner: http.StatusOK, other: http.StatusNotFound,
	},
	"GET /v1/jobs/{id}/tasks/{task}/output": {
		path:  func(h holdings) string { return "/v1/jobs/" + h.job + "/tasks/" + h.task + "/output" },
		body:  noBody,
		owner: http.StatusOK, other: http.StatusNotFound,
	},
	"GET /v1/jobs/{id}/tasks/{task}/preview": {
		path:  func(h holdings) string { return "/v1/jobs/" + h.job + "/tasks/" + h.task + "/preview" },
		body:  noBody,
		owner: http.StatusOK, other: http.StatusNotFound,
	},
	"GET /v1/jobs/{id}/archive": {
		path:  func(h holdings) string { return "/v1/jobs/" + h.job + "/archive" },
		body:  noBody,
		owner: http.StatusOK, other: http.StatusNotFound,
	},
	"GET /v1/jobs/{id}/events": {
		path:  func(h holdings) string { return "/v1/jobs/" + h.job + "/events" },
		body:  noBody,
		owner: http.StatusOK, other: http.StatusNotFound,
	},
	"POST /v1/links": {
		path: func(holdings) string { return "/v1/links" },
		body: func(_ testing.TB, h holdings) (string, []byte) {
			return jsonBody(api.LinkRequest{Path: "/v1/jobs/" + h.job + "/archive", ExpiresIn: "1h"})
		},
		owner: http.StatusCreated, other: http.StatusNotFound,
	},
	// Everyone is told who they are taken for.
	"GET /v1/me": {
		path:  func(holdings) string { return "/v1/me" },
		body:  noBody,
		owner: http.StatusOK, other: http.StatusOK,
	},
	// Everyone has a notification secret of their own, and rotates only
	// their own.
	"GET /v1/me/notify-secret": {
		path:  func(holdings) string { return "/v1/me/notify-secret" },
		body:  noBody,
		owner: http.StatusOK, other: http.StatusOK,
	},
	"POST /v1/me/notify-secret": {
		path:  func(holdings) string { return "/v1/me/notify-secret" },
		body:  noBody,
		owner: http.StatusOK, other: http.StatusOK,
	},
	// Presets: everyone saves and lists their own; a name another owner
	// saved is unknown; deleting is idempotent, so any name answers 204.
	"POST /v1/presets": {
		path: func(holdings) string { return "/v1/presets" },
		body: func(_ testing.TB, _ holdings) (string, []byte) {
			return jsonBody(api.Preset{Name: "mine", Ops: rawOps(`{"op":"thumbnail","width":64}`)})
		},
		owner: http.StatusCreated, other: http.StatusCreated,
	},
	"GET /v1/presets": {
		path:  func(holdings) string { return "/v1/presets" },
		body:  noBody,
		owner: http.StatusOK, other: http.StatusOK,
	},
	"GET /v1/presets/{name}": {
		path:  func(h holdings) string { return "/v1/presets/" + h.preset },
		body:  noBody,
		owner: http.StatusOK, other: http.StatusNotFound,
	},
	"DELETE /v1/presets/{name}": {
		path:  func(h holdings) string { return "/v1/presets/" + h.preset },
		body:  noBody,
		owner: http.StatusNoContent, other: http.StatusNoContent,
	},
	// A live preview of one's own picture; another's is unknown.
	"POST /v1/previews": {
		path: func(holdings) string { return "/v1/previews" },
		body: func(_ testing.TB, h holdings) (string, []byte) {
			return jsonBody(map[string]any{"image": h.image, "ops": []any{map[string]any{"op": "flip"}}, "size": 32})
		},
		owner: http.StatusOK, other: http.StatusNotFound,
	},
}

// publicRoutes are the routes anyone may read, each with a path to call:
// they answer alike whoever asks.
var publicRoutes = map[string]string{
	"GET /v1/ops":        "/v1/ops",
	"GET /{$}":           "/",
	"GET /assets/{file}": "/assets/app.js",
	"GET /healthz":       "/healthz",
	"GET /metrics":       "/metrics",
}

// anyID matches the ids pixmill gives, so that two answers that differ
// only in the ids they name compare equal.
var anyID = regexp.MustCompile(`[a-z2-7]{26}`)

// TestIsolationMatrix: every route the gateway serves (its own list, so a
// new route without a case fails here), crossed with every kind of
// credential, over a real socket, against a real OpenID provider
// and real API keys. Its owner gets 2xx; another owner gets exactly what an
// unknown id gets, never a hint that the object exists; every missing,
// expired, forged or revoked credential gets 401 with a challenge. The
// routes anyone may read answer every caller alike.
func TestIsolationMatrix(t *testing.T) {
	s := newSignedIn(t, bytes.Repeat([]byte("k"), auth.MinLinkKeyBytes))
	alice, bob := s.signIn(t, "alice"), s.signIn(t, "bob")
	revoked := s.signIn(t, "carol")
	if _, err := s.keys.Revoke(context.Background(), revoked.keyID); err != nil {
		t.Fatal(err)
	}
	held := s.make(t, alice)
	unknown := holdings{image: events.NewID(), job: events.NewID(), task: events.NewID(), preset: "p-" + events.NewID()}

	m := s.oidc
	kid, _ := m.Keypair.KeyID()
	now := s.clock.Now()
	good := authtest.Claims{Issuer: m.Issuer(), Subject: "alice", Audience: []string{m.ClientID}, IssuedAt: now.Unix(), Expiry: now.Add(time.Hour).Unix()}
	with := func(f func(*authtest.Claims)) authtest.Claims { c := good; f(&c); return c }
	stranger, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	const (
		asOwner = iota
		asOther
		refused
	)
	// The credentials of the owner and of the other owner are those of
	// the people the call is made for.
	own := func(f func(p person) string) func(a, b person) http.Header {
		return func(a, _ person) http.Header { return authtest.Bearer(f(a)) }
	}
	other := func(f func(p person) string) func(a, b person) http.Header {
		return func(_, b person) http.Header { return authtest.Bearer(f(b)) }
	}
	fixed := func(h http.Header) func(a, b person) http.Header {
		return func(person, person) http.Header { return h }
	}
	idToken := func(p person) string { return p.idToken }
	apiKey := func(p person) string { return p.apiKey }
	creds := []struct {
		name   string
		header func(owner, other person) http.Header
		want   int
	}{
		{"its owner", own(idToken), asOwner},
		{"its owner's API key", own(apiKey), asOwner},
		{"another owner", other(idToken), asOther},
		{"another owner's API key", other(apiKey), asOther},
		{"none", fixed(nil), refused},
		{"an expired token", fixed(authtest.Bearer(authtest.Sign(t, jose.RS256, m.Keypair.PrivateKey, kid, with(func(c *authtest.Claims) { c.Expiry = now.Add(-time.Minute).Unix() })))), refused},
		{"a wrong audience", fixed(authtest.Bearer(authtest.Sign(t, jose.RS256, m.Keypair.PrivateKey, kid, with(func(c *authtest.Claims) { c.Audience = []string{"another-app"} })))), refused},
		{"a wrong issuer", fixed(authtest.Bearer(authtest.Sign(t, jose.RS256, m.Keypair.PrivateKey, kid, with(func(c *authtest.Claims) { c.Issuer = "https://issuer.example" })))), refused},
		{"alg none", fixed(authtest.Bearer(authtest.Unsigned(t, good))), refused},
		{"an unknown signing key", fixed(authtest.Bearer(authtest.Sign(t, jose.RS256, stranger, "not-the-providers", good))), refused},
		{"a revoked API key", fixed(authtest.Bearer(revoked.apiKey)), refused},
	}

	routes, owned := s.gw.Routes(), s.gw.OwnedRoutes()
	for pattern := range routeCases {
		if !slices.Contains(owned, pattern) {
			t.Errorf("the matrix has a case for %s, which is no route of an owner's", pattern)
		}
	}
	for pattern := range publicRoutes {
		if !slices.Contains(routes, pattern) || slices.Contains(owned, pattern) {
			t.Errorf("the matrix has %s as a public route, which the gateway does not serve to anyone", pattern)
		}
	}
	for _, pattern := range routes {
		if path, ok := publicRoutes[pattern]; ok {
			_, _, anon := s.call(t, "GET", path, nil, "", nil)
			for _, cr := range creds {
				if st, _, b := s.call(t, "GET", path, cr.header(alice, bob), "", nil); st != http.StatusOK || !bytes.Equal(b, anon) {
					t.Errorf("public %s with %s: %d, %d bytes; want 200 and what anyone gets (%d bytes)", pattern, cr.name, st, len(b), len(anon))
				}
			}
			continue
		}
		rc, ok := routeCases[pattern]
		if !ok {
			t.Errorf("route %s has no case in the isolation matrix: add one to routeCases, or to publicRoutes if anyone may read it", pattern)
			continue
		}
		method, _, _ := strings.Cut(pattern, " ")
		for _, cr := range creds {
			t.Run(pattern+"/"+cr.name, func(t *testing.T) {
				a, o, held := alice, bob, held
				if rc.destroys {
					a, o = s.signIn(t, "alice-"+events.NewID()), s.signIn(t, "bob-"+events.NewID())
					held = s.make(t, a)
				}
				header := cr.header(a, o)
				ct, body := rc.body(t, held)
				st, h, b := s.call(t, method, rc.path(held), header, ct, body)
				sent := rc.path(held) + string(body)
				switch cr.want {
				case asOwner:
					if st != rc.owner {
						t.Errorf("%d %s, want %d", st, b, rc.owner)
					}
				case asOther:
					uct, ubody := rc.body(t, unknown)
					uheader := header
					if rc.destroys {
						// The call before may have erased o, keys and all.
						uheader = cr.header(a, s.signIn(t, "bob-"+events.NewID()))
					}
					ust, _, ub := s.call(t, method, rc.path(unknown), uheader, uct, ubody)
					if st != rc.other || ust != st || !bytes.Equal(anyID.ReplaceAll(b, nil), anyID.ReplaceAll(ub, nil)) {
						t.Errorf("another owner's ids: %d %s; unknown ids: %d %s; want both %d, alike", st, b, ust, ub, rc.other)
					}
					// The ids the request itself names may be echoed back.
					for _, id := range []string{held.image, held.job, held.task} {
						if bytes.Contains(b, []byte(id)) && !strings.Contains(sent, id) {
							t.Errorf("another owner is shown %s: %s", id, b)
						}
					}
				case refused:
					if st != http.StatusUnauthorized || !strings.HasPrefix(h.Get("WWW-Authenticate"), `Bearer realm="pixmill"`) {
						t.Errorf("%d, WWW-Authenticate %q; want 401 with a Bearer challenge", st, h.Get("WWW-Authenticate"))
					}
				}
			})
		}
	}
}

// TestTwoOwnersSeeTheirOwn: two people signed in through the provider each
// see their own uploads and jobs, and only those; their pictures are stored
// under their own prefixes.
func TestTwoOwnersSeeTheirOwn(t *testing.T) {
	s := newSignedIn(t)
	alice, bob := s.signIn(t, "alice"), s.signIn(t, "bob")
	held := map[string][]holdings{}
	for _, p := range []person{alice, bob, alice} {
		held[p.owner] = append(held[p.owner], s.make(t, p))
	}
	for _, p := range []person{alice, bob} {
		other := bob
		if p == bob {
			other = alice
		}
		st, _, b := s.call(t, "GET", "/v1/jobs", authtest.Bearer(p.idToken), "", nil)
		var list api.JobList
		if err := json.Unmarshal(b, &list); st != http.StatusOK || err != nil {
			t.Fatalf("listing %s's jobs: %d %s", p.owner, st, b)
		}
		var got, want []string
		for _, j := range list.Jobs {
			got = append(got, j.ID)
		}
		for _, h := range held[p.owner] {
			want = append(want, h.job)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s lists jobs %v, want its own %v", p.owner, got, want)
		}
		for _, h := range held[p.owner] {
			if st, _, b := s.call(t, "GET", "/v1/images/"+h.image, authtest.Bearer(p.idToken), "", nil); st != http.StatusOK || !bytes.Equal(b, h.original) {
				t.Errorf("%s's own image: %d, %d bytes", p.owner, st, len(b))
			}
			img, err := s.store.Image(context.Background(), p.owner, h.image)
			if err != nil || !strings.HasPrefix(img.Key, records.OwnerPrefixes(p.owner)[0]) {
				t.Errorf("%s's image is stored at %q (%v), want under %s", p.owner, img.Key, err, records.OwnerPrefixes(p.owner)[0])
			}
		}
		for _, h := range held[other.owner] {
			for _, path := range []string{"/v1/images/" + h.image, "/v1/jobs/" + h.job} {
				if st, _, _ := s.call(t, "GET", path, authtest.Bearer(p.idToken), "", nil); st != http.StatusNotFound {
					t.Errorf("%s reads %s of %s's: %d, want 404", p.owner, path, other.owner, st)
				}
			}
		}
	}
}
