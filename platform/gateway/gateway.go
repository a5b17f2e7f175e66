// Package gateway is pixmill's HTTP API: upload originals, submit jobs, follow
// their progress and download results. It writes originals to the bucket,
// job records through package records, and one task.requested event per
// picture to the requests topic — at once, or through a Dispatcher that
// shares the fleet among owners (package dispatch). It edits no pictures: an upload is checked
// from its header, and the only pixels it decodes are those of a result's
// small preview, made once on request, in a few bounded slots. So it stays
// up and accepting work while processing is down. The request and response
// bodies are package api's; docs/api.md is the reference.
//
// # Routes
//
//	POST /v1/images                          multipart upload, parts named "file"
//	GET  /v1/images/{id}                     the original bytes
//	DELETE /v1/images/{id}                   the original and its record
//	POST /v1/jobs                            {"images":[…],"ops":[…],"format":"jpeg","notify":{"url":"https://…"}}
//	GET  /v1/jobs                            the caller's jobs, newest first, a page at a time
//	GET  /v1/jobs/{id}                       job and task states (?limit=, ?page_token=, ?view=summary)
//	DELETE /v1/jobs/{id}                     the job's results, previews and records
//	GET  /v1/jobs/{id}/tasks/{task}/output   the edited bytes
//	GET  /v1/jobs/{id}/tasks/{task}/preview  the result made small (WebP, 480 px)
//	GET  /v1/jobs/{id}/archive               a zip of every output
//	GET  /v1/jobs/{id}/events                the job's progress as server-sent events
//	DELETE /v1/me                            everything of the caller's, keys included
//	POST /v1/links                           {"path":"/v1/jobs/ID/archive","expires_in":"1h"}: a signed link
//	GET  /v1/me                              who the caller is taken for, their use of their quotas and the limits
//	GET  /v1/me/notify-secret                the key job notifications are signed with (made on first use)
//	POST /v1/me/notify-secret                a new key in its place
//	GET  /v1/ops                             the op catalogue and output formats, for forms
//	GET  /                                   the web app (and /assets/…)
//	GET  /healthz
//	GET  /metrics                            when metrics are served
//
// # Errors
//
// Every error is a JSON body {"error": "…"} that says what was wrong. The
// status follows the error's fault kind: 400 for invalid input, 404 for an
// unknown id — including ids of other owners, which are never revealed —
// or for what its owner deleted or what expired (the body says which, and
// when),
// 413 for a limit, 422 for a picture that cannot be processed, 503 when
// storage or the queue is unavailable: the table in package fault. A
// request over one of the owner's quotas (package quota) is 413 when it
// can never fit as it is and 429 with Retry-After when waiting helps, and
// its body names the quota, its limit and the use ("quota"); a request
// over the rate limits (RateLimits) is 429 with Retry-After.
package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/auth"
	"github.com/pixmill/pixmill/platform/quota"
)

// Deps are the gateway's connections to the rest of the platform.
type Deps struct {
	Bucket   *blob.Bucket
	Requests *pubsub.Topic
	// Identify identifies the caller, and says how (auth.Authenticator.
	// Authenticate). Without it Owners does, naming no mode.
	Identify Identify
	// Owners identifies the caller when Identify is not set (default:
	// everyone is LocalOwner).
	Owners Owners
	// Now is the clock (default time.Now).
	Now Clock
	Log *slog.Logger
	// Metrics, if set, is served at GET /metrics.
	Metrics http.Handler
	// Queued, if set, is told the task id of each request published.
	Queued func(task string)
	// Dispatch, if set, takes each job's tasks and sends them to Requests
	// itself, sharing the fleet among owners (package dispatch); without
	// it the gateway sends every task at once, one FIFO for everyone.
	Dispatch Dispatcher
	// Changes, if set, is told of the task records written in this
	// process, so that the job's progress feeds read what changed instead
	// of listing the job every tick (feed.go).
	Changes *Changes
	// Links, if set, signs the links POST /v1/links hands out; the Owners
	// function verifies them. Without it that route answers 501.
	Links *auth.Links
	// Quotas, if set, keeps the owners' use against Config.Quotas; stack
	// shares it with the results handler, which counts the results'
	// bytes. Without it the gateway makes its own.
	Quotas *quota.Tracker
	// Pseudonyms names owners in the log, which never holds an owner id:
	// Log's handler is wrapped to replace any with its pseudonym (default:
	// pseudonyms of this process).
	Pseudonyms *auth.Pseudonyms
	// Keys holds the API keys, which DELETE /v1/me deletes with the rest
	// of an owner's (default: those in Bucket, where pixmill keeps them).
	Keys *auth.KeyStore
}

// Dispatcher holds a stored job's tasks and sends them to the requests
// topic in its own time; originals are the tasks' pictures' keys, in order.
// Once Submit returns nil the job's tasks are sure to be sent.
type Dispatcher interface {
	Submit(ctx context.Context, j records.Job, originals []string) error
}

// Gateway serves the HTTP API.
type Gateway struct {
	cfg   Config
	deps  Deps
	store *records.Store
	// jobs and images are the job and image records this gateway has
	// written or read (recordcache.go).
	jobs   *recordCache[records.Job]
	images *recordCache[records.Image]
	feeds  *feeds
	// pictures bounds the CPU spent making previews.
	pictures *pictureBudget
	mux      *http.ServeMux
	// routes are the patterns mux serves, in the order registered.
	routes []string
	// links routes the paths a signed link may open (links.go).
	links *http.ServeMux
	log   *slog.Logger
	// quotas keeps each owner's use; byOwner and byAddress are the rate
	// limits (ratelimit.go), nil when off.
	quotas    *quota.Tracker
	byOwner   *limiters
	byAddress *limiters

	fleetMu   sync.Mutex
	fleet     records.FleetStatus
	fleetRead time.Time

	closing   chan struct{}
	closeOnce sync.Once
}

// New returns a gateway, or an error naming the first invalid setting.
func New(cfg Config, deps Deps) (*Gateway, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if deps.Bucket == nil || deps.Requests == nil {
		return nil, errors.New("gateway: a bucket and a requests topic are required")
	}
	deps.Identify = identify(deps)
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	if deps.Queued == nil {
		deps.Queued = func(string) {}
	}
	if deps.Keys == nil {
		deps.Keys = auth.NewKeyStore(deps.Bucket, auth.Clock(deps.Now))
	}
	if deps.Pseudonyms == nil {
		deps.Pseudonyms = auth.NewPseudonyms(nil)
	}
	deps.Log = slog.New(deps.Pseudonyms.Redact(deps.Log.Handler()))
	if deps.Quotas == nil {
		q, err := quota.New(cfg.Quotas, deps.Bucket, deps.Now)
		if err != nil {
			return nil, err
		}
		deps.Quotas = q
	}
	g := &Gateway{cfg: cfg, deps: deps, store: records.NewStore(deps.Bucket), mux: http.NewServeMux(), log: deps.Log, closing: make(chan struct{}), jobs: newJobCache(), images: newImageCache()}
	g.pictures = newPictureBudget(cfg.PreviewCPU*float64(runtime.NumCPU()), deps.Now)
	g.quotas = deps.Quotas
	g.byOwner = newLimiters("owner", cfg.RateLimits.OwnerRate, cfg.RateLimits.OwnerBurst, deps.Now)
	g.byAddress = newLimiters("address", cfg.RateLimits.AddressRate, cfg.RateLimits.AddressBurst, deps.Now)
	g.feeds = &feeds{store: g.store, now: deps.Now, log: deps.Log, notice: g.notice, told: deps.Changes != nil, resync: cfg.ProgressResync, wait: waitTick, m: map[string]*feed{}}
	if deps.Changes != nil {
		deps.Changes.listen(g.feeds.taskChanged)
	}
	for _, rt := range g.ownedRoutes() {
		g.handle(rt.pattern, g.owned(rt.handler))
	}
	g.links = g.linkable()
	g.handle("GET /v1/ops", g.limitAddress(http.HandlerFunc(g.getOps)))
	g.webRoutes()
	if deps.Metrics != nil {
		g.handle("GET /metrics", deps.Metrics)
	}
	g.handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}))
	return g, nil
}

// Close ends the long-lived responses (event streams), so that an
// http.Server's Shutdown does not wait for them; register it with
// RegisterOnShutdown.
func (g *Gateway) Close() { g.closeOnce.Do(func() { close(g.closing) }) }

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.mux.ServeHTTP(w, r) }

type ownedHandler func(w http.ResponseWriter, r *http.Request, owner string)

type ownedRoute struct {
	pattern string
	handler ownedHandler
	// exists, set on the reads of one object that a signed link may open,
	// returns a fault.NotFound error when the owner has no such object.
	exists func(r *http.Request, owner string) error
}

// ownedRoutes are the routes that act for an owner: every one of them
// scopes what it reads and writes to the caller.
func (g *Gateway) ownedRoutes() []ownedRoute {
	return []ownedRoute{
		{"POST /v1/images", g.uploadImages, nil},
		{"GET /v1/images/{id}", g.getImage, g.imageExists},
		{"DELETE /v1/images/{id}", g.deleteImage, nil},
		{"POST /v1/jobs", g.createJob, nil},
		{"GET /v1/jobs", g.listJobs, nil},
		{"GET /v1/jobs/{id}", g.getJob, nil},
		{"DELETE /v1/jobs/{id}", g.deleteJob, nil},
		{"GET /v1/jobs/{id}/tasks/{task}/output", g.getOutput, g.taskExists},
		{"GET /v1/jobs/{id}/tasks/{task}/preview", g.getPreview, g.taskExists},
		{"GET /v1/jobs/{id}/archive", g.getArchive, g.jobExists},
		{"GET /v1/jobs/{id}/events", g.jobEvents, nil},
		{"POST /v1/links", g.createLink, nil},
		{"GET /v1/me", g.getMe, nil},
		{"GET /v1/me/notify-secret", g.getNotifySecret, nil},
		{"POST /v1/me/notify-secret", g.rotateNotifySecret, nil},
		{"POST /v1/presets", g.savePreset, nil},
		{"GET /v1/presets", g.listPresets, nil},
		{"GET /v1/presets/{name}", g.getPreset, nil},
		{"DELETE /v1/presets/{name}", g.deletePreset, nil},
		{"DELETE /v1/me", g.eraseOwner, nil},
		{"POST /v1/previews", g.createPreview, nil},
	}
}

// handle serves h at pattern, and counts the pattern among Routes.
func (g *Gateway) handle(pattern string, h http.Handler) {
	g.mux.Handle(pattern, h)
	g.routes = append(g.routes, pattern)
}

// Routes lists the patterns of every route the gateway serves: those of
// OwnedRoutes, and those anyone may read (the op catalogue, the web app's
// files, the health check, the metrics). A test that must leave no route
// out enumerates these.
func (g *Gateway) Routes() []string { return slices.Clone(g.routes) }

// OwnedRoutes lists the patterns of the routes that act for an owner, for
// documentation and for tests that must cover each of them.
func (g *Gateway) OwnedRoutes() []string {
	var ps []string
	for _, rt := range g.ownedRoutes() {
		ps = append(ps, rt.pattern)
	}
	return ps
}

func (g *Gateway) owned(h ownedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := g.deps.Identify(r)
		if err != nil {
			if !g.byAddress.allow(w, clientAddress(r)) {
				return
			}
			if !auth.WriteUnauthorized(w, err) {
				g.fail(w, r, err)
			}
			return
		}
		if !g.byOwner.allow(w, id.Owner) {
			return
		}
		ctx := context.WithValue(context.WithValue(r.Context(), ownerKey{}, id.Owner), identityKey{}, id)
		h(w, r.WithContext(ctx), id.Owner)
	}
}

type ownerKey struct{}

// ownerAttr is the log attribute of owner: its pseudonym, never the id.
func (g *Gateway) ownerAttr(owner string) slog.Attr {
	return slog.String("owner", g.deps.Pseudonyms.Of(owner))
}

// fail answers with err's status and public message. Messages of transient
// errors may carry infrastructure detail, so they are logged and replaced.
func (g *Gateway) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := fault.HTTPStatus(err)
	msg := fault.Message(err)
	if errors.Is(err, context.Canceled) {
		return
	}
	var over *quota.Exceeded
	if errors.As(err, &over) {
		writeExceeded(w, over)
		return
	}
	if status >= 500 {
		args := []any{"method", r.Method, "path", r.URL.Path, "err", err}
		if owner, ok := r.Context().Value(ownerKey{}).(string); ok {
			args = append(args, g.ownerAttr(owner))
		}
		g.log.Error("request failed", args...)
		msg = "storage or queue unavailable, please retry"
	}
	writeJSON(w, status, api.Error{Error: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
