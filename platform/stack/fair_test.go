package stack_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// TestFairShare is the trial: on `pixmill up --workers 2`, owner A
// submits 600 pictures; 2 s later owner B submits one. B's task must finish
// within 3 s of its submission — without fair share it would wait behind
// all of A's — and both jobs succeed.
func TestFairShare(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	data := t.TempDir()
	p := stacktest.Up(t, data, "--auth", "keys", "--workers", "2")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	a := client.New(p.URL, nil, client.WithToken(newKey(t, data, "ann")))
	b := client.New(p.URL, nil, client.WithToken(newKey(t, data, "ben")))
	r := stacktest.FairRun(t, ctx, a, b, 600, 2*time.Second)
	report := fmt.Sprintf("fair share (up --workers 2): A %d tasks in %s (%.1f tasks/s); B's one task finished %s after its submission",
		r.ATasks, r.AElapsed.Round(time.Millisecond), r.AThroughput(), r.BLatency.Round(time.Millisecond))
	t.Log(report)
	fmt.Println(report)
	if r.BLatency > 3*time.Second {
		t.Errorf("B's task finished %s after its submission, want within 3s", r.BLatency.Round(time.Millisecond))
	}
}

// newKey makes an API key for owner name on the stack at data.
func newKey(t *testing.T, data, name string) string {
	t.Helper()
	out, err := stacktest.Command(t, "keys", "create", "--owner", name, "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}
