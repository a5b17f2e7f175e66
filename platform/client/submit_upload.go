package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"

	"github.com/pixmill/pixmill/platform/api"
)

// uploadAll uploads every readable file, FilesPerRequest to a request and
// Parallel requests at a time, and records for each file its image or the
// reason it was rejected. It stops at the first error that is not about
// the files themselves.
func (s *submission) uploadAll(ctx context.Context) error {
	var batches [][]int
	var batch []int
	for i, f := range s.files {
		if reason := checkLocal(f.path); reason != "" {
			s.reject(i, reason)
			continue
		}
		batch = append(batch, i)
		if len(batch) == s.opts.FilesPerRequest {
			batches = append(batches, batch)
			batch = nil
		}
	}
	if len(batch) > 0 {
		batches = append(batches, batch)
	}
	total := 0
	for _, b := range batches {
		total += len(b)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var sent atomic.Int64
	runBounded(len(batches), s.opts.Parallel, func(b int) {
		if ctx.Err() != nil {
			return
		}
		if err := s.uploadBatch(ctx, batches[b]); err != nil {
			cancel(err)
			return
		}
		s.progress.set("uploading", int(sent.Add(int64(len(batches[b])))), total, "")
	})
	return context.Cause(ctx)
}

// checkLocal rejects, before any request, what cannot be uploaded.
func checkLocal(path string) string {
	info, err := os.Stat(path)
	switch {
	case err != nil:
		return localReason(err)
	case !info.Mode().IsRegular():
		return "not a regular file"
	}
	return ""
}

// localReason is the reason for a local file error without the path,
// which the rejection already carries.
func localReason(err error) string {
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return pathErr.Err.Error()
	}
	return err.Error()
}

// uploadBatch uploads the files at the given indices in one request.
func (s *submission) uploadBatch(ctx context.Context, indices []int) error {
	files := make([]File, len(indices))
	// Files are opened one after the other, and Upload returns only once
	// its body writer is done, so current names the failed file, if any.
	current := 0
	for j, i := range indices {
		path := s.files[i].path
		files[j] = File{Name: filepath.Base(path), Open: func() (io.ReadCloser, error) {
			current = j
			return s.open(path)
		}}
	}
	result, err := s.client.Upload(ctx, files)
	var apiErr *APIError
	var src *sourceError
	switch {
	case err == nil:
	case errors.As(err, &src):
		// A file that became unreadable since it was checked (deleted,
		// a disk error) is rejected like any other; the batch is sent
		// again without it.
		s.reject(indices[current], localReason(src.err))
		rest := slices.Delete(slices.Clone(indices), current, current+1)
		if len(rest) == 0 {
			return nil
		}
		return s.uploadBatch(ctx, rest)
	case errors.As(err, &apiErr) && (apiErr.Status == http.StatusBadRequest || apiErr.Status == http.StatusRequestEntityTooLarge):
		// No file of this request was accepted. The answer says why for
		// each file, or once for all (a proxy's size limit, say).
		if len(result.Images) != len(indices) {
			result.Images = make([]api.Image, len(indices))
		}
		for j := range result.Images {
			if result.Images[j].Error == "" {
				result.Images[j] = api.Image{Error: apiErr.Message}
			}
		}
	default:
		return err
	}
	if len(result.Images) != len(indices) {
		return fmt.Errorf("client: upload: the server answered %d entries for %d files", len(result.Images), len(indices))
	}
	for j, i := range indices {
		switch im := result.Images[j]; {
		case im.Accepted():
			s.files[i].image = im
		case im.Error != "":
			s.reject(i, printable(im.Error))
		default:
			s.reject(i, "the server gave neither an id nor a reason")
		}
	}
	return nil
}

func (s *submission) reject(i int, reason string) {
	s.files[i].reason = reason
	s.progress.printf("rejected %s: %s", printable(s.files[i].path), reason)
}
