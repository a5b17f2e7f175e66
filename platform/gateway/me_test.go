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
