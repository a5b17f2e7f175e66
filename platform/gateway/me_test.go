package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/pubsub/mempubsub"

	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/auth/authtest"
)

// TestMe: GET /v1/me tells each caller who they are taken for, how, and by
// what name when their credential carries one; without a credential it is
// 401 like every owner's route.
func TestMe(t *testing.T) {
	s := newSignedIn(t)
	alice, bob := s.signIn(t, "alice"), s.signIn(t, "bob")
	named, _ := authtest.SignIn(t, s.oidc, &mockoidc.MockUser{Subject: "carol", Email: "carol@example.com", PreferredUsername: "carol"})
	tests := []struct {
		name   string
		header http.Header
		status int
		want   api.Me
	}{
		{"alice's ID token", authtest.Bearer(alice.idToken), 200, api.Me{Owner: alice.owner, Via: "oidc", Name: "alice@example.com"}},
		{"bob's ID token", authtest.Bearer(bob.idToken), 200, api.Me{Owner: bob.owner, Via: "oidc", Name: "bob@example.com"}},
		{"carol's, with a user name too", authtest.Bearer(named), 200, api.Me{Owner: s.signIn(t, "carol").owner, Via: "oidc", Name: "carol@example.com"}},
		{"alice's API key: no name", authtest.Bearer(alice.apiKey), 200, api.Me{Owner: alice.owner, Via: "key"}},
		{"no credential", nil, 401, api.Me{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _, b := s.call(t, "GET", "/v1/me", tt.header, "", nil)
			if st != tt.status {
				t.Fatalf("%d %s, want %d", st, b, tt.status)
			}
			if st != http.StatusOK {
				return
			}
			var got api.Me
			if err := json.Unmarshal(b, &got); err != nil || got != tt.want {
				t.Errorf("%s (%v), want %+v", b, err, tt.want)
			}
		})
	}

	// A gateway given only Owners, and one given nothing.
	bucket := memblob.OpenBucket(nil)
	topic := mempubsub.NewTopic()
	t.Cleanup(func() { _ = topic.Shutdown(context.Background()); _ = bucket.Close() })
	for _, tt := range []struct {
		name string
		deps Deps
		want api.Me
	}{
		{"owners only", Deps{Owners: func(*http.Request) (string, error) { return "o_someone", nil }}, api.Me{Owner: "o_someone"}},
		{"zero config", Deps{}, api.Me{Owner: LocalOwner, Via: "loopback"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.deps.Bucket, tt.deps.Requests = bucket, topic
			e := serve(t, Config{}, tt.deps)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/v1/me", nil)
			resp, b := roundTrip(t, req)
			var got api.Me
			if err := json.Unmarshal(b, &got); resp.StatusCode != http.StatusOK || err != nil || got != tt.want {
				t.Errorf("%d %s, want 200 %+v", resp.StatusCode, b, tt.want)
			}
		})
	}
}

// TestJobNotify: a job's notification URL is kept with the job and shown
// by GET /v1/jobs/{id}, and its notification is pending from the job's
// creation; a private URL is accepted only where the gateway allows it.
func TestJobNotify(t *testing.T) {
	for _, tt := range []struct {
		name    string
		private bool
		url     string
		status  int
	}{
		{"public", false, "https://hooks.example.com/pixmill?token=t", http.StatusAccepted},
		{"private refused", false, "http://10.0.0.8/hook", http.StatusBadRequest},
		{"private allowed", true, "http://10.0.0.8/hook", http.StatusAccepted},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Config{NotifyAllowPrivate: tt.private})
			ids := e.uploadOK(t, LocalOwner, 1)
			var job api.Job
			req := map[string]any{"images": ids, "ops": []any{map[string]any{"op": "flip"}}, "notify": map[string]any{"url": tt.url}}
			if st := e.postJSON(t, LocalOwner, "/v1/jobs", req, &job); st != tt.status {
				t.Fatalf("%d, want %d", st, tt.status)
			}
			if tt.status != http.StatusAccepted {
				return
			}
			st, _, b := e.get(t, LocalOwner, "/v1/jobs/"+job.ID)
			var got api.Job
			if err := json.Unmarshal(b, &got); st != http.StatusOK || err != nil || got.Notify == nil || got.Notify.URL != tt.url {
				t.Errorf("GET: %d %s, want notify %s", st, b, tt.url)
			}
			if p, err := e.store.PendingNotification(context.Background(), job.ID); err != nil || p.Generation != 1 || p.Owner != LocalOwner {
				t.Errorf("pending %+v (%v), want generation 1 of %s", p, err, LocalOwner)
			}
		})
	}
}

// TestNotifySecret: GET /v1/me/notify-secret makes the caller's secret on
// first use and then gives the same one; POST gives a new one, which GET
// gives from then on; two callers have two secrets.
func TestNotifySecret(t *testing.T) {
	e := newEnv(t, Config{})
	get := func(owner, method string) api.NotifySecret {
		t.Helper()
		req, _ := http.NewRequest(method, e.srv.URL+"/v1/me/notify-secret", nil)
		req.Header.Set("X-Owner", owner)
		resp, b := roundTrip(t, req)
		var s api.NotifySecret
		if err := json.Unmarshal(b, &s); resp.StatusCode != http.StatusOK || err != nil || len(s.Secret) < 40 || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("%s: %d %s %v, want 200, a secret, not to be cached", method, resp.StatusCode, b, resp.Header)
		}
		return s
	}
	first := get("alice", "GET")
	if again := get("alice", "GET"); again != first {
		t.Errorf("a second GET: %+v, want %+v", again, first)
	}
	if bobs := get("bob", "GET"); bobs.Secret == first.Secret {
		t.Error("two owners share a secret")
	}
	rotated := get("alice", "POST")
	if rotated.Secret == first.Secret {
		t.Error("POST kept the secret")
	}
	if now := get("alice", "GET"); now.Secret != rotated.Secret {
		t.Errorf("after rotating, GET gives %q, want the new %q", now.Secret, rotated.Secret)
	}
}
