package webtest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// recordNotifications runs before the page's scripts: every notification
// the page makes is kept in window.__notes, as well as shown.
const recordNotifications = `(() => {
	const Shown = window.Notification;
	window.__notes = [];
	window.Notification = class extends Shown {
		constructor(title, options) {
			window.__notes.push({ title, body: (options || {}).body || '' });
			super(title, options);
		}
	};
})();`

// TestNotifyWhenDone: a person watching a job ticks "Notify me when done",
// the browser (told to allow it) grants the permission, and when the job
// ends the page shows one notification that says how it ended; the choice
// is kept for the next job.
func TestNotifyWhenDone(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end browser test")
	}
	exe := chromium(t)
	p := stacktest.Up(t, t.TempDir(), "--workers", "1")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := client.New(p.URL, nil)
	ids := stacktest.Upload(t, ctx, c, stacktest.Generated(t, 20, 21))
	ctx = newBrowser(t, ctx, exe)

	do(t, ctx,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: recordNotifications})
			return err
		}),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, browser.SetPermission, browser.SetPermissionParams{
				Permission: &browser.PermissionDescriptor{Name: string(browser.PermissionTypeNotifications)},
				Setting:    browser.PermissionSettingGranted, Origin: p.URL,
			})
			return err
		}),
		chromedp.Navigate(p.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"] #upload-view`)),
	)
	ops := []json.RawMessage{stacktest.ThumbOp, stacktest.BrightnessOp}
	watch := func() string {
		t.Helper()
		j, err := c.CreateJob(ctx, api.JobRequest{Images: ids, Ops: ops})
		if err != nil {
			t.Fatal(err)
		}
		run(t, ctx, chromedp.Evaluate[bool](`(location.hash = '#/jobs/`+j.ID+`', true)`))
		poll(t, ctx, 20*time.Second, `document.querySelector('#job-id').textContent.includes('`+j.ID+`')`)
		return j.ID
	}

	first := watch()
	if got := run(t, ctx, chromedp.Evaluate[bool](`document.querySelector('#job-notify').checked`)); got {
		t.Fatal("the box is ticked before anyone ticked it")
	}
	do(t, ctx, chromedp.Click(chromedp.ID("job-notify")))
	poll(t, ctx, 10*time.Second, `localStorage.getItem('pixmill.notify-when-done') === '1'`)
	if state := run(t, ctx, chromedp.Evaluate[string](`document.querySelector('#job-view').dataset.state`)); state == "succeeded" {
		t.Fatal("the job ended before the box was ticked; it must run longer for this test")
	}
	poll(t, ctx, 90*time.Second, `document.body.dataset.notified === '`+first+`'`)
	type note struct{ Title, Body string }
	notes := run(t, ctx, chromedp.Evaluate[[]note](`window.__notes`))
	if len(notes) != 1 || notes[0].Title != "pixmill: job finished" || !strings.Contains(notes[0].Body, "20 / 20 done") {
		t.Fatalf("notifications %+v, want one saying the job finished, 20 / 20 done", notes)
	}

	// The next job watched is told of too, without ticking again; the
	// box shows it ticked.
	second := watch()
	if !run(t, ctx, chromedp.Evaluate[bool](`document.querySelector('#job-notify').checked`)) {
		t.Error("the box is not ticked for the next job")
	}
	poll(t, ctx, 90*time.Second, `document.body.dataset.notified === '`+second+`'`)
	if notes := run(t, ctx, chromedp.Evaluate[[]note](`window.__notes`)); len(notes) != 2 {
		t.Errorf("notifications %+v, want one a job", notes)
	}
}
