package gateway

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/auth/authtest"
)

// TestNoRouteShowsDeadLetters: dead letters are an operator's, read with
// pixmill dlq on the bucket itself. No route the gateway serves, read by
// an owner or by anyone, shows another owner's parked request: its key,
// its job, its reason or its body.
func TestNoRouteShowsDeadLetters(t *testing.T) {
	s := newSignedIn(t)
	alice, bob, carol := s.signIn(t, "alice"), s.signIn(t, "bob"), s.signIn(t, "carol")
	held := s.make(t, alice)
	parked := records.DeadLetter{Key: events.NewID(), Job: events.NewID(), Task: "", Owner: carol.owner,
		Reason: "carol-only: the broker at 10.9.8.7 gave up", Kind: "transient", Attempts: 5, At: s.clock.Now(),
		Body: []byte("carol-only body"), Metadata: map[string]string{"ce-id": "carol-only-id"}}
	if err := s.store.PutDeadLetter(context.Background(), parked); err != nil {
		t.Fatal(err)
	}
	secrets := [][]byte{[]byte(parked.Key), []byte(parked.Job), []byte("carol-only"), []byte("10.9.8.7")}

	calls := 0
	for _, pattern := range s.gw.Routes() {
		method, _, _ := strings.Cut(pattern, " ")
		path, public := publicRoutes[pattern]
		rc, owned := routeCases[pattern]
		if !public && !owned {
			t.Errorf("route %s has no case: add one to routeCases or publicRoutes", pattern)
			continue
		}
		for _, as := range []struct {
			name   string
			header http.Header
		}{{"alice", authtest.Bearer(alice.idToken)}, {"bob", authtest.Bearer(bob.idToken)}, {"anyone", nil}} {
			ct, body := "", []byte(nil)
			if owned {
				path = rc.path(held)
				ct, body = rc.body(t, held)
			}
			st, _, b := s.call(t, method, path, as.header, ct, body)
			calls++
			for _, secret := range secrets {
				if bytes.Contains(b, secret) {
					t.Errorf("%s as %s (%d) shows carol's dead letter: %q in %s", pattern, as.name, st, secret, b)
				}
			}
		}
	}
	if calls < 3*len(routeCases) {
		t.Errorf("%d calls, want every route as three callers", calls)
	}
}
