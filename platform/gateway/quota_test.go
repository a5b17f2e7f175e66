package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/pubsub/mempubsub"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/auth/authtest"
	"github.com/pixmill/pixmill/platform/quota"
)

// quotaEnv serves a gateway with the given quotas on a file bucket (the
// local stack's), on a fake clock.
func quotaEnv(t *testing.T, cfg Config) (*env, *authtest.Clock) {
	t.Helper()
	bucket, err := fileblob.OpenBucket(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := authtest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	topic := mempubsub.NewTopic()
	t.Cleanup(func() { _ = topic.Shutdown(context.Background()); _ = bucket.Close() })
	e := serve(t, cfg, Deps{Bucket: bucket, Requests: topic, Now: clock.Now, Owners: func(r *http.Request) (string, error) {
		if o := r.Header.Get("X-Owner"); o != "" {
			return o, nil
		}
		return LocalOwner, nil
	}})
	e.sub = mempubsub.NewSubscription(topic, time.Minute)
	t.Cleanup(func() { _ = e.sub.Shutdown(context.Background()) })
	return e, clock
}

// objects counts the objects in the bucket and their bytes: pictures and
// records, everything a request could leave behind.
func objects(t testing.TB, b *blob.Bucket) (n int, size int64) {
	t.Helper()
	it := b.List(nil)
	for {
		obj, err := it.Next(context.Background())
		if err == io.EOF {
			return n, size
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		size += obj.Size
	}
}

// ownerBytes is the size of owner's pictures, listed.
func ownerBytes(t testing.TB, b *blob.Bucket, owner string) int64 {
	t.Helper()
	var size int64
	for _, p := range records.OwnerPrefixes(owner) {
		it := b.List(&blob.ListOptions{Prefix: p})
		for {
			obj, err := it.Next(context.Background())
			if err == io.EOF {
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

// photo is a picture of a fixed size in bytes, the same for every i.
func photo(t testing.TB) []byte { return jpegBytes(t, 64, 48, color.RGBA{200, 90, 40, 255}) }

func photos(t testing.TB, n int) []file {
	fs := make([]file, n)
	for i := range fs {
		fs[i] = file{fmt.Sprintf("q%d.jpg", i), photo(t)}
	}
	return fs
}

// quotaAnswer is an answer over a quota.
type quotaAnswer struct {
	status     int
	retryAfter string
	body       api.Error
}

func (e *env) send(t testing.TB, req *http.Request) quotaAnswer {
	t.Helper()
	resp, b := roundTrip(t, req)
	var a quotaAnswer
	a.status, a.retryAfter = resp.StatusCode, resp.Header.Get("Retry-After")
	if err := json.Unmarshal(b, &a.body); err != nil {
		t.Fatalf("%s %s: %d %q is not JSON: %v", req.Method, req.URL.Path, resp.StatusCode, b, err)
	}
	return a
}

func (e *env) uploadReq(t testing.TB, owner string, files ...file) *http.Request {
	ct, body := multipartBody(t, files...)
	req, _ := http.NewRequest("POST", e.srv.URL+"/v1/images", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("X-Owner", owner)
	return req
}

func (e *env) jobReq(owner string, images []string) *http.Request {
	b, _ := json.Marshal(api.JobRequest{Images: images, Ops: rawOps(`{"op":"brightness","factor":1.1}`)})
	req, _ := http.NewRequest("POST", e.srv.URL+"/v1/jobs", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Owner", owner)
	return req
}

// TestQuotaExceeded goes over each quota: the answer has the documented
// status, Retry-After when waiting helps, and a body naming the quota, its
// limit and the use; and the bucket holds exactly what it held before.
func TestQuotaExceeded(t *testing.T) {
	size := int64(len(photo(t)))
	tests := []struct {
		name   string
		limits quota.Limits
		// setup makes the owner's use before the request; over is the
		// request that goes over.
		setup      func(t *testing.T, e *env) []string
		over       func(t *testing.T, e *env, ids []string) *http.Request
		status     int
		retryAfter string
		want       api.QuotaExceeded
	}{
		{
			name:   "stored bytes, a batch larger than what is left",
			limits: quota.Limits{StoredBytes: 3*size + size/2},
			setup:  func(t *testing.T, e *env) []string { return e.uploadOKN(t, "ann", 2) },
			over: func(t *testing.T, e *env, _ []string) *http.Request {
				return e.uploadReq(t, "ann", photos(t, 2)...)
			},
			status: http.StatusRequestEntityTooLarge,
			want:   api.QuotaExceeded{Name: "stored_bytes", Limit: 3*size + size/2, Used: 2 * size, Requested: 2 * size},
		},
		{
			name:   "uploads per hour",
			limits: quota.Limits{UploadsPerHour: 3},
			setup:  func(t *testing.T, e *env) []string { return e.uploadOKN(t, "ann", 2) },
			over: func(t *testing.T, e *env, _ []string) *http.Request {
				return e.uploadReq(t, "ann", photos(t, 2)...)
			},
			status: http.StatusTooManyRequests, retryAfter: "3600",
			want: api.QuotaExceeded{Name: "uploads_per_hour", Limit: 3, Used: 2, Requested: 2},
		},
		{
			name:   "photos per job",
			limits: quota.Limits{PhotosPerJob: 2},
			setup:  func(t *testing.T, e *env) []string { return e.uploadOKN(t, "ann", 3) },
			over: func(t *testing.T, e *env, ids []string) *http.Request {
				return e.jobReq("ann", ids)
			},
			status: http.StatusRequestEntityTooLarge,
			want:   api.QuotaExceeded{Name: "photos_per_job", Limit: 2, Used: 3, Requested: 3},
		},
		{
			name:   "concurrent jobs",
			limits: quota.Limits{ConcurrentJobs: 2},
			setup: func(t *testing.T, e *env) []string {
				ids := e.uploadOKN(t, "ann", 1)
				for range 2 {
					if a := e.send(t, e.jobReq("ann", ids)); a.status != http.StatusAccepted {
						t.Fatalf("job: %d %+v", a.status, a.body)
					}
				}
				return ids
			},
			over: func(t *testing.T, e *env, ids []string) *http.Request {
				return e.jobReq("ann", ids)
			},
			status: http.StatusTooManyRequests, retryAfter: "30",
			want: api.QuotaExceeded{Name: "concurrent_jobs", Limit: 2, Used: 2, Requested: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := quotaEnv(t, Config{Quotas: quota.Config{Defaults: tt.limits}})
			ids := tt.setup(t, e)
			n0, size0 := objects(t, e.bucket)
			e.queued(t)
			got := e.send(t, tt.over(t, e, ids))
			if got.status != tt.status || got.retryAfter != tt.retryAfter {
				t.Errorf("status %d, Retry-After %q; want %d, %q (%+v)", got.status, got.retryAfter, tt.status, tt.retryAfter, got.body)
			}
			if got.body.Quota == nil || *got.body.Quota != tt.want {
				t.Errorf("quota in the body: got %+v, want %+v (%q)", got.body.Quota, tt.want, got.body.Error)
			}
			if got.body.Error == "" {
				t.Error("the body has no error message")
			}
			if n, size := objects(t, e.bucket); n != n0 || size != size0 {
				t.Errorf("the bucket held %d objects (%d bytes) before and %d (%d bytes) after: something of the refused request was left", n0, size0, n, size)
			}
			if q := e.queued(t); q != 0 {
				t.Errorf("%d requests queued by the refused request", q)
			}
			// Someone else is not held back by ann's use.
			if a := e.send(t, e.uploadReq(t, "ben", photos(t, 1)...)); a.status != http.StatusCreated {
				t.Errorf("another owner's upload: %d %+v", a.status, a.body)
			}
		})
	}
}

// uploadOKN uploads n photos of owner's, which must be accepted.
func (e *env) uploadOKN(t *testing.T, owner string, n int) []string {
	t.Helper()
	status, body := e.upload(t, owner, photos(t, n)...)
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %+v", status, body)
	}
	var ids []string
	for _, im := range body.Images {
		ids = append(ids, im.ID)
	}
	return ids
}

// queued takes the requests queued so far and counts them.
func (e *env) queued(t *testing.T) int {
	t.Helper()
	n := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		m, err := e.sub.Receive(ctx)
		cancel()
		if err != nil {
			return n
		}
		m.Ack()
		n++
	}
}

// TestQuotaFreesUp shows a refused owner let in again: an hour later for
// uploads, once a job ends for concurrent jobs.
func TestQuotaFreesUp(t *testing.T) {
	e, clock := quotaEnv(t, Config{Quotas: quota.Config{Defaults: quota.Limits{UploadsPerHour: 2, ConcurrentJobs: 1}}})
	ids := e.uploadOKN(t, "ann", 2)
	if a := e.send(t, e.uploadReq(t, "ann", photos(t, 1)...)); a.status != http.StatusTooManyRequests {
		t.Fatalf("third upload in the hour: %d, want 429", a.status)
	}
	clock.Advance(30 * time.Minute)
	if a := e.send(t, e.uploadReq(t, "ann", photos(t, 1)...)); a.status != http.StatusTooManyRequests || a.retryAfter != "1800" {
		t.Fatalf("half an hour later: %d, Retry-After %q; want 429, 1800", a.status, a.retryAfter)
	}
	clock.Advance(30 * time.Minute)
	if a := e.send(t, e.uploadReq(t, "ann", photos(t, 1)...)); a.status != http.StatusCreated {
		t.Fatalf("an hour later: %d %+v, want 201", a.status, a.body)
	}

	if a := e.send(t, e.jobReq("ann", ids[:1])); a.status != http.StatusAccepted {
		t.Fatalf("first job: %d %+v", a.status, a.body)
	}
	if a := e.send(t, e.jobReq("ann", ids[1:])); a.status != http.StatusTooManyRequests {
		t.Fatalf("second job while the first runs: %d, want 429", a.status)
	}
	// The first job's one task ends.
	req := e.nextRequest(t, context.Background())
	if err := e.store.MarkCompleted(context.Background(), events.TaskCompleted{Job: req.Job, Task: req.Task, Owner: "ann", Result: events.Result{Key: req.Output.Key, Bytes: 10}}, clock.Now()); err != nil {
		t.Fatal(err)
	}
	if a := e.send(t, e.jobReq("ann", ids[1:])); a.status != http.StatusAccepted {
		t.Fatalf("second job once the first ended: %d %+v, want 202", a.status, a.body)
	}
}

// TestConcurrentUploadsStayWithinQuota sends many uploads of one owner at
// once against a small quota: exactly as many are accepted as fit, and the
// bytes stored never go over the limit. Run under -race.
func TestConcurrentUploadsStayWithinQuota(t *testing.T) {
	size := int64(len(photo(t)))
	const senders = 24
	tests := []struct {
		name   string
		limits quota.Limits
		fit    int
	}{
		{"stored bytes", quota.Limits{StoredBytes: 5*size + size/2}, 5},
		{"uploads per hour", quota.Limits{UploadsPerHour: 7}, 7},
		{"both, bytes first", quota.Limits{StoredBytes: 4 * size, UploadsPerHour: 9}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := quotaEnv(t, Config{Quotas: quota.Config{Defaults: tt.limits}})
			statuses := make([]int, senders)
			var wg sync.WaitGroup
			for i := range senders {
				wg.Go(func() {
					resp, _ := roundTrip(t, e.uploadReq(t, "ann", photos(t, 1)...))
					statuses[i] = resp.StatusCode
				})
			}
			wg.Wait()
			created, refused := 0, 0
			for _, s := range statuses {
				switch s {
				case http.StatusCreated:
					created++
				case http.StatusRequestEntityTooLarge, http.StatusTooManyRequests:
					refused++
				default:
					t.Errorf("status %d", s)
				}
			}
			stored := ownerBytes(t, e.bucket, "ann")
			t.Logf("%d senders: %d created, %d refused, %d bytes stored of a limit of %d", senders, created, refused, stored, tt.limits.StoredBytes)
			if created != tt.fit {
				t.Errorf("%d uploads accepted, want exactly %d", created, tt.fit)
			}
			if stored != int64(created)*size {
				t.Errorf("%d bytes stored, want %d: %d uploads of %d bytes", stored, int64(created)*size, created, size)
			}
			if l := tt.limits.StoredBytes; l > 0 && stored > l {
				t.Errorf("%d bytes stored, over the limit of %d", stored, l)
			}
			var me api.Me
			if status := e.do(t, e.meReq("ann"), &me); status != http.StatusOK || me.Usage.StoredBytes != stored || me.Usage.UploadsLastHour != int64(created) {
				t.Errorf("GET /v1/me: %d %+v, want %d bytes and %d uploads", status, me.Usage, stored, created)
			}
		})
	}
}

func (e *env) meReq(owner string) *http.Request {
	req, _ := http.NewRequest("GET", e.srv.URL+"/v1/me", nil)
	req.Header.Set("X-Owner", owner)
	return req
}

// TestMeShowsUseAndLimits checks GET /v1/me against what was stored and
// submitted, with one owner's limits overridden.
func TestMeShowsUseAndLimits(t *testing.T) {
	e, _ := quotaEnv(t, Config{Quotas: quota.Config{
		Defaults: quota.Limits{StoredBytes: 1 << 30, UploadsPerHour: 500, PhotosPerJob: 100, ConcurrentJobs: 4},
		Owners:   map[string]map[quota.Name]int64{"ben": {quota.StoredBytes: 0, quota.ConcurrentJobs: 1}},
	}})
	ids := e.uploadOKN(t, "ann", 3)
	if a := e.send(t, e.jobReq("ann", ids)); a.status != http.StatusAccepted {
		t.Fatalf("job: %d %+v", a.status, a.body)
	}
	// A preview and a result count too; the result is told by the
	// results handler, which stack wires to the same tracker.
	e.gw.quotas.AddStored("ann", 1000)
	tests := []struct {
		owner string
		want  api.Me
	}{
		{"ann", api.Me{
			Owner:  "ann",
			Usage:  api.Usage{StoredBytes: ownerBytes(t, e.bucket, "ann") + 1000, UploadsLastHour: 3, ConcurrentJobs: 1},
			Limits: api.Limits{StoredBytes: 1 << 30, UploadsPerHour: 500, PhotosPerJob: 100, ConcurrentJobs: 4},
		}},
		{"ben", api.Me{Owner: "ben", Limits: api.Limits{StoredBytes: 0, UploadsPerHour: 500, PhotosPerJob: 100, ConcurrentJobs: 1}}},
	}
	for _, tt := range tests {
		var got api.Me
		if status := e.do(t, e.meReq(tt.owner), &got); status != http.StatusOK || got != tt.want {
			t.Errorf("GET /v1/me as %s: %d %+v, want %+v", tt.owner, status, got, tt.want)
		}
	}
}

// TestUsageRecount shows a count corrected from the bucket: a result
// stored by another process is seen after Config.Recount.
func TestUsageRecount(t *testing.T) {
	e, clock := quotaEnv(t, Config{Quotas: quota.Config{Recount: time.Minute}})
	e.uploadOKN(t, "ann", 1)
	before := ownerBytes(t, e.bucket, "ann")
	if err := e.bucket.WriteAll(context.Background(), records.OutputKey("ann", events.NewID(), events.NewID(), ".jpg"), make([]byte, 5000), nil); err != nil {
		t.Fatal(err)
	}
	var me api.Me
	e.do(t, e.meReq("ann"), &me)
	if me.Usage.StoredBytes != before {
		t.Fatalf("before the recount: %d bytes, want %d", me.Usage.StoredBytes, before)
	}
	clock.Advance(time.Minute)
	e.do(t, e.meReq("ann"), &me)
	if me.Usage.StoredBytes != before+5000 {
		t.Fatalf("after the recount: %d bytes, want %d", me.Usage.StoredBytes, before+5000)
	}
}
