package auth_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/auth"
)

func newBucket(t *testing.T) *blob.Bucket {
	t.Helper()
	b := memblob.OpenBucket(nil)
	t.Cleanup(func() { b.Close() })
	return b
}

// serve puts a in front of a handler that answers with the caller's owner,
// on a real socket, as the gateway will: 401 through WriteUnauthorized,
// 503 for any other failure.
func serve(t *testing.T, a *auth.Authenticator) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		owner, err := a.Owner(r)
		if err != nil {
			if !auth.WriteUnauthorized(w, err) {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
			}
			return
		}
		_, _ = w.Write([]byte(owner))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// answer is what the test server said.
type answer struct {
	status    int
	owner     string // on 200
	challenge string // WWW-Authenticate on 401
}

func call(t *testing.T, srv *httptest.Server, method, path string, header http.Header) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, challenge: resp.Header.Get("WWW-Authenticate")}
	switch resp.StatusCode {
	case http.StatusOK:
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		a.owner = string(b)
	case http.StatusUnauthorized:
		var body api.Error
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Error == "" {
			t.Errorf("401 body: %v, error %q; want the API's JSON error", err, body.Error)
		}
	}
	return a
}

// Challenges, as RFC 6750 writes them.
const (
	challengeMissing = `Bearer realm="pixmill"`
	challengeInvalid = `Bearer realm="pixmill", error="invalid_token"`
)

// check compares an answer with the status and owner wanted; a 401 must
// carry the challenge wanted (its error_description aside).
func check(t *testing.T, got answer, status int, owner, challenge string) {
	t.Helper()
	if got.status != status {
		t.Fatalf("status %d, want %d (challenge %q)", got.status, status, got.challenge)
	}
	if got.owner != owner {
		t.Errorf("owner %q, want %q", got.owner, owner)
	}
	if status == http.StatusUnauthorized {
		if challenge == challengeMissing && got.challenge != challenge {
			t.Errorf("WWW-Authenticate %q, want %q", got.challenge, challenge)
		}
		if challenge == challengeInvalid && !strings.HasPrefix(got.challenge, challenge+", error_description=") {
			t.Errorf("WWW-Authenticate %q, want %q and a description", got.challenge, challenge)
		}
	}
}

// credentialCase is a row of a mode's table: what a request carries, and
// the answer wanted.
type credentialCase struct {
	name      string
	header    http.Header
	status    int
	owner     string
	challenge string
}

// runCases sends each case's request to srv and checks the answer.
func runCases(t *testing.T, srv *httptest.Server, cases []credentialCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			check(t, call(t, srv, "GET", "/v1/jobs", tt.header), tt.status, tt.owner, tt.challenge)
		})
	}
}
