package stack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// TestBadInputCorpus uploads the corpus of broken, hostile and unusual files
// that scripts/gen-badinput.sh keeps in testdata/badinput, beside good
// pictures, in one batch. Each file is either processed correctly or
// rejected with its reason; no worker dies and nothing else is lost.
func TestBadInputCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	paths, err := filepath.Glob("testdata/badinput/*")
	if err != nil || len(paths) < 19 {
		t.Fatalf("the corpus is missing (%v): run scripts/gen-badinput.sh", err)
	}
	var pics []stacktest.Picture
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		pics = append(pics, stacktest.Picture{Name: filepath.Base(p), Data: b})
	}
	pics = append(pics, stacktest.Picture{Name: "over-limit.jpg", Data: noiseJPEG(t, 1400, 1400)})
	pics = append(pics, stacktest.Generated(t, 3, 5)...)

	// What must happen to each file: "" is processed, anything else is the
	// start of the reason it must be rejected with.
	rejected := map[string]string{
		"empty.jpg":       "empty.jpg: the file is empty",
		"text-named.jpg":  "text-named.jpg: the file is not a readable image",
		"truncated.jpg":   "truncated.jpg: the file is not a readable image",
		"truncated.png":   "truncated.png: the file is not a readable image",
		"huge-header.png": "huge-header.png: the picture is 100000x100000, over the 50 megapixel limit",
		"frames-5000.gif": "frames-5000.gif: the picture has",
		"drawing.svg":     "drawing.svg: the file is not a readable image",
		"document.pdf":    "document.pdf: the file is not a readable image",
		"over-limit.jpg":  "over-limit.jpg: the file is larger than the 1 MiB limit",
	}

	p := stacktest.Up(t, t.TempDir(), "--workers", "2", "--max-upload-bytes", "1048576")
	c := client.New(p.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var files []client.File
	for _, pic := range pics {
		files = append(files, client.File{Name: pic.Name, Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(pic.Data)), nil }})
	}
	res, err := c.Upload(ctx, files)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i, im := range res.Images {
		want, bad := rejected[pics[i].Name]
		switch {
		case bad && !strings.HasPrefix(im.Error, want):
			t.Errorf("%s: error %q, want it rejected with %q…", pics[i].Name, im.Error, want)
		case !bad && !im.Accepted():
			t.Errorf("%s: rejected (%s), want it processed", pics[i].Name, im.Error)
		case !bad:
			ids = append(ids, im.ID)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	job, err := c.CreateJob(ctx, api.JobRequest{Images: ids, Ops: []json.RawMessage{json.RawMessage(`{"op":"thumbnail","width":120,"height":120}`)}})
	if err != nil {
		t.Fatal(err)
	}
	done := stacktest.WaitFinal(t, ctx, c, job.ID)
	if done.State != api.JobSucceeded {
		t.Fatalf("job %s: %v", done.State, stacktest.Failures(done))
	}
	for _, task := range done.Tasks {
		if !strings.HasPrefix(task.Name, "generated-") {
			// The corpus pictures are 240x160 upright, whatever their
			// orientation tag, format or depth.
			if task.Output.Width != 120 || task.Output.Height != 80 {
				t.Errorf("%s: output %dx%d, want 120x80 (upright)", task.Name, task.Output.Width, task.Output.Height)
			}
		}
		if task.Output.Format != "jpeg" && task.Output.Format != "png" {
			continue // Go cannot decode the others; their size was checked above
		}
		var out bytes.Buffer
		if _, err := c.Output(ctx, done.ID, task.ID, &out); err != nil {
			t.Fatal(err)
		}
		img, _, err := image.Decode(&out)
		if err != nil {
			t.Errorf("%s: output does not decode: %v", task.Name, err)
			continue
		}
		if strings.HasPrefix(task.Name, "generated-") {
			continue
		}
		// Red must end up top left and white bottom right: the picture was
		// turned upright and its colours survived CMYK and 16 bits.
		r, g, b, _ := img.At(10, 10).RGBA()
		if r>>8 < 150 || g>>8 > 100 || b>>8 > 100 {
			t.Errorf("%s: top left is %d,%d,%d, want red", task.Name, r>>8, g>>8, b>>8)
		}
		r, g, b, _ = img.At(img.Bounds().Dx()-10, img.Bounds().Dy()-10).RGBA()
		if r>>8 < 200 || g>>8 < 200 || b>>8 < 200 {
			t.Errorf("%s: bottom right is %d,%d,%d, want white", task.Name, r>>8, g>>8, b>>8)
		}
	}
	if strings.Contains(p.Log(), "worker exited") {
		t.Errorf("a worker died:\n%s", p.Log())
	}
}

// noiseJPEG is a JPEG that compresses badly, so a small picture is a big file.
func noiseJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	if b.Len() <= 1<<20 {
		t.Fatalf("noise JPEG is only %d bytes", b.Len())
	}
	return b.Bytes()
}
