package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob/memblob"

	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/platform/auth"
	"github.com/pixmill/pixmill/platform/auth/authtest"
)

var keyRE = regexp.MustCompile(`^pmk_[a-z2-7]{16}_[a-z2-7]{52}$`)

// TestKeysMode: in the keys mode only an active API key opens a request.
func TestKeysMode(t *testing.T) {
	ctx := context.Background()
	c := authtest.NewClock(time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC))
	keys := auth.NewKeyStore(newBucket(t), c.Now)
	a, err := auth.New(ctx, auth.Config{Mode: auth.ModeKeys}, auth.Deps{Keys: keys, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, a)
	alice, bob := auth.OwnerID(auth.NamedIssuer, "alice"), auth.OwnerID(auth.NamedIssuer, "bob")
	active, _, err := keys.Create(ctx, alice, 0)
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := keys.Create(ctx, bob, 90*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	revoked, k, err := keys.Create(ctx, alice, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Revoke(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	expired, _, err := keys.Create(ctx, alice, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Hour)
	// The right id with another secret: the record is found, the hash
	// does not match.
	wrongSecret := active[:len(active)-4] + "aaaa"
	if wrongSecret == active {
		wrongSecret = active[:len(active)-4] + "bbbb"
	}

	runCases(t, srv, []credentialCase{
		{"active key", authtest.Bearer(active), 200, alice, ""},
		{"another owner's key", authtest.Bearer(other), 200, bob, ""},
		{"lower-case scheme", http.Header{"Authorization": {"bearer " + active}}, 200, alice, ""},
		{"revoked key", authtest.Bearer(revoked), 401, "", challengeInvalid},
		{"expired key", authtest.Bearer(expired), 401, "", challengeInvalid},
		{"right id, wrong secret", authtest.Bearer(wrongSecret), 401, "", challengeInvalid},
		{"unknown key", authtest.Bearer("pmk_" + strings.Repeat("a", 16) + "_" + strings.Repeat("b", 52)), 401, "", challengeInvalid},
		{"path in the id", authtest.Bearer("pmk_../../originals/x_" + strings.Repeat("b", 52)), 401, "", challengeInvalid},
		{"a JWT, which this mode does not take", authtest.Bearer("eyJhbGciOiJSUzI1NiJ9.e30.c2ln"), 401, "", challengeInvalid},
		{"a proxy's identity headers, in the keys mode", http.Header{"X-Forwarded-User": {"alice"}}, 401, "", challengeMissing},
		{"no credential", nil, 401, "", challengeMissing},
	})
}

// Many requests with one key at once: the race detector watches the
// last-use bookkeeping; every request is answered as the key's owner.
func TestKeyConcurrentUse(t *testing.T) {
	ctx := context.Background()
	keys := auth.NewKeyStore(newBucket(t), nil)
	token, _, err := keys.Create(ctx, "o_alice", 0)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Go(func() {
			k, err := keys.Authenticate(ctx, token)
			if err == nil && k.Owner != "o_alice" {
				err = fmt.Errorf("owner %q", k.Owner)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// A revocation counts from the very next request: nothing caches a key.
func TestKeyRevokedFailsNextRequest(t *testing.T) {
	ctx := context.Background()
	keys := auth.NewKeyStore(newBucket(t), nil)
	a, err := auth.New(ctx, auth.Config{Mode: auth.ModeKeys}, auth.Deps{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, a)
	key, k, err := keys.Create(ctx, "o_owner", 0)
	if err != nil {
		t.Fatal(err)
	}
	check(t, call(t, srv, "GET", "/v1/jobs", authtest.Bearer(key)), 200, "o_owner", "")
	if _, err := keys.Revoke(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	check(t, call(t, srv, "GET", "/v1/jobs", authtest.Bearer(key)), 401, "", challengeInvalid)
}

func TestKeyStore(t *testing.T) {
	ctx := context.Background()
	c := authtest.NewClock(time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC))
	bucket := newBucket(t)
	keys := auth.NewKeyStore(bucket, c.Now)
	token, k, err := keys.Create(ctx, "o_alice", 90*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !keyRE.MatchString(token) {
		t.Errorf("key %q does not match %s", token, keyRE)
	}
	if !strings.Contains(token, k.ID) {
		t.Errorf("key %q does not carry its id %s", token, k.ID)
	}
	// The record holds a hash, never the secret.
	raw, err := bucket.ReadAll(ctx, "records/keys/"+k.ID+"/key.json")
	if err != nil {
		t.Fatal(err)
	}
	secret := token[strings.LastIndex(token, "_")+1:]
	if strings.Contains(string(raw), secret) {
		t.Errorf("the record %s holds the secret", raw)
	}

	// Used at 06:00:00, 06:00:30 and 06:01:05: the last use written is the
	// first and the third, at most once a minute.
	for _, use := range []struct{ at, lastUsed time.Duration }{{0, 0}, {30 * time.Second, 0}, {65 * time.Second, 65 * time.Second}} {
		c.Set(k.Created.Add(use.at))
		if _, err := keys.Authenticate(ctx, token); err != nil {
			t.Fatal(err)
		}
		list, err := keys.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := list[0].LastUsed, k.Created.Add(use.lastUsed); !got.Equal(want) {
			t.Errorf("used at +%s: last used %s, want %s", use.at, got, want)
		}
	}

	second, k2, err := keys.Create(ctx, "o_bob", 0)
	if err != nil {
		t.Fatal(err)
	}
	if second == token || k2.ID == k.ID {
		t.Fatal("two keys alike")
	}
	if _, err := keys.Revoke(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	revokedAt := c.Now()
	c.Advance(time.Hour)
	again, err := keys.Revoke(ctx, k.ID) // keeps the first revocation
	if err != nil {
		t.Fatal(err)
	}
	list, err := keys.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		ID, Owner, State string
		Revoked          time.Time
	}
	var got []row
	for _, k := range list {
		got = append(got, row{k.ID, k.Owner, k.State(c.Now()), k.Revoked})
	}
	want := []row{{k2.ID, "o_bob", "active", time.Time{}}, {k.ID, "o_alice", "revoked", revokedAt}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	if !again.Revoked.Equal(revokedAt) {
		t.Errorf("revoking twice moved the revocation to %s", again.Revoked)
	}
	if _, err := keys.Revoke(ctx, strings.Repeat("a", 16)); fault.KindOf(err) != fault.NotFound {
		t.Errorf("revoking an unknown id: %v, want not found", err)
	}
	if _, err := keys.Revoke(ctx, "../x"); fault.KindOf(err) != fault.InvalidArgument {
		t.Errorf("revoking a malformed id: %v, want invalid argument", err)
	}
}

// A bucket that cannot be read is not a bad key: the error is no *Error
// (no 401 that would send a script to ask for a new key) but a transient
// fault, answered 503.
func TestKeyStoreUnavailable(t *testing.T) {
	ctx := context.Background()
	bucket := memblob.OpenBucket(nil)
	keys := auth.NewKeyStore(bucket, nil)
	token, _, err := keys.Create(ctx, "o_alice", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := bucket.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = keys.Authenticate(ctx, token)
	var ae *auth.Error
	if err == nil || errors.As(err, &ae) || fault.KindOf(err) != fault.Transient {
		t.Errorf("Authenticate with storage failing: %v, want a transient error that is not an *auth.Error", err)
	}
}

// TestDeleteOwnersKeys: deleting an owner's keys deletes all of them and
// no one else's; each then fails as an unknown key; deleting again finds
// none.
func TestDeleteOwnersKeys(t *testing.T) {
	ctx := context.Background()
	keys := auth.NewKeyStore(newBucket(t), nil)
	var alice []string
	for range 2 {
		token, _, err := keys.Create(ctx, "alice", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		alice = append(alice, token)
	}
	bob, _, err := keys.Create(ctx, "bob", 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{2, 0} {
		if n, err := keys.DeleteOwner(ctx, "alice"); n != want || err != nil {
			t.Fatalf("deletion %d: %d keys (%v), want %d", i+1, n, err, want)
		}
	}
	for _, token := range alice {
		if _, err := keys.Authenticate(ctx, token); err == nil || !strings.Contains(err.Error(), "not known") {
			t.Errorf("alice's deleted key: %v, want not known", err)
		}
	}
	if k, err := keys.Authenticate(ctx, bob); err != nil || k.Owner != "bob" {
		t.Errorf("bob's key after alice's were deleted: %+v, %v", k, err)
	}
	if list, err := keys.List(ctx); err != nil || len(list) != 1 {
		t.Errorf("keys left: %+v (%v), want bob's alone", list, err)
	}
}
