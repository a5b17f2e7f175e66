package main

import (
	"bytes"
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestKeysCommand(t *testing.T) {
	ctx := context.Background()
	bucket := (&url.URL{Scheme: "file", Path: t.TempDir(), RawQuery: "metadata=skip"}).String()
	run := func(args ...string) (string, string, error) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		err := runKeys(ctx, append(args, "--bucket", bucket), &stdout, &stderr)
		return stdout.String(), stderr.String(), err
	}

	key, note, err := run("create", "--owner", "nightly-backup", "--expires", "30d")
	if err != nil {
		t.Fatal(err)
	}
	// The key alone on standard output, for $(pixmill keys create …).
	if !regexp.MustCompile(`^pmk_[a-z2-7]{16}_[a-z2-7]{52}\n$`).MatchString(key) {
		t.Errorf("create printed %q, want the key alone on a line", key)
	}
	id := key[4:20]
	if !strings.Contains(note, id) || strings.Contains(note, key[21:len(key)-1]) {
		t.Errorf("create said %q on standard error: want the id, never the secret", note)
	}
	if _, _, err := run("revoke", id); err != nil {
		t.Fatal(err)
	}
	list, _, err := run("list")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(id + `\s+o_[a-z2-7]{26}\s+revoked\s`).MatchString(list) {
		t.Errorf("list after revoke:\n%s\nwant %s revoked", list, id)
	}
	if _, _, err := run("create"); err == nil || !strings.Contains(err.Error(), "owner") {
		t.Errorf("create without --owner: %v", err)
	}
}

func TestParseLifetime(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90d", 90 * 24 * time.Hour, true},
		{"12h", 12 * time.Hour, true},
		{"never", 0, true},
		{"0d", 0, false},
		{"-1d", 0, false},
		{"-1h", 0, false},
		{"5", 0, false},
		{"soon", 0, false},
	} {
		got, err := parseLifetime(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("parseLifetime(%q) = %s, %v; want %s, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
