package gateway

import (
	"net/http"
	"strings"
	"testing"
)

func TestWebAppFiles(t *testing.T) {
	rs := newReplicas(t)
	tests := []struct {
		path, ctype string
		status      int
		contains    string
	}{
		{"/", "text/html; charset=utf-8", 200, `<script type="module" src="/assets/app.js">`},
		{"/assets/app.js", "text/javascript; charset=utf-8", 200, "new EventSource("},
		{"/assets/app.css", "text/css; charset=utf-8", 200, ":focus-visible"},
		{"/assets/nothing.js", "application/json", 404, "no such file"},
		{"/assets/index.html", "", 404, ""},
		{"/index.html", "", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := fetch(t, rs.a.URL+tt.path, nil)
			if resp.StatusCode != tt.status || (tt.ctype != "" && resp.Header.Get("Content-Type") != tt.ctype) || !strings.Contains(body, tt.contains) {
				t.Fatalf("GET %s: %d %q, %d bytes; want %d %q containing %q", tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), len(body), tt.status, tt.ctype, tt.contains)
			}
			if tt.status != 200 {
				return
			}
			if resp.Header.Get("Cache-Control") != "no-cache" || resp.Header.Get("ETag") == "" {
				t.Errorf("Cache-Control %q, ETag %q: want revalidation with an ETag", resp.Header.Get("Cache-Control"), resp.Header.Get("ETag"))
			}
			again, _ := fetch(t, rs.a.URL+tt.path, http.Header{"If-None-Match": {resp.Header.Get("ETag")}})
			if again.StatusCode != http.StatusNotModified {
				t.Errorf("with If-None-Match: %d, want 304", again.StatusCode)
			}
		})
	}
	resp, _ := fetch(t, rs.a.URL+"/", nil)
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
}

func fetch(t *testing.T, url string, h http.Header) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range h {
		req.Header[k] = v
	}
	resp, b := roundTrip(t, req)
	return resp, string(b)
}
