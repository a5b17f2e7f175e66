package stack_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob"

	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/auth"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/stack"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// TestTwoKeysOnARealStack is the trial from outside: a real
// `pixmill up --auth keys` with a worker, two API keys made with `pixmill
// keys create`. Alice's job runs; Bob sees none of it; a link Alice asks
// for opens without a key; her pictures are stored under her prefixes
// only; a revoked key fails on the next request.
func TestTwoKeysOnARealStack(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	data := t.TempDir()
	p := stacktest.Up(t, data, "--auth", "keys", "--workers", "1")
	key := func(name string) string {
		out, err := stacktest.Command(t, "keys", "create", "--owner", name, "--data", data)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out)
	}
	aliceKey, bobKey := key("alice"), key("bob")
	alice, _ := auth.ResolveOwner("alice")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	ca := client.New(p.URL, nil, client.WithToken(aliceKey))
	ids := stacktest.Upload(t, ctx, ca, stacktest.Generated(t, 2, 7))
	job, err := ca.CreateJob(ctx, api.JobRequest{Images: ids, Ops: []json.RawMessage{stacktest.ThumbOp}})
	if err != nil {
		t.Fatal(err)
	}
	if job = stacktest.WaitFinal(t, ctx, ca, job.ID); job.State != api.JobSucceeded {
		t.Fatalf("alice's job ended %s: %v", job.State, stacktest.Failures(job))
	}

	call := func(method, path, token string, body []byte) (int, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, p.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	task := "/v1/jobs/" + job.ID + "/tasks/" + job.Tasks[0].ID
	for _, path := range []string{"/v1/images/" + ids[0], "/v1/jobs/" + job.ID, task + "/output", task + "/preview", "/v1/jobs/" + job.ID + "/archive"} {
		if st, _ := call("GET", path, aliceKey, nil); st != http.StatusOK {
			t.Errorf("alice GET %s: %d, want 200", path, st)
		}
		if st, _ := call("GET", path, bobKey, nil); st != http.StatusNotFound {
			t.Errorf("bob GET %s: %d, want 404", path, st)
		}
		if st, _ := call("GET", path, "", nil); st != http.StatusUnauthorized {
			t.Errorf("GET %s without a key: %d, want 401", path, st)
		}
	}
	for _, tt := range []struct {
		name, token string
		want        int
	}{{"alice", aliceKey, 1}, {"bob", bobKey, 0}} {
		_, b := call("GET", "/v1/jobs", tt.token, nil)
		var list api.JobList
		if err := json.Unmarshal(b, &list); err != nil || len(list.Jobs) != tt.want {
			t.Errorf("%s lists %s, want %d jobs", tt.name, b, tt.want)
		}
	}

	body, _ := json.Marshal(api.LinkRequest{Path: "/v1/jobs/" + job.ID + "/archive", ExpiresIn: "10m"})
	st, b := call("POST", "/v1/links", aliceKey, body)
	var link api.Link
	if err := json.Unmarshal(b, &link); st != http.StatusCreated || err != nil {
		t.Fatalf("POST /v1/links: %d %s", st, b)
	}
	st, b = call("GET", link.URL, "", nil)
	if zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b))); st != http.StatusOK || err != nil || len(zr.File) != 2 {
		t.Errorf("the link opens with %d and %d bytes (%v), want the archive of 2 results", st, len(b), err)
	}
	if st, _ := call("POST", "/v1/links", bobKey, body); st != http.StatusNotFound {
		t.Errorf("bob asking a link to alice's archive: %d, want 404", st)
	}

	ep, err := stack.ReadEndpoints(data)
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := blob.OpenBucket(ctx, ep.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	stored := 0
	for _, kind := range []string{"originals/", "results/", "previews/"} {
		it := bucket.List(&blob.ListOptions{Prefix: kind})
		for {
			obj, err := it.Next(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			stored++
			if !records.OwnsKey(alice, obj.Key) || !strings.HasPrefix(obj.Key, kind+alice+"/") {
				t.Errorf("%s is not under alice's prefix %s%s/", obj.Key, kind, alice)
			}
		}
	}
	if stored != 5 {
		t.Errorf("%d pictures stored, want 2 originals, 2 results and 1 preview", stored)
	}

	list, err := stacktest.Command(t, "keys", "list", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(list, "\n") {
		if f := strings.Fields(line); len(f) > 1 && strings.HasPrefix(aliceKey, auth.KeyPrefix+f[0]+"_") {
			if _, err := stacktest.Command(t, "keys", "revoke", "--data", data, f[0]); err != nil {
				t.Fatal(err)
			}
		}
	}
	if st, _ := call("GET", "/v1/jobs", aliceKey, nil); st != http.StatusUnauthorized {
		t.Errorf("alice's revoked key: %d, want 401", st)
	}
	if st, _ := call("GET", "/v1/jobs", bobKey, nil); st != http.StatusOK {
		t.Errorf("bob's key after alice's was revoked: %d, want 200", st)
	}
}
