package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"

	"gocloud.dev/blob"

	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/events/imagetype"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/functions/imaging"
)

// PreviewSize is the longest side, in pixels, of the preview of a result
// that GET /v1/jobs/{id}/tasks/{task}/preview serves: enough for a tile of
// the web app's result grid on a dense screen, a small part of a photo's
// bytes. A result smaller than that is not enlarged.
const PreviewSize = 480

// previewOps make a preview: a thumbnail, shrunk while it is decoded.
var previewOps = func() []imaging.Op {
	op, err := imaging.Parse(json.RawMessage(fmt.Sprintf(`{"op":"thumbnail","width":%d,"height":%d}`, PreviewSize, PreviewSize)))
	if err != nil {
		panic(err)
	}
	return []imaging.Op{op}
}()

// previewOutput is WebP, which every browser shows and which keeps
// transparency, at a quality made for looking, not for keeping.
var previewOutput = imaging.Output{Format: "webp", Quality: 75, Strip: true}

// getPreview serves a small picture of a task's result: made from the result
// the first time it is asked for, then kept in the bucket beside it. A page
// that shows a job of hundreds of photos loads these, not the results.
func (g *Gateway) getPreview(w http.ResponseWriter, r *http.Request, owner string) {
	j, t, res, ok := g.taskResult(w, r, owner)
	if !ok {
		return
	}
	key := records.PreviewKey(owner, j.ID, t.ID)
	name := strings.TrimSuffix(outputName(t), path.Ext(outputName(t))) + "-preview.webp"
	ok, err := g.deps.Bucket.Exists(r.Context(), key)
	switch {
	case err != nil:
		err = fault.Wrap(fault.Transient, err, "looking for the preview %s", key)
	case !ok:
		if err = g.makePreview(r.Context(), owner, res.Key, key); err == nil {
			// A deletion of the job while the preview was made would
			// not have seen it.
			err = g.stillWanted(r.Context(), owner, j.ID, j.Created, key)
		}
	}
	if err != nil {
		g.fail(w, r, err)
		return
	}
	g.serveObject(w, r, key, name, imagetype.ContentType(previewOutput.Format))
}

// makePreview reads the result at src, makes its preview and stores it at
// dst, counting its bytes as owner's. Two requests for the same preview at
// once both make it and write the same bytes (and count them twice, until
// the next recount).
func (g *Gateway) makePreview(ctx context.Context, owner, src, dst string) error {
	data, err := g.deps.Bucket.ReadAll(ctx, src)
	if err := fault.Storage(err, "reading %s", src); err != nil {
		return notFoundAs(err, "the result is no longer stored")
	}
	var p *imaging.Result
	err = g.pictures.do(ctx, previewWait, true, func() (err error) {
		p, err = imaging.Process(ctx, data, previewOps, previewOutput)
		return err
	})
	if errors.Is(err, errPreviewBusy) {
		return fault.Wrap(fault.Transient, err, "previews are busy")
	}
	if err != nil {
		return err
	}
	if err := g.deps.Bucket.WriteAll(ctx, dst, p.Bytes, &blob.WriterOptions{ContentType: p.ContentType}); err != nil {
		return fault.Wrap(fault.Transient, err, "storing the preview %s", dst)
	}
	g.quotas.AddStored(owner, int64(len(p.Bytes)))
	return nil
}
