package gateway

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/functions/imaging"
	"github.com/pixmill/pixmill/platform/api"
)

// Live previews (POST /v1/previews) are made in the gateway's process,
// synchronously, while the person edits: a picture of at most
// api.DefaultPreviewSize pixels costs a few tens of milliseconds once the
// original is decoded shrunk (from its proxy, after the first). They share
// the gateway's pictureBudget with the previews of results, a share of the
// machine's CPUs (Config.PreviewCPU), so that the batch workers keep the
// rest; a request that waits longer than previewWait for its turn, or takes
// longer than previewTimeout in all, is answered 503 with Retry-After and
// the web app asks again.
const (
	previewWait    = 5 * time.Second
	previewTimeout = 10 * time.Second
	// maxPreviewBody bounds a preview request: one image id and a recipe.
	maxPreviewBody = 64 << 10
)

// createPreview answers POST /v1/previews with the caller's picture edited
// as the recipe says, shrunk to at most size pixels on its longer side.
// Nothing is stored.
func (g *Gateway) createPreview(w http.ResponseWriter, r *http.Request, owner string) {
	res, err := g.livePreview(r, owner)
	switch {
	case errors.Is(err, errPreviewBusy), errors.Is(err, errPreviewSlow):
		// The person's next change asks again; say so rather than hide
		// the reason behind the generic 503 text.
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, api.Error{Error: err.Error()})
		return
	case err != nil:
		g.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", res.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(res.Bytes)))
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("X-Pixmill-Size", strconv.Itoa(res.Width)+"x"+strconv.Itoa(res.Height))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.Bytes)
}

var (
	errPreviewBusy = errors.New("previews are busy: every preview slot was taken for " + previewWait.String() + ", please retry")
	errPreviewSlow = errors.New("the preview took longer than " + previewTimeout.String() + " and was stopped; try a smaller size or fewer ops")
)

func (g *Gateway) livePreview(r *http.Request, owner string) (*imaging.Result, error) {
	var req api.PreviewRequest
	if err := decodeBody(http.MaxBytesReader(nil, r.Body, maxPreviewBody), &req, "preview request"); err != nil {
		return nil, err
	}
	job, err := g.withPreset(r, owner, api.JobRequest{Ops: req.Ops, Preset: req.Preset, Format: req.Format, Quality: req.Quality})
	if err != nil {
		return nil, err
	}
	if job.Format == "" {
		job.Format = api.DefaultPreviewFormat
	}
	size := req.Size
	if size == 0 {
		size = api.DefaultPreviewSize
	}
	if size < 16 || size > imaging.MaxPreviewSize {
		return nil, fault.New(fault.InvalidArgument, "size: must be between 16 and %d pixels, got %d", imaging.MaxPreviewSize, size)
	}
	// No ops is the picture as it is, made small: the "before".
	raws, needs, err := validateSettings(job)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(r.Context(), previewTimeout)
	defer cancel()
	img, err := g.image(ctx, owner, req.Image)
	if fault.KindOf(err) == fault.NotFound {
		return nil, fault.New(fault.NotFound, "image %q not found", req.Image)
	}
	if err != nil {
		return nil, err
	}
	keys, err := g.inputs(r, owner, needs)
	if err != nil {
		return nil, err
	}
	ops := make([]imaging.Op, len(raws))
	for i, raw := range raws {
		if ops[i], err = imaging.Parse(raw); err != nil {
			return nil, fault.Wrap(fault.InvalidArgument, err, "ops[%d]: %s", i, fault.Message(err))
		}
		if n, ok := ops[i].(imaging.Needer); ok {
			for _, id := range n.Needs() {
				data, err := g.deps.Bucket.ReadAll(ctx, keys[id])
				if err := fault.Storage(err, "reading %s", keys[id]); err != nil {
					return nil, err
				}
				if err := n.Provide(id, data); err != nil {
					return nil, err
				}
			}
		}
	}
	need, err := imaging.PreviewNeeds(img.Width, img.Height, ops, size)
	if err != nil {
		return nil, err
	}
	src, err := g.previewSource(ctx, owner, img, need)
	if err != nil {
		return nil, err
	}
	var res *imaging.Result
	err = g.pictures.do(ctx, previewWait, true, func() (err error) {
		res, err = imaging.PreviewOf(ctx, src, img.Width, img.Height, ops, imaging.Output{Format: job.Format, Quality: job.Quality, Strip: true}, size)
		return err
	})
	if errors.Is(err, context.DeadlineExceeded) && r.Context().Err() == nil {
		return nil, errPreviewSlow
	}
	return res, err
}

// previewSource returns the bytes a live preview of img is made from: the
// proxy (imaging.Proxy), made and stored the first time, when the picture
// is larger than it and it is large enough for this preview (need pixels
// on its longer side); else the original. Decoding an 18 MP original costs
// seconds on a busy machine and the proxy a tenth of that, and a person
// moving a slider asks for many previews of one picture. Making the proxy
// takes a slot of the budget but no rest after it: it happens once a
// picture, and the person would wait on it.
func (g *Gateway) previewSource(ctx context.Context, owner string, img records.Image, need int) ([]byte, error) {
	long := max(img.Width, img.Height)
	if long <= imaging.ProxySize || need > min(long, imaging.ProxySize) {
		return g.original(ctx, img)
	}
	key := records.ProxyKey(owner, img.ID)
	data, err := g.deps.Bucket.ReadAll(ctx, key)
	if err == nil {
		return data, nil
	}
	if gcerrors.Code(err) != gcerrors.NotFound {
		return nil, fault.Wrap(fault.Transient, err, "reading %s", key)
	}
	src, err := g.original(ctx, img)
	if err != nil {
		return nil, err
	}
	var p *imaging.Result
	err = g.pictures.do(ctx, previewWait, false, func() (err error) {
		p, err = imaging.Proxy(ctx, src)
		return err
	})
	if err != nil {
		return nil, err
	}
	// Two first previews at once both make it and write the same bytes.
	if err := g.deps.Bucket.WriteAll(ctx, key, p.Bytes, &blob.WriterOptions{ContentType: p.ContentType}); err != nil {
		return nil, fault.Wrap(fault.Transient, err, "storing %s", key)
	}
	g.quotas.AddStored(owner, int64(len(p.Bytes)))
	return p.Bytes, nil
}

func (g *Gateway) original(ctx context.Context, img records.Image) ([]byte, error) {
	src, err := g.deps.Bucket.ReadAll(ctx, img.Key)
	if err := fault.Storage(err, "reading %s", img.Key); err != nil {
		return nil, notFoundAs(err, "the original of image %q is no longer stored", img.ID)
	}
	return src, nil
}
