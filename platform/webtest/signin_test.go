package webtest

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/pixmill/pixmill/platform/auth/authtest"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// oauth2Proxy returns the path of the oauth2-proxy binary, or skips the
// test (fails it in CI). scripts/install-oauth2-proxy.sh installs it into
// .cache/bin; a go install puts it in GOPATH/bin.
func oauth2Proxy(t *testing.T) string {
	t.Helper()
	paths := []string{os.Getenv("PIXMILL_OAUTH2_PROXY")}
	if root, err := stacktest.ModuleRoot(); err == nil {
		paths = append(paths, filepath.Join(root, ".cache", "bin", "oauth2-proxy"))
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		paths = append(paths, filepath.Join(strings.TrimSpace(string(out)), "bin", "oauth2-proxy"))
	}
	return program(t, "oauth2-proxy", "scripts/install-oauth2-proxy.sh", paths...)
}

// freeAddr is a loopback address nothing listens on, for a program that
// takes its address as a flag.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startProxy runs the real oauth2-proxy in front of upstream, signing
// people in at the provider m, and returns its URL once it answers.
func startProxy(t *testing.T, bin string, m *mockoidc.MockOIDC, upstream string) string {
	t.Helper()
	addr := freeAddr(t)
	base := "http://" + addr
	secret := make([]byte, 32)
	for i := range secret {
		secret[i] = byte(i * 7)
	}
	cmd := exec.Command(bin,
		"--http-address="+addr,
		"--provider=oidc",
		"--oidc-issuer-url="+m.Issuer(),
		"--client-id="+m.ClientID,
		"--client-secret="+m.ClientSecret,
		"--redirect-url="+base+"/oauth2/callback",
		"--upstream="+upstream+"/",
		"--email-domain=*",
		"--cookie-secret="+base64.RawURLEncoding.EncodeToString(secret),
		"--cookie-secure=false",
		"--skip-provider-button=true",
		"--pass-user-headers=true",
		"--insecure-oidc-allow-unverified-email=true",
		"--code-challenge-method=S256",
	)
	var log stacktest.SyncBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("oauth2-proxy log:\n%s", log.String())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := stacktest.Eventually(ctx, 100*time.Millisecond, func() (bool, error) {
		resp, err := http.Get(base + "/ping")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		t.Fatalf("oauth2-proxy did not answer: %v\n%s", err, log.String())
	}
	return base
}

// credentialInURL matches what a URL must never carry: an API key, a JWT,
// or a query parameter named after a credential.
var credentialInURL = regexp.MustCompile(`pmk_|eyJ|[?&](token|access_token|id_token|key|api_key|auth)=`)

// TestSignInThroughOAuth2Proxy: the gateway behind the real oauth2-proxy,
// which signs people in at a real OpenID provider, in headless Chromium.
// Alice signs in, uploads and runs a job; Bob signs in in another browser
// and sees nothing of hers, not even by her ids; a link Alice asks for
// opens in Bob's browser until it expires, and is refused from then on.
func TestSignInThroughOAuth2Proxy(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end browser test")
	}
	exe, proxyBin := chromium(t), oauth2Proxy(t)
	m := authtest.Provider(t)
	gw := stacktest.Up(t, t.TempDir(), "--auth", "proxy", "--trusted-proxies", "127.0.0.1/32", "--workers", "1")
	site := startProxy(t, proxyBin, m, gw.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// Nothing passes the proxy, nor the gateway, without signing in.
	if resp, err := http.Get(gw.URL + "/v1/jobs"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the gateway without sign-in: %v %v, want 401", resp.Status, err)
	}

	// Each signs in, and the page says who is signed in, with a way out
	// through the proxy.
	signIn := func(subject string) context.Context {
		m.QueueUser(&mockoidc.MockUser{Subject: subject, Email: subject + "@example.com", EmailVerified: true})
		b := newBrowser(t, ctx, exe)
		do(t, b,
			chromedp.Navigate(site+"/"),
			chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"] #upload-view`)),
		)
		if who, want := text(t, b, "#who"), "Signed in as "+subject+"@example.com"; !strings.HasPrefix(who, want) {
			t.Errorf("the page says %q, want %q", who, want)
		}
		if out := run(t, b, chromedp.Evaluate[string](`document.querySelector('#sign-out').hidden ? '' : document.querySelector('#sign-out').getAttribute('href')`)); out != "/oauth2/sign_out" {
			t.Errorf("sign-out link %q, want oauth2-proxy's /oauth2/sign_out", out)
		}
		return b
	}
	fetchStatus := func(b context.Context, path string) int {
		return run(t, b, chromedp.Evaluate[int](fmt.Sprintf(`fetch(%q).then(r => r.status)`, path), chromedp.EvalAwaitPromise))
	}

	alice := signIn("alice")
	dir := t.TempDir()
	var files []string
	for _, p := range stacktest.Generated(t, 2, 5) {
		f := filepath.Join(dir, p.Name)
		if err := os.WriteFile(f, p.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	do(t, alice, chromedp.SetUploadFiles(chromedp.CSS("#files"), files))
	poll(t, alice, 60*time.Second, `document.querySelector('#upload-summary').dataset.busy === '0' && document.querySelector('#upload-summary').dataset.accepted === '2'`)
	do(t, alice,
		chromedp.SetValue(chromedp.ID("add-op"), "thumbnail"),
		chromedp.Click(chromedp.ID("add-op-button")),
		chromedp.SendKeys(chromedp.CSS(`li.op[data-op="thumbnail"] [data-field="width"] input`), "64"),
		chromedp.SendKeys(chromedp.CSS(`li.op[data-op="thumbnail"] [data-field="height"] input`), "64"),
		chromedp.Click(chromedp.ID("start")),
		chromedp.WaitVisible(chromedp.ID("job-view")),
	)
	poll(t, alice, 90*time.Second, `document.querySelector('#job-view').dataset.state === 'succeeded'`)
	_, job, _ := strings.Cut(run(t, alice, chromedp.Location()), "#/jobs/")
	image := run(t, alice, chromedp.Evaluate[string](`fetch('/v1/jobs/`+job+`').then(r => r.json()).then(j => j.tasks[0].image)`, chromedp.EvalAwaitPromise))
	for _, path := range []string{"/v1/jobs/" + job, "/v1/images/" + image, "/v1/jobs/" + job + "/archive"} {
		if st := fetchStatus(alice, path); st != http.StatusOK {
			t.Errorf("alice GET %s: %d, want 200", path, st)
		}
	}

	// Every request the page made, images and downloads included, went
	// to its own origin with no credential in its URL: the proxy's cookie
	// signed them. (Images not yet shown have no src; a live preview is
	// a blob: URL, which names the origin that made it and holds no
	// credential.)
	previews := 0
	for _, u := range run(t, alice, chromedp.Evaluate[[]string](`performance.getEntriesByType('resource').map(e => e.name).concat([...document.images].map(i => i.src), [...document.links].map(a => a.href)).filter(u => u !== "")`)) {
		own := strings.HasPrefix(u, site+"/") || strings.HasPrefix(u, "blob:"+site+"/")
		if !own || credentialInURL.MatchString(u) {
			t.Errorf("the page requested %s: want its own origin and no credential in the URL", u)
		}
		if strings.HasSuffix(u, "/preview") {
			previews++
		}
	}
	if previews == 0 {
		t.Error("the page shows no previews: nothing was checked")
	}

	bob := signIn("bob")
	poll(t, bob, 10*time.Second, `!document.querySelector('#jobs-empty').hidden && document.querySelectorAll('#jobs-list li').length === 0`)
	if n := run(t, bob, chromedp.Evaluate[int](`fetch('/v1/jobs').then(r => r.json()).then(l => l.jobs.length)`, chromedp.EvalAwaitPromise)); n != 0 {
		t.Errorf("bob lists %d jobs, want none", n)
	}
	for _, path := range []string{"/v1/jobs/" + job, "/v1/images/" + image, "/v1/jobs/" + job + "/archive", "/v1/jobs/" + job + "/events"} {
		if st := fetchStatus(bob, path); st != http.StatusNotFound {
			t.Errorf("bob GET %s of alice's: %d, want 404", path, st)
		}
	}

	// Alice's link to her original, opened in Bob's browser.
	link := run(t, alice, chromedp.Evaluate[map[string]string](`fetch('/v1/links', {method: 'POST', headers: {'Content-Type': 'application/json'},
		body: JSON.stringify({path: '/v1/images/`+image+`', expires_in: '6s'})}).then(r => r.json())`, chromedp.EvalAwaitPromise))
	expires, err := time.Parse(time.RFC3339, link["expires"])
	if err != nil || link["url"] == "" {
		t.Fatalf("POST /v1/links answered %v", link)
	}
	do(t, bob, chromedp.Navigate(site+link["url"]))
	size := run(t, bob, chromedp.Evaluate[[]int](`[document.images[0].naturalWidth, document.images[0].naturalHeight]`))
	if len(size) != 2 || size[0] == 0 || size[1] == 0 || !time.Now().Before(expires) {
		t.Errorf("alice's link shows bob a %v picture, want hers, before %s", size, expires)
	}
	// From its expiry on, the same link is refused.
	err = stacktest.Eventually(ctx, 200*time.Millisecond, func() (bool, error) {
		return fetchStatus(bob, link["url"]) == http.StatusUnauthorized, nil
	})
	if err != nil || time.Now().Before(expires) {
		t.Errorf("alice's link: %v; refused at %s, want from its expiry %s on", err, time.Now().Format(time.RFC3339), expires.Format(time.RFC3339))
	}
}

// TestSignInNeededWithoutProxy: a gateway that takes OpenID tokens, opened
// directly in a browser, which has none to send: the page says the visitor
// is not signed in and how to sign in, instead of a form that cannot work.
func TestSignInNeededWithoutProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end browser test")
	}
	exe := chromium(t)
	m := authtest.Provider(t)
	gw := stacktest.Up(t, t.TempDir(), "--auth", "oidc", "--oidc-issuer", m.Issuer(), "--oidc-audience", m.ClientID, "--workers", "0")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b := newBrowser(t, ctx, exe)
	do(t, b,
		chromedp.Navigate(gw.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="signed-out"] #sign-in`)),
	)
	page := pageText(b)
	for _, want := range []string{"Sign in to continue", "You are not signed in", "oauth2-proxy", "pixmill --token"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not say %q:\n%s", want, page)
		}
	}
	if visible := run(t, b, chromedp.Evaluate[bool](`!document.querySelector('#upload-view').hidden || !document.querySelector('#who').hidden`)); visible {
		t.Error("the upload form or a signed-in name is shown to someone not signed in")
	}
}
