package stack_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/stack"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// TestUsageOnARealStack runs a real `pixmill up` with quotas from flags and
// a per-owner file, a job through a worker, and `pixmill usage`: it prints
// the bytes of the originals and results as stored in the bucket, the
// uploads of the hour and the limits; then an upload over the hour's quota
// is refused with 429 and the quota named.
func TestUsageOnARealStack(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	data := t.TempDir()
	quotas := filepath.Join(t.TempDir(), "quotas.json")
	if err := os.WriteFile(quotas, []byte(`{"owners": {"local": {"concurrent_jobs": 3}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	p := stacktest.Up(t, data, "--workers", "1", "--quota-uploads-per-hour", "3", "--quota-stored-bytes", "50000000", "--quota-file", quotas)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := client.New(p.URL, nil)
	ids := stacktest.Upload(t, ctx, c, stacktest.Generated(t, 2, 3))
	job, err := c.CreateJob(ctx, api.JobRequest{Images: ids, Ops: []json.RawMessage{stacktest.ThumbOp}})
	if err != nil {
		t.Fatal(err)
	}
	if job = stacktest.WaitFinal(t, ctx, c, job.ID); job.State != api.JobSucceeded {
		t.Fatalf("the job ended %s: %v", job.State, stacktest.Failures(job))
	}
	stored := storedBytes(t, ctx, data, "local")

	// The results handler counts a result once its record is written,
	// which may be just after the job reads as ended.
	var out string
	err = stacktest.Eventually(ctx, 100*time.Millisecond, func() (bool, error) {
		out, err = stacktest.Command(t, "usage", "--server", p.URL)
		return strings.Contains(out, fmt.Sprintf("(%d B)", stored)), err
	})
	if err != nil {
		t.Fatalf("pixmill usage never showed the %d bytes stored: %v\n%s", stored, err, out)
	}
	t.Logf("pixmill usage:\n%s", out)
	for _, want := range []string{
		`stored bytes\s+\S+ \S+ \(` + fmt.Sprint(stored) + ` B\)\s+47\.7 MiB \(50000000 B\)`,
		`uploads per hour\s+2\s+3`,
		`photos per job\s+-\s+10000`,
		`concurrent jobs\s+0\s+3`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("pixmill usage has no line matching %q", want)
		}
	}

	_, err = c.Upload(ctx, []client.File{picture(t, "a.jpg"), picture(t, "b.jpg")})
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 429 || !strings.Contains(apiErr.Message, "uploads_per_hour") {
		t.Fatalf("two uploads over the hour's quota of 3: %v, want 429 naming uploads_per_hour", err)
	}
	if after := storedBytes(t, ctx, data, "local"); after != stored {
		t.Errorf("the refused upload left %d bytes behind", after-stored)
	}
}

func picture(t *testing.T, name string) client.File {
	pic := stacktest.Generated(t, 1, 11)[0]
	return client.File{Name: name, Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(string(pic.Data))), nil }}
}

// storedBytes lists owner's prefixes in the stack's bucket.
func storedBytes(t *testing.T, ctx context.Context, data, owner string) int64 {
	t.Helper()
	ep, err := stack.ReadEndpoints(data)
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := blob.OpenBucket(ctx, ep.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	var size int64
	for _, prefix := range records.OwnerPrefixes(owner) {
		it := bucket.List(&blob.ListOptions{Prefix: prefix})
		for {
			obj, err := it.Next(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			size += obj.Size
		}
	}
	return size
}
