package main

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/pubsub"
	_ "gocloud.dev/pubsub/mempubsub"

	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/auth"
)

// TestDLQCommand: the operator lists every owner's parked requests, or one
// owner's, and redrives one owner's without touching the others'.
func TestDLQCommand(t *testing.T) {
	ctx := context.Background()
	bucketURL := (&url.URL{Scheme: "file", Path: t.TempDir(), RawQuery: "metadata=skip"}).String()
	bucket, err := blob.OpenBucket(ctx, bucketURL)
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	store := records.NewStore(bucket)
	alice, bob := auth.OwnerID(auth.NamedIssuer, "alice"), auth.OwnerID(auth.NamedIssuer, "bob")
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	parked := map[string]string{"alice-1": alice, "alice-2": alice, "bob-1": bob}
	for key, owner := range parked {
		d := records.DeadLetter{Key: key, Owner: owner, Reason: "gave up after 5 attempts", Kind: "transient", Attempts: 5, At: at, Body: []byte(key)}
		if err := store.PutDeadLetter(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	// The command shuts the topic down when it is done, and mem:// gives
	// every opener of a URL the same topic: the one redrive that sends
	// comes first.
	const topicURL = "mem://dlq-command-requests"
	topic, err := pubsub.OpenTopic(ctx, topicURL)
	if err != nil {
		t.Fatal(err)
	}
	defer topic.Shutdown(ctx)
	sub, err := pubsub.OpenSubscription(ctx, topicURL)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Shutdown(ctx)
	run := func(args ...string) (string, error) {
		t.Helper()
		var out bytes.Buffer
		err := runDLQ(ctx, append(args, "--bucket", bucketURL, "--requests-topic", topicURL), &out)
		return out.String(), err
	}
	rows := func(list string) []string {
		var keys []string
		for _, line := range strings.Split(strings.TrimSpace(list), "\n")[1:] {
			keys = append(keys, strings.Fields(line)[0])
		}
		return keys
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"list"}, "alice-1 alice-2 bob-1"},
		{[]string{"list", "--owner", "alice"}, "alice-1 alice-2"},
		{[]string{"list", "--owner", bob}, "bob-1"},
		{[]string{"list", "--owner", "carol"}, ""},
	} {
		out, err := run(tt.args...)
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if got := strings.Join(rows(out), " "); got != tt.want {
			t.Errorf("%v lists %q, want %q:\n%s", tt.args, got, tt.want, out)
		}
		if tt.want != "" && !strings.Contains(out, "OWNER") {
			t.Errorf("%v: no owner column:\n%s", tt.args, out)
		}
	}

	out, err := run("redrive", "--owner", "alice", "--all")
	if err != nil || out != "redriven: 2\n" {
		t.Fatalf("redrive --owner alice --all: %q, %v", out, err)
	}
	var sent []string
	for range 2 {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		m, err := sub.Receive(rctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		m.Ack()
		sent = append(sent, string(m.Body))
	}
	if strings.Contains(strings.Join(sent, " "), "bob") {
		t.Errorf("redriven %v: bob's request went too", sent)
	}
	if _, err := run("redrive", "--owner", "alice", "--task", "bob-1"); err == nil || !strings.Contains(err.Error(), "among alice's") {
		t.Errorf("redriving bob's task as alice's: %v, want an error", err)
	}
	if out, _ := run("list"); strings.Join(rows(out), " ") != "bob-1" {
		t.Errorf("after redriving alice's, the queue holds:\n%s\nwant bob-1 alone", out)
	}
}
