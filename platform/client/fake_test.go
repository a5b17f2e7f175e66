package client

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pixmill/pixmill/platform/api"
)

// fakeAPI is a minimal in-memory pixmill gateway: just enough of the API
// for the client's tests, with knobs for the behaviours under test. A file
// is an image when its content starts with "JPEG" or "PNG". Each poll of a
// job finishes its next task, so a job ends after as many polls as it has
// tasks.
type fakeAPI struct {
	fakeConfig
	mu          sync.Mutex
	seq         int
	images      map[string]fakeImage
	jobs        map[string]*fakeJob
	uploads     [][]fakePart     // the parts of each upload request
	created     []api.JobRequest // the bodies of job creations
	polls       []string         // the queries of each GET of a job
	inflight    int              // upload requests being served
	maxInflight int
}

// fakeConfig holds the knobs of a fakeAPI.
type fakeConfig struct {
	// failTasks maps a file name to the reason its task fails.
	failTasks map[string]string
	// serverName, when set, is the name the server reports for a file,
	// in the upload answer and in the job (a hostile or buggy server).
	serverName func(name string) string
	// strayTask adds to every job a succeeded task for an image the
	// client never uploaded, named by serverName.
	strayTask bool
	// tooLarge answers every upload 413 without a list, as a proxy's
	// size limit does.
	tooLarge bool
	// failPolls makes that many job polls answer 503 first.
	failPolls int
	// uploadGate, when set, runs inside every upload request after the
	// body is read; it may block to hold requests in flight.
	uploadGate func(ctx context.Context)
}

type fakeImage struct {
	name, format string
	data         []byte
}

type fakePart struct {
	form, file string
	data       string
}

type fakeJob struct {
	id, format string
	tasks      []*fakeTask
}

type fakeTask struct {
	id, image, name string
	state           api.TaskState
	err             string
}

func newFake(t *testing.T, cfg fakeConfig) (*fakeAPI, *httptest.Server) {
	t.Helper()
	f := &fakeAPI{fakeConfig: cfg, images: map[string]fakeImage{}, jobs: map[string]*fakeJob{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/images", f.upload)
	mux.HandleFunc("GET /v1/images/{id}", f.original)
	mux.HandleFunc("POST /v1/jobs", f.createJob)
	mux.HandleFunc("GET /v1/jobs/{id}", f.getJob)
	mux.HandleFunc("GET /v1/jobs/{id}/tasks/{task}/output", f.output)
	mux.HandleFunc("GET /v1/jobs/{id}/archive", f.archive)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeAPI) id(prefix string) string {
	f.seq++
	return fmt.Sprintf("%s%d", prefix, f.seq)
}

func (f *fakeAPI) shownName(name string) string {
	if f.serverName != nil {
		return f.serverName(name)
	}
	return name
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

func (f *fakeAPI) upload(w http.ResponseWriter, r *http.Request) {
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(w, 400, "not a multipart body: %v", err)
		return
	}
	var parts []fakePart
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			writeError(w, 400, "bad multipart body: %v", err)
			return
		}
		// Part.FileName reduces the name to a base name; the raw header
		// shows exactly what the client sent.
		_, params, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		data, err := io.ReadAll(p)
		if err != nil {
			writeError(w, 400, "bad part: %v", err)
			return
		}
		parts = append(parts, fakePart{form: p.FormName(), file: params["filename"], data: string(data)})
	}
	f.mu.Lock()
	f.uploads = append(f.uploads, parts)
	f.inflight++
	f.maxInflight = max(f.maxInflight, f.inflight)
	gate := f.uploadGate
	f.mu.Unlock()
	if gate != nil {
		gate(r.Context())
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inflight--
	if f.tooLarge {
		writeError(w, 413, "request body over 1 MiB")
		return
	}
	images := []api.Image{}
	accepted := 0
	for _, p := range parts {
		format := ""
		switch {
		case strings.HasPrefix(p.data, "JPEG"):
			format = "jpeg"
		case strings.HasPrefix(p.data, "PNG"):
			format = "png"
		}
		if p.form != "file" || format == "" {
			images = append(images, api.Image{Name: f.shownName(p.file), Error: "not an accepted image (jpeg, png)"})
			continue
		}
		id := f.id("img")
		f.images[id] = fakeImage{name: p.file, format: format, data: []byte(p.data)}
		images = append(images, api.Image{ID: id, Name: f.shownName(p.file), Format: format, Width: 4, Height: 3, Bytes: int64(len(p.data))})
		accepted++
	}
	if accepted == 0 {
		writeJSON(w, 400, map[string]any{"images": images, "error": "no file was accepted"})
		return
	}
	writeJSON(w, 201, map[string]any{"images": images})
}

func (f *fakeAPI) original(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	im, ok := f.images[r.PathValue("id")]
	if !ok {
		writeError(w, 404, "image not found")
		return
	}
	w.Write(im.data)
}

func (f *fakeAPI) createJob(w http.ResponseWriter, r *http.Request) {
	var req api.JobRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, 400, "bad job body: %v", err)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.created = append(f.created, req)
	if len(req.Ops) == 0 && req.Preset == "" {
		writeError(w, 400, "ops: give at least one op")
		return
	}
	job := &fakeJob{id: f.id("job"), format: req.Format}
	for _, id := range req.Images {
		im, ok := f.images[id]
		if !ok {
			writeError(w, 400, "images: unknown image %q", id)
			return
		}
		job.tasks = append(job.tasks, &fakeTask{id: f.id("task"), image: id, name: f.shownName(im.name), state: api.TaskQueued})
	}
	if f.strayTask {
		stray := f.id("img")
		f.images[stray] = fakeImage{name: "stray", format: "png", data: []byte("PNG stray")}
		job.tasks = append(job.tasks, &fakeTask{id: f.id("task"), image: stray, name: f.shownName("stray.png"), state: api.TaskQueued})
	}
	f.jobs[job.id] = job
	writeJSON(w, 202, f.view(job))
}

func (f *fakeAPI) getJob(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	job, ok := f.jobs[r.PathValue("id")]
	if !ok {
		writeError(w, 404, "job not found")
		return
	}
	if f.failPolls > 0 {
		f.failPolls--
		writeError(w, 503, "restarting")
		return
	}
	for _, t := range job.tasks {
		if t.state.Final() {
			continue
		}
		t.state = api.TaskSucceeded
		if reason, ok := f.failTasks[f.images[t.image].name]; ok {
			t.state, t.err = api.TaskFailed, reason
		}
		break
	}
	v := f.view(job)
	switch q := r.URL.Query(); {
	case q.Get("view") == "summary":
		v.Tasks = nil
	case q.Has("limit"):
		// Pages as the gateway makes them: the token is where the next
		// page starts.
		from, _ := strconv.Atoi(q.Get("page_token"))
		n, _ := strconv.Atoi(q.Get("limit"))
		v.Tasks = v.Tasks[from:min(from+n, len(v.Tasks))]
		if from+n < len(job.tasks) {
			v.NextPageToken = strconv.Itoa(from + n)
		}
	}
	f.polls = append(f.polls, r.URL.RawQuery)
	writeJSON(w, 200, v)
}

// view is the job as the API shows it; its state follows from the tasks'.
func (f *fakeAPI) view(job *fakeJob) api.Job {
	v := api.Job{ID: job.id, Counts: map[api.TaskState]int{}, Total: len(job.tasks)}
	var queued, final, succeeded int
	for _, t := range job.tasks {
		task := api.Task{ID: t.id, Image: t.image, Name: t.name, State: t.state, Attempts: 1, Error: t.err}
		if t.state == api.TaskSucceeded {
			task.Output = &api.Output{Width: 2, Height: 2, Format: f.outputFormat(job, t), Bytes: int64(len(f.outputData(job, t)))}
			succeeded++
		}
		if t.state == api.TaskQueued {
			queued++
		}
		if t.state.Final() {
			final++
		}
		v.Tasks = append(v.Tasks, task)
		v.Counts[t.state]++
	}
	switch n := len(job.tasks); {
	case queued == n:
		v.State = api.JobQueued
	case final < n:
		v.State = api.JobRunning
	case succeeded == n:
		v.State = api.JobSucceeded
	case succeeded == 0:
		v.State = api.JobFailed
	default:
		v.State = api.JobPartial
	}
	return v
}

func (f *fakeAPI) outputFormat(job *fakeJob, t *fakeTask) string {
	if job.format != "" {
		return job.format
	}
	return f.images[t.image].format
}

// outputData is what an edit of the image gives: recognisable in tests.
func (f *fakeAPI) outputData(job *fakeJob, t *fakeTask) []byte {
	return []byte("edited " + f.outputFormat(job, t) + ": " + string(f.images[t.image].data))
}

func (f *fakeAPI) output(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	job, ok := f.jobs[r.PathValue("id")]
	if !ok {
		writeError(w, 404, "job not found")
		return
	}
	for _, t := range job.tasks {
		if t.id == r.PathValue("task") && t.state == api.TaskSucceeded {
			w.Header().Set("Content-Type", "image/"+f.outputFormat(job, t))
			w.Write(f.outputData(job, t))
			return
		}
	}
	writeError(w, 404, "no output for task %q", r.PathValue("task"))
}

func (f *fakeAPI) archive(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	job, ok := f.jobs[r.PathValue("id")]
	if !ok {
		writeError(w, 404, "job not found")
		return
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, t := range job.tasks {
		if t.state != api.TaskSucceeded {
			continue
		}
		entry, _ := zw.Create(t.id + "." + f.outputFormat(job, t))
		entry.Write(f.outputData(job, t))
	}
	zw.Close()
	w.Header().Set("Content-Type", "application/zip")
	w.Write(buf.Bytes())
}
