package auth_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/platform/auth"
)

func TestPseudonyms(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte("1"), 32), bytes.Repeat([]byte("2"), 32)
	alice, bob := auth.OwnerID("https://issuer.example", "alice"), auth.OwnerID("https://issuer.example", "bob")
	shape := regexp.MustCompile(`^p_[a-z2-7]{10}$`)
	p1, p1again, p2 := auth.NewPseudonyms(k1), auth.NewPseudonyms(k1), auth.NewPseudonyms(k2)
	for _, o := range []string{alice, bob, auth.LocalOwner} {
		got := p1.Of(o)
		if !shape.MatchString(got) || strings.Contains(o, got[2:]) {
			t.Errorf("pseudonym of %s is %q, want p_ and ten base32 characters unlike the id", o, got)
		}
		if p1again.Of(o) != got {
			t.Errorf("%s is %q and %q under one key", o, got, p1again.Of(o))
		}
		if p2.Of(o) == got {
			t.Errorf("%s is %q under two keys: the key does not count", o, got)
		}
	}
	if p1.Of(alice) == p1.Of(bob) {
		t.Error("alice and bob share a pseudonym")
	}

	// Two replicas with the same link keys name owners alike; the names
	// are not those of a key used directly.
	replica := func(keys ...[]byte) *auth.Pseudonyms {
		a, err := auth.New(context.Background(), auth.Config{Mode: auth.ModeKeys, LinkKeys: keys}, auth.Deps{Keys: auth.NewKeyStore(newBucket(t), nil)})
		if err != nil {
			t.Fatal(err)
		}
		return a.Pseudonyms()
	}
	r1, r2, r3 := replica(k1, k2), replica(k1), replica(k2, k1)
	if r1.Of(alice) != r2.Of(alice) || r1.Of(alice) == r3.Of(alice) || r1.Of(alice) == p1.Of(alice) {
		t.Errorf("replicas name alice %s, %s (same first key), %s (another); the link key itself %s", r1.Of(alice), r2.Of(alice), r3.Of(alice), p1.Of(alice))
	}
}

// TestRedact: an owner id anywhere in a record, in its message, a string,
// an error, a group or an attribute given to With, reaches the log as its
// pseudonym; everything else is left as it was.
func TestRedact(t *testing.T) {
	p := auth.NewPseudonyms(bytes.Repeat([]byte("1"), 32))
	owner := auth.OwnerID("https://issuer.example", "alice")
	key := "originals/" + owner + "/img"
	tests := []struct {
		name string
		log  func(l *slog.Logger)
		want string
	}{
		{"message", func(l *slog.Logger) { l.Info("owner " + owner) }, `"msg":"owner ` + p.Of(owner) + `"`},
		{"string", func(l *slog.Logger) { l.Info("m", "key", key) }, `"key":"originals/` + p.Of(owner) + `/img"`},
		{"error", func(l *slog.Logger) { l.Info("m", "err", fmt.Errorf("reading %s: gone", key)) }, `"err":"reading originals/` + p.Of(owner) + `/img: gone"`},
		{"group", func(l *slog.Logger) { l.Info("m", slog.Group("g", "owner", owner, "n", 3)) }, `"g":{"owner":"` + p.Of(owner) + `","n":3}`},
		{"with", func(l *slog.Logger) { l.With("owner", owner).Info("m") }, `"owner":"` + p.Of(owner) + `"`},
		{"not an owner id", func(l *slog.Logger) { l.Info("m", "job", "o_short", "n", 7) }, `"job":"o_short","n":7`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			tt.log(slog.New(p.Redact(slog.NewJSONHandler(&b, nil))))
			if got := b.String(); !strings.Contains(got, tt.want) || strings.Contains(got, owner) {
				t.Errorf("logged %s, want %s and no owner id", got, tt.want)
			}
		})
	}
}
