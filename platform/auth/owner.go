package auth

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"strings"

	"github.com/pixmill/pixmill/events/records"
)

// LocalOwner is the single owner of a gateway in the loopback or none mode,
// the owner of everything a stack made before it had sign-in.
const LocalOwner = records.LocalOwner

// NamedIssuer is the issuer of the owners that pixmill itself names: an
// API key made for a script (pixmill keys create --owner NAME) belongs to
// OwnerID(NamedIssuer, NAME).
const NamedIssuer = "urn:pixmill:named"

// ownerPrefix starts every derived owner id, so one is told from a name
// at a glance; the rest is 26 characters of lower-case base32.
const ownerPrefix = "o_"

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// OwnerID is the owner id of the identity (issuer, subject): the first 128
// bits of SHA-256 over both, each prefixed by its length so that no two
// pairs hash the same input. 128 bits make a collision between owners as
// unlikely as one between the ids pixmill gives images. It is usable as
// is in bucket keys and URLs.
func OwnerID(issuer, subject string) string {
	h := sha256.New()
	for _, s := range []string{issuer, subject} {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(s))))
		h.Write([]byte(s))
	}
	return ownerPrefix + lowerBase32.EncodeToString(h.Sum(nil)[:16])
}

// IsOwnerID reports whether s has the form of an id OwnerID gives.
func IsOwnerID(s string) bool {
	rest, ok := strings.CutPrefix(s, ownerPrefix)
	return ok && len(rest) == 26 && isBase32(rest)
}

// ResolveOwner turns what an operator types after --owner into an owner:
// LocalOwner and owner ids (as pixmill shows them) stay as they are; any
// other name becomes OwnerID(NamedIssuer, name), so that a name, which may
// be an email address, is never stored.
func ResolveOwner(name string) (string, error) {
	switch {
	case strings.TrimSpace(name) == "":
		return "", errors.New("owner: a name or an owner id is required")
	case name == LocalOwner, IsOwnerID(name):
		return name, nil
	}
	return OwnerID(NamedIssuer, name), nil
}

func isBase32(s string) bool {
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '2' || r > '7') {
			return false
		}
	}
	return true
}
