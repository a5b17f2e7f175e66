package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/events/imagetype"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/functions/imaging"
	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/quota"
)

// uploadImages stores each "file" part that is an accepted picture. A bad
// file gets its own error entry and the others go on; the status is 4xx only
// when nothing was accepted: 413 if every rejection was a size limit, else 400.
//
// The batch is all or nothing against the owner's quotas: each accepted
// file reserves its bytes and upload before it is written, and the image
// records, which make the pictures exist, are written only once the whole
// batch fits. A file over a quota answers for the whole request (413 or
// 429, quota.Exceeded) and the pictures already written are deleted.
func (g *Gateway) uploadImages(w http.ResponseWriter, r *http.Request, owner string) {
	r.Body = http.MaxBytesReader(w, r.Body, g.cfg.MaxRequestBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		writeJSON(w, http.StatusBadRequest, api.Error{Error: "expected a multipart/form-data body with one or more parts named \"file\""})
		return
	}
	batch, err := g.quotas.Begin(r.Context(), owner)
	if err != nil {
		g.fail(w, r, err)
		return
	}
	up := &upload{batch: batch}
	defer g.undo(r, up)
	var body api.UploadResult
	accepted, limited := 0, 0
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			body.Error = g.bodyMessage(err)
			limited++
			break
		}
		if part.FormName() != "file" {
			_ = part.Close()
			continue
		}
		entry := api.Image{Name: displayName(part.FileName())}
		rejected, err := g.storeUpload(r, owner, up, part, &entry)
		_ = part.Close()
		if err != nil {
			if !isBodyError(err) {
				// Over a quota, or storage failed: the request fails
				// whole, and what it wrote is deleted.
				g.fail(w, r, err)
				return
			}
			// The body itself failed: nothing after this file can be read.
			entry.Error = entry.Name + ": " + g.bodyMessage(err)
			body.Images = append(body.Images, entry)
			body.Error = entry.Error
			if isTooLarge(err) {
				limited++
			}
			break
		}
		if rejected != nil {
			entry.Error = entry.Name + ": " + fault.Message(rejected)
			if fault.KindOf(rejected) == fault.LimitExceeded {
				limited++
			}
		} else {
			accepted++
		}
		body.Images = append(body.Images, entry)
	}
	if err := g.record(r, up); err != nil {
		g.fail(w, r, err)
		return
	}
	switch {
	case accepted > 0:
		writeJSON(w, http.StatusCreated, body)
	case len(body.Images) == 0 && body.Error == "":
		writeJSON(w, http.StatusBadRequest, api.Error{Error: "no file: send one or more parts named \"file\""})
	default:
		if body.Error == "" {
			body.Error = "no file was accepted"
		}
		status := http.StatusBadRequest
		if limited == max(len(body.Images), 1) {
			status = http.StatusRequestEntityTooLarge
		}
		writeJSON(w, status, body)
	}
}

// upload is what one upload request has written: the pictures whose
// objects are stored and whose records are not yet, and its reservations.
type upload struct {
	batch   *quota.Batch
	pending []records.Image
}

// record writes the records of the pictures written, which makes them
// exist, and counts their bytes as stored.
func (g *Gateway) record(r *http.Request, up *upload) error {
	for len(up.pending) > 0 {
		img := up.pending[0]
		if err := g.store.PutImage(r.Context(), img); err != nil {
			return err
		}
		g.images.put(img.ID, img)
		up.pending = up.pending[1:]
	}
	up.batch.Commit()
	return nil
}

// undo deletes the pictures of a failed upload that have no record, and
// gives back its reservations; after record it has nothing to do.
func (g *Gateway) undo(r *http.Request, up *upload) {
	ctx := context.WithoutCancel(r.Context())
	for _, img := range up.pending {
		if err := g.deps.Bucket.Delete(ctx, img.Key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			g.log.Error("deleting the original of a refused upload", "key", img.Key, "err", err, g.ownerAttr(img.Owner))
		}
	}
	up.batch.Release()
}

// storeUpload reads one file, checks it, reserves room for it and stores its
// bytes; its record is written with the batch's (record). rejected says why
// the file was turned away; err is a failure of the request itself (its
// body, storage, a quota), after which no other file can be handled.
func (g *Gateway) storeUpload(r *http.Request, owner string, up *upload, part io.Reader, entry *api.Image) (rejected, err error) {
	data, err := io.ReadAll(io.LimitReader(part, g.cfg.MaxFileBytes+1))
	if err != nil {
		return nil, bodyError{err}
	}
	if int64(len(data)) > g.cfg.MaxFileBytes {
		// Read past the rest of the file so the next part can be reached.
		if _, err := io.Copy(io.Discard, part); err != nil {
			return nil, bodyError{err}
		}
		return fault.New(fault.LimitExceeded, "the file is larger than the %s limit", humanBytes(g.cfg.MaxFileBytes)), nil
	}
	if len(data) == 0 {
		return fault.New(fault.InvalidArgument, "the file is empty"), nil
	}
	info, err := imaging.Probe(data)
	if err != nil {
		return err, nil
	}
	if !slices.Contains(g.cfg.Formats, info.Format) {
		return fault.New(fault.InvalidArgument, "%s pictures are not accepted (accepted: %s)", info.Format, strings.Join(g.cfg.Formats, ", ")), nil
	}
	if info.Pages > g.cfg.MaxFrames {
		return fault.New(fault.LimitExceeded, "the picture has %d frames, over the limit of %d", info.Pages, g.cfg.MaxFrames), nil
	}
	if px := int64(info.Width) * int64(info.Height); px > g.cfg.MaxPixels {
		return fault.New(fault.LimitExceeded, "the picture is %dx%d, over the %d megapixel limit", info.Width, info.Height, g.cfg.MaxPixels/1_000_000), nil
	}
	img := records.Image{
		ID: events.NewID(), Owner: owner, Name: entry.Name, Format: info.Format,
		Width: info.Width, Height: info.Height, Bytes: int64(len(data)), Created: g.deps.Now().UTC(),
	}
	img.Key = records.ImageKey(owner, img.ID)
	if err := up.batch.Reserve(img.Bytes); err != nil {
		return nil, err
	}
	if err := g.deps.Bucket.WriteAll(r.Context(), img.Key, data, &blob.WriterOptions{ContentType: imagetype.ContentType(info.Format)}); err != nil {
		// A write that failed may have left an object: undo deletes it.
		up.pending = append(up.pending, img)
		return nil, fault.Wrap(fault.Transient, err, "storing the original")
	}
	up.pending = append(up.pending, img)
	entry.ID, entry.Format, entry.Width, entry.Height, entry.Bytes = img.ID, img.Format, img.Width, img.Height, img.Bytes
	return nil, nil
}

// bodyError is a failure to read the request body.
type bodyError struct{ err error }

func (e bodyError) Error() string { return e.err.Error() }
func (e bodyError) Unwrap() error { return e.err }

func isBodyError(err error) bool {
	var be bodyError
	return errors.As(err, &be)
}

func (g *Gateway) getImage(w http.ResponseWriter, r *http.Request, owner string) {
	img, err := g.pathImage(r, owner)
	if err != nil {
		g.fail(w, r, err)
		return
	}
	g.serveObject(w, r, img.Key, img.Name, imagetype.ContentType(img.Format))
}

// pathImage reads the record of the caller's image named in the path.
func (g *Gateway) pathImage(r *http.Request, owner string) (records.Image, error) {
	id := r.PathValue("id")
	if !events.ValidID(id) {
		return records.Image{}, fault.New(fault.NotFound, "image %q not found", id)
	}
	img, err := g.image(r.Context(), owner, id)
	return img, notFoundAs(err, "image %q not found", id)
}

func (g *Gateway) imageExists(r *http.Request, owner string) error {
	_, err := g.pathImage(r, owner)
	return err
}

// displayName keeps a file name fit to show and to put in an archive: its
// base name, valid UTF-8, no control characters, at most 200 bytes. It is
// never used to build a storage key.
func displayName(name string) string {
	name = strings.ToValidUTF8(name, "_")
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	for len(name) > 200 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" || name == "." || name == "/" {
		return "unnamed"
	}
	return name
}

func (g *Gateway) bodyMessage(err error) string {
	if isTooLarge(err) {
		return fmt.Sprintf("the request body is larger than the %s limit; files after this one were not read", humanBytes(g.cfg.MaxRequestBytes))
	}
	return "the upload was cut short: " + err.Error()
}

func isTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
