package jetstream

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
)

func TestMetadataHeaders(t *testing.T) {
	tests := []struct {
		name       string
		key, value string
		header     string // the header name on the wire
		wire       string // the header value on the wire
	}{
		{"cloudevents attribute", "ce-type", "dev.pixmill.task.requested.v1", "ce-type", "dev.pixmill.task.requested.v1"},
		{"url value", "ce-source", "https://pixmill.dev/gateway?a=b%20c", "ce-source", "https://pixmill.dev/gateway?a=b%20c"},
		{"time value", "ce-time", "2026-01-02T03:04:05Z", "ce-time", "2026-01-02T03:04:05Z"},
		{"content type", "content-type", "application/json; charset=utf-8", "content-type", "application/json; charset=utf-8"},
		{"case kept", "Nats-Msg-Id", "abc", "Nats-Msg-Id", "abc"},
		{"unicode value", "ce-subject", "Été ☺.jpg", "ce-subject", "Été ☺.jpg"},
		{"inner spaces", "k", "a b", "k", "a b"},
		{"empty value", "k", "", "k", ""},
		{"key with space", "a b", "v", "a%20b", "v"},
		{"key with slash", "a/b", "v", "a%2Fb", "v"},
		{"key with percent", "100%", "v", "100%25", "v"},
		{"key like the mark", "%!x", "v", "%25!x", "v"},
		{"unicode key", "☺", "v", "%E2%98%BA", "v"},
		{"leading space", "k", " v", "%!k", "%20v"},
		{"trailing space", "k", "v ", "%!k", "v%20"},
		{"newline", "k", "a\r\nb%", "%!k", "a%0D%0Ab%25"},
		{"tab", "k", "a\tb", "%!k", "a%09b"},
		{"both escaped", "a b", " c", "%!a%20b", "%20c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := encodeMetadata(map[string]string{tt.key: tt.value})
			if err != nil {
				t.Fatal(err)
			}
			want := nats.Header{tt.header: {tt.wire}}
			if diff := cmp.Diff(want, h); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
			back := decodeMetadata(h)
			if diff := cmp.Diff(map[string]string{tt.key: tt.value}, back); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMetadataEmpty(t *testing.T) {
	h, err := encodeMetadata(nil)
	if err != nil || h != nil {
		t.Errorf("encodeMetadata(nil) = %v, %v; want nil, nil", h, err)
	}
	if md := decodeMetadata(nil); md != nil {
		t.Errorf("decodeMetadata(nil) = %v, want nil", md)
	}
	if _, err := encodeMetadata(map[string]string{"": "v"}); !errors.Is(err, errEmptyKey) {
		t.Errorf("empty key: got %v, want %v", err, errEmptyKey)
	}
}

// TestDecodeForeignHeaders covers headers set by other NATS clients.
func TestDecodeForeignHeaders(t *testing.T) {
	h := nats.Header{
		"X-Many":   {"first", "second"},
		"Rate-50%": {"v"},
		"Bad-%zz":  {"v"},
		"%!Odd":    {"50%"},
		"X-None":   {},
	}
	want := map[string]string{
		"X-Many":   "first",
		"Rate-50%": "v",
		"Bad-%zz":  "v",
		"Odd":      "50%",
	}
	if diff := cmp.Diff(want, decodeMetadata(h)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
