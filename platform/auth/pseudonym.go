package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"regexp"
)

// Pseudonyms names owners in logs: "p_" and ten base32 characters (50 bits)
// of HMAC-SHA256 under a key of the deployment. An owner id is itself a
// hash, but of the issuer and the subject alone, so whoever knows
// someone's subject or email address could find their lines in a log; a
// pseudonym cannot be computed without the key, and is short enough to
// read. Fifty bits make two owners of one deployment share a pseudonym
// about as often as one in a billion pairs: enough to follow one person
// through a log, not to identify anyone. It is safe for concurrent use.
type Pseudonyms struct{ key []byte }

// NewPseudonyms returns the pseudonyms under key, or under a key of its
// own when key is empty: then they hold for this process only.
func NewPseudonyms(key []byte) *Pseudonyms {
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key) // crypto/rand.Read never fails on supported platforms.
	}
	return &Pseudonyms{key: key}
}

// Of returns owner's pseudonym.
func (p *Pseudonyms) Of(owner string) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(owner))
	return "p_" + lowerBase32.EncodeToString(m.Sum(nil))[:10]
}

// pseudonymKey derives the pseudonyms' key from the first link key, so that
// every replica names an owner alike with no setting of its own; nothing
// about the link key can be learnt from it.
func pseudonymKey(linkKeys [][]byte) []byte {
	if len(linkKeys) == 0 {
		return nil
	}
	m := hmac.New(sha256.New, linkKeys[0])
	m.Write([]byte("pixmill-log-pseudonym-v1"))
	return m.Sum(nil)
}

// anyOwnerID matches the owner ids OwnerID gives, wherever they appear: in
// a bucket key inside an error message, say.
var anyOwnerID = regexp.MustCompile(`\bo_[a-z2-7]{26}\b`)

// Redact returns a handler that writes to h what it is given with every
// owner id, in the message or in an attribute (a string, an error, a
// group), replaced by its pseudonym. Errors of storage name bucket keys,
// and bucket keys name owners: a log that must not hold owner ids cannot
// count on each call site to leave them out.
func (p *Pseudonyms) Redact(h slog.Handler) slog.Handler { return redacting{h, p} }

type redacting struct {
	h slog.Handler
	p *Pseudonyms
}

func (r redacting) Enabled(ctx context.Context, l slog.Level) bool { return r.h.Enabled(ctx, l) }

func (r redacting) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, r.text(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(r.attr(a))
		return true
	})
	return r.h.Handle(ctx, out)
}

func (r redacting) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = r.attr(a)
	}
	return redacting{r.h.WithAttrs(red), r.p}
}

func (r redacting) WithGroup(name string) slog.Handler { return redacting{r.h.WithGroup(name), r.p} }

func (r redacting) text(s string) string {
	return anyOwnerID.ReplaceAllStringFunc(s, r.p.Of)
}

func (r redacting) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, r.text(v.String()))
	case slog.KindGroup:
		g := v.Group()
		red := make([]any, len(g))
		for i, ga := range g {
			red[i] = r.attr(ga)
		}
		return slog.Group(a.Key, red...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, r.text(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, r.text(x.String()))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
