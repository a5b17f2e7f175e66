package client

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/platform/api"
)

// memFile is a File with the given content.
func memFile(name, content string) File {
	return File{Name: name, Open: func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(content)), nil
	}}
}

func TestUpload(t *testing.T) {
	tests := []struct {
		name       string
		files      []File
		wantParts  []fakePart
		wantImages []api.Image // IDs compared only for being set
		wantStatus int         // of the *APIError; 0 for none
		wantErr    string      // in the error text; "" for no error
	}{
		{
			name: "several files, one rejected",
			files: []File{
				memFile("beach.jpg", "JPEG beach"),
				memFile("notes.txt", "just text"),
				memFile(`a "quoted" name.png`, "PNG quoted"),
				memFile("ünï cödé.jpg", "JPEG unicode"),
			},
			wantParts: []fakePart{
				{form: "file", file: "beach.jpg", data: "JPEG beach"},
				{form: "file", file: "notes.txt", data: "just text"},
				{form: "file", file: `a "quoted" name.png`, data: "PNG quoted"},
				{form: "file", file: "ünï cödé.jpg", data: "JPEG unicode"},
			},
			wantImages: []api.Image{
				{ID: "set", Name: "beach.jpg", Format: "jpeg", Width: 4, Height: 3, Bytes: 10},
				{Name: "notes.txt", Error: "not an accepted image (jpeg, png)"},
				{ID: "set", Name: `a "quoted" name.png`, Format: "png", Width: 4, Height: 3, Bytes: 10},
				{ID: "set", Name: "ünï cödé.jpg", Format: "jpeg", Width: 4, Height: 3, Bytes: 12},
			},
		},
		{
			name:  "none accepted keeps the reasons",
			files: []File{memFile("a.txt", "a"), memFile("b.txt", "b")},
			wantParts: []fakePart{
				{form: "file", file: "a.txt", data: "a"},
				{form: "file", file: "b.txt", data: "b"},
			},
			wantImages: []api.Image{
				{Name: "a.txt", Error: "not an accepted image (jpeg, png)"},
				{Name: "b.txt", Error: "not an accepted image (jpeg, png)"},
			},
			wantStatus: 400,
			wantErr:    "no file was accepted",
		},
		{
			name: "file that cannot be opened",
			files: []File{memFile("ok.jpg", "JPEG ok"), {Name: "gone.jpg", Open: func() (io.ReadCloser, error) {
				return nil, fs.ErrNotExist
			}}},
			wantErr: `read "gone.jpg": file does not exist`,
		},
		{
			name: "file that fails while read",
			files: []File{{Name: "torn.jpg", Open: func() (io.ReadCloser, error) {
				return io.NopCloser(&failingReader{err: errors.New("disk on fire")}), nil
			}}},
			wantErr: `read "torn.jpg": disk on fire`,
		},
		{name: "no files", wantErr: "no files given"},
		{name: "file without opener", files: []File{{Name: "x.jpg"}}, wantErr: `file 0 ("x.jpg") needs both a name and an Open function`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, srv := newFake(t, fakeConfig{})
			got, err := New(srv.URL, srv.Client()).Upload(context.Background(), tt.files)
			checkErr(t, err, tt.wantErr)
			gotStatus := 0
			if apiErr := (*APIError)(nil); errors.As(err, &apiErr) {
				gotStatus = apiErr.Status
			}
			if gotStatus != tt.wantStatus {
				t.Errorf("APIError status = %d, want %d (0: no APIError)", gotStatus, tt.wantStatus)
			}
			for i := range got.Images {
				if got.Images[i].ID != "" {
					got.Images[i].ID = "set"
				}
			}
			if !reflect.DeepEqual(got.Images, tt.wantImages) {
				t.Errorf("images:\n got %+v\nwant %+v", got.Images, tt.wantImages)
			}
			fake.mu.Lock()
			defer fake.mu.Unlock()
			if tt.wantParts != nil {
				if len(fake.uploads) != 1 || !reflect.DeepEqual(fake.uploads[0], tt.wantParts) {
					t.Errorf("server received:\n got %+v\nwant one request of %+v", fake.uploads, tt.wantParts)
				}
			}
		})
	}
}

// checkErr fails the test unless err contains want, or is nil when want is "".
func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Fatalf("error = %v, want one containing %q", err, want)
	}
}

func TestJobRoundTrip(t *testing.T) {
	fake, srv := newFake(t, fakeConfig{})
	c := New(srv.URL+"/", srv.Client()) // a trailing slash must not matter
	ctx := context.Background()
	up, err := c.Upload(ctx, []File{memFile("a.jpg", "JPEG a"), memFile("b.png", "PNG b")})
	if err != nil {
		t.Fatal(err)
	}
	ops := []json.RawMessage{
		json.RawMessage(`{"op":"thumbnail","width":256,"height":256}`),
		json.RawMessage(`{"op":"brightness","factor":1.2}`),
	}
	req := api.JobRequest{Images: []string{up.Images[0].ID, up.Images[1].ID}, Ops: ops, Format: "webp", Quality: 80}
	job, err := c.CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	fake.mu.Lock()
	if len(fake.created) != 1 || !reflect.DeepEqual(fake.created[0], req) {
		t.Errorf("server received job %+v, want %+v", fake.created, req)
	}
	fake.mu.Unlock()
	if job.ID == "" || job.State != api.JobQueued || len(job.Tasks) != 2 {
		t.Fatalf("created job = %+v, want an id, state queued and 2 tasks", job)
	}
	for !job.State.Final() {
		if job, err = c.Job(ctx, job.ID); err != nil {
			t.Fatal(err)
		}
	}
	if job.State != api.JobSucceeded || job.Tasks[0].Output == nil || job.Tasks[0].Output.Format != "webp" {
		t.Fatalf("final job = %+v, want succeeded with webp outputs", job)
	}

	var out bytes.Buffer
	ctype, err := c.Output(ctx, job.ID, job.Tasks[1].ID, &out)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "image/webp" || out.String() != "edited webp: PNG b" {
		t.Errorf("output = %q of type %q, want %q of type image/webp", out.String(), ctype, "edited webp: PNG b")
	}

	var archive bytes.Buffer
	if err := c.Archive(ctx, job.ID, &archive); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(archive.Bytes()), int64(archive.Len()))
	if err != nil {
		t.Fatalf("archive is not a zip: %v", err)
	}
	if len(zr.File) != 2 {
		t.Errorf("archive holds %d files, want 2", len(zr.File))
	}
}

func TestAPIError(t *testing.T) {
	long := strings.Repeat("é", 300)
	tests := []struct {
		name        string
		status      int
		body        string
		wantMessage string
	}{
		{"json message", 404, `{"error":"job not found"}`, "job not found"},
		{"json message on 400", 400, `{"error":"ops[1]: unknown op \"sparkle\""}`, `ops[1]: unknown op "sparkle"`},
		{"html page from a proxy", 502, "<html>\n<body>Bad   gateway</body></html>", "<html> <body>Bad gateway</body></html>"},
		{"empty body", 503, "", "Service Unavailable"},
		{"json without error", 500, `{"detail":"x"}`, `{"detail":"x"}`},
		{"long text is cut on a rune", 500, long, strings.Repeat("é", 100) + "…"},
	}
	calls := map[string]func(c *Client) error{
		"CreateJob": func(c *Client) error {
			_, err := c.CreateJob(context.Background(), api.JobRequest{Images: []string{"i"}, Ops: []json.RawMessage{json.RawMessage(`{}`)}})
			return err
		},
		"Job":     func(c *Client) error { _, err := c.Job(context.Background(), "j"); return err },
		"Output":  func(c *Client) error { _, err := c.Output(context.Background(), "j", "t", io.Discard); return err },
		"Archive": func(c *Client) error { return c.Archive(context.Background(), "j", io.Discard) },
		"Upload": func(c *Client) error {
			_, err := c.Upload(context.Background(), []File{memFile("a.jpg", "JPEG")})
			return err
		},
	}
	for _, tt := range tests {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.WriteHeader(tt.status)
			io.WriteString(w, tt.body)
		}))
		for call, do := range calls {
			t.Run(tt.name+"/"+call, func(t *testing.T) {
				err := do(New(srv.URL, srv.Client()))
				var apiErr *APIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("error = %v, want an *APIError", err)
				}
				want := APIError{Status: tt.status, Message: tt.wantMessage}
				if *apiErr != want {
					t.Errorf("APIError = %+v, want %+v", *apiErr, want)
				}
			})
		}
		srv.Close()
	}
}

func TestIDsAreEscaped(t *testing.T) {
	var gotPath string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath = r.URL.EscapedPath()
		writeJSON(w, 200, api.Job{ID: "x"})
	}))
	defer srv.Close()
	if _, err := New(srv.URL, srv.Client()).Job(context.Background(), "../images/a?b"); err != nil {
		t.Fatal(err)
	}
	if want := "/v1/jobs/..%2Fimages%2Fa%3Fb"; gotPath != want {
		t.Errorf("path = %q, want %q", gotPath, want)
	}
}

func TestContextErrorsPassThrough(t *testing.T) {
	_, srv := newFake(t, fakeConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := New(srv.URL, srv.Client())
	if _, err := c.Job(ctx, "j"); err != context.Canceled {
		t.Errorf("Job error = %v, want context.Canceled itself", err)
	}
	if _, err := c.Upload(ctx, []File{memFile("a.jpg", "JPEG")}); err != context.Canceled {
		t.Errorf("Upload error = %v, want context.Canceled itself", err)
	}
}
