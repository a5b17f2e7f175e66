package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// meanLightness is a page expression: the mean of R+G+B over img, drawn
// into a canvas (the preview is a same-origin blob URL, so it can be read).
const meanLightness = `((img) => {
	const c = document.createElement('canvas');
	c.width = img.naturalWidth; c.height = img.naturalHeight;
	const g = c.getContext('2d');
	g.drawImage(img, 0, 0);
	const d = g.getImageData(0, 0, c.width, c.height).data;
	let s = 0;
	for (let i = 0; i < d.length; i += 4) s += d[i] + d[i + 1] + d[i + 2];
	return s / (d.length / 4) / 3;
})(document.querySelector('#live-after'))`

// TestLivePreviewAndPresets: with a photo uploaded, the edit panel shows it
// before and after; moving the brightness slider updates the after; the
// edits saved as a preset are listed after a reload and, chosen for a new
// batch, are the job's recipe.
func TestLivePreviewAndPresets(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end browser test")
	}
	exe := chromium(t)
	files, _ := photos(t)
	p := stacktest.Up(t, t.TempDir(), "--workers", "1")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ctx = newBrowser(t, ctx, exe)
	shots := screenshotDir(t)

	load := func() {
		do(t, ctx,
			chromedp.EmulateViewport(1100, 1400),
			chromedp.Navigate(p.URL+"/"),
			chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"] #upload-view`)),
			chromedp.SetUploadFiles(chromedp.CSS("#files"), files[:2]),
		)
		poll(t, ctx, 60*time.Second, `(() => { const s = document.querySelector('#upload-summary').dataset; return s.busy === '0' && s.accepted === '2'; })()`)
	}
	load()
	poll(t, ctx, 20*time.Second, `!document.querySelector('#live').hidden && document.querySelector('#live-before').naturalWidth > 0`)

	// An edit: brightness, factor 0.6. The preview follows.
	field := `li.op[data-op="brightness"] [data-field="factor"] input`
	do(t, ctx,
		chromedp.SetValue(chromedp.ID("add-op"), "brightness"),
		chromedp.Click(chromedp.ID("add-op-button")),
		chromedp.SetValue(chromedp.CSS(field), ""),
		chromedp.SendKeys(chromedp.CSS(field), "0.6"),
	)
	poll(t, ctx, 20*time.Second, `+(document.querySelector('#live').dataset.version || 0) > 0 && document.querySelector('#live-after').naturalWidth > 0`)
	time.Sleep(time.Second) // the debounce, and any preview still on its way
	dark := run(t, ctx, chromedp.Evaluate[float64](meanLightness))
	version := run(t, ctx, chromedp.Evaluate[string](`document.querySelector('#live').dataset.version`))

	// The slider moves: the preview is asked for again, and is lighter.
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS(field), ""),
		chromedp.SendKeys(chromedp.CSS(field), "1.4"),
	)
	poll(t, ctx, 20*time.Second, fmt.Sprintf(`document.querySelector('#live').dataset.version !== %q`, version))
	time.Sleep(time.Second)
	light := run(t, ctx, chromedp.Evaluate[float64](meanLightness))
	t.Logf("preview mean lightness: %.1f at factor 0.6, %.1f at 1.4", dark, light)
	if light < dark*1.5 {
		t.Errorf("the preview did not follow the edit: mean %.1f at brightness 0.6, %.1f at 1.4", dark, light)
	}
	if e := text(t, ctx, "#live-error"); e != "" {
		t.Errorf("the preview shows an error: %q", e)
	}
	screenshot(t, ctx, shots, "preview.png", chromedp.Screenshot(chromedp.ID("edit-form")))

	// Save the edits as a preset, reload, and find it.
	do(t, ctx,
		chromedp.SendKeys(chromedp.ID("preset-name"), "brighter"),
		chromedp.Click(chromedp.ID("preset-save")),
	)
	poll(t, ctx, 10*time.Second, `document.querySelector('#preset-status').textContent.includes('Saved as brighter')`)
	load()
	names := run(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#preset option')].map(o => o.value)`))
	if !strings.Contains(strings.Join(names, ","), "brighter") {
		t.Fatalf("presets after a reload: %v, want brighter among them", names)
	}

	// Choose it for a new batch, with no edits in the panel: the job runs
	// the preset's recipe.
	do(t, ctx,
		chromedp.SetValue(chromedp.ID("preset"), "brighter"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#preset').dispatchEvent(new Event('change', {bubbles: true}))`),
	)
	poll(t, ctx, 5*time.Second, `!document.querySelector('#start').disabled`)
	do(t, ctx, chromedp.Click(chromedp.ID("start")), chromedp.WaitVisible(chromedp.ID("job-view")))
	loc := run(t, ctx, chromedp.Location())
	_, jobID, ok := strings.Cut(loc, "#/jobs/")
	if !ok {
		t.Fatalf("the page's address %q does not name the job", loc)
	}
	resp, err := http.Get(p.URL + "/v1/presets/brighter")
	if err != nil {
		t.Fatal(err)
	}
	var preset api.Preset
	err = json.NewDecoder(resp.Body).Decode(&preset)
	resp.Body.Close()
	var op struct {
		Op     string  `json:"op"`
		Factor float64 `json:"factor"`
	}
	if err != nil || len(preset.Ops) != 1 || json.Unmarshal(preset.Ops[0], &op) != nil || op.Op != "brightness" || op.Factor != 1.4 {
		t.Fatalf("the saved preset: %s (%v), want brightness 1.4", preset.Ops, err)
	}
	poll(t, ctx, 60*time.Second, `document.querySelector('#job-view').dataset.state === 'succeeded'`)
	c := client.New(p.URL, nil)
	j, err := c.Job(ctx, jobID)
	if err != nil || j.Total != 2 {
		t.Fatalf("job %s: %+v %v", jobID, j, err)
	}
	// Its results are the originals 1.4 times as light.
	var out bytes.Buffer
	if _, err := c.Output(ctx, jobID, j.Tasks[0].ID, &out); err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	before, after := meanOf(t, orig), meanOf(t, out.Bytes())
	t.Logf("job %s from the preset: mean %.1f → %.1f", jobID, before, after)
	if after < before*1.2 {
		t.Errorf("the job from the preset: mean %.1f → %.1f, want about 1.4 times lighter", before, after)
	}
}

func meanOf(t *testing.T, b []byte) float64 {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	r := img.Bounds()
	var s float64
	for y := r.Min.Y; y < r.Max.Y; y += 4 {
		for x := r.Min.X; x < r.Max.X; x += 4 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			s += float64(cr+cg+cb) / 3 / 257
		}
	}
	return s / float64(((r.Dy()+3)/4)*((r.Dx()+3)/4))
}
