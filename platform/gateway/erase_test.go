package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"

	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/auth"
	"github.com/pixmill/pixmill/platform/auth/authtest"
)

// newSignedInOnFiles is newSignedIn on a file bucket in a temporary
// directory: what `pixmill up` keeps its pictures in.
func newSignedInOnFiles(t *testing.T) *signedIn {
	t.Helper()
	bucket, err := fileblob.OpenBucket(t.TempDir(), &fileblob.Options{CreateDir: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bucket.Close() })
	return newSignedInOn(t, authtest.Provider(t), bucket, authtest.NewClock(time.Now()), bytes.Repeat([]byte("e"), auth.MinLinkKeyBytes))
}

// listAll lists every key under prefix.
func listAll(t *testing.T, b *blob.Bucket, prefix string) []string {
	t.Helper()
	var keys []string
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(context.Background())
		if err == io.EOF {
			return keys
		}
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, obj.Key)
	}
}

// ownersObjects lists what the bucket holds of owner: the objects under
// its pictures' prefixes, its list of jobs, its presets and settings, its
// records of images and jobs, and its keys.
func (s *signedIn) ownersObjects(t *testing.T, owner string) []string {
	t.Helper()
	escaped := url.PathEscape(owner)
	var keys []string
	for _, p := range append(records.OwnerPrefixes(owner), "records/owners/"+escaped+"/", "records/presets/"+escaped+"/") {
		keys = append(keys, listAll(t, s.bucket, p)...)
	}
	for _, k := range listAll(t, s.bucket, "records/") {
		if !strings.HasPrefix(k, "records/images/") && !strings.HasPrefix(k, "records/jobs/") {
			continue
		}
		b, err := s.bucket.ReadAll(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		var rec struct{ Owner string }
		if json.Unmarshal(b, &rec) == nil && rec.Owner == owner {
			keys = append(keys, k)
		}
	}
	ks, err := s.keys.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range ks {
		if k.Owner == owner {
			keys = append(keys, "records/keys/"+k.ID+"/key.json")
		}
	}
	slices.Sort(keys)
	return keys
}

// TestEraseOwner: after DELETE /v1/me no object of the owner's is left in
// the bucket, listed from its files: no original, result, preview, record,
// preset or key. The owner's API key fails with 401, a link the owner
// handed out opens nothing, and the other owner's objects are all there,
// byte for byte. Erasing again is 204.
func TestEraseOwner(t *testing.T) {
	s := newSignedInOnFiles(t)
	alice, bob := s.signIn(t, "alice"), s.signIn(t, "bob")
	a1, a2, b1 := s.make(t, alice), s.make(t, alice), s.make(t, bob)
	for _, x := range []struct {
		p person
		h holdings
	}{{alice, a1}, {alice, a2}, {bob, b1}} {
		if st, _, b := s.call(t, "GET", "/v1/jobs/"+x.h.job+"/tasks/"+x.h.task+"/preview", authtest.Bearer(x.p.idToken), "", nil); st != http.StatusOK {
			t.Fatalf("preview: %d %s", st, b)
		}
	}
	st, link, b := s.link(t, alice, "/v1/images/"+a1.image, "1h")
	if st != http.StatusCreated {
		t.Fatalf("link: %d %s", st, b)
	}
	if st, _, _ := s.call(t, "GET", link.URL, nil, "", nil); st != http.StatusOK {
		t.Fatalf("the link opens with %d before the erasure", st)
	}
	aliceHad, bobHad := s.ownersObjects(t, alice.owner), s.ownersObjects(t, bob.owner)
	bobBytes := map[string][]byte{}
	for _, k := range bobHad {
		bobBytes[k], _ = s.bucket.ReadAll(context.Background(), k)
	}
	t.Logf("alice holds %d objects, bob %d", len(aliceHad), len(bobHad))
	if len(aliceHad) < 12 {
		t.Fatalf("alice holds only %v", aliceHad)
	}

	for i := range 2 {
		if st, _, b := s.call(t, "DELETE", "/v1/me", authtest.Bearer(alice.idToken), "", nil); st != http.StatusNoContent {
			t.Fatalf("erasure %d: %d %s, want 204", i+1, st, b)
		}
	}
	if left := s.ownersObjects(t, alice.owner); len(left) > 0 {
		t.Errorf("after the erasure the bucket still holds %d of alice's %d objects: %v", len(left), len(aliceHad), left)
	}
	if st, _, b := s.call(t, "GET", "/v1/jobs", authtest.Bearer(alice.apiKey), "", nil); st != http.StatusUnauthorized {
		t.Errorf("alice's API key after the erasure: %d %s, want 401", st, b)
	}
	if st, _, b := s.call(t, "GET", link.URL, nil, "", nil); st != http.StatusNotFound {
		t.Errorf("alice's link after the erasure: %d %s, want 404", st, b)
	}
	st, _, listed := s.call(t, "GET", "/v1/jobs", authtest.Bearer(alice.idToken), "", nil)
	var list api.JobList
	if err := json.Unmarshal(listed, &list); st != http.StatusOK || err != nil || len(list.Jobs) != 0 {
		t.Errorf("alice signed in again lists %d %s, want no job", st, listed)
	}
	for _, path := range []string{"/v1/images/" + a2.image, "/v1/jobs/" + a2.job, "/v1/jobs/" + a2.job + "/tasks/" + a2.task + "/output", "/v1/presets/" + a2.preset} {
		if st, _, b := s.call(t, "GET", path, authtest.Bearer(alice.idToken), "", nil); st != http.StatusNotFound {
			t.Errorf("alice reads %s after the erasure: %d %s, want 404", path, st, b)
		}
	}

	if bobHas := s.ownersObjects(t, bob.owner); !slices.Equal(bobHas, bobHad) {
		t.Errorf("bob held %v, holds %v after alice's erasure", bobHad, bobHas)
	}
	for k, want := range bobBytes {
		if got, err := s.bucket.ReadAll(context.Background(), k); err != nil || !bytes.Equal(got, want) {
			t.Errorf("bob's %s changed: %v", k, err)
		}
	}
	if st, _, b := s.call(t, "GET", "/v1/images/"+b1.image, authtest.Bearer(bob.apiKey), "", nil); st != http.StatusOK || !bytes.Equal(b, b1.original) {
		t.Errorf("bob's image after alice's erasure: %d, %d bytes", st, len(b))
	}
}

// TestDeleteJobAndImage: deleting a job removes its results, previews and
// records from the bucket, and deleting an image its original; each is 204
// twice, and reads of what was deleted are 404 with a body that says so.
// The job's image, and the image's job, are left alone.
func TestDeleteJobAndImage(t *testing.T) {
	s := newSignedInOnFiles(t)
	alice := s.signIn(t, "alice")
	h := s.make(t, alice)
	auth := authtest.Bearer(alice.apiKey)
	if st, _, b := s.call(t, "GET", "/v1/jobs/"+h.job+"/tasks/"+h.task+"/preview", auth, "", nil); st != http.StatusOK {
		t.Fatalf("preview: %d %s", st, b)
	}
	prefixes := records.OwnerPrefixes(alice.owner)
	jobObjects := func() []string {
		return slices.Concat(listAll(t, s.bucket, prefixes[1]+h.job+"/"), listAll(t, s.bucket, prefixes[2]+h.job+"/"), listAll(t, s.bucket, "records/jobs/"+h.job+"/"))
	}
	if got := jobObjects(); len(got) < 4 {
		t.Fatalf("before the delete the job has only %v", got)
	}
	for i := range 2 {
		if st, _, b := s.call(t, "DELETE", "/v1/jobs/"+h.job, auth, "", nil); st != http.StatusNoContent {
			t.Fatalf("delete %d: %d %s, want 204", i+1, st, b)
		}
	}
	if left := jobObjects(); len(left) > 0 {
		t.Errorf("after the delete the job's objects remain: %v", left)
	}
	deleted := `"job \"` + h.job + `\" was deleted on ` + time.Now().UTC().Format(time.DateOnly) + `"`
	for _, path := range []string{"/v1/jobs/" + h.job, "/v1/jobs/" + h.job + "/tasks/" + h.task + "/output", "/v1/jobs/" + h.job + "/tasks/" + h.task + "/preview", "/v1/jobs/" + h.job + "/archive"} {
		if st, _, b := s.call(t, "GET", path, auth, "", nil); st != http.StatusNotFound || !bytes.Contains(b, []byte(deleted)) {
			t.Errorf("GET %s after the delete: %d %s, want 404 saying %s", path, st, b, deleted)
		}
	}
	if st, _, b := s.call(t, "GET", "/v1/images/"+h.image, auth, "", nil); st != http.StatusOK || !bytes.Equal(b, h.original) {
		t.Errorf("the job's image after the job's delete: %d, %d bytes", st, len(b))
	}

	second := s.make(t, alice)
	key := records.ImageKey(alice.owner, second.image)
	for i := range 2 {
		if st, _, b := s.call(t, "DELETE", "/v1/images/"+second.image, auth, "", nil); st != http.StatusNoContent {
			t.Fatalf("image delete %d: %d %s, want 204", i+1, st, b)
		}
	}
	if ok, err := s.bucket.Exists(context.Background(), key); ok || err != nil {
		t.Errorf("the original %s is still stored (%v)", key, err)
	}
	deleted = `"image \"` + second.image + `\" was deleted on `
	if st, _, b := s.call(t, "GET", "/v1/images/"+second.image, auth, "", nil); st != http.StatusNotFound || !bytes.Contains(b, []byte(deleted)) {
		t.Errorf("GET the deleted image: %d %s, want 404 saying %s…", st, b, deleted)
	}
	if st, _, b := s.call(t, "GET", "/v1/jobs/"+second.job+"/tasks/"+second.task+"/output", auth, "", nil); st != http.StatusOK {
		t.Errorf("the output of a job of the deleted image: %d %s, want 200", st, b)
	}
}

// TestRetentionSweep: with the time passed in, a sweep before anything is
// due deletes nothing; one past the results' retention deletes the job
// whole (results, previews, records) but not its original; one past the
// originals' retention deletes the original. Reads of what expired are
// 404 with the reason and the date. An owner with a retention of its own
// keeps everything throughout.
func TestRetentionSweep(t *testing.T) {
	s := newSignedInOnFiles(t)
	alice, bob := s.signIn(t, "alice"), s.signIn(t, "bob")
	const day = 24 * time.Hour
	ctx := context.Background()
	if err := s.store.PutRetention(ctx, bob.owner, records.Retention{Originals: records.Forever, Results: 60 * day}); err != nil {
		t.Fatal(err)
	}
	ha, hb := s.make(t, alice), s.make(t, bob)
	for _, x := range []struct {
		p person
		h holdings
	}{{alice, ha}, {bob, hb}} {
		if st, _, b := s.call(t, "GET", "/v1/jobs/"+x.h.job+"/tasks/"+x.h.task+"/preview", authtest.Bearer(x.p.idToken), "", nil); st != http.StatusOK {
			t.Fatalf("preview: %d %s", st, b)
		}
	}
	attrs, err := s.bucket.Attributes(ctx, records.ImageKey(alice.owner, ha.image))
	if err != nil {
		t.Fatal(err)
	}
	start := s.clock.Now()
	def := records.Retention{Originals: 30 * day, Results: 7 * day}
	bobHad := s.ownersObjects(t, bob.owner)
	prefixes := records.OwnerPrefixes(alice.owner)

	jobGone := `"job \"` + ha.job + `\" expired on ` + start.Add(7*day).UTC().Format(time.DateOnly) + ` under the 7-day retention"`
	imageGone := `"image \"` + ha.image + `\" expired on ` + attrs.ModTime.Add(30*day).UTC().Format(time.DateOnly) + ` under the 30-day retention"`
	for _, c := range []struct {
		after      time.Duration
		jobs       int // expired by this sweep
		images     int
		jobLeft    bool
		imageLeft  bool
		jobBody    string
		imageBody  string
		picturesIn []string // alice's prefixes that still hold something
	}{
		{after: 6 * day, jobLeft: true, imageLeft: true, picturesIn: prefixes},
		{after: 8 * day, jobs: 1, imageLeft: true, jobBody: jobGone, picturesIn: prefixes[:1]},
		{after: 31 * day, images: 1, jobBody: jobGone, imageBody: imageGone},
	} {
		swept, err := s.gw.Sweep(ctx, def, start.Add(c.after))
		if err != nil {
			t.Fatal(err)
		}
		if len(swept.Jobs) != c.jobs || len(swept.Images) != c.images {
			t.Errorf("after %s the sweep expired jobs %v and images %v, want %d and %d", c.after, swept.Jobs, swept.Images, c.jobs, c.images)
		}
		check := func(path string, left bool, body string) {
			t.Helper()
			st, _, b := s.call(t, "GET", path, authtest.Bearer(alice.apiKey), "", nil)
			switch {
			case left && st != http.StatusOK:
				t.Errorf("after %s GET %s: %d %s, want 200", c.after, path, st, b)
			case !left && (st != http.StatusNotFound || !bytes.Contains(b, []byte(body))):
				t.Errorf("after %s GET %s: %d %s, want 404 saying %s", c.after, path, st, b, body)
			}
		}
		check("/v1/jobs/"+ha.job, c.jobLeft, c.jobBody)
		check("/v1/jobs/"+ha.job+"/tasks/"+ha.task+"/output", c.jobLeft, c.jobBody)
		check("/v1/images/"+ha.image, c.imageLeft, c.imageBody)
		for _, p := range prefixes {
			if got, want := len(listAll(t, s.bucket, p)) > 0, slices.Contains(c.picturesIn, p); got != want {
				t.Errorf("after %s alice's %s holds objects: %v, want %v", c.after, p, got, want)
			}
		}
		for _, r := range []struct {
			prefix string
			left   bool
		}{
			{"records/jobs/" + ha.job + "/", c.jobLeft},
			{"records/owners/" + url.PathEscape(alice.owner) + "/jobs/", c.jobLeft},
			{"records/images/" + ha.image + ".json", c.imageLeft},
		} {
			if got := listAll(t, s.bucket, r.prefix); (len(got) > 0) != r.left {
				t.Errorf("after %s the records under %s are %v, want some: %v", c.after, r.prefix, got, r.left)
			}
		}
		if bobHas := s.ownersObjects(t, bob.owner); !slices.Equal(bobHas, bobHad) {
			t.Errorf("after %s bob, whose own retention is longer, holds %v, held %v", c.after, bobHas, bobHad)
		}
	}
}
