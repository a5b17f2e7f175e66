package gateway

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/pubsub"
	"gocloud.dev/pubsub/mempubsub"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/functions/imaging"
	"github.com/pixmill/pixmill/functions/imaging/imagingtest"
	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/cehttptopic"
)

func TestMain(m *testing.M) { imagingtest.Main(m) }

type env struct {
	gw     *Gateway
	srv    *httptest.Server
	bucket *blob.Bucket
	sub    *pubsub.Subscription
	store  *records.Store
}

// newEnv serves a gateway over a real socket. The owner is taken from the
// X-Owner header so tests can act as two people.
func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	topic := mempubsub.NewTopic()
	e := newEnvOn(t, cfg, topic)
	e.sub = mempubsub.NewSubscription(topic, time.Minute)
	t.Cleanup(func() { _ = e.sub.Shutdown(context.Background()) })
	return e
}

// newEnvOn is newEnv publishing requests to topic; env.sub is nil.
func newEnvOn(t *testing.T, cfg Config, topic *pubsub.Topic) *env {
	t.Helper()
	return newEnvWith(t, cfg, topic, memblob.OpenBucket(nil))
}

// newEnvWith is newEnvOn on bucket, which it closes at the test's end.
func newEnvWith(t testing.TB, cfg Config, topic *pubsub.Topic, bucket *blob.Bucket) *env {
	t.Helper()
	t.Cleanup(func() {
		// Bounded: a send the broker keeps refusing is retried until then.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = topic.Shutdown(ctx)
		_ = bucket.Close()
	})
	return serve(t, cfg, Deps{Bucket: bucket, Requests: topic, Owners: func(r *http.Request) (string, error) {
		if o := r.Header.Get("X-Owner"); o != "" {
			return o, nil
		}
		return LocalOwner, nil
	}})
}

// serve serves a gateway of deps on a real socket.
func serve(t testing.TB, cfg Config, deps Deps) *env {
	t.Helper()
	gw, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	return &env{gw: gw, srv: srv, bucket: deps.Bucket, store: records.NewStore(deps.Bucket)}
}

func jpegBytes(t testing.TB, w, h int, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{c.R, c.G, uint8(int(c.B) + x%16), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type file struct {
	name string
	data []byte
}

func (e *env) upload(t *testing.T, owner string, files ...file) (int, api.UploadResult) {
	t.Helper()
	ct, body := multipartBody(t, files...)
	req, _ := http.NewRequest("POST", e.srv.URL+"/v1/images", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("X-Owner", owner)
	var out api.UploadResult
	status := e.do(t, req, &out)
	return status, out
}

// nextRequest receives the next task.requested the gateway published.
func (e *env) nextRequest(t *testing.T, ctx context.Context) events.TaskRequested {
	t.Helper()
	m, err := e.sub.Receive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m.Ack()
	r, err := requestOf(m)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// requestOf decodes the task.requested in m.
func requestOf(m *pubsub.Message) (events.TaskRequested, error) {
	var r events.TaskRequested
	ev, err := events.FromMessage(m)
	if err == nil {
		err = events.Decode(ev, &r)
	}
	return r, err
}

func (e *env) do(t testing.TB, req *http.Request, out any) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %q is not JSON: %v", req.Method, req.URL.Path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

func (e *env) postJSON(t testing.TB, owner, path string, in, out any) int {
	t.Helper()
	b, _ := json.Marshal(in)
	req, _ := http.NewRequest("POST", e.srv.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Owner", owner)
	return e.do(t, req, out)
}

func (e *env) get(t testing.TB, owner, path string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	req.Header.Set("X-Owner", owner)
	resp, b := roundTrip(t, req)
	return resp.StatusCode, resp.Header, b
}

// roundTrip sends req and reads the whole answer.
func roundTrip(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", req.Method, req.URL.Path, err)
	}
	return resp, b
}

func TestUploadBadInputKeepsTheRest(t *testing.T) {
	e := newEnv(t, Config{MaxFileBytes: 64 << 10})
	good := jpegBytes(t, 64, 48, color.RGBA{200, 100, 50, 255})
	big := jpegBytes(t, 1500, 1500, color.RGBA{10, 200, 50, 255})
	if len(big) <= 64<<10 {
		t.Fatalf("test picture too small: %d bytes", len(big))
	}
	status, body := e.upload(t, LocalOwner,
		file{"first.jpg", good},
		file{"empty.jpg", nil},
		file{"notes.jpg", []byte("these are my holiday notes, not a picture\n")},
		file{"truncated.jpg", good[:len(good)/2]},
		file{"huge.jpg", big},
		file{"../../last.jpg", good},
	)
	if status != http.StatusCreated {
		t.Fatalf("status %d, want 201: %+v", status, body)
	}
	want := []struct{ name, err string }{
		{"first.jpg", ""},
		{"empty.jpg", "empty.jpg: the file is empty"},
		{"notes.jpg", "notes.jpg: "},
		{"truncated.jpg", "truncated.jpg: "},
		{"huge.jpg", "huge.jpg: the file is larger than the 64 KiB limit"},
		{"last.jpg", ""},
	}
	if len(body.Images) != len(want) {
		t.Fatalf("%d entries, want %d: %+v", len(body.Images), len(want), body.Images)
	}
	for i, w := range want {
		got := body.Images[i]
		if got.Name != w.name {
			t.Errorf("entry %d name %q, want %q", i, got.Name, w.name)
		}
		if w.err == "" {
			if got.Error != "" || got.ID == "" || got.Width != 64 || got.Height != 48 || got.Format != "jpeg" || got.Bytes != int64(len(good)) {
				t.Errorf("entry %d: %+v, want an accepted 64x48 jpeg", i, got)
			}
			st, h, b := e.get(t, LocalOwner, "/v1/images/"+got.ID)
			if st != 200 || !bytes.Equal(b, good) || h.Get("Content-Type") != "image/jpeg" {
				t.Errorf("GET original: %d %s %d bytes", st, h.Get("Content-Type"), len(b))
			}
			continue
		}
		if got.ID != "" || !strings.HasPrefix(got.Error, w.err) || len(got.Error) <= len(got.Name)+2 {
			t.Errorf("entry %d error %q, want prefix %q and a reason", i, got.Error, w.err)
		}
	}
	t.Logf("reasons: %q %q %q", body.Images[2].Error, body.Images[3].Error, body.Images[4].Error)
}

func TestUploadNothingAccepted(t *testing.T) {
	e := newEnv(t, Config{MaxFileBytes: 1 << 10})
	tests := []struct {
		name   string
		files  []file
		status int
	}{
		{"not pictures", []file{{"a.jpg", []byte("text")}, {"b.png", nil}}, http.StatusBadRequest},
		{"all too large", []file{{"a.jpg", bytes.Repeat([]byte{1}, 2<<10)}}, http.StatusRequestEntityTooLarge},
		{"no file parts", nil, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := e.upload(t, LocalOwner, tt.files...)
			if status != tt.status || body.Error == "" {
				t.Errorf("status %d error %q, want %d and a message", status, body.Error, tt.status)
			}
		})
	}
}

func TestUploadBodyOverLimit(t *testing.T) {
	good := jpegBytes(t, 64, 48, color.RGBA{200, 100, 50, 255})
	e := newEnv(t, Config{MaxRequestBytes: int64(2*len(good) + 1024)})
	status, body := e.upload(t, LocalOwner, file{"a.jpg", good}, file{"b.jpg", good}, file{"c.jpg", good}, file{"d.jpg", good})
	if status != http.StatusCreated {
		t.Fatalf("status %d: %+v", status, body)
	}
	if n := len(body.Images); n != 3 || body.Images[0].ID == "" || body.Images[1].ID == "" {
		t.Fatalf("entries %+v, want a and b stored and c cut", body.Images)
	}
	if c := body.Images[2]; c.Name != "c.jpg" || !strings.Contains(c.Error, "c.jpg: the request body is larger than") || !strings.Contains(body.Error, "not read") {
		t.Errorf("cut file entry %+v, error %q", c, body.Error)
	}
}

func (e *env) uploadOK(t *testing.T, owner string, n int) []string {
	t.Helper()
	var files []file
	for i := range n {
		files = append(files, file{fmt.Sprintf("p%d.jpg", i), jpegBytes(t, 80+i, 60, color.RGBA{uint8(40 * i), 120, 60, 255})})
	}
	status, body := e.upload(t, owner, files...)
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %+v", status, body)
	}
	var ids []string
	for _, im := range body.Images {
		ids = append(ids, im.ID)
	}
	return ids
}

// jobOK creates a job of LocalOwner's, which must be accepted.
func (e *env) jobOK(t *testing.T, req any) api.Job {
	t.Helper()
	var job api.Job
	if st := e.postJSON(t, LocalOwner, "/v1/jobs", req, &job); st != http.StatusAccepted {
		t.Fatalf("create: %d", st)
	}
	return job
}

func TestCreateJobRejectsAndEnqueuesNothing(t *testing.T) {
	e := newEnv(t, Config{})
	ids := e.uploadOK(t, LocalOwner, 2)
	bobs := e.uploadOK(t, "bob", 1)
	thumb := map[string]any{"op": "thumbnail", "width": 32, "height": 32}
	tests := []struct {
		name string
		req  any
		want string
	}{
		{"unknown op", map[string]any{"images": ids, "ops": []any{map[string]any{"op": "sparkle"}}}, `unknown op "sparkle"`},
		{"missing field", map[string]any{"images": ids, "ops": []any{map[string]any{"op": "crop", "x": 0, "y": 0, "width": 10}}}, "height"},
		{"out of range", map[string]any{"images": ids, "ops": []any{map[string]any{"op": "brightness", "factor": -1}}}, "factor"},
		{"unknown field", map[string]any{"images": ids, "ops": []any{map[string]any{"op": "thumbnail", "widht": 3}}}, "widht"},
		{"second op bad", map[string]any{"images": ids, "ops": []any{thumb, map[string]any{"op": "thumbnail", "width": 0}}}, "ops[1]"},
		{"no ops", map[string]any{"images": ids, "ops": []any{}}, "ops: at least one"},
		{"no images", map[string]any{"images": []string{}, "ops": []any{thumb}}, "images: at least one"},
		{"unknown image", map[string]any{"images": []string{ids[0], events.NewID()}, "ops": []any{thumb}}, "images[1]: unknown image id"},
		{"malformed id", map[string]any{"images": []string{"../etc"}, "ops": []any{thumb}}, "images[0]: unknown image id"},
		{"someone else's image", map[string]any{"images": []string{ids[0], bobs[0]}, "ops": []any{thumb}}, "images[1]: unknown image id"},
		{"duplicate image", map[string]any{"images": []string{ids[0], ids[0]}, "ops": []any{thumb}}, "listed twice"},
		{"bad format", map[string]any{"images": ids, "ops": []any{thumb}, "format": "bmp"}, `format: "bmp"`},
		{"bad quality", map[string]any{"images": ids, "ops": []any{thumb}, "quality": 101}, "quality"},
		{"bad metadata", map[string]any{"images": ids, "ops": []any{thumb}, "metadata": "some"}, `metadata: must be "strip" (the default: no camera, time or GPS position in the results) or "keep", got "some"`},
		{"unknown top-level field", map[string]any{"images": ids, "ops": []any{thumb}, "colour": "red"}, "colour"},
		{"notify not a URL", map[string]any{"images": ids, "ops": []any{thumb}, "notify": map[string]any{"url": "mailto:me@example.com"}}, "notify.url: "},
		{"notify to loopback", map[string]any{"images": ids, "ops": []any{thumb}, "notify": map[string]any{"url": "http://127.0.0.1:9000/hook"}}, "notify.url: 127.0.0.1 is a loopback, private or link-local address"},
		{"notify to the metadata service", map[string]any{"images": ids, "ops": []any{thumb}, "notify": map[string]any{"url": "http://169.254.169.254/latest"}}, "notify.url: 169.254.169.254"},
		{"notify to localhost", map[string]any{"images": ids, "ops": []any{thumb}, "notify": map[string]any{"url": "http://localhost/hook"}}, "notify.url: "},
		{"not JSON", "just a string", "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out api.Error
			if status := e.postJSON(t, LocalOwner, "/v1/jobs", tt.req, &out); status != http.StatusBadRequest || !strings.Contains(out.Error, tt.want) {
				t.Errorf("status %d error %q, want 400 mentioning %q", status, out.Error, tt.want)
			}
		})
	}
	// Nothing was queued by the rejected jobs: the first message on the
	// queue belongs to the next valid one.
	var job api.Job
	if status := e.postJSON(t, LocalOwner, "/v1/jobs", map[string]any{"images": ids[:1], "ops": []any{thumb}}, &job); status != http.StatusAccepted {
		t.Fatalf("valid job: %d", status)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req := e.nextRequest(t, ctx)
	if req.Job != job.ID {
		t.Errorf("first queued request is for job %s, want %s", req.Job, job.ID)
	}
	if req.Output.Metadata != events.MetadataStrip {
		t.Errorf("a job that does not say is queued with metadata %q, want it stripped", req.Output.Metadata)
	}
}

func TestJobLifecycle(t *testing.T) {
	e := newEnv(t, Config{})
	ids := e.uploadOK(t, LocalOwner, 3)
	var job api.Job
	status := e.postJSON(t, LocalOwner, "/v1/jobs", map[string]any{"images": ids, "ops": []any{map[string]any{"op": "thumbnail", "width": 32}}, "format": "png", "metadata": "keep"}, &job)
	if status != http.StatusAccepted || job.State != "queued" || len(job.Tasks) != 3 {
		t.Fatalf("create: %d %+v", status, job)
	}
	// Read the queued requests, as a worker would.
	ctx := context.Background()
	reqs := map[string]events.TaskRequested{}
	for range 3 {
		r := e.nextRequest(t, ctx)
		if r.Output.Key != records.OutputKey(LocalOwner, job.ID, r.Task, ".png") || r.Original != records.ImageKey(LocalOwner, r.Image) || string(r.Ops[0]) == "" || !strings.Contains(string(r.Ops[0]), `"fit"`) || r.Output.Metadata != events.MetadataKeep {
			t.Errorf("request %+v: want keys under the owner, a png output key, canonical ops and the metadata kept", r)
		}
		reqs[r.Task] = r
	}
	// Task 0 succeeds, task 1 fails, task 2 is running: the job is running.
	t0, t1, t2 := job.Tasks[0].ID, job.Tasks[1].ID, job.Tasks[2].ID
	png := []byte("\x89PNG fake result")
	if err := e.bucket.WriteAll(ctx, reqs[t0].Output.Key, png, &blob.WriterOptions{ContentType: "image/png"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	_ = e.store.MarkStarted(ctx, events.TaskStarted{Job: job.ID, Task: t0, Owner: LocalOwner, Attempt: 1}, now)
	_ = e.store.MarkCompleted(ctx, events.TaskCompleted{Job: job.ID, Task: t0, Owner: LocalOwner, Attempt: 1, Result: events.Result{Key: reqs[t0].Output.Key, Format: "png", ContentType: "image/png", Width: 32, Height: 24, Bytes: int64(len(png))}}, now)
	_ = e.store.MarkStarted(ctx, events.TaskStarted{Job: job.ID, Task: t1, Owner: LocalOwner, Attempt: 2}, now)
	_ = e.store.MarkFailed(ctx, events.TaskFailed{Job: job.ID, Task: t1, Owner: LocalOwner, Attempt: 2, Kind: "permanent", Reason: "the picture is broken"}, now)
	_ = e.store.MarkStarted(ctx, events.TaskStarted{Job: job.ID, Task: t2, Owner: LocalOwner, Attempt: 1}, now)

	var got api.Job
	st, _, b := e.get(t, LocalOwner, "/v1/jobs/"+job.ID)
	if err := json.Unmarshal(b, &got); st != 200 || err != nil {
		t.Fatalf("GET job: %d %s", st, b)
	}
	if got.State != "running" || got.Counts["succeeded"] != 1 || got.Counts["failed"] != 1 || got.Counts["running"] != 1 {
		t.Errorf("job %+v", got)
	}
	if got.Format != "png" || got.Quality != 0 || got.Metadata != "keep" {
		t.Errorf("job's output settings: format %q quality %d metadata %q, want png, 0, keep", got.Format, got.Quality, got.Metadata)
	}
	if tk := got.Tasks[0]; tk.State != "succeeded" || tk.Output == nil || tk.Output.Width != 32 || tk.Output.Format != "png" {
		t.Errorf("task 0: %+v", tk)
	}
	if tk := got.Tasks[1]; tk.State != "failed" || tk.Error != "the picture is broken" || tk.Attempts != 2 {
		t.Errorf("task 1: %+v", tk)
	}
	st, h, b := e.get(t, LocalOwner, "/v1/jobs/"+job.ID+"/tasks/"+t0+"/output")
	if st != 200 || !bytes.Equal(b, png) || h.Get("Content-Type") != "image/png" || !strings.Contains(h.Get("Content-Disposition"), "p0.png") {
		t.Errorf("output: %d %q %v", st, b, h)
	}
	if st, _, _ := e.get(t, LocalOwner, "/v1/jobs/"+job.ID+"/tasks/"+t2+"/output"); st != 404 {
		t.Errorf("output of a running task: %d, want 404", st)
	}
	st, h, b = e.get(t, LocalOwner, "/v1/jobs/"+job.ID+"/archive")
	if st != 200 || h.Get("Content-Type") != "application/zip" {
		t.Fatalf("archive: %d %v", st, h)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "p0.png" {
		t.Errorf("archive holds %v, want [p0.png]", zr.File)
	}
	// Someone else sees nothing.
	for _, p := range []string{"/v1/jobs/" + job.ID, "/v1/jobs/" + job.ID + "/archive", "/v1/jobs/" + job.ID + "/tasks/" + t0 + "/output", "/v1/images/" + ids[0], "/v1/jobs/nope", "/v1/images/" + events.NewID()} {
		if st, _, b := e.get(t, "mallory", p); st != 404 || !strings.Contains(string(b), "not found") {
			t.Errorf("GET %s as someone else: %d %s", p, st, b)
		}
	}
}

func TestOpsCatalogue(t *testing.T) {
	e := newEnv(t, Config{})
	st, _, b := e.get(t, LocalOwner, "/v1/ops")
	var out struct {
		Ops []struct {
			Name string `json:"name"`
		} `json:"ops"`
		Formats []string `json:"formats"`
	}
	if err := json.Unmarshal(b, &out); st != 200 || err != nil {
		t.Fatalf("%d %s", st, b)
	}
	names := map[string]bool{}
	for _, o := range out.Ops {
		names[o.Name] = true
	}
	for _, n := range []string{"thumbnail", "crop", "brightness"} {
		if !names[n] {
			t.Errorf("catalogue lacks %s: %s", n, b)
		}
	}
	if len(out.Formats) == 0 {
		t.Error("no output formats")
	}
}

func TestDisplayName(t *testing.T) {
	tests := map[string]string{
		"photo.jpg":              "photo.jpg",
		"../../etc/passwd":       "passwd",
		`C:\Users\me\pic.jpg`:    "pic.jpg",
		"":                       "unnamed",
		"bad\x00name\n.jpg":      "badname.jpg",
		strings.Repeat("é", 300): strings.Repeat("é", 100),
	}
	for in, want := range tests {
		if got := displayName(in); got != want {
			t.Errorf("displayName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNoticeWhenProcessorsKeepCrashing(t *testing.T) {
	e := newEnv(t, Config{})
	job := e.jobOK(t, map[string]any{"images": e.uploadOK(t, LocalOwner, 1), "ops": []any{map[string]any{"op": "thumbnail", "width": 8}}})
	ctx := context.Background()
	tests := []struct {
		name   string
		status *records.FleetStatus
		want   string
	}{
		{"no report", nil, ""},
		{"healthy", &records.FleetStatus{Healthy: true, At: time.Now()}, ""},
		{"crashing", &records.FleetStatus{Message: "workers keep crashing", At: time.Now()}, "processing unavailable, retrying: workers keep crashing"},
		{"stale report", &records.FleetStatus{Message: "old", At: time.Now().Add(-time.Hour)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.status != nil {
				if err := e.store.PutFleetStatus(ctx, *tt.status); err != nil {
					t.Fatal(err)
				}
			}
			gw := e.gw
			gw.fleetMu.Lock()
			gw.fleetRead = time.Time{} // read the report now, not in two seconds
			gw.fleetMu.Unlock()
			var got api.Job
			_, _, b := e.get(t, LocalOwner, "/v1/jobs/"+job.ID)
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if got.Notice != tt.want {
				t.Errorf("notice %q, want %q", got.Notice, tt.want)
			}
		})
	}
}

func TestWatermarkImageIsCarried(t *testing.T) {
	e := newEnv(t, Config{})
	ids := e.uploadOK(t, LocalOwner, 2)
	photo, logo := ids[0], ids[1]
	bobs := e.uploadOK(t, "bob", 1)
	mark := func(id string) map[string]any {
		return map[string]any{"images": []string{photo}, "ops": []any{map[string]any{"op": "watermark", "image": id}}}
	}
	for name, id := range map[string]string{"unknown": events.NewID(), "someone else's": bobs[0]} {
		var out api.Error
		if st := e.postJSON(t, LocalOwner, "/v1/jobs", mark(id), &out); st != http.StatusBadRequest || !strings.Contains(out.Error, "ops[0]: unknown image id") {
			t.Errorf("%s logo: %d %q, want 400 naming the op", name, st, out.Error)
		}
	}
	job := e.jobOK(t, mark(logo))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req := e.nextRequest(t, ctx)
	if req.Job != job.ID || req.Inputs[logo] != records.ImageKey(LocalOwner, logo) || len(req.Inputs) != 1 {
		t.Errorf("queued inputs %v, want the logo's key", req.Inputs)
	}
}

// validBase holds, per op, fields that make it valid, so that one bad field
// at a time can be tried on top. A new op with required fields needs an
// entry here; the test says so.
var validBase = map[string]map[string]any{
	"thumbnail":    {"width": 64},
	"resize":       {"scale": 0.5},
	"crop":         {"x": 0, "y": 0, "width": 8, "height": 8},
	"rotate":       {"angle": 90},
	"flip":         {"direction": "horizontal"},
	"whiten_teeth": {"region": map[string]any{"x": 0, "y": 0, "width": 8, "height": 8}},
	"watermark":    {"text": "pixmill"},
	"sleep":        {"millis": 1},
}

// TestEveryOpRejectsBadFields walks the catalogue: for every op, an unknown
// field and every number out of its range is a 400 that names the op and
// the field, and nothing is queued.
func TestEveryOpRejectsBadFields(t *testing.T) {
	e := newEnv(t, Config{})
	ids := e.uploadOK(t, LocalOwner, 1)
	post := func(op map[string]any) (int, string) {
		var out api.Error
		st := e.postJSON(t, LocalOwner, "/v1/jobs", map[string]any{"images": ids, "ops": []any{op}}, &out)
		return st, out.Error
	}
	for _, spec := range imaging.Catalogue() {
		base := map[string]any{"op": spec.Name}
		for k, v := range validBase[spec.Name] {
			base[k] = v
		}
		if st, msg := post(base); st != http.StatusAccepted {
			t.Errorf("%s: the valid base %v was refused (%d %s); give it one in validBase", spec.Name, base, st, msg)
			continue
		}
		drain(t, e.sub)
		bad := []struct {
			field string
			value any
		}{{"nonsense_field", 1}}
		for _, f := range spec.Fields {
			if f.Max != nil && (f.Type == "integer" || f.Type == "number") {
				bad = append(bad, struct {
					field string
					value any
				}{f.Name, *f.Max + 1000})
			}
			if len(f.Enum) > 0 {
				bad = append(bad, struct {
					field string
					value any
				}{f.Name, "bogus-value"})
			}
		}
		for _, b := range bad {
			op := map[string]any{}
			for k, v := range base {
				op[k] = v
			}
			op[b.field] = b.value
			st, msg := post(op)
			if st != http.StatusBadRequest || !strings.Contains(msg, spec.Name) || !strings.Contains(msg, b.field) {
				t.Errorf("%s with %s=%v: %d %q, want 400 naming the op and the field", spec.Name, b.field, b.value, st, msg)
			}
		}
	}
	// Nothing was queued by the refused jobs.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if m, err := e.sub.Receive(ctx); err == nil {
		m.Ack()
		t.Errorf("a refused job queued a request: %v", m.Metadata)
	}
}

// drain receives the one request a valid job queued.
func drain(t *testing.T, sub *pubsub.Subscription) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := sub.Receive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m.Ack()
}

// TestEnqueueGivesUp: a broker that never takes the requests (here an HTTP
// CloudEvents sink that answers 503 to everything, which is retried) holds
// a job's creation for EnqueueTimeout at most; then the caller gets 503 and
// every task shows failed with the reason, none left queued for good.
func TestEnqueueGivesUp(t *testing.T) {
	var posts atomic.Int32
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
	}))
	t.Cleanup(sink.Close)
	u, err := url.Parse(sink.URL)
	if err != nil {
		t.Fatal(err)
	}
	topic, err := cehttptopic.OpenTopic(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	const timeout = 700 * time.Millisecond
	e := newEnvOn(t, Config{EnqueueTimeout: timeout}, topic)
	ids := e.uploadOK(t, LocalOwner, 3)
	start := time.Now()
	var out struct {
		Error string `json:"error"`
	}
	status := e.postJSON(t, LocalOwner, "/v1/jobs", map[string]any{"images": ids, "ops": []any{map[string]any{"op": "thumbnail", "width": 32}}}, &out)
	took := time.Since(start)
	if status != http.StatusServiceUnavailable {
		t.Fatalf("status %d (%q), want 503", status, out.Error)
	}
	if took < timeout || took > timeout+5*time.Second {
		t.Errorf("the job's creation took %s, want about the enqueue timeout %s", took, timeout)
	}
	if posts.Load() < 3 {
		t.Errorf("the sink was asked %d times, want every request tried", posts.Load())
	}
	ctx := context.Background()
	obj, err := e.bucket.List(&blob.ListOptions{Prefix: "records/jobs/", Delimiter: "/"}).Next(ctx)
	if err != nil {
		t.Fatalf("the job's record: %v", err)
	}
	job, err := e.store.Job(ctx, LocalOwner, path.Base(obj.Key))
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := e.store.Tasks(ctx, job)
	if err != nil || len(tasks) != 3 {
		t.Fatalf("tasks %v (%v), want 3", tasks, err)
	}
	for _, ts := range tasks {
		if ts.State != records.Failed || !strings.Contains(ts.Error, "could not be queued") {
			t.Errorf("task %s: %s %q, want failed: could not be queued", ts.ID, ts.State, ts.Error)
		}
	}
}

// TestListJobs: each owner sees their own jobs, newest first, a page at a
// time, and a bad page or limit is a 400 that says which.
func TestListJobs(t *testing.T) {
	e := newEnv(t, Config{})
	ids := e.uploadOK(t, LocalOwner, 1)
	var made []string
	for i := range 3 {
		job := e.jobOK(t, map[string]any{"images": ids, "ops": []any{map[string]any{"op": "thumbnail", "width": 8 + i}, map[string]any{"op": "flip"}}})
		made = append([]string{job.ID}, made...) // newest first
		time.Sleep(2 * time.Millisecond)         // distinct creation times
	}
	bobs := e.uploadOK(t, "bob", 1)
	var bobJob api.Job
	if st := e.postJSON(t, "bob", "/v1/jobs", map[string]any{"images": bobs, "ops": []any{map[string]any{"op": "flip"}}}, &bobJob); st != http.StatusAccepted {
		t.Fatalf("bob's job: %d", st)
	}
	list := func(owner, query string) (int, api.JobList, string) {
		t.Helper()
		st, _, b := e.get(t, owner, "/v1/jobs"+query)
		var out api.JobList
		_ = json.Unmarshal(b, &out)
		return st, out, string(b)
	}
	st, all, raw := list(LocalOwner, "")
	var got []string
	for _, j := range all.Jobs {
		got = append(got, j.ID)
	}
	if st != 200 || !slices.Equal(got, made) || all.NextPageToken != "" {
		t.Fatalf("GET /v1/jobs: %d %s, want %v and no next page", st, raw, made)
	}
	if j := all.Jobs[0]; j.Tasks != 1 || !slices.Equal(j.Ops, []string{"thumbnail", "flip"}) || j.Created.IsZero() {
		t.Errorf("newest job listed as %+v", j)
	}
	// Two pages of two.
	st, first, _ := list(LocalOwner, "?limit=2")
	if st != 200 || len(first.Jobs) != 2 || first.NextPageToken == "" {
		t.Fatalf("first page: %d %+v", st, first)
	}
	st, second, _ := list(LocalOwner, "?limit=2&page_token="+first.NextPageToken)
	if st != 200 || len(second.Jobs) != 1 || second.Jobs[0].ID != made[2] {
		t.Errorf("second page: %d %+v, want the oldest job", st, second)
	}
	if st, bob, _ := list("bob", ""); st != 200 || len(bob.Jobs) != 1 || bob.Jobs[0].ID != bobJob.ID {
		t.Errorf("bob sees %d %+v, want only his job", st, bob)
	}
	for _, tt := range []struct{ query, want string }{
		{"?limit=0", "limit: must be a whole number from 1 to 100"},
		{"?limit=lots", `got \"lots\"`},
		{"?page_token=%25%25", "page_token: not a page of this list"},
	} {
		if st, _, raw := list(LocalOwner, tt.query); st != http.StatusBadRequest || !strings.Contains(raw, tt.want) {
			t.Errorf("GET /v1/jobs%s: %d %s, want 400 saying %q", tt.query, st, raw, tt.want)
		}
	}
}

// TestDataFromBeforeOwners: a stack's pictures stored before owners existed,
// at originals/ and results/, stay readable and usable by the local owner
// where their records name them, and by no one else; new results go under
// the owner's prefix.
func TestDataFromBeforeOwners(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := context.Background()
	pic := jpegBytes(t, 64, 48, color.RGBA{200, 100, 50, 255})
	img := records.Image{ID: events.NewID(), Owner: LocalOwner, Name: "old.jpg", Key: "originals/old", Format: "jpeg", Width: 64, Height: 48, Bytes: int64(len(pic)), Created: time.Now().UTC()}
	old := records.Job{ID: events.NewID(), Owner: LocalOwner, Created: time.Now().UTC(), Ops: []json.RawMessage{json.RawMessage(`{"op":"brightness","factor":1.1}`)},
		Tasks: []records.JobTask{{ID: events.NewID(), Image: img.ID, Name: "old.jpg", Output: events.Output{Key: "results/old/task.jpg", Format: "jpeg"}}}}
	res := events.Result{Key: "results/old/task.jpg", Format: "jpeg", ContentType: "image/jpeg", Width: 64, Height: 48, Bytes: int64(len(pic))}
	for _, err := range []error{
		e.bucket.WriteAll(ctx, img.Key, pic, nil),
		e.bucket.WriteAll(ctx, res.Key, pic, nil),
		e.store.PutImage(ctx, img),
		e.store.PutJob(ctx, old),
		e.store.MarkCompleted(ctx, events.TaskCompleted{Job: old.ID, Task: old.Tasks[0].ID, Owner: LocalOwner, Attempt: 1, Result: res}, time.Now()),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	reads := []struct {
		owner, path string
		want        int
	}{
		{LocalOwner, "/v1/images/" + img.ID, http.StatusOK},
		{LocalOwner, "/v1/jobs/" + old.ID + "/tasks/" + old.Tasks[0].ID + "/output", http.StatusOK},
		{"o_someoneelse", "/v1/images/" + img.ID, http.StatusNotFound},
		{"o_someoneelse", "/v1/jobs/" + old.ID + "/tasks/" + old.Tasks[0].ID + "/output", http.StatusNotFound},
	}
	for _, rd := range reads {
		st, _, body := e.get(t, rd.owner, rd.path)
		if st != rd.want || (rd.want == http.StatusOK && !bytes.Equal(body, pic)) {
			t.Errorf("%s as %s: %d, %d bytes; want %d", rd.path, rd.owner, st, len(body), rd.want)
		}
	}
	job := e.jobOK(t, map[string]any{"images": []string{img.ID}, "ops": []any{map[string]any{"op": "brightness", "factor": 1.2}}})
	r := e.nextRequest(t, ctx)
	if r.Original != img.Key || r.Output.Key != records.OutputKey(LocalOwner, job.ID, r.Task, ".jpg") || !records.OwnsKey(r.Owner, r.Original) || !records.OwnsKey(r.Owner, r.Output.Key) {
		t.Errorf("request reads %s and writes %s as %s; want the old original read in place and the result under %v", r.Original, r.Output.Key, r.Owner, records.OwnerPrefixes(LocalOwner))
	}
}
