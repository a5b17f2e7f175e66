package gateway

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"time"

	"github.com/pixmill/pixmill/platform/api"
)

// The web app is plain HTML, CSS and JavaScript, embedded in the binary: no
// build step, nothing to install, and it talks to the gateway only through
// the public API, which shows the API is enough to drive the product.
//
//go:embed web
var webFiles embed.FS

// webAsset is one embedded file, ready to serve.
type webAsset struct {
	body  []byte
	ctype string
	etag  string
}

// webTypes are the media types of the app's files, fixed here rather than
// read from the system's tables, which differ between machines.
var webTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
}

// webAssets are read once: the files never change while the binary runs.
var webAssets = func() map[string]webAsset {
	out := map[string]webAsset{}
	err := fs.WalkDir(webFiles, "web", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := webFiles.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ctype, ok := webTypes[path.Ext(p)]
		if !ok {
			return fmt.Errorf("%s: no media type for its extension", p)
		}
		out[path.Base(p)] = webAsset{body: b, ctype: ctype, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		panic("gateway: reading the embedded web app: " + err.Error())
	}
	return out
}()

// webPolicy keeps the page to its own origin: its scripts, styles, pictures
// (and local previews of files being uploaded) and API calls. People's
// photos are private, so nothing is loaded from elsewhere and the page
// cannot be framed.
const webPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// webRoutes adds the web app at / and its files under /assets/.
func (g *Gateway) webRoutes() {
	g.handle("GET /{$}", g.limitAddress(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serveAsset(w, r, "index.html") })))
	g.handle("GET /assets/{file}", g.limitAddress(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("file")
		if name == "index.html" {
			http.NotFound(w, r)
			return
		}
		serveAsset(w, r, name)
	})))
}

// serveAsset answers with an embedded file. Browsers revalidate on every
// load (no-cache) and get a 304 while the binary is the same, so a new
// release is picked up at once without renaming files.
func serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	a, ok := webAssets[name]
	if !ok {
		writeJSON(w, http.StatusNotFound, api.Error{Error: "no such file: " + name})
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", a.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if name == "index.html" {
		h.Set("Content-Security-Policy", webPolicy)
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
}
