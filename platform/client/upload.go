package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"

	"github.com/pixmill/pixmill/platform/api"
)

// File is one picture to upload. Open is called once, when the file's part
// of the request body is written, so a batch keeps at most one file open.
type File struct {
	// Name is the file name sent to the server, usually a base name such
	// as "beach.jpg".
	Name string
	Open func() (io.ReadCloser, error)
}

// LocalFile returns a File that reads the file at path and is sent under
// the path's base name.
func LocalFile(path string) File {
	return File{
		Name: filepath.Base(path),
		Open: func() (io.ReadCloser, error) { return os.Open(path) },
	}
}

// Upload sends files in one multipart request, each as a part named "file".
// The body is streamed: each file is opened and copied while the request
// is being sent. The result has one entry per file, in order. When the
// server accepts no file it answers 4xx: Upload then returns the per-file
// reasons in the result together with the error.
func (c *Client) Upload(ctx context.Context, files []File) (api.UploadResult, error) {
	if len(files) == 0 {
		return api.UploadResult{}, errors.New("client: upload: no files given")
	}
	for i, f := range files {
		if f.Name == "" || f.Open == nil {
			return api.UploadResult{}, fmt.Errorf("client: upload: file %d (%q) needs both a name and an Open function", i, f.Name)
		}
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	written := make(chan error, 1)
	go func() { written <- writeParts(pw, mw, files) }()

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url("v1", "images"), pr)
	if err != nil {
		pr.CloseWithError(err)
		<-written
		return api.UploadResult{}, fmt.Errorf("client: upload: %w", err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	var result api.UploadResult
	err = c.exchange(req, "upload", &result)
	// The server may answer before reading the whole body (a size limit,
	// say); closing the reader stops the writer so it cannot leak.
	pr.CloseWithError(errAnswered)
	var src *sourceError
	if werr := <-written; err != nil && errors.As(werr, &src) {
		// The request failed because a local file could not be read;
		// that is the error worth reporting, not the broken request.
		return api.UploadResult{}, src
	}
	return result, err
}

var errAnswered = errors.New("client: upload already answered")

// writeParts writes the multipart body and closes the pipe with the outcome,
// which the sending side sees as the end or the failure of the body.
func writeParts(pw *io.PipeWriter, mw *multipart.Writer, files []File) error {
	err := func() error {
		for _, f := range files {
			if err := writePart(mw, f); err != nil {
				return err
			}
		}
		return mw.Close()
	}()
	pw.CloseWithError(err)
	return err
}

func writePart(mw *multipart.Writer, f File) error {
	rc, err := f.Open()
	if err != nil {
		return &sourceError{name: f.Name, err: err}
	}
	defer rc.Close()
	part, err := mw.CreateFormFile("file", f.Name)
	if err != nil {
		return err
	}
	_, err = io.Copy(part, sourceReader{r: rc, name: f.Name})
	return err
}

// sourceError is a failure to open or read a local file, told apart from
// failures to write the request.
type sourceError struct {
	name string
	err  error
}

func (e *sourceError) Error() string {
	return fmt.Sprintf("client: upload: read %q: %v", e.name, e.err)
}
func (e *sourceError) Unwrap() error { return e.err }

// sourceReader marks read errors as the source's.
type sourceReader struct {
	r    io.Reader
	name string
}

func (s sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		err = &sourceError{name: s.name, err: err}
	}
	return n, err
}
