package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Every request of a submission, uploads, job, polls and downloads alike,
// carries the token; without it the server's 401 comes back as an
// *APIError.
func TestToken(t *testing.T) {
	const token = "pmk_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	_, fake := newFake(t, fakeConfig{})
	var mu sync.Mutex
	var requests []string
	next := fake.Config.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.Method+" "+r.URL.Path)
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+token {
			writeError(w, http.StatusUnauthorized, "sign in")
			return
		}
		next.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	in, out := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(in, "beach.jpg"), "JPEG beach")
	opts := SubmitOptions{Server: srv.URL, Paths: []string{filepath.Join(in, "beach.jpg")}, Ops: testOps,
		Wait: true, Out: out, PollInterval: time.Millisecond}

	withToken := opts
	withToken.Token = token
	rep, err := Submit(context.Background(), withToken)
	if err != nil || rep.Succeeded != 1 || len(rep.Written) != 1 {
		t.Fatalf("Submit with the token: %+v, %v; want one picture written", rep, err)
	}
	for _, want := range []string{"POST /v1/images", "POST /v1/jobs", "GET /v1/jobs/", "/output"} {
		if !strings.Contains(strings.Join(requests, "\n"), want) {
			t.Errorf("requests %q: none like %q", requests, want)
		}
	}

	_, err = Submit(context.Background(), opts)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized {
		t.Errorf("Submit without the token: %v, want a 401 *APIError", err)
	}
}
