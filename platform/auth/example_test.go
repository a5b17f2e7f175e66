package auth_test

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/pixmill/pixmill/platform/auth"
)

// A handler that acts for its caller, and a link that lets someone else
// download the caller's archive for a day.
func Example() {
	ctx := context.Background()
	bucket := memblob.OpenBucket(nil)
	defer bucket.Close()
	now := func() time.Time { return time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC) }
	cfg := auth.Config{Mode: auth.ModeKeys, LinkKeys: [][]byte{[]byte("0123456789abcdef0123456789abcdef")}}
	if err := auth.Check("0.0.0.0:8080", cfg.Mode); err != nil {
		fmt.Println(err)
		return
	}
	a, err := auth.New(ctx, cfg, auth.Deps{Keys: auth.NewKeyStore(bucket, now), Now: now})
	if err != nil {
		fmt.Println(err)
		return
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		owner, err := a.Owner(r)
		if err != nil {
			if !auth.WriteUnauthorized(w, err) {
				http.Error(w, "storage unavailable, please retry", http.StatusServiceUnavailable)
			}
			return
		}
		fmt.Fprintf(w, "the archive of %s", owner)
	})

	link, err := a.Links().Link("GET", "/v1/jobs/j1/archive", "o_eoi4cymbcy6x4yfgavlaauoyim", now().Add(24*time.Hour))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, target := range []string{link, "/v1/jobs/j1/archive"} {
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
		fmt.Println(w.Code, cmp.Or(w.Header().Get("WWW-Authenticate"), w.Body.String()))
	}
	// Output:
	// 200 the archive of o_eoi4cymbcy6x4yfgavlaauoyim
	// 401 Bearer realm="pixmill"
}
