package auth_test

import (
	"bytes"
	"context"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/pixmill/pixmill/platform/auth"
	"github.com/pixmill/pixmill/platform/auth/authtest"
)

var (
	oldKey = bytes.Repeat([]byte{1}, 32)
	newKey = bytes.Repeat([]byte{2}, 32)
)

func newLinks(t *testing.T, c *authtest.Clock, keys ...[]byte) *auth.Links {
	t.Helper()
	l, err := auth.NewLinks(keys, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLinks(t *testing.T) {
	c := authtest.NewClock(time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC))
	const path = "/v1/jobs/0123456789abcdef0123456789abcdef/archive"
	expiry := c.Now().Add(24 * time.Hour)
	signed, err := newLinks(t, c, oldKey).Sign("GET", path, "o_alice", expiry)
	if err != nil {
		t.Fatal(err)
	}
	rotated := newLinks(t, c, newKey, oldKey) // the new key signs, the old still verifies
	retired := newLinks(t, c, newKey)         // the old key is gone
	edit := func(f func(url.Values)) url.Values {
		q := url.Values{}
		for k, v := range signed {
			q[k] = append([]string(nil), v...)
		}
		f(q)
		return q
	}

	tests := []struct {
		name   string
		links  *auth.Links
		method string
		path   string
		query  url.Values
		at     time.Time
		owner  string // "" for a rejection
	}{
		{"valid, just signed", rotated, "GET", path, signed, c.Now(), "o_alice"},
		{"valid, a second before expiry", rotated, "GET", path, signed, expiry.Add(-time.Second), "o_alice"},
		{"expired, at the second", rotated, "GET", path, signed, expiry, ""},
		{"expired, a day later", rotated, "GET", path, signed, expiry.Add(24 * time.Hour), ""},
		{"old key retired", retired, "GET", path, signed, c.Now(), ""},
		{"another path", rotated, "GET", "/v1/jobs/0123456789abcdef0123456789abcdee/archive", signed, c.Now(), ""},
		{"another method", rotated, "DELETE", path, signed, c.Now(), ""},
		{"another owner", rotated, "GET", path, edit(func(q url.Values) { q.Set("owner", "o_mallory") }), c.Now(), ""},
		{"later expiry", rotated, "GET", path, edit(func(q url.Values) { q.Set("expires", strconv.FormatInt(expiry.Unix()+1, 10)) }), c.Now(), ""},
		{"signature flipped", rotated, "GET", path, edit(func(q url.Values) {
			s := []byte(q.Get("signature"))
			s[0] ^= 1
			q.Set("signature", string(s))
		}), c.Now(), ""},
		{"no signature", rotated, "GET", path, edit(func(q url.Values) { q.Del("signature") }), c.Now(), ""},
		{"owner given twice", rotated, "GET", path, edit(func(q url.Values) { q.Add("owner", "o_mallory") }), c.Now(), ""},
		{"an extra parameter", rotated, "GET", path, edit(func(q url.Values) { q.Set("limit", "100") }), c.Now(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.Set(tt.at)
			owner, err := tt.links.Verify(tt.method, tt.path, tt.query)
			if owner != tt.owner {
				t.Errorf("Verify = %q, %v; want owner %q", owner, err, tt.owner)
			}
			if tt.owner == "" && err == nil {
				t.Error("Verify rejected nothing")
			}
		})
	}
}

// A link is good for at most seven days: longer cannot be signed, and a
// link that claims longer is refused even with a valid signature (a key
// misused elsewhere, a clock far off).
func TestLinkLifetime(t *testing.T) {
	c := authtest.NewClock(time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC))
	l := newLinks(t, c, newKey)
	for _, tt := range []struct {
		name string
		ttl  time.Duration
		ok   bool
	}{
		{"seven days", auth.MaxLinkTTL, true},
		{"a second over", auth.MaxLinkTTL + time.Second, false},
		{"already expired", -time.Second, false},
		{"now", 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := l.Sign("GET", "/v1/images/x", "o_alice", c.Now().Add(tt.ttl))
			if (err == nil) != tt.ok {
				t.Errorf("Sign for %s: %v, want ok %v", tt.ttl, err, tt.ok)
			}
		})
	}
	// Signed by a clock eight days ahead, verified now.
	ahead := newLinks(t, authtest.NewClock(c.Now().Add(24*time.Hour)), newKey)
	q, err := ahead.Sign("GET", "/v1/images/x", "o_alice", c.Now().Add(auth.MaxLinkTTL+time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if owner, err := l.Verify("GET", "/v1/images/x", q); err == nil {
		t.Errorf("a link that claims more than seven days was accepted for %q", owner)
	}
}

func TestNewLinksRefusesShortKeys(t *testing.T) {
	for _, keys := range [][][]byte{nil, {make([]byte, 31)}, {newKey, make([]byte, 16)}} {
		if _, err := auth.NewLinks(keys, nil); err == nil {
			t.Errorf("NewLinks(%d keys) accepted", len(keys))
		}
	}
}

// Over HTTP, through the Authenticator: a link opens its route as its
// owner until it expires, then answers 401; no sleeping, the clock moves.
func TestLinkOverHTTP(t *testing.T) {
	c := authtest.NewClock(time.Now())
	keys := auth.NewKeyStore(newBucket(t), c.Now)
	a, err := auth.New(context.Background(), auth.Config{Mode: auth.ModeKeys, LinkKeys: [][]byte{newKey, oldKey}},
		auth.Deps{Keys: keys, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, a)
	const path = "/v1/jobs/j1/archive"
	q, err := a.Links().Sign("GET", path, "o_alice", c.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	old, err := newLinks(t, c, oldKey).Sign("GET", path, "o_alice", c.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	check(t, call(t, srv, "GET", path+"?"+q.Encode(), nil), 200, "o_alice", "")
	check(t, call(t, srv, "GET", path+"?"+old.Encode(), nil), 200, "o_alice", "")
	check(t, call(t, srv, "GET", "/v1/jobs/j2/archive?"+q.Encode(), nil), 401, "", challengeInvalid)
	check(t, call(t, srv, "POST", path+"?"+q.Encode(), nil), 401, "", challengeInvalid)
	c.Advance(time.Hour)
	check(t, call(t, srv, "GET", path+"?"+q.Encode(), nil), 401, "", challengeInvalid)

	// Without link keys, a link is refused, not ignored.
	plain, err := auth.New(context.Background(), auth.Config{Mode: auth.ModeLoopback}, auth.Deps{Keys: keys, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	check(t, call(t, serve(t, plain), "GET", path+"?"+q.Encode(), nil), 401, "", challengeInvalid)
}
