package gateway

import (
	"archive/zip"
	"io"
	"mime"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/blob"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/events/imagetype"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/auth"
)

func (g *Gateway) getOutput(w http.ResponseWriter, r *http.Request, owner string) {
	_, t, res, ok := g.taskResult(w, r, owner)
	if ok {
		g.serveObject(w, r, t.Output.Key, outputName(t), res.ContentType)
	}
}

// taskResult loads the caller's job and task named in the path and the
// task's result, answering the error itself when it cannot: a task that has
// not succeeded has none.
func (g *Gateway) taskResult(w http.ResponseWriter, r *http.Request, owner string) (records.Job, records.JobTask, events.Result, bool) {
	j, i, err := g.jobTask(r, owner)
	if err != nil {
		g.fail(w, r, err)
		return records.Job{}, records.JobTask{}, events.Result{}, false
	}
	id := j.Tasks[i].ID
	res, err := g.store.Result(r.Context(), j.ID, id)
	if err != nil {
		g.fail(w, r, notFoundAs(err, "task %s has no output yet", id))
		return records.Job{}, records.JobTask{}, events.Result{}, false
	}
	return j, j.Tasks[i], res, true
}

// jobTask loads the caller's job named in the path and finds the index of
// the task it names.
func (g *Gateway) jobTask(r *http.Request, owner string) (records.Job, int, error) {
	j, err := g.loadJob(r, owner)
	if err != nil {
		return records.Job{}, 0, err
	}
	id := r.PathValue("task")
	i := slices.IndexFunc(j.Tasks, func(t records.JobTask) bool { return t.ID == id })
	if i < 0 {
		return records.Job{}, 0, fault.New(fault.NotFound, "task %q not found in job %s", id, j.ID)
	}
	return j, i, nil
}

func (g *Gateway) taskExists(r *http.Request, owner string) error {
	_, _, err := g.jobTask(r, owner)
	return err
}

func (g *Gateway) jobExists(r *http.Request, owner string) error {
	_, err := g.loadJob(r, owner)
	return err
}

// cacheControl lets a browser keep an object for a year (an id names the
// same bytes for ever), but an object read through a signed link no longer
// than the link lasts: the browser must ask again, and be refused, once it
// has expired.
func (g *Gateway) cacheControl(r *http.Request) string {
	q := r.URL.Query()
	if !auth.IsLink(q) {
		return "private, max-age=31536000, immutable"
	}
	secs, _ := strconv.ParseInt(q.Get(auth.LinkExpiresParam), 10, 64)
	left := max(0, time.Unix(secs, 0).Sub(g.deps.Now())/time.Second)
	return "private, max-age=" + strconv.FormatInt(int64(left), 10)
}

// getArchive streams a zip of every output that exists, stored without
// compression: the pictures are compressed already. It holds no output
// whole, only the zip's directory (a hundred bytes or so an entry) until
// the end.
func (g *Gateway) getArchive(w http.ResponseWriter, r *http.Request, owner string) {
	j, tasks, ok := g.jobTasks(w, r, owner)
	if !ok {
		return
	}
	ctx := r.Context()
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "pixmill-" + j.ID + ".zip"}))
	zw := zip.NewWriter(w)
	used := map[string]int{}
	// One buffer for every output: the archive holds one piece of one
	// output at a time, whatever the job's size.
	buf := make([]byte, 256<<10)
	for _, t := range tasks {
		if t.State != records.Succeeded {
			continue
		}
		name := uniqueName(used, outputName(t.JobTask))
		rd, err := g.deps.Bucket.NewReader(ctx, t.Output.Key, nil)
		if err != nil {
			// Headers are sent: the truncated zip is the only way left to
			// say something went wrong.
			g.log.Error("archive: reading output", "job", j.ID, "task", t.ID, g.ownerAttr(j.Owner), "err", err)
			return
		}
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: t.Updated})
		if err == nil {
			_, err = copyObject(fw, rd, buf)
		}
		rd.Close()
		if err != nil {
			return
		}
	}
	_ = zw.Close()
}

// outputName is the original's name with the output's extension.
func outputName(t records.JobTask) string {
	base := strings.TrimSuffix(t.Name, path.Ext(t.Name))
	if base == "" {
		base = t.ID
	}
	return base + outputExt(t.Output.Format)
}

// outputExt is the extension, dot included, of a result in format: the same
// in its bucket key, its Content-Disposition, the archive and the CLI's
// download (which read the same table).
func outputExt(format string) string {
	if t, ok := imagetype.ByName(format); ok {
		return t.Ext()
	}
	return "." + format
}

// uniqueName adds -2, -3 … to names already used in an archive.
func uniqueName(used map[string]int, name string) string {
	used[name]++
	if n := used[name]; n > 1 {
		ext := path.Ext(name)
		return uniqueName(used, strings.TrimSuffix(name, ext)+"-"+strconv.Itoa(n)+ext)
	}
	return name
}

// serveObject streams a bucket object. Its content type is the one its
// record gives, or else the one stored with it: a file bucket opened with
// metadata=skip stores none.
func (g *Gateway) serveObject(w http.ResponseWriter, r *http.Request, key, name, contentType string) {
	rd, err := g.deps.Bucket.NewReader(r.Context(), key, nil)
	if err != nil {
		g.fail(w, r, fault.Storage(err, "reading %s", key))
		return
	}
	defer rd.Close()
	h := w.Header()
	if contentType == "" {
		contentType = rd.ContentType()
	}
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.FormatInt(rd.Size(), 10))
	h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": name}))
	h.Set("Cache-Control", g.cacheControl(r))
	w.WriteHeader(http.StatusOK)
	// http's ResponseWriter is an io.ReaderFrom, which blob.Reader's
	// WriteTo hands the copy to, with http's own pooled buffer.
	_, _ = io.Copy(w, rd)
}

// copyObject copies a bucket object to w through buf. io.Copy would hand
// the copy to blob.Reader's WriteTo, which makes a new 1 MiB buffer every
// time: an archive of 5,000 outputs made 5 GB of garbage that way, and the
// heap of TestArchiveOfFiveThousandPhotos grew by up to 84 MiB.
func copyObject(w io.Writer, rd *blob.Reader, buf []byte) (int64, error) {
	return io.CopyBuffer(w, struct{ io.Reader }{rd}, buf)
}
