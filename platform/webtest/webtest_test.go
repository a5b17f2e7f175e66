package webtest

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/jpeg"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/google/go-cmp/cmp"

	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/functions/imaging"
	"github.com/pixmill/pixmill/functions/imaging/imagingtest"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/gateway"
	"github.com/pixmill/pixmill/platform/stacktest"
)

func TestMain(m *testing.M) { imagingtest.Main(m) }

// thumbSize is the box of the thumbnail edit the test picks in the page.
const thumbSize = 256

// chromium returns the browser's path, or skips the test (fails it in CI).
func chromium(t *testing.T) string {
	t.Helper()
	return program(t, "chromium", "scripts/install-chromium.sh", os.Getenv("PIXMILL_CHROMIUM"), "/usr/bin/chromium")
}

// program returns the first of paths that exists, else name as found in
// PATH; or it skips the test (fails it in CI), naming the script that
// installs it.
func program(t *testing.T, name, install string, paths ...string) string {
	t.Helper()
	for _, p := range paths {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	msg := name + " is not installed; run " + install + " (make test does)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile. The
// background-networking flags matter: without them Chromium reaches out to
// Google's services, and on a closed network its own connections are then
// refused.
func newBrowser(t *testing.T, ctx context.Context, exe string) context.Context {
	t.Helper()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // tests run as root in CI
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	bctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// Start the browser on this context: one started by a step's shorter
	// context would end with the step.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	return bctx
}

// photos writes the pictures to upload into a directory: the 16 real photos
// and 4 of them again under other names (20 accepted), then a JPEG cut off
// at a third of its length (rejected), last.
func photos(t *testing.T) (paths []string, corrupt []byte) {
	t.Helper()
	real := stacktest.Photos(t)
	if len(real) < 16 {
		t.Fatalf("%d photos in PIXMILL_PHOTOS, want 16", len(real))
	}
	real = real[:16]
	dir := t.TempDir()
	write := func(name string, data []byte) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	for _, p := range real {
		write(p.Name, p.Data)
	}
	for _, p := range real[:4] {
		write("copy-of-"+p.Name, p.Data)
	}
	corrupt = real[1].Data[:len(real[1].Data)/3]
	write("corrupt.jpg", corrupt)
	return paths, corrupt
}

// TestWebApp is the whole journey a person takes: drop 21 files, see 20
// accepted and the broken one refused with its reason, pick thumbnail and
// brightness, start, watch the progress reach 20 of 20, compare a photo
// before and after, reload the job's page, and download everything as a zip.
func TestWebApp(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end browser test")
	}
	exe := chromium(t)
	files, corrupt := photos(t)
	_, probeErr := imaging.Probe(corrupt)
	if probeErr == nil {
		t.Fatal("the cut-off JPEG reads as a picture")
	}
	wantReason := "rejected: " + fault.Message(probeErr)

	p := stacktest.Up(t, t.TempDir(), "--workers", "2")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ctx = newBrowser(t, ctx, exe)
	shots := screenshotDir(t)
	start := time.Now()
	step := func(format string, args ...any) {
		t.Logf("%6.1fs  %s", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}

	do(t, ctx,
		chromedp.EmulateViewport(1100, 820),
		chromedp.Navigate(p.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"] #upload-view`)),
	)
	poll(t, ctx, 10*time.Second, `!document.querySelector('#jobs-empty').hidden && document.querySelectorAll('#jobs-list li').length === 0`)
	step("page loaded, no jobs yet")

	// Upload: every file gets its own row and its own answer.
	do(t, ctx, chromedp.SetUploadFiles(chromedp.CSS("#files"), files))
	poll(t, ctx, 90*time.Second, `(() => {
		const s = document.querySelector('#upload-summary').dataset;
		return s.busy === '0' && (+s.accepted + +s.rejected) === 21;
	})()`)
	summary := text(t, ctx, "#upload-summary")
	if summary != "20 accepted, 1 rejected" {
		t.Fatalf("upload summary %q, want 20 accepted, 1 rejected", summary)
	}
	if got := text(t, ctx, `li.file[data-name="corrupt.jpg"] .status`); got != wantReason {
		t.Errorf("the corrupt file's row says %q, want %q", got, wantReason)
	}
	statuses := run(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('li.file.accepted .status')].map(e => e.textContent)`))
	for _, s := range statuses {
		if !strings.Contains(s, "jpeg") {
			t.Errorf("accepted row says %q, want its size and format", s)
		}
	}
	step("uploaded: %s", summary)
	screenshot(t, ctx, shots, "upload.png", chromedp.CaptureScreenshot())

	drawBoxes(t, ctx, shots)
	step("box drawn on a photo for red-eye")

	// Edits: thumbnail into a 256-pixel box, then 30% lighter.
	do(t, ctx,
		chromedp.SetValue(chromedp.ID("add-op"), "thumbnail"),
		chromedp.Click(chromedp.ID("add-op-button")),
		chromedp.SendKeys(chromedp.CSS(`li.op[data-op="thumbnail"] [data-field="width"] input`), fmt.Sprint(thumbSize)),
		chromedp.SendKeys(chromedp.CSS(`li.op[data-op="thumbnail"] [data-field="height"] input`), fmt.Sprint(thumbSize)),
		chromedp.SetValue(chromedp.ID("add-op"), "brightness"),
		chromedp.Click(chromedp.ID("add-op-button")),
		chromedp.SetValue(chromedp.CSS(`li.op[data-op="brightness"] [data-field="factor"] input`), ""),
		chromedp.SendKeys(chromedp.CSS(`li.op[data-op="brightness"] [data-field="factor"] input`), "1.3"),
		// Keep the photos' information, by its label.
		chromedp.Click(chromedp.CSS(`label[for="keep-metadata"]`)),
	)
	if got := run(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#ops > li')].map(e => e.dataset.op)`)); strings.Join(got, ",") != "thumbnail,brightness" {
		t.Fatalf("edits in the panel: %v", got)
	}
	screenshot(t, ctx, shots, "edit.png", chromedp.Screenshot(chromedp.ID("edit-form")))
	step("edits chosen")

	// Progress, live from the job's event stream.
	do(t, ctx, chromedp.Click(chromedp.ID("start")), chromedp.WaitVisible(chromedp.ID("job-view")))
	poll(t, ctx, 30*time.Second, `document.querySelectorAll('#tasks > li').length === 20`)
	loc := run(t, ctx, chromedp.Location())
	_, jobID, ok := strings.Cut(loc, "#/jobs/")
	if !ok || jobID == "" {
		t.Fatalf("the page's address %q does not name the job", loc)
	}
	step("job %s started: %s", jobID, text(t, ctx, "#job-counts"))
	if j, err := client.New(p.URL, nil).Job(ctx, jobID); err != nil || j.Metadata != "keep" {
		t.Errorf("the job keeps metadata %q (%v), want keep, as ticked", j.Metadata, err)
	}
	screenshot(t, ctx, shots, "progress.png", chromedp.CaptureScreenshot())
	poll(t, ctx, 90*time.Second, `(() => {
		const d = document.querySelector('#job-view').dataset;
		return d.state === 'succeeded' && d.done === '20' && d.total === '20';
	})()`)
	if got := text(t, ctx, "#job-counts"); !strings.HasPrefix(got, "20 / 20 done") {
		t.Errorf("progress reads %q, want 20 / 20 done", got)
	}
	if got := run(t, ctx, chromedp.Evaluate[float64](`document.querySelector('#job-progress').position`)); got != 1 {
		t.Errorf("progress bar at %v, want full", got)
	}
	// The progress came from the event stream, which ended with the job.
	if !run(t, ctx, chromedp.Evaluate[bool](`performance.getEntriesByType('resource').some(e => e.name.endsWith('/v1/jobs/`+jobID+`/events'))`)) {
		t.Error("the page did not follow the job's events")
	}
	poll(t, ctx, 30*time.Second, `[...document.querySelectorAll('#tasks img')].every(i => i.complete && i.naturalWidth > 0)`)
	// The grid shows the gateway's small previews, not the results.
	if n := run(t, ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('#tasks img')].filter(i => i.src.endsWith('/preview') && Math.max(i.naturalWidth, i.naturalHeight) <= `+fmt.Sprint(gateway.PreviewSize)+`).length`)); n != 20 {
		t.Errorf("%d of 20 result tiles show a preview", n)
	}
	step("progress reached 20 / 20")
	screenshot(t, ctx, shots, "results.png", chromedp.CaptureScreenshot())

	// Before and after.
	do(t, ctx, chromedp.Click(chromedp.CSS(`#tasks > li[data-state="succeeded"] button`)))
	poll(t, ctx, 30*time.Second, `(() => {
		const d = document.querySelector('#compare');
		const b = document.querySelector('#compare-before'), a = document.querySelector('#compare-after');
		return d.open && b.complete && a.complete && b.naturalWidth > 0 && a.naturalWidth > 0;
	})()`)
	sizes := run(t, ctx, chromedp.Evaluate[[]int](`['#compare-before', '#compare-after'].flatMap(s => {
		const i = document.querySelector(s); return [i.naturalWidth, i.naturalHeight];
	})`))
	if len(sizes) != 4 || max(sizes[2], sizes[3]) != thumbSize || max(sizes[0], sizes[1]) <= thumbSize {
		t.Errorf("before and after are %v, want a photo and its %d-pixel thumbnail", sizes, thumbSize)
	}
	screenshot(t, ctx, shots, "compare.png", chromedp.CaptureScreenshot())
	step("before %dx%d, after %dx%d", sizes[0], sizes[1], sizes[2], sizes[3])
	do(t, ctx, chromedp.Click(chromedp.CSS(`#compare [data-close]`)))
	if got := run(t, ctx, chromedp.Evaluate[string](`document.activeElement.textContent`)); got != "Compare" {
		t.Errorf("after closing the comparison the focus is on %q, want the Compare button", got)
	}

	// The job's page survives a reload: its id is in the address.
	do(t, ctx, chromedp.Reload())
	poll(t, ctx, 30*time.Second, `(() => {
		const d = document.querySelector('#job-view').dataset;
		return d.state === 'succeeded' && d.done === '20' && document.querySelectorAll('#tasks a[download]').length === 40;
	})()`)
	step("reloaded: the job is still there, with originals and results to download")

	// On a phone-sized screen.
	do(t, ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(1)))
	poll(t, ctx, 10*time.Second, `document.documentElement.scrollWidth <= 390`)
	screenshot(t, ctx, shots, "phone.png", chromedp.CaptureScreenshot())
	do(t, ctx, chromedp.EmulateViewport(1100, 820))

	// Download everything.
	zipped := download(t, ctx, chromedp.Click(chromedp.ID("job-zip")))
	step("zip downloaded, %d bytes", len(zipped))
	checkArchive(t, zipped, files[:len(files)-1])

	// Back on the first page, the job is in the list of jobs, and leads
	// back to its results.
	do(t, ctx, chromedp.Click(chromedp.CSS(`a.brand`)))
	poll(t, ctx, 10*time.Second, `document.querySelectorAll('#jobs-list li').length === 1 && document.querySelector('#jobs-empty').hidden`)
	if got := text(t, ctx, `#jobs-list li[data-job="`+jobID+`"] a`); got != "20 photos: thumbnail, brightness" {
		t.Errorf("the job is listed as %q", got)
	}
	poll(t, ctx, 10*time.Second, `document.querySelector('#jobs-list li[data-job="`+jobID+`"] .badge').textContent === 'succeeded'`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`#jobs-list li[data-job="`+jobID+`"] a`)))
	poll(t, ctx, 30*time.Second, `(() => {
		const d = document.querySelector('#job-view').dataset;
		return location.hash === '#/jobs/`+jobID+`' && d.state === 'succeeded' && d.done === '20';
	})()`)
	step("the job found again from the list of jobs")
}

// drawBoxes adds a red-eye edit, draws a box on a preview of the first
// photo with the mouse, and checks that the box, in the photo's pixels,
// fills the edit's fields; then it removes the edit again.
func drawBoxes(t *testing.T, ctx context.Context, shots string) {
	t.Helper()
	do(t, ctx,
		chromedp.SetValue(chromedp.ID("add-op"), "redeye"),
		chromedp.Click(chromedp.ID("add-op-button")),
		chromedp.Click(chromedp.CSS(`li.op[data-op="redeye"] [data-draw="regions"]`)),
	)
	poll(t, ctx, 10*time.Second, `(() => { const i = document.querySelector('#draw-img'); return document.querySelector('#draw').open && i.complete && i.naturalWidth > 0; })()`)
	type rect struct{ X, Y, W, H, PhotoW, PhotoH float64 }
	r := run(t, ctx, chromedp.Evaluate[rect](`(() => {
		const b = document.querySelector('#draw-img').getBoundingClientRect();
		const s = document.querySelector('#draw-photo');
		const [w, h] = [...document.querySelectorAll('li.file.accepted')].find(li => li.dataset.name === s.selectedOptions[0].textContent)
			.querySelector('.status').textContent.split(' ')[0].split('×').map(Number);
		return {X: b.left, Y: b.top, W: b.width, H: b.height, PhotoW: w, PhotoH: h};
	})()`))
	// Press at 10% across and 20% down the preview, move, release at 40%
	// and 50%. (DragAndDropXY would wait for an HTML drag the picture does
	// not start.)
	held := func(p *input.DispatchMouseEventParams) { p.Buttons = 1 }
	do(t, ctx,
		chromedp.MouseEvent(chromedp.MousePressed, r.X+0.1*r.W, r.Y+0.2*r.H, chromedp.ButtonLeft, held, chromedp.ClickCount(1)),
		chromedp.MouseEvent(chromedp.MouseMoved, r.X+0.25*r.W, r.Y+0.35*r.H, chromedp.ButtonLeft, held),
		chromedp.MouseEvent(chromedp.MouseMoved, r.X+0.4*r.W, r.Y+0.5*r.H, chromedp.ButtonLeft, held),
		chromedp.MouseEvent(chromedp.MouseReleased, r.X+0.4*r.W, r.Y+0.5*r.H, chromedp.ButtonLeft, chromedp.ClickCount(1)),
	)
	poll(t, ctx, 5*time.Second, `document.querySelectorAll('#draw-list li').length === 1`)
	screenshot(t, ctx, shots, "draw.png", chromedp.Screenshot(chromedp.ID("draw")))
	do(t, ctx, chromedp.Click(chromedp.ID("draw-done")))
	got := run(t, ctx, chromedp.Evaluate[map[string]float64](`Object.fromEntries([...document.querySelectorAll('li.op[data-op="redeye"] .box-row input')].map(i => [i.dataset.name, +i.value]))`))
	want := map[string]float64{"x": 0.1 * r.PhotoW, "y": 0.2 * r.PhotoH, "width": 0.3 * r.PhotoW, "height": 0.3 * r.PhotoH}
	for k, v := range want {
		// A screen pixel of the preview is several of the photo's.
		if tol := 2 * r.PhotoW / r.W; got[k] < v-tol || got[k] > v+tol {
			t.Errorf("drawn box %s = %v, want %.0f ± %.0f (box %v on a %vx%v photo)", k, got[k], v, tol, got, r.PhotoW, r.PhotoH)
		}
	}

	// The same from the keyboard: a second box, added with Enter in the
	// middle of the photo (a fifth of it each way), moved right 3 steps and
	// made 2 steps taller (a step is a fiftieth of the photo).
	do(t, ctx, chromedp.Click(chromedp.CSS(`li.op[data-op="redeye"] [data-draw="regions"]`)))
	// Opened again, the dialog shows the box drawn before.
	poll(t, ctx, 10*time.Second, `document.querySelector('#draw').open && document.querySelectorAll('#draw-list li').length === 1 && document.querySelectorAll('#draw-stage .box').length === 1`)
	do(t, ctx,
		chromedp.Focus(chromedp.ID("draw-stage")),
		chromedp.KeyEvent(kb.Enter),
		chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight),
		chromedp.KeyEvent(kb.ArrowDown, chromedp.KeyModifiers(chromedp.ModifierShift)),
		chromedp.KeyEvent(kb.ArrowDown, chromedp.KeyModifiers(chromedp.ModifierShift)),
	)
	poll(t, ctx, 5*time.Second, `document.querySelectorAll('#draw-list li').length === 2`)
	status := run(t, ctx, chromedp.Evaluate[string](`document.querySelector('#draw-status').textContent`))
	do(t, ctx, chromedp.Click(chromedp.ID("draw-done")))
	rows := run(t, ctx, chromedp.Evaluate[[]map[string]float64](`[...document.querySelectorAll('li.op[data-op="redeye"] .box-row')].map(r => Object.fromEntries([...r.querySelectorAll('input')].map(i => [i.dataset.name, +i.value])))`))
	stepX, stepY := math.Max(1, math.Round(r.PhotoW/50)), math.Max(1, math.Round(r.PhotoH/50))
	bw, bh := math.Round(r.PhotoW/5), math.Round(r.PhotoH/5)
	wantKeys := map[string]float64{"x": math.Round((r.PhotoW-bw)/2) + 3*stepX, "y": math.Round((r.PhotoH - bh) / 2), "width": bw, "height": bh + 2*stepY}
	if len(rows) != 2 {
		t.Fatalf("box rows after drawing from the keyboard: %v, want the drawn one and the new one", rows)
	}
	for k, v := range wantKeys {
		if rows[1][k] != v {
			t.Errorf("keyboard box %s = %v, want %v (box %v on a %vx%v photo)", k, rows[1][k], v, rows[1], r.PhotoW, r.PhotoH)
		}
	}
	if want := fmt.Sprintf("Box 2: %.0f×%.0f at %.0f,%.0f", wantKeys["width"], wantKeys["height"], wantKeys["x"], wantKeys["y"]); status != want {
		t.Errorf("read out %q, want %q", status, want)
	}

	// Done and Draw again in one go: the first dialog's close event arrives
	// after the second has opened, and must not take the drawing from it.
	// Delete then removes the last box, so the dialog still draws.
	do(t, ctx, chromedp.Click(chromedp.CSS(`li.op[data-op="redeye"] [data-draw="regions"]`)))
	poll(t, ctx, 10*time.Second, `document.querySelector('#draw').open && document.querySelectorAll('#draw-list li').length === 2`)
	run(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('#draw-done').click(); document.querySelector('li.op[data-op="redeye"] [data-draw="regions"]').click()`))
	do(t, ctx, chromedp.Focus(chromedp.ID("draw-stage")), chromedp.KeyEvent(kb.Delete))
	poll(t, ctx, 5*time.Second, `document.querySelector('#draw').open && document.querySelectorAll('#draw-list li').length === 1`)
	do(t, ctx, chromedp.Click(chromedp.ID("draw-done")))
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('li.op[data-op="redeye"] .box-row').length`)); n != 1 {
		t.Errorf("%d box rows after deleting one of two in a dialog opened at once again, want 1", n)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`button[aria-label="Remove redeye"]`)))
}

// download runs click and returns the bytes of the download it starts.
func download(t *testing.T, ctx context.Context, click chromedp.Action[chromedp.Void]) []byte {
	t.Helper()
	dir := t.TempDir()
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	do(t, ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: new(true),
		})
		return err
	}), click)
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("waiting for the download: %v", err)
		}
		switch ev.State {
		case browser.DownloadProgressStateCompleted:
			b, err := os.ReadFile(filepath.Join(dir, ev.GUID))
			if err != nil {
				t.Fatal(err)
			}
			return b
		case browser.DownloadProgressStateCanceled:
			t.Fatal("the download was cancelled")
		}
	}
	t.Fatal("no download")
	return nil
}

// checkArchive decodes every picture of the zip and checks its size, and
// that the pictures are the uploaded ones, named after their originals.
func checkArchive(t *testing.T, b []byte, files []string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("the download is not a zip: %v", err)
	}
	var got []string
	for _, f := range zr.File {
		got = append(got, f.Name)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		img, format, err := image.Decode(rc)
		_ = rc.Close()
		if err != nil {
			t.Errorf("%s does not decode: %v", f.Name, err)
			continue
		}
		if b := img.Bounds(); format != "jpeg" || max(b.Dx(), b.Dy()) != thumbSize {
			t.Errorf("%s is a %dx%d %s, want a jpeg whose longer side is %d", f.Name, b.Dx(), b.Dy(), format, thumbSize)
		}
	}
	var want []string
	for _, f := range files {
		want = append(want, filepath.Base(f))
	}
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pictures in the zip (-want +got):\n%s", diff)
	}
}

// do runs steps, each within stepTimeout, and on failure says what the page
// shows.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	for i, s := range steps {
		sctx, cancel := context.WithTimeout(ctx, stepTimeout)
		err := chromedp.Do(sctx, s)
		cancel()
		if err != nil {
			t.Fatalf("step %d of %d: %v\nthe page shows:\n%s", i+1, len(steps), err, pageText(ctx))
		}
	}
}

// stepTimeout bounds one browser action; waits for the stack have their own.
const stepTimeout = 20 * time.Second

func pageText(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('main, dialog[open]')].map(e => e.innerText).join('\n--- dialog ---\n')`))
	if err != nil {
		return fmt.Sprintf("(unreadable: %v)", err)
	}
	return s
}

func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	return strings.TrimSpace(run(t, ctx, chromedp.TextContent(chromedp.CSS(css))))
}

// poll waits until the expression is true in the page, and on a timeout
// fails with what the page shows.
func poll(t *testing.T, ctx context.Context, timeout time.Duration, expr string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
	if err != nil {
		t.Fatalf("waiting for %s: %v\nthe page shows:\n%s", expr, err, pageText(ctx))
	}
}

// screenshotDir is where the screenshots go: PIXMILL_SCREENSHOTS if set
// (`make screenshots` points it at docs/screenshots, which the README shows),
// else .cache/screenshots at the module's root — build artefacts that do not
// churn the committed pictures on every run.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PIXMILL_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("..", "..", ".cache", "screenshots")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func screenshot(t *testing.T, ctx context.Context, dir, name string, shot chromedp.Action[[]byte]) {
	t.Helper()
	b, err := chromedp.Run(ctx, shot)
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot %s is not a PNG: %v", name, err)
	}
	var out bytes.Buffer
	if err := png.Encode(&out, quantize(img)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
