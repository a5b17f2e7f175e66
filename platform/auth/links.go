package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// MaxLinkTTL is the longest a signed link is valid.
const MaxLinkTTL = 7 * 24 * time.Hour

// The query parameters of a signed link:
//
//	GET /v1/jobs/{id}/archive?owner=o_…&expires=1767225600&signature=…
//
// expires is in Unix seconds; signature is unpadded base64url of
// HMAC-SHA256 over the method, the path, the owner and expires. A link
// carries no other query parameter: none would be signed.
const (
	LinkOwnerParam     = "owner"
	LinkExpiresParam   = "expires"
	LinkSignatureParam = "signature"
)

// Links signs and verifies links. It is safe for concurrent use.
//
// What may be signed is the caller's decision: a link acts as its owner on
// its route, so the gateway signs only reads of the owner's own objects
// (GET of an image, an output, a preview, an archive), never a route that changes
// anything or hands out more links.
type Links struct {
	keys [][]byte
	now  Clock
}

// NewLinks returns a Links that signs with keys[0] and accepts a signature
// by any of keys. To rotate, put the new key first and keep the old one
// for MaxLinkTTL, until the last link it signed has expired.
func NewLinks(keys [][]byte, now Clock) (*Links, error) {
	if len(keys) == 0 {
		return nil, errors.New("auth: links need a signing key")
	}
	for i, k := range keys {
		if len(k) < MinLinkKeyBytes {
			return nil, fmt.Errorf("auth: link key %d has %d bytes, want at least %d", i+1, len(k), MinLinkKeyBytes)
		}
	}
	if now == nil {
		now = time.Now
	}
	return &Links{keys: keys, now: now}, nil
}

// Sign returns the query that lets anyone holding it do method on path as
// owner until expiry, at most MaxLinkTTL from now. path is the URL's
// decoded path, as the gateway sees it in r.URL.Path.
func (l *Links) Sign(method, path, owner string, expiry time.Time) (url.Values, error) {
	now := l.now()
	switch {
	case owner == "":
		return nil, errors.New("auth: a link needs an owner")
	case !expiry.After(now):
		return nil, fmt.Errorf("auth: link expiry %s is not in the future", expiry.UTC().Format(time.RFC3339))
	case expiry.Sub(now) > MaxLinkTTL:
		return nil, fmt.Errorf("auth: link expiry %s is more than %s away", expiry.UTC().Format(time.RFC3339), MaxLinkTTL)
	}
	exp := strconv.FormatInt(expiry.Unix(), 10)
	return url.Values{
		LinkOwnerParam:     {owner},
		LinkExpiresParam:   {exp},
		LinkSignatureParam: {base64.RawURLEncoding.EncodeToString(linkMAC(l.keys[0], method, path, owner, exp))},
	}, nil
}

// Link returns the URL, relative to the gateway, of a link signed as Sign
// signs: path escaped, the query attached.
func (l *Links) Link(method, path, owner string, expiry time.Time) (string, error) {
	q, err := l.Sign(method, path, owner, expiry)
	if err != nil {
		return "", err
	}
	return (&url.URL{Path: path, RawQuery: q.Encode()}).String(), nil
}

// IsLink reports whether query carries a link's signature, and so must be
// verified as one.
func IsLink(query url.Values) bool { return query.Has(LinkSignatureParam) }

// Verify returns the owner a link grants method on path to. A link whose
// method, path, owner or expiry is not what was signed, that has expired,
// that claims to last longer than MaxLinkTTL, or that carries other query
// parameters is an [*Error].
func (l *Links) Verify(method, path string, query url.Values) (string, error) {
	for name, vs := range query {
		switch {
		case name != LinkOwnerParam && name != LinkExpiresParam && name != LinkSignatureParam:
			return "", invalid(nil, "a signed link carries no other query parameter than %s, %s and %s", LinkOwnerParam, LinkExpiresParam, LinkSignatureParam)
		case len(vs) != 1:
			return "", invalid(nil, "the link's %s is given %d times", name, len(vs))
		}
	}
	owner, exp := query.Get(LinkOwnerParam), query.Get(LinkExpiresParam)
	sig, err := base64.RawURLEncoding.DecodeString(query.Get(LinkSignatureParam))
	if err != nil || owner == "" {
		return "", invalid(err, "the link is malformed")
	}
	secs, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return "", invalid(err, "the link's expiry is malformed")
	}
	valid := false
	for _, k := range l.keys {
		// Every key is tried, so the time taken does not tell which one
		// signed; hmac.Equal compares in constant time.
		valid = hmac.Equal(sig, linkMAC(k, method, path, owner, exp)) || valid
	}
	if !valid {
		return "", invalid(nil, "the link's signature does not match")
	}
	expiry, now := time.Unix(secs, 0), l.now()
	switch {
	case !now.Before(expiry):
		return "", invalid(nil, "the link has expired")
	case expiry.Sub(now) > MaxLinkTTL:
		return "", invalid(nil, "the link claims to last longer than %s", MaxLinkTTL)
	}
	return owner, nil
}

// linkMAC is HMAC-SHA256 over a version tag and the fields, each preceded
// by its length, so that no two different links sign the same bytes
// (a path ending where an owner would begin, say).
func linkMAC(key []byte, fields ...string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("pixmill-link-v1"))
	for _, f := range fields {
		m.Write(binary.BigEndian.AppendUint64(nil, uint64(len(f))))
		m.Write([]byte(f))
	}
	return m.Sum(nil)
}
