package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pixmill/pixmill/platform/api"
)

var testOps = []json.RawMessage{json.RawMessage(`{"op":"thumbnail","width":256,"height":256}`)}

func TestSubmit(t *testing.T) {
	tests := []struct {
		name     string
		inputs   map[string]string // files under in/, by relative path
		dirs     []string          // folders under in/
		paths    []string          // relative to in/, in the order given
		existing map[string]string // files already in the output folder
		fake     fakeConfig
		format   string
		noWait   bool
		want     SubmitReport      // paths relative to in/ and out/, ids "set"
		wantOut  map[string]string // the output folder afterwards
		wantErr  string
	}{
		{
			name:   "every task succeeds",
			inputs: map[string]string{"a.jpg": "JPEG a", "b.png": "PNG b", "c.jpeg": "JPEG c"},
			paths:  []string{"a.jpg", "b.png", "c.jpeg"},
			want: SubmitReport{JobID: "set", State: api.JobSucceeded, Files: 3, Accepted: 3, Succeeded: 3,
				Written: []string{"a.jpg", "b.png", "c.jpg"}},
			wantOut: map[string]string{"a.jpg": "edited jpeg: JPEG a", "b.png": "edited png: PNG b", "c.jpg": "edited jpeg: JPEG c"},
		},
		{
			name:   "format conversion names the new format",
			inputs: map[string]string{"a.jpg": "JPEG a", "b.png": "PNG b"},
			paths:  []string{"a.jpg", "b.png"},
			format: "webp",
			want: SubmitReport{JobID: "set", State: api.JobSucceeded, Files: 2, Accepted: 2, Succeeded: 2,
				Written: []string{"a.webp", "b.webp"}},
			wantOut: map[string]string{"a.webp": "edited webp: JPEG a", "b.webp": "edited webp: PNG b"},
		},
		{
			name:     "clashing names get numbers and nothing is overwritten",
			inputs:   map[string]string{"x/photo.jpg": "JPEG x", "y/photo.jpg": "JPEG y", "z/photo.png": "PNG z"},
			paths:    []string{"x/photo.jpg", "y/photo.jpg", "z/photo.png"},
			existing: map[string]string{"photo.jpg": "old"},
			want: SubmitReport{JobID: "set", State: api.JobSucceeded, Files: 3, Accepted: 3, Succeeded: 3,
				Written: []string{"photo-2.jpg", "photo-3.jpg", "photo.png"}},
			wantOut: map[string]string{"photo.jpg": "old", "photo-2.jpg": "edited jpeg: JPEG x",
				"photo-3.jpg": "edited jpeg: JPEG y", "photo.png": "edited png: PNG z"},
		},
		{
			name:   "partial job lists the failed task",
			inputs: map[string]string{"a.jpg": "JPEG a", "b.jpg": "JPEG b", "c.jpg": "JPEG c"},
			paths:  []string{"a.jpg", "b.jpg", "c.jpg"},
			fake:   fakeConfig{failTasks: map[string]string{"b.jpg": "redeye: no eyes found"}},
			want: SubmitReport{JobID: "set", State: api.JobPartial, Files: 3, Accepted: 3, Succeeded: 2, Failed: 1,
				Failures: []TaskFailure{{Path: "b.jpg", TaskID: "set", ImageID: "set", Attempts: 1, Reason: "redeye: no eyes found"}},
				Written:  []string{"a.jpg", "c.jpg"}},
			wantOut: map[string]string{"a.jpg": "edited jpeg: JPEG a", "c.jpg": "edited jpeg: JPEG c"},
		},
		{
			name:   "failed job writes nothing",
			inputs: map[string]string{"a.jpg": "JPEG a"},
			paths:  []string{"a.jpg"},
			fake:   fakeConfig{failTasks: map[string]string{"a.jpg": "broken or unsupported image"}},
			want: SubmitReport{JobID: "set", State: api.JobFailed, Files: 1, Accepted: 1, Failed: 1,
				Failures: []TaskFailure{{Path: "a.jpg", TaskID: "set", ImageID: "set", Attempts: 1, Reason: "broken or unsupported image"}}},
			wantOut: map[string]string{},
		},
		{
			name:   "rejected files are reported and the rest goes on",
			inputs: map[string]string{"a.jpg": "JPEG a", "notes.txt": "text", "b.png": "PNG b"},
			dirs:   []string{"sub"},
			paths:  []string{"notes.txt", "a.jpg", "missing.jpg", "sub", "b.png"},
			want: SubmitReport{JobID: "set", State: api.JobSucceeded, Files: 5, Accepted: 2, Rejected: 3, Succeeded: 2,
				Rejections: []Rejection{
					{Path: "notes.txt", Reason: "not an accepted image (jpeg, png)"},
					{Path: "missing.jpg", Reason: "no such file or directory"},
					{Path: "sub", Reason: "not a regular file"},
				},
				Written: []string{"a.jpg", "b.png"}},
			wantOut: map[string]string{"a.jpg": "edited jpeg: JPEG a", "b.png": "edited png: PNG b"},
		},
		{
			name:   "names from the server never leave the output folder",
			inputs: map[string]string{"a.jpg": "JPEG a"},
			paths:  []string{"a.jpg"},
			fake:   fakeConfig{serverName: func(string) string { return "../../etc/passwd" }, strayTask: true},
			want: SubmitReport{JobID: "set", State: api.JobSucceeded, Files: 1, Accepted: 1, Succeeded: 2,
				Written: []string{"a.jpg", "passwd.png"}},
			wantOut: map[string]string{"a.jpg": "edited jpeg: JPEG a", "passwd.png": "edited png: PNG stray"},
		},
		{
			name:   "windows-style server names are cut too",
			inputs: map[string]string{"a.jpg": "JPEG a"},
			paths:  []string{"a.jpg"},
			fake:   fakeConfig{serverName: func(string) string { return `..\..\Windows\win.ini` }, strayTask: true},
			want: SubmitReport{JobID: "set", State: api.JobSucceeded, Files: 1, Accepted: 1, Succeeded: 2,
				Written: []string{"a.jpg", "win.png"}},
			wantOut: map[string]string{"a.jpg": "edited jpeg: JPEG a", "win.png": "edited png: PNG stray"},
		},
		{
			name:   "polling rides out a restarting gateway",
			inputs: map[string]string{"a.jpg": "JPEG a"},
			paths:  []string{"a.jpg"},
			fake:   fakeConfig{failPolls: maxPollFailures},
			want: SubmitReport{JobID: "set", State: api.JobSucceeded, Files: 1, Accepted: 1, Succeeded: 1,
				Written: []string{"a.jpg"}},
			wantOut: map[string]string{"a.jpg": "edited jpeg: JPEG a"},
		},
		{
			name:    "polling gives up on a gateway that stays down",
			inputs:  map[string]string{"a.jpg": "JPEG a"},
			paths:   []string{"a.jpg"},
			fake:    fakeConfig{failPolls: maxPollFailures + 1},
			want:    SubmitReport{JobID: "set", State: api.JobQueued, Files: 1, Accepted: 1},
			wantErr: "503 Service Unavailable: restarting",
		},
		{
			name:   "a size limit in front of the gateway rejects every file",
			inputs: map[string]string{"a.jpg": "JPEG a", "b.jpg": "JPEG b", "c.jpg": "JPEG c"},
			paths:  []string{"a.jpg", "b.jpg", "c.jpg"},
			fake:   fakeConfig{tooLarge: true},
			want: SubmitReport{Files: 3, Rejected: 3, Rejections: []Rejection{
				{Path: "a.jpg", Reason: "request body over 1 MiB"},
				{Path: "b.jpg", Reason: "request body over 1 MiB"},
				{Path: "c.jpg", Reason: "request body over 1 MiB"},
			}},
			wantErr: "no file was accepted: IN/a.jpg: request body over 1 MiB; IN/b.jpg",
		},
		{
			name:   "without wait only the job is created",
			inputs: map[string]string{"a.jpg": "JPEG a"},
			paths:  []string{"a.jpg"},
			noWait: true,
			want:   SubmitReport{JobID: "set", State: api.JobQueued, Files: 1, Accepted: 1},
		},
		{
			name:   "no file accepted",
			inputs: map[string]string{"a.txt": "text", "b.txt": "more text"},
			paths:  []string{"a.txt", "b.txt"},
			want: SubmitReport{Files: 2, Rejected: 2, Rejections: []Rejection{
				{Path: "a.txt", Reason: "not an accepted image (jpeg, png)"},
				{Path: "b.txt", Reason: "not an accepted image (jpeg, png)"},
			}},
			wantErr: "no file was accepted: IN/a.txt: not an accepted image (jpeg, png); IN/b.txt: not an accepted image",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			in := filepath.Join(root, "in")
			// Deep enough that "../../x" from out/ is still inside root,
			// where the final walk would see it.
			out := filepath.Join(root, "deep", "er", "out")
			all := map[string]string{}
			for rel, content := range tt.inputs {
				writeFile(t, filepath.Join(in, rel), content)
				all[filepath.Join("in", rel)] = content
			}
			for _, dir := range tt.dirs {
				if err := os.MkdirAll(filepath.Join(in, dir), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			for rel, content := range tt.existing {
				writeFile(t, filepath.Join(out, rel), content)
			}
			for rel, content := range tt.wantOut {
				all[filepath.Join("deep", "er", "out", rel)] = content
			}
			var paths []string
			for _, p := range tt.paths {
				paths = append(paths, filepath.Join(in, p))
			}
			_, srv := newFake(t, tt.fake)
			opts := SubmitOptions{
				Server: srv.URL, HTTPClient: srv.Client(), Paths: paths, Ops: testOps, Format: tt.format,
				Parallel: 2, FilesPerRequest: 2, Wait: !tt.noWait, PollInterval: time.Millisecond,
			}
			if !tt.noWait {
				opts.Out = out
			}

			got, err := Submit(context.Background(), opts)
			checkErr(t, err, strings.ReplaceAll(tt.wantErr, "IN", in))
			if norm := normalise(t, got, in, out); !reflect.DeepEqual(norm, tt.want) {
				t.Errorf("report:\n got %+v\nwant %+v", norm, tt.want)
			}
			if files := readTree(t, root); !reflect.DeepEqual(files, all) {
				t.Errorf("files afterwards:\n got %v\nwant %v", files, all)
			}
		})
	}
}

// normalise makes a report comparable: paths relative to in/ and out/,
// ids the server chose replaced by "set".
func normalise(t *testing.T, r SubmitReport, in, out string) SubmitReport {
	t.Helper()
	rel := func(base, p string) string {
		t.Helper()
		got, err := filepath.Rel(base, p)
		if err != nil || strings.HasPrefix(got, "..") {
			t.Errorf("path %q is not inside %q", p, base)
		}
		return got
	}
	set := func(id string) string {
		if id == "" {
			return ""
		}
		return "set"
	}
	r.JobID = set(r.JobID)
	for i := range r.Rejections {
		r.Rejections[i].Path = rel(in, r.Rejections[i].Path)
	}
	for i, f := range r.Failures {
		r.Failures[i].Path, r.Failures[i].TaskID, r.Failures[i].ImageID = rel(in, f.Path), set(f.TaskID), set(f.ImageID)
	}
	for i := range r.Written {
		r.Written[i] = rel(out, r.Written[i])
	}
	return r
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readTree returns every regular file under root with its content.
func readTree(t *testing.T, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files[rel] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestSubmitProgress(t *testing.T) {
	in := t.TempDir()
	var paths []string
	for name, content := range map[string]string{"a.jpg": "JPEG a", "b.jpg": "JPEG b", "notes.txt": "text"} {
		writeFile(t, filepath.Join(in, name), content)
		paths = append(paths, filepath.Join(in, name))
	}
	fake, srv := newFake(t, fakeConfig{failTasks: map[string]string{"b.jpg": "crop: outside the image"}})
	jobTaskPage = 1
	t.Cleanup(func() { jobTaskPage = 1000 })
	var progress bytes.Buffer
	_, err := Submit(context.Background(), SubmitOptions{
		Server: srv.URL, HTTPClient: srv.Client(), Paths: paths, Ops: testOps,
		Wait: true, PollInterval: time.Millisecond, Out: filepath.Join(in, "out"), Progress: &progress,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"rejected " + filepath.Join(in, "notes.txt") + ": not an accepted image (jpeg, png)\n",
		"uploading 3/3\n",
		"processing 2/2 (1 failed)\n",
		"failed " + filepath.Join(in, "b.jpg") + ": crop: outside the image\n",
		"downloading 1/1\n",
	} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress lacks %q; it is:\n%s", want, progress.String())
		}
	}
	// Polls ask for the summary; the final job's tasks come a page at a
	// time.
	want := []string{"view=summary", "view=summary", "limit=1", "limit=1&page_token=1"}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if !slices.Equal(fake.polls, want) {
		t.Errorf("GET job queries %q, want %q", fake.polls, want)
	}
}

// TestSubmitMetadata: the job asks to keep the photos' metadata only when
// told to, and otherwise leaves the server's default (strip).
func TestSubmitMetadata(t *testing.T) {
	for _, keep := range []bool{false, true} {
		in := t.TempDir()
		writeFile(t, filepath.Join(in, "a.jpg"), "JPEG a")
		fake, srv := newFake(t, fakeConfig{})
		_, err := Submit(context.Background(), SubmitOptions{
			Server: srv.URL, HTTPClient: srv.Client(), Paths: []string{filepath.Join(in, "a.jpg")}, Ops: testOps, KeepMetadata: keep,
		})
		if err != nil {
			t.Fatal(err)
		}
		want := map[bool]string{false: "", true: "keep"}[keep]
		if len(fake.created) != 1 || fake.created[0].Metadata != want {
			t.Errorf("KeepMetadata %v: job requests %+v, want one with metadata %q", keep, fake.created, want)
		}
	}
}

// TestSubmitPreset: a preset is sent by name, in place of ops.
func TestSubmitPreset(t *testing.T) {
	in := t.TempDir()
	writeFile(t, filepath.Join(in, "a.jpg"), "JPEG a")
	fake, srv := newFake(t, fakeConfig{})
	_, err := Submit(context.Background(), SubmitOptions{
		Server: srv.URL, HTTPClient: srv.Client(), Paths: []string{filepath.Join(in, "a.jpg")}, Preset: "web",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(fake.created) != 1 || fake.created[0].Preset != "web" || len(fake.created[0].Ops) != 0 {
		t.Errorf("job requests %+v, want one naming preset web and no ops", fake.created)
	}
}

// TestSubmitBoundsUploads holds every upload request in the fake until as
// many as the bound are in flight, then lets one go at a time. A client
// that sends more at once shows a higher maximum; one that sends fewer
// never reaches the bound and stalls, which the watchdog reports.
func TestSubmitBoundsUploads(t *testing.T) {
	tests := []struct {
		name                      string
		files, parallel, perBatch int
		wantSizes                 []int // files per request, sorted
	}{
		{"one file per request", 10, 3, 1, []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
		{"several files per request", 10, 2, 4, []int{2, 4, 4}},
		{"fewer requests than the bound", 3, 4, 2, []int{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := t.TempDir()
			var paths []string
			for i := range tt.files {
				p := filepath.Join(in, strings.Repeat("x", i+1)+".jpg")
				writeFile(t, p, "JPEG")
				paths = append(paths, p)
			}
			requests := len(tt.wantSizes)
			bound := min(tt.parallel, requests)
			arrivals := make(chan chan struct{})
			fake, srv := newFake(t, fakeConfig{uploadGate: func(ctx context.Context) {
				release := make(chan struct{})
				select {
				case arrivals <- release:
					<-release
				case <-ctx.Done():
				}
			}})
			go func() {
				var held []chan struct{}
				defer func() {
					for _, r := range held {
						close(r)
					}
				}()
				watchdog := time.NewTimer(10 * time.Second)
				defer watchdog.Stop()
				for arrived := 0; arrived < requests; {
					select {
					case r := <-arrivals:
						arrived++
						held = append(held, r)
					case <-watchdog.C:
						t.Errorf("stalled with %d of %d requests held: fewer in flight than the bound %d", len(held), requests, bound)
						return
					}
					if len(held) >= bound || arrived == requests {
						close(held[0])
						held = held[1:]
					}
				}
			}()
			_, err := Submit(context.Background(), SubmitOptions{
				Server: srv.URL, HTTPClient: srv.Client(), Paths: paths, Ops: testOps,
				Parallel: tt.parallel, FilesPerRequest: tt.perBatch,
			})
			if err != nil {
				t.Fatal(err)
			}
			fake.mu.Lock()
			defer fake.mu.Unlock()
			if fake.maxInflight != bound {
				t.Errorf("at most %d uploads were in flight, want %d", fake.maxInflight, bound)
			}
			var sizes []int
			for _, parts := range fake.uploads {
				sizes = append(sizes, len(parts))
			}
			slices.Sort(sizes)
			if !reflect.DeepEqual(sizes, tt.wantSizes) {
				t.Errorf("files per request = %v, want %v", sizes, tt.wantSizes)
			}
		})
	}
}

func TestSubmitOptionsAreValidated(t *testing.T) {
	good := SubmitOptions{Server: "http://127.0.0.1:8080", Paths: []string{"a.jpg"}, Ops: testOps}
	tests := []struct {
		name    string
		change  func(o *SubmitOptions)
		wantErr string
	}{
		{"no server", func(o *SubmitOptions) { o.Server = "" }, `server "": want an http or https URL`},
		{"server without scheme", func(o *SubmitOptions) { o.Server = "localhost:8080" }, `server "localhost:8080"`},
		{"no paths", func(o *SubmitOptions) { o.Paths = nil }, "paths: no files given"},
		{"op not JSON", func(o *SubmitOptions) { o.Ops = append(o.Ops, json.RawMessage("thumbnail:width=3")) }, `ops[1] "thumbnail:width=3": not valid JSON`},
		{"quality too high", func(o *SubmitOptions) { o.Quality = 101 }, "quality 101"},
		{"negative parallel", func(o *SubmitOptions) { o.Parallel = -1 }, "parallel -1"},
		{"negative files per request", func(o *SubmitOptions) { o.FilesPerRequest = -2 }, "files per request -2"},
		{"negative poll interval", func(o *SubmitOptions) { o.PollInterval = -time.Second }, "poll interval -1s"},
		{"out without wait", func(o *SubmitOptions) { o.Out = "edited" }, `out "edited" needs wait`},
		{"preset and ops", func(o *SubmitOptions) { o.Preset = "web" }, `preset "web": give a preset or ops, not both`},
		{"every problem at once", func(o *SubmitOptions) { o.Paths, o.Quality = nil, -1 }, "paths: no files given\nquality -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := good
			tt.change(&opts)
			_, err := Submit(context.Background(), opts)
			checkErr(t, err, tt.wantErr)
		})
	}
}

// TestSubmitUnreadableFile covers a file that passes the check before the
// upload but cannot be read when its turn comes: it is rejected and the
// other files of its request are sent again without it.
func TestSubmitUnreadableFile(t *testing.T) {
	tests := []struct {
		name       string
		broken     map[string]error // by base name: the error opening or reading it
		wantReason map[string]string
		wantErr    string
	}{
		{
			name:       "cannot be opened",
			broken:     map[string]error{"b.jpg": &fs.PathError{Op: "open", Path: "b.jpg", Err: fs.ErrPermission}},
			wantReason: map[string]string{"b.jpg": "permission denied"},
		},
		{
			name:       "fails while read",
			broken:     map[string]error{"c.jpg": errors.New("input/output error")},
			wantReason: map[string]string{"c.jpg": "input/output error"},
		},
		{
			name:       "two in one request",
			broken:     map[string]error{"a.jpg": fs.ErrPermission, "c.jpg": errors.New("input/output error")},
			wantReason: map[string]string{"a.jpg": "permission denied", "c.jpg": "input/output error"},
		},
		{
			name:       "every file",
			broken:     map[string]error{"a.jpg": fs.ErrPermission, "b.jpg": fs.ErrPermission, "c.jpg": fs.ErrPermission},
			wantReason: map[string]string{"a.jpg": "permission denied", "b.jpg": "permission denied", "c.jpg": "permission denied"},
			wantErr:    "no file was accepted",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := t.TempDir()
			var paths []string
			for _, name := range []string{"a.jpg", "b.jpg", "c.jpg"} {
				writeFile(t, filepath.Join(in, name), "JPEG "+name)
				paths = append(paths, filepath.Join(in, name))
			}
			fake, srv := newFake(t, fakeConfig{})
			s, err := newSubmission(SubmitOptions{Server: srv.URL, HTTPClient: srv.Client(), Paths: paths, Ops: testOps, FilesPerRequest: 3})
			if err != nil {
				t.Fatal(err)
			}
			s.open = func(path string) (io.ReadCloser, error) {
				err, broken := tt.broken[filepath.Base(path)]
				switch {
				case !broken:
					return os.Open(path)
				case errors.Is(err, fs.ErrPermission):
					return nil, err
				default:
					return io.NopCloser(&failingReader{err: err}), nil
				}
			}
			checkErr(t, s.run(context.Background()), tt.wantErr)
			reasons := map[string]string{}
			for _, r := range s.report.Rejections {
				reasons[filepath.Base(r.Path)] = r.Reason
			}
			if !reflect.DeepEqual(reasons, tt.wantReason) {
				t.Errorf("rejections = %v, want %v", reasons, tt.wantReason)
			}
			fake.mu.Lock()
			defer fake.mu.Unlock()
			if want := 3 - len(tt.broken); s.report.Accepted != want || len(fake.images) != want {
				t.Errorf("accepted %d, server stored %d images, want %d", s.report.Accepted, len(fake.images), want)
			}
		})
	}
}

// failingReader gives a few bytes, then its error.
type failingReader struct {
	err  error
	sent bool
}

func (r *failingReader) Read(p []byte) (int, error) {
	if !r.sent {
		r.sent = true
		return copy(p, "JPEG partial"), nil
	}
	return 0, r.err
}
