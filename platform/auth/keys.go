package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/pixmill/pixmill/events/fault"
)

// An API key is KeyPrefix, the key's id, an underscore and the secret:
//
//	pmk_<16 characters of id>_<52 characters of secret>
//
// in lower-case base32. The prefix makes a leaked key easy to find with
// grep or a secret scanner, and the id finds its record without a scan.
const KeyPrefix = "pmk_"

const (
	keyIDBytes     = 10 // 80 bits: unique among the keys of a deployment
	keySecretBytes = 32 // 256 bits: not guessable, whatever the hash
	keyIDLen       = 16
	keySecretLen   = 52
)

// LastUsedInterval is how stale a key's last-use time may be: a replica
// writes it at most once in this long per key, so that using a key costs
// one read, not a write, on almost every request.
const LastUsedInterval = time.Minute

// Key is an API key's record, without its secret.
type Key struct {
	ID      string    `json:"id"`
	Owner   string    `json:"owner"`
	Created time.Time `json:"created"`
	// Expires is zero for a key that does not expire.
	Expires time.Time `json:"expires,omitzero"`
	// Revoked is zero until the key is revoked.
	Revoked time.Time `json:"revoked,omitzero"`
	// LastUsed is kept in an object of its own (see KeyStore).
	LastUsed time.Time `json:"-"`
	// Hash is SHA-256 of the whole key, hex.
	Hash string `json:"sha256"`
}

// State is "active", "expired" or "revoked" at now.
func (k Key) State(now time.Time) string {
	switch {
	case !k.Revoked.IsZero():
		return "revoked"
	case !k.Expires.IsZero() && !now.Before(k.Expires):
		return "expired"
	}
	return "active"
}

// KeyStore keeps API keys as small JSON records in the bucket:
//
//	records/keys/{id}/key.json    written at creation, and again at revocation
//	records/keys/{id}/used.json   the last use, written at most once a minute
//
// The last use lives apart so that recording it can never undo a
// revocation: the key record is written only by create and revoke, and a
// revoke only ever adds its time. It is safe for concurrent use.
type KeyStore struct {
	bucket *blob.Bucket
	now    Clock

	mu       sync.Mutex
	lastSeen map[string]time.Time // id → when this replica last wrote used.json
}

// NewKeyStore returns a KeyStore on b, telling time with now (time.Now if
// nil). The caller keeps ownership of b.
func NewKeyStore(b *blob.Bucket, now Clock) *KeyStore {
	if now == nil {
		now = time.Now
	}
	return &KeyStore{bucket: b, now: now, lastSeen: map[string]time.Time{}}
}

func keyRecordKey(id string) string { return "records/keys/" + id + "/key.json" }
func keyUsedKey(id string) string   { return "records/keys/" + id + "/used.json" }

const keysPrefix = "records/keys/"

// Create makes a key for owner that expires after ttl (never when ttl is
// 0) and returns it: the only time the secret exists outside the caller.
func (s *KeyStore) Create(ctx context.Context, owner string, ttl time.Duration) (string, Key, error) {
	if owner == "" {
		return "", Key{}, fault.New(fault.InvalidArgument, "auth: a key needs an owner")
	}
	if ttl < 0 {
		return "", Key{}, fault.New(fault.InvalidArgument, "auth: expires %s: want a positive duration, or none", ttl)
	}
	id, secret := randomBase32(keyIDBytes), randomBase32(keySecretBytes)
	token := KeyPrefix + id + "_" + secret
	now := s.now().UTC()
	k := Key{ID: id, Owner: owner, Created: now, Hash: hashKey(token)}
	if ttl > 0 {
		k.Expires = now.Add(ttl)
	}
	b, err := json.Marshal(k)
	if err != nil {
		return "", Key{}, fmt.Errorf("auth: encoding key %s: %w", id, err)
	}
	// IfNotExist: two keys with one id would be one key too many, however
	// unlikely 80 random bits make it.
	err = s.bucket.WriteAll(ctx, keyRecordKey(id), b, &blob.WriterOptions{ContentType: "application/json", IfNotExist: true})
	if err != nil {
		return "", Key{}, fault.Storage(err, "auth: writing key %s", id)
	}
	return token, k, nil
}

// hashKey is SHA-256 of the key. A fast hash is right here, where a slow
// one (bcrypt, Argon2) protects passwords: those are guessable, so each
// guess must cost. A key's secret is 256 random bits, so a stolen hash
// cannot be reversed by guessing at any speed, and a slow hash would only
// make every request, and every forged one, expensive for the gateway.
func hashKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// parseKey splits a key into its id, checking its form first, so that
// nothing that is not a key reaches the bucket as part of an object name.
func parseKey(token string) (id string, ok bool) {
	rest, ok := strings.CutPrefix(token, KeyPrefix)
	if !ok {
		return "", false
	}
	id, secret, ok := strings.Cut(rest, "_")
	if !ok || len(id) != keyIDLen || len(secret) != keySecretLen || !isBase32(id) || !isBase32(secret) {
		return "", false
	}
	return id, true
}

// Authenticate returns the key whose secret token is, if it is active. The
// record is read on every call, so a revocation or an expiry counts from
// the next request on, on every replica. A key that is unknown, revoked,
// expired or wrong is an [*Error]; a bucket that cannot be read, a
// Transient fault.
func (s *KeyStore) Authenticate(ctx context.Context, token string) (Key, error) {
	id, ok := parseKey(token)
	if !ok {
		return Key{}, invalid(nil, "the API key is malformed")
	}
	k, err := s.record(ctx, id)
	if fault.KindOf(err) == fault.NotFound {
		return Key{}, invalid(nil, "the API key is not known")
	}
	if err != nil {
		return Key{}, err
	}
	if subtle.ConstantTimeCompare([]byte(hashKey(token)), []byte(k.Hash)) != 1 {
		return Key{}, invalid(nil, "the API key is not known")
	}
	now := s.now()
	switch k.State(now) {
	case "revoked":
		return Key{}, invalid(nil, "the API key %s was revoked", k.ID)
	case "expired":
		return Key{}, invalid(nil, "the API key %s has expired", k.ID)
	}
	s.markUsed(ctx, k.ID, now)
	return k, nil
}

// markUsed records the use at most once a LastUsedInterval per key and
// replica. Failing to record it fails nothing: it is a hint for people
// deciding which keys to revoke, not a control.
func (s *KeyStore) markUsed(ctx context.Context, id string, now time.Time) {
	s.mu.Lock()
	last, seen := s.lastSeen[id]
	due := !seen || now.Sub(last) >= LastUsedInterval
	if due {
		s.lastSeen[id] = now
	}
	s.mu.Unlock()
	if !due {
		return
	}
	b, _ := json.Marshal(struct {
		LastUsed time.Time `json:"last_used"`
	}{now.UTC()})
	_ = s.bucket.WriteAll(ctx, keyUsedKey(id), b, &blob.WriterOptions{ContentType: "application/json"})
}

// record reads the key record alone: what a request needs.
func (s *KeyStore) record(ctx context.Context, id string) (Key, error) {
	var k Key
	b, err := s.bucket.ReadAll(ctx, keyRecordKey(id))
	if err := fault.Storage(err, "auth: reading key %s", id); err != nil {
		return k, err
	}
	if err := json.Unmarshal(b, &k); err != nil {
		return k, fault.Wrap(fault.Permanent, err, "auth: key %s is corrupt", id)
	}
	return k, nil
}

// read reads the key record and its last use: what people are shown.
func (s *KeyStore) read(ctx context.Context, id string) (Key, error) {
	k, err := s.record(ctx, id)
	if err != nil {
		return k, err
	}
	b, err := s.bucket.ReadAll(ctx, keyUsedKey(id))
	switch {
	case err == nil:
		var used struct {
			LastUsed time.Time `json:"last_used"`
		}
		if json.Unmarshal(b, &used) == nil {
			k.LastUsed = used.LastUsed
		}
	case gcerrors.Code(err) != gcerrors.NotFound:
		return k, fault.Storage(err, "auth: reading the last use of key %s", id)
	}
	return k, nil
}

// List returns every key, the newest first.
func (s *KeyStore) List(ctx context.Context) ([]Key, error) {
	var keys []Key
	it := s.bucket.List(&blob.ListOptions{Prefix: keysPrefix})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fault.Storage(err, "auth: listing keys")
		}
		id, ok := strings.CutSuffix(strings.TrimPrefix(obj.Key, keysPrefix), "/key.json")
		if !ok {
			continue
		}
		k, err := s.read(ctx, id)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b Key) int { return b.Created.Compare(a.Created) })
	return keys, nil
}

// Revoke revokes the key id from now on. Revoking a revoked key keeps its
// first revocation time; an unknown id is a NotFound fault.
func (s *KeyStore) Revoke(ctx context.Context, id string) (Key, error) {
	if len(id) != keyIDLen || !isBase32(id) {
		return Key{}, fault.New(fault.InvalidArgument, "auth: %q is not a key id (16 characters, as pixmill keys list shows)", id)
	}
	k, err := s.read(ctx, id)
	if fault.KindOf(err) == fault.NotFound {
		return Key{}, fault.New(fault.NotFound, "auth: no key %s", id)
	}
	if err != nil || !k.Revoked.IsZero() {
		return k, err
	}
	k.Revoked = s.now().UTC()
	b, err := json.Marshal(k)
	if err != nil {
		return Key{}, fmt.Errorf("auth: encoding key %s: %w", id, err)
	}
	if err := s.bucket.WriteAll(ctx, keyRecordKey(id), b, &blob.WriterOptions{ContentType: "application/json"}); err != nil {
		return Key{}, fault.Storage(err, "auth: revoking key %s", id)
	}
	return k, nil
}

func randomBase32(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails: it crashes the program rather than return too little
	return lowerBase32.EncodeToString(b)
}

// DeleteOwner deletes every key of owner, records and all, and returns how
// many there were: what erasing an owner does to its keys. A deleted key
// is unknown from the next request on, on every replica, as a revoked one
// is. Deleting them again finds none.
func (s *KeyStore) DeleteOwner(ctx context.Context, owner string) (int, error) {
	keys, err := s.List(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		if k.Owner != owner {
			continue
		}
		// The key record goes first: the key fails from then on, even if
		// removing its last use then fails.
		for _, obj := range []string{keyRecordKey(k.ID), keyUsedKey(k.ID)} {
			if err := s.bucket.Delete(ctx, obj); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
				return n, fault.Storage(err, "auth: deleting key %s", k.ID)
			}
		}
		n++
	}
	return n, nil
}
