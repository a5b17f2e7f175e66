package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	_ "image/png"
	"net/http"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/api"
)

// TestLivePreview: POST /v1/previews answers the owner's picture edited and
// made small, in the format asked, and stores nothing; mistakes are named.
func TestLivePreview(t *testing.T) {
	// The whole CPU: this test is of what previews answer, and the budget
	// that spaces them out (budget_test.go) would make a busy machine's
	// slow preview wait past the slot timeout.
	e := newEnv(t, Config{PreviewCPU: 1})
	status, up := e.upload(t, "ann", file{"big.jpg", jpegBytes(t, 1600, 1200, color.RGBA{200, 60, 40, 255})})
	if status != http.StatusCreated {
		t.Fatalf("upload: %d", status)
	}
	id := up.Images[0].ID
	before := countObjects(t, e)

	post := func(owner string, req any) (int, http.Header, []byte) {
		b, _ := json.Marshal(req)
		r, _ := http.NewRequest("POST", e.srv.URL+"/v1/previews", bytes.NewReader(b))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Owner", owner)
		resp, body := roundTrip(t, r)
		return resp.StatusCode, resp.Header, body
	}

	// In the default format and size: WebP, 640 on the longer side.
	grey := []any{map[string]any{"op": "recolor", "mode": "grayscale"}}
	st, h, body := post("ann", map[string]any{"image": id, "ops": grey})
	if st != http.StatusOK || h.Get("Content-Type") != "image/webp" || !bytes.HasPrefix(body, []byte("RIFF")) {
		t.Fatalf("preview: %d %s %.40q", st, h.Get("Content-Type"), body)
	}
	if got := h.Get("X-Pixmill-Size"); got != fmt.Sprintf("%dx480", api.DefaultPreviewSize) {
		t.Errorf("preview is %s, want 640x480", got)
	}
	// Grey, as PNG.
	st, _, body = post("ann", map[string]any{"image": id, "ops": grey, "format": "png"})
	img, _, err := image.Decode(bytes.NewReader(body))
	if st != http.StatusOK || err != nil {
		t.Fatalf("png preview: %d %v", st, err)
	}
	if r, g, b := meanRGB(img); abs(r-g) > 3 || abs(g-b) > 3 || r < 60 {
		t.Errorf("grey preview of a red picture has mean colour %d,%d,%d", r, g, b)
	}

	// A crop given in the original's pixels, and a size: the preview has
	// the shape of the full result.
	st, _, body = post("ann", map[string]any{"image": id, "ops": []any{map[string]any{"op": "crop", "x": 100, "y": 100, "width": 800, "height": 400}}, "format": "png", "size": 200})
	if st != http.StatusOK {
		t.Fatalf("crop preview: %d %s", st, body)
	}
	pic, _, err := image.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if b := pic.Bounds(); b.Dx() != 200 || b.Dy() != 100 {
		t.Errorf("crop preview is %dx%d, want 200x100", b.Dx(), b.Dy())
	}

	// No ops: the picture as it is, made small (the web app's "before").
	if st, h, body := post("ann", map[string]any{"image": id, "size": 160}); st != http.StatusOK || h.Get("X-Pixmill-Size") != "160x120" {
		t.Errorf("preview without ops: %d %s %s", st, h.Get("X-Pixmill-Size"), body)
	}
	// A preset names the recipe.
	if st, _, body := post("ann", map[string]any{"image": id, "preset": "black-and-white", "size": 100}); st != http.StatusOK {
		t.Errorf("preview of a built-in preset: %d %s", st, body)
	}

	cases := []struct {
		name, owner string
		req         map[string]any
		status      int
		says        string
	}{
		{"another owner's image", "bob", map[string]any{"image": id, "ops": []any{map[string]any{"op": "flip"}}}, http.StatusNotFound, "not found"},
		{"unknown op", "ann", map[string]any{"image": id, "ops": []any{map[string]any{"op": "sparkle"}}}, http.StatusBadRequest, `unknown op \"sparkle\"`},
		{"unknown preset", "ann", map[string]any{"image": id, "preset": "nope"}, http.StatusBadRequest, `no preset \"nope\"`},
		{"size too large", "ann", map[string]any{"image": id, "ops": []any{map[string]any{"op": "flip"}}, "size": 5000}, http.StatusBadRequest, "size: must be between 16 and 2048"},
		{"crop outside the picture", "ann", map[string]any{"image": id, "ops": []any{map[string]any{"op": "crop", "x": 1500, "width": 400, "height": 100}}}, http.StatusUnprocessableEntity, "does not fit"},
		{"unknown field", "ann", map[string]any{"image": id, "ops": []any{map[string]any{"op": "flip"}}, "colour": "red"}, http.StatusBadRequest, "colour"},
	}
	for _, c := range cases {
		st, _, body := post(c.owner, c.req)
		if st != c.status || !strings.Contains(string(body), c.says) {
			t.Errorf("%s: %d %s, want %d saying %q", c.name, st, body, c.status, c.says)
		}
	}
	if after := countObjects(t, e); after != before {
		t.Errorf("previews stored something: %d objects before, %d after", before, after)
	}

	// A picture larger than the proxy: the first preview keeps one proxy,
	// under the owner's previews, and the next ones read it.
	status, up = e.upload(t, "ann", file{"large.jpg", jpegBytes(t, 3000, 2000, color.RGBA{30, 90, 200, 255})})
	if status != http.StatusCreated {
		t.Fatalf("upload: %d", status)
	}
	large := up.Images[0].ID
	before = countObjects(t, e)
	for i := range 3 {
		st, h, body := post("ann", map[string]any{"image": large, "ops": []any{map[string]any{"op": "crop", "x": 300, "y": 200, "width": 2400, "height": 1600}}, "size": 300})
		if st != http.StatusOK || h.Get("X-Pixmill-Size") != "300x200" {
			t.Fatalf("preview %d of the large picture: %d %s %s", i, st, h.Get("X-Pixmill-Size"), body)
		}
	}
	if ok, err := e.bucket.Exists(t.Context(), records.ProxyKey("ann", large)); !ok || err != nil {
		t.Errorf("no proxy at %s (%v)", records.ProxyKey("ann", large), err)
	}
	if after := countObjects(t, e); after != before+1 {
		t.Errorf("three previews of a large picture: %d objects before, %d after, want one more (the proxy)", before, after)
	}
}

func countObjects(t *testing.T, e *env) int {
	t.Helper()
	n := 0
	it := e.bucket.List(nil)
	for {
		_, err := it.Next(t.Context())
		if err != nil {
			break
		}
		n++
	}
	return n
}

func meanRGB(img image.Image) (int, int, int) {
	b := img.Bounds()
	var r, g, bl, n int
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			r, g, bl, n = r+int(cr>>8), g+int(cg>>8), bl+int(cb>>8), n+1
		}
	}
	return r / n, g / n, bl / n
}

func abs(v int) int { return max(v, -v) }
