package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/pubsub/mempubsub"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/auth"
	"github.com/pixmill/pixmill/platform/auth/authtest"
)

// signedIn is a gateway behind real sign-in, on a real socket: an OpenID
// provider in the test's process (mockoidc), pixmill's API keys and signed
// links, all on the test's clock.
type signedIn struct {
	*env
	oidc  *mockoidc.MockOIDC
	keys  *auth.KeyStore
	clock *authtest.Clock
}

// newSignedIn serves a gateway in the oidc mode whose links are signed with
// linkKeys[0] and verified with any of them.
func newSignedIn(t *testing.T, linkKeys ...[]byte) *signedIn {
	t.Helper()
	bucket := memblob.OpenBucket(nil)
	t.Cleanup(func() { _ = bucket.Close() })
	return newSignedInOn(t, authtest.Provider(t), bucket, authtest.NewClock(time.Now()), linkKeys...)
}

// newSignedInOn is newSignedIn with provider m, bucket and clock: a second
// replica of another's.
func newSignedInOn(t *testing.T, m *mockoidc.MockOIDC, bucket *blob.Bucket, c *authtest.Clock, linkKeys ...[]byte) *signedIn {
	t.Helper()
	keys := auth.NewKeyStore(bucket, c.Now)
	a, err := auth.New(context.Background(), auth.Config{Mode: auth.ModeOIDC, OIDCIssuer: m.Issuer(), OIDCAudience: m.ClientID, LinkKeys: linkKeys},
		auth.Deps{Keys: keys, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	topic := mempubsub.NewTopic()
	sub := mempubsub.NewSubscription(topic, time.Minute)
	t.Cleanup(func() {
		_ = sub.Shutdown(context.Background())
		_ = topic.Shutdown(context.Background())
	})
	// A metrics handler too, so that every route a gateway can serve is
	// served.
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "# no metrics\n") })
	e := serve(t, Config{}, Deps{Bucket: bucket, Requests: topic, Identify: a.Authenticate, Links: a.Links(), Now: c.Now, Metrics: metrics})
	return &signedIn{env: e, oidc: m, keys: keys, clock: c}
}

// person is someone signed in: their owner id and their credentials.
type person struct {
	owner   string
	idToken string
	apiKey  string
	keyID   string
}

func (s *signedIn) signIn(t *testing.T, subject string) person {
	t.Helper()
	id, _ := authtest.SignIn(t, s.oidc, &mockoidc.MockUser{Subject: subject, Email: subject + "@example.com"})
	owner := auth.OwnerID(s.oidc.Issuer(), subject)
	key, k, err := s.keys.Create(context.Background(), owner, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return person{owner: owner, idToken: id, apiKey: key, keyID: k.ID}
}

// call sends a request with header h, and returns the status, the headers
// and the body. An event stream is read until it ends.
func (s *signedIn) call(t testing.TB, method, path string, h http.Header, contentType string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, b := roundTrip(t, req)
	return resp.StatusCode, resp.Header, b
}

func multipartBody(t testing.TB, files ...file) (string, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range files {
		w, err := mw.CreateFormFile("file", f.name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(f.data)
	}
	_ = mw.Close()
	return mw.FormDataContentType(), body.Bytes()
}

func jsonBody(v any) (string, []byte) {
	b, _ := json.Marshal(v)
	return "application/json", b
}

// holdings are what a person made: an image, a job on it whose one task
// succeeded, and a preset.
type holdings struct {
	image, job, task, preset string
	original                 []byte
}

// make uploads a picture as p, makes a job of it and stores the task's
// result as a worker would, so that every route has something to show.
func (s *signedIn) make(t *testing.T, p person) holdings {
	t.Helper()
	h := authtest.Bearer(p.idToken)
	pic := jpegBytes(t, 64, 48, color.RGBA{200, 100, 50, 255})
	ct, body := multipartBody(t, file{"a.jpg", pic})
	st, _, b := s.call(t, "POST", "/v1/images", h, ct, body)
	var up api.UploadResult
	if err := json.Unmarshal(b, &up); st != http.StatusCreated || err != nil || len(up.Images) != 1 {
		t.Fatalf("upload: %d %s", st, b)
	}
	ct, body = jsonBody(map[string]any{"images": []string{up.Images[0].ID}, "ops": []any{map[string]any{"op": "brightness", "factor": 1.1}}})
	st, _, b = s.call(t, "POST", "/v1/jobs", h, ct, body)
	var job api.Job
	if err := json.Unmarshal(b, &job); st != http.StatusAccepted || err != nil || len(job.Tasks) != 1 {
		t.Fatalf("job: %d %s", st, b)
	}
	key := records.OutputKey(p.owner, job.ID, job.Tasks[0].ID, ".jpg")
	ctx := context.Background()
	if err := s.bucket.WriteAll(ctx, key, pic, nil); err != nil {
		t.Fatal(err)
	}
	res := events.Result{Key: key, Format: "jpeg", ContentType: "image/jpeg", Width: 64, Height: 48, Bytes: int64(len(pic))}
	if err := s.store.MarkCompleted(ctx, events.TaskCompleted{Job: job.ID, Task: job.Tasks[0].ID, Owner: p.owner, Attempt: 1, Result: res}, s.clock.Now()); err != nil {
		t.Fatal(err)
	}
	preset := "p-" + events.NewID()
	ct, body = jsonBody(api.Preset{Name: preset, Ops: rawOps(`{"op":"brightness","factor":1.1}`)})
	if st, _, b := s.call(t, "POST", "/v1/presets", h, ct, body); st != http.StatusCreated {
		t.Fatalf("preset: %d %s", st, b)
	}
	return holdings{image: up.Images[0].ID, job: job.ID, task: job.Tasks[0].ID, preset: preset, original: pic}
}

// link asks for a link to path as p, and returns its answer.
func (s *signedIn) link(t *testing.T, p person, path, expiresIn string) (int, api.Link, string) {
	t.Helper()
	ct, body := jsonBody(api.LinkRequest{Path: path, ExpiresIn: expiresIn})
	st, _, b := s.call(t, "POST", "/v1/links", authtest.Bearer(p.idToken), ct, body)
	var l api.Link
	if st == http.StatusCreated {
		if err := json.Unmarshal(b, &l); err != nil {
			t.Fatal(err)
		}
	}
	return st, l, string(b)
}

// TestSignedLinks: an owner's link opens its one object without any other
// credential until it expires, and is 401 after; a link whose path, owner,
// expiry or signature was changed is 401; what no link may open, another
// owner's objects and expiries out of range are refused when asked for.
func TestSignedLinks(t *testing.T) {
	key := bytes.Repeat([]byte("1"), auth.MinLinkKeyBytes)
	s := newSignedIn(t, key)
	alice, bob := s.signIn(t, "alice"), s.signIn(t, "bob")
	held, second := s.make(t, alice), s.make(t, alice)

	st, l, b := s.link(t, alice, "/v1/images/"+held.image, "2h")
	if st != http.StatusCreated || !l.Expires.Equal(s.clock.Now().Add(2*time.Hour).Truncate(time.Second)) {
		t.Fatalf("link: %d %s, want 201 expiring in 2h", st, b)
	}
	st, h, got := s.call(t, "GET", l.URL, nil, "", nil)
	if st != http.StatusOK || !bytes.Equal(got, held.original) {
		t.Fatalf("the link opens with %d and %d bytes, want 200 and the original", st, len(got))
	}
	// A browser keeps what a link showed no longer than the link lasts.
	want := fmt.Sprintf("private, max-age=%d", l.Expires.Sub(s.clock.Now())/time.Second)
	if cc := h.Get("Cache-Control"); cc != want {
		t.Errorf("through the link: Cache-Control %q, want %q", cc, want)
	}
	for _, path := range []string{"/v1/jobs/" + held.job + "/archive", "/v1/jobs/" + held.job + "/tasks/" + held.task + "/output", "/v1/jobs/" + held.job + "/tasks/" + held.task + "/preview"} {
		st, l, b := s.link(t, alice, path, "")
		if st != http.StatusCreated {
			t.Fatalf("link to %s: %d %s", path, st, b)
		}
		if got, _, _ := s.call(t, "GET", l.URL, nil, "", nil); got != http.StatusOK {
			t.Errorf("the link to %s opens with %d, want 200", path, got)
		}
	}

	u, err := url.Parse(l.URL)
	if err != nil {
		t.Fatal(err)
	}
	tampered := func(f func(path string, q url.Values) string) string {
		q := u.Query()
		p := f(u.Path, q)
		return (&url.URL{Path: p, RawQuery: q.Encode()}).String()
	}
	for _, tt := range []struct {
		name string
		url  string
	}{
		{"another of the owner's images", tampered(func(string, url.Values) string { return "/v1/images/" + second.image })},
		{"another owner", tampered(func(p string, q url.Values) string { q.Set(auth.LinkOwnerParam, bob.owner); return p })},
		{"a later expiry", tampered(func(p string, q url.Values) string {
			q.Set(auth.LinkExpiresParam, strconv.FormatInt(l.Expires.Add(time.Hour).Unix(), 10))
			return p
		})},
		{"a signature cut short", tampered(func(p string, q url.Values) string {
			q.Set(auth.LinkSignatureParam, q.Get(auth.LinkSignatureParam)[1:])
			return p
		})},
		{"another parameter", tampered(func(p string, q url.Values) string { q.Set("limit", "1"); return p })},
	} {
		st, h, _ := s.call(t, "GET", tt.url, nil, "", nil)
		if st != http.StatusUnauthorized || h.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: %d, want 401 with a challenge", tt.name, st)
		}
	}
	// The link is for GET alone.
	if st, _, _ := s.call(t, "POST", tampered(func(string, url.Values) string { return "/v1/links" }), nil, "application/json", []byte(`{}`)); st != http.StatusUnauthorized {
		t.Errorf("the link's signature on POST /v1/links: %d, want 401", st)
	}

	refused := []struct {
		name, path, expiresIn string
		as                    person
		want                  int
	}{
		{"another owner's image", "/v1/images/" + held.image, "1h", bob, http.StatusNotFound},
		{"an unknown image", "/v1/images/" + events.NewID(), "1h", alice, http.StatusNotFound},
		{"another owner's archive", "/v1/jobs/" + held.job + "/archive", "1h", bob, http.StatusNotFound},
		{"a list", "/v1/jobs", "1h", alice, http.StatusBadRequest},
		{"a job's state", "/v1/jobs/" + held.job, "1h", alice, http.StatusBadRequest},
		{"more links", "/v1/links", "1h", alice, http.StatusBadRequest},
		{"a query", "/v1/images/" + held.image + "?x=1", "1h", alice, http.StatusBadRequest},
		{"a path not clean", "/v1/images/../images/" + held.image, "1h", alice, http.StatusBadRequest},
		{"a relative path", "v1/images/" + held.image, "1h", alice, http.StatusBadRequest},
		{"more than seven days", "/v1/images/" + held.image, "8d", alice, http.StatusBadRequest},
		{"a day too many, in hours", "/v1/images/" + held.image, "169h", alice, http.StatusBadRequest},
		{"no time", "/v1/images/" + held.image, "0s", alice, http.StatusBadRequest},
		{"a huge number of days", "/v1/images/" + held.image, "99999999999999d", alice, http.StatusBadRequest},
		{"not a duration", "/v1/images/" + held.image, "soon", alice, http.StatusBadRequest},
		{"seven days", "/v1/images/" + held.image, "7d", alice, http.StatusCreated},
	}
	for _, tt := range refused {
		if st, _, b := s.link(t, tt.as, tt.path, tt.expiresIn); st != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.name, st, b, tt.want)
		}
	}

	// Until its expiry and not a second after.
	s.clock.Set(l.Expires.Add(-time.Second))
	if st, _, _ := s.call(t, "GET", l.URL, nil, "", nil); st != http.StatusOK {
		t.Errorf("a second before expiry: %d, want 200", st)
	}
	s.clock.Set(l.Expires)
	if st, h, _ := s.call(t, "GET", l.URL, nil, "", nil); st != http.StatusUnauthorized || h.Get("WWW-Authenticate") == "" {
		t.Errorf("at expiry: %d, want 401 with a challenge", st)
	}
}

// TestSignedLinksAcrossRotation: a link signed with the old key opens on
// a replica that signs with a new key and still verifies with the old one,
// and is refused once the old key is removed.
func TestSignedLinksAcrossRotation(t *testing.T) {
	oldKey, newKey := bytes.Repeat([]byte("o"), auth.MinLinkKeyBytes), bytes.Repeat([]byte("n"), auth.MinLinkKeyBytes)
	before := newSignedIn(t, oldKey)
	alice := before.signIn(t, "alice")
	held := before.make(t, alice)
	st, l, b := before.link(t, alice, "/v1/images/"+held.image, "1h")
	if st != http.StatusCreated {
		t.Fatalf("link: %d %s", st, b)
	}
	tests := []struct {
		name string
		keys [][]byte
		want int
	}{
		{"the old key alone", [][]byte{oldKey}, http.StatusOK},
		{"the new key signing, the old one kept", [][]byte{newKey, oldKey}, http.StatusOK},
		{"the old key removed", [][]byte{newKey}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			after := newSignedInOn(t, before.oidc, before.bucket, before.clock, tt.keys...)
			if st, _, _ := after.call(t, "GET", l.URL, nil, "", nil); st != tt.want {
				t.Errorf("the old link: %d, want %d", st, tt.want)
			}
		})
	}
}
