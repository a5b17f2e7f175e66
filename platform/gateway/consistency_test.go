package gateway

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"image/color"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/davidbyttow/govips/v2/vips"
	"gocloud.dev/blob"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/imagetype"
	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/client"
)

// completeAll plays the worker for every request on e.sub until ctx ends:
// it stores a stand-in result in the requested format and records it.
func (e *env) completeAll(ctx context.Context, t *testing.T) {
	for {
		m, err := e.sub.Receive(ctx)
		if err != nil {
			return
		}
		m.Ack()
		r, err := requestOf(m)
		if err != nil {
			t.Error(err)
			return
		}
		ctype := imagetype.ContentType(r.Output.Format)
		data := []byte("result of " + r.Task)
		if err := e.bucket.WriteAll(ctx, r.Output.Key, data, &blob.WriterOptions{ContentType: ctype}); err != nil {
			t.Error(err)
			return
		}
		res := events.Result{Key: r.Output.Key, Format: r.Output.Format, ContentType: ctype, Width: 4, Height: 3, Bytes: int64(len(data))}
		if err := e.store.MarkCompleted(ctx, events.TaskCompleted{Job: r.Job, Task: r.Task, Owner: r.Owner, Attempt: 1, Result: res}, time.Now()); err != nil {
			t.Error(err)
			return
		}
	}
}

// TestResultNamesAgree: a result has one name, whether it comes in the
// archive, through the command line's download or in the Content-Disposition
// of GET …/output, for the formats whose extensions have several spellings.
func TestResultNamesAgree(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for _, name := range []string{"beach.jpg", "scan.png"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, jpegBytes(t, 40, 30, color.RGBA{200, 120, 40, 255}), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	for _, format := range []string{"tiff", "heif", "jpeg"} {
		t.Run(format, func(t *testing.T) {
			e := newEnv(t, Config{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go e.completeAll(ctx, t)
			out := filepath.Join(t.TempDir(), "out")
			rep, err := client.Submit(ctx, client.SubmitOptions{
				Server: e.srv.URL, Paths: paths, Format: format, Wait: true, PollInterval: 10 * time.Millisecond, Out: out,
				Ops: []json.RawMessage{json.RawMessage(`{"op":"thumbnail","width":16}`)},
			})
			if err != nil || rep.State != api.JobSucceeded {
				t.Fatalf("submit: %v, state %q", err, rep.State)
			}
			var cli []string
			for _, p := range rep.Written {
				cli = append(cli, filepath.Base(p))
			}
			var job api.Job
			st, _, b := e.get(t, LocalOwner, "/v1/jobs/"+rep.JobID)
			if err := json.Unmarshal(b, &job); st != http.StatusOK || err != nil {
				t.Fatalf("GET job: %d %v", st, err)
			}
			var disposition []string
			for _, task := range job.Tasks {
				st, h, _ := e.get(t, LocalOwner, "/v1/jobs/"+job.ID+"/tasks/"+task.ID+"/output")
				_, params, err := mime.ParseMediaType(h.Get("Content-Disposition"))
				if st != http.StatusOK || err != nil {
					t.Fatalf("output: %d %v", st, err)
				}
				disposition = append(disposition, params["filename"])
			}
			st, _, b = e.get(t, LocalOwner, "/v1/jobs/"+job.ID+"/archive")
			zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
			if st != http.StatusOK || err != nil {
				t.Fatalf("archive: %d %v", st, err)
			}
			var archive []string
			for _, f := range zr.File {
				archive = append(archive, f.Name)
			}
			ty, _ := imagetype.ByName(format)
			want := []string{"beach" + ty.Ext(), "scan" + ty.Ext()}
			for name, got := range map[string][]string{"command line": cli, "Content-Disposition": disposition, "archive": archive} {
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("%s names %v, want %v", name, got, want)
				}
			}
		})
	}
}

// TestEveryListedFormatIsAccepted: each format GET /v1/ops offers for
// results, where this libvips can also read it, is accepted as an upload:
// a result can always be sent back in.
func TestEveryListedFormatIsAccepted(t *testing.T) {
	e := newEnv(t, Config{})
	st, _, b := e.get(t, LocalOwner, "/v1/ops")
	var cat struct {
		Formats []string `json:"formats"`
	}
	if err := json.Unmarshal(b, &cat); st != http.StatusOK || err != nil || len(cat.Formats) == 0 {
		t.Fatalf("GET /v1/ops: %d %v %s", st, err, b)
	}
	img, err := vips.Black(48, 32)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if err := img.ToColorSpace(vips.InterpretationSRGB); err != nil {
		t.Fatal(err)
	}
	tested := 0
	for _, format := range cat.Formats {
		data, err := encodeAs(img, format)
		if err != nil {
			t.Errorf("%s is listed for results but this libvips cannot write it: %v", format, err)
			continue
		}
		if !vips.IsTypeSupported(vips.DetermineImageType(data)) {
			t.Logf("%s: this libvips writes it but cannot read it back; not offered as an upload", format)
			continue
		}
		ty, _ := imagetype.ByName(format)
		st, up := e.upload(t, LocalOwner, file{name: "in" + ty.Ext(), data: data})
		if st != http.StatusCreated || len(up.Images) != 1 || up.Images[0].Format != format {
			t.Errorf("upload of a %s: %d %+v, want 201 and format %s", format, st, up, format)
		}
		tested++
	}
	t.Logf("uploads accepted in %d of the %d listed formats: %v", tested, len(cat.Formats), cat.Formats)
	if tested < 4 {
		t.Errorf("only %d formats were tried, from %v", tested, cat.Formats)
	}
}

func encodeAs(img *vips.ImageRef, format string) ([]byte, error) {
	var (
		b   []byte
		err error
	)
	switch format {
	case "jpeg":
		b, _, err = img.ExportJpeg(vips.NewJpegExportParams())
	case "png":
		b, _, err = img.ExportPng(vips.NewPngExportParams())
	case "webp":
		b, _, err = img.ExportWebp(vips.NewWebpExportParams())
	case "gif":
		b, _, err = img.ExportGIF(vips.NewGifExportParams())
	case "tiff":
		b, _, err = img.ExportTiff(vips.NewTiffExportParams())
	case "heif":
		b, _, err = img.ExportHeif(vips.NewHeifExportParams())
	case "avif":
		b, _, err = img.ExportAvif(vips.NewAvifExportParams())
	case "jxl":
		b, _, err = img.ExportJxl(vips.NewJxlExportParams())
	default:
		err = errUnknownFormat(format)
	}
	return b, err
}

type errUnknownFormat string

func (e errUnknownFormat) Error() string { return "no encoder in this test for " + string(e) }
