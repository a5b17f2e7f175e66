package auth_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/platform/auth"
)

func TestOwnerID(t *testing.T) {
	// The id is part of every stored key: it must never change for an
	// identity, in this release or the next.
	if got, want := auth.OwnerID("https://accounts.example.com", "alice"), auth.OwnerID("https://accounts.example.com", "alice"); got != want {
		t.Errorf("OwnerID is not a function: %q, %q", got, want)
	}
	if got, want := auth.OwnerID("https://accounts.example.com", "alice"), goldenAlice; got != want {
		t.Errorf("OwnerID changed: %q, was %q; every stored owner would be orphaned", got, want)
	}
	pairs := [][2]string{{"https://a.example", "bc"}, {"https://a.exampleb", "c"}, {"https://a.example", "alice"}, {"https://b.example", "alice"}}
	seen := map[string][2]string{}
	for _, p := range pairs {
		id := auth.OwnerID(p[0], p[1])
		if q, dup := seen[id]; dup {
			t.Errorf("%q and %q share the owner %s", p, q, id)
		}
		seen[id] = p
		if !auth.IsOwnerID(id) || strings.Contains(id, "example") || strings.Contains(id, "alice") {
			t.Errorf("OwnerID%q = %q: not an opaque owner id", p, id)
		}
	}
}

const goldenAlice = "o_eoi4cymbcy6x4yfgavlaauoyim"

func TestResolveOwner(t *testing.T) {
	id := auth.OwnerID("https://accounts.example.com", "alice")
	tests := []struct {
		name, in, want string
		kind           fault.Kind
	}{
		{"owner id", id, id, ""},
		{"local", "local", auth.LocalOwner, ""},
		{"a name", "nightly-backup", auth.OwnerID(auth.NamedIssuer, "nightly-backup"), ""},
		{"an email is hashed", "alice@example.com", auth.OwnerID(auth.NamedIssuer, "alice@example.com"), ""},
		{"empty", " ", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := auth.ResolveOwner(tt.in)
			if got != tt.want || (tt.want == "") != (err != nil) {
				t.Errorf("ResolveOwner(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestWriteUnauthorized(t *testing.T) {
	w := httptest.NewRecorder()
	if auth.WriteUnauthorized(w, fault.New(fault.Transient, "bucket down")) {
		t.Fatal("a storage failure was answered 401")
	}
	if w.Code != 200 || w.Body.Len() != 0 || len(w.Header()) != 0 {
		t.Errorf("WriteUnauthorized wrote %d %v %q for an error that is not its own", w.Code, w.Header(), w.Body)
	}
	w = httptest.NewRecorder()
	auth.WriteUnauthorized(w, &auth.Error{Code: auth.CodeInvalidToken, Msg: `the "token" has expired` + "\n\u00e9"})
	if got, want := w.Header().Get("WWW-Authenticate"), `Bearer realm="pixmill", error="invalid_token", error_description="the token has expired"`; got != want {
		t.Errorf("WWW-Authenticate %q, want %q", got, want)
	}
	if got, want := w.Body.String(), `{"error":"the \"token\" has expired\né"}`+"\n"; got != want {
		t.Errorf("body %q, want %q", got, want)
	}
}
