// Package notify tells a job's owner, at a URL they gave, that the job has
// ended: a job.finished CloudEvent, POSTed in binary content mode, signed
// with the owner's secret.
//
// # Delivery
//
//   - Before the first POST to an origin, the receiver is asked, as the
//     CloudEvents HTTP webhook specification's abuse protection says, with
//     an OPTIONS request carrying WebHook-Request-Origin; it must answer 2xx
//     with WebHook-Allowed-Origin naming that origin or "*". A receiver that
//     refuses is not sent anything: the notification is dead-lettered.
//   - The POST carries Pixmill-Signature: t=UNIX,v1=HEX, the HMAC-SHA256
//     with the owner's secret over "UNIX." followed by the body, so that
//     the receiver can check who sent it and when.
//   - A failed attempt (no answer within Config.Timeout, a network error, a
//     5xx, a 408 or a 429) is tried again after a back-off that doubles from
//     Config.Backoff, up to Config.MaxAttempts attempts in all; any other
//     4xx ends the delivery at once. Then the notification goes to
//     Deps.DeadLetter, with the reason.
//   - Deliveries run on Config.Workers goroutines, and a delivery waiting
//     for its next attempt holds none of them: a slow or silent receiver
//     costs the others at most Config.Timeout of one worker per attempt.
//
// A notification is delivered at least once: a receiver that answers 2xx
// after its deadline passed is sent it again. Receivers should treat the
// event id as the idempotency key.
//
// # Destinations
//
// Unless Config.AllowPrivate is set, a notification is never sent to a
// loopback, private, link-local or otherwise non-public address: CheckURL
// refuses such an address written in the URL when the job is submitted,
// and the Notifier's dialer refuses to connect to one whatever the host
// name resolved to, so a name that resolves to a public address when
// checked and to an internal one when dialled (DNS rebinding) reaches
// nothing. Set AllowPrivate for a receiver on the same machine or network,
// as tests and local setups have.
package notify

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/pixmill/pixmill/events"
)

// TypeJobFinished is the type of the event a receiver gets.
const TypeJobFinished = events.Prefix + "job.finished.v1"

// SignatureHeader carries the HMAC of a notification.
const SignatureHeader = "Pixmill-Signature"

// JobFinished is the event's data: the job's final state and its counts.
type JobFinished struct {
	Job   string `json:"job"`
	Owner string `json:"owner"`
	// State is succeeded, failed or partial.
	State     string `json:"state"`
	Total     int    `json:"total"`
	Succeeded int    `json:"succeeded"`
	Failed    int    `json:"failed"`
}

// Notification is one job's end, for one URL.
type Notification struct {
	URL string
	// ID is the event id, the same for every attempt: the receiver's
	// idempotency key (default: a new id).
	ID   string
	Data JobFinished
	// Generation is the caller's, given back to Deps.Delivered and
	// Deps.DeadLetter.
	Generation int
}

// Letter is a notification that could not be delivered.
type Letter struct {
	Notification Notification
	EventID      string
	Attempts     int
	Reason       string
}

// Config holds the delivery settings; zero values take the defaults.
type Config struct {
	// Source is the CloudEvents source of the events (default
	// "/pixmill/gateway").
	Source string
	// MaxAttempts is how many POSTs are tried (default 5).
	MaxAttempts int
	// Backoff is the wait after the first failed attempt, doubled after
	// each (default 1s).
	Backoff time.Duration
	// Timeout bounds one attempt, handshake included (default 10s).
	Timeout time.Duration
	// Workers is how many deliveries run at once (default 4).
	Workers int
	// AllowPrivate lets notifications go to loopback, private and
	// link-local addresses (see Destinations).
	AllowPrivate bool
}

// Span is the longest one delivery can take, from its first attempt to
// its dead letter: MaxAttempts attempts of Timeout each and the back-offs
// between them. With the defaults, 5×10s + (1+2+4+8)s = 65s.
func (c Config) Span() time.Duration {
	_ = c.setDefaults()
	return time.Duration(c.MaxAttempts)*c.Timeout + c.Backoff*time.Duration(1<<(c.MaxAttempts-1)-1)
}

func (c *Config) setDefaults() error {
	c.Source = cmp.Or(c.Source, "/pixmill/gateway")
	c.MaxAttempts = cmp.Or(c.MaxAttempts, 5)
	c.Backoff = cmp.Or(c.Backoff, time.Second)
	c.Timeout = cmp.Or(c.Timeout, 10*time.Second)
	c.Workers = cmp.Or(c.Workers, 4)
	var errs []error
	if c.MaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("notify: max attempts must be at least 1, got %d", c.MaxAttempts))
	}
	if c.Backoff < 0 || c.Timeout < 0 || c.Workers < 1 {
		errs = append(errs, fmt.Errorf("notify: backoff (%s), timeout (%s) and workers (%d) must be positive", c.Backoff, c.Timeout, c.Workers))
	}
	return errors.Join(errs...)
}

// Deps are what a Notifier reaches outside itself.
type Deps struct {
	// Secret returns the owner's signing secret; required.
	Secret func(ctx context.Context, owner string) ([]byte, error)
	// DeadLetter keeps a notification that could not be delivered;
	// required.
	DeadLetter func(ctx context.Context, l Letter) error
	// Delivered, if set, is told of each notification its receiver
	// accepted.
	Delivered func(ctx context.Context, n Notification)
	// HTTPClient sends the requests (default: a client whose dialer
	// keeps to Config.AllowPrivate).
	HTTPClient *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
	// After waits before a retry (default time.After).
	After func(time.Duration) <-chan time.Time
}

// Notifier delivers notifications in the background. Close it to stop.
type Notifier struct {
	cfg  Config
	deps Deps

	queue  chan delivery
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type delivery struct {
	n       Notification
	e       cloudevents.Event
	attempt int
}

// New starts a Notifier, or says which setting is wrong.
func New(cfg Config, deps Deps) (*Notifier, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if deps.Secret == nil || deps.DeadLetter == nil {
		return nil, errors.New("notify: a secret source and a dead-letter store are required")
	}
	if deps.HTTPClient == nil {
		deps.HTTPClient = Client(cfg.AllowPrivate)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.After == nil {
		deps.After = time.After
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &Notifier{cfg: cfg, deps: deps, queue: make(chan delivery, 1024), ctx: ctx, cancel: cancel}
	for range cfg.Workers {
		n.wg.Add(1)
		go n.work()
	}
	return n, nil
}

// CheckURL says what is wrong with a notification URL, for the request
// that gives it: it must be an absolute http or https URL with a host, and,
// unless allowPrivate, the host must not be "localhost" or an address that
// is not public (Public). A host name is not resolved here: the dialer
// checks the addresses it resolves to at each attempt.
func CheckURL(raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return fmt.Errorf("notify.url: %q is not an http or https URL with a host", redact(raw))
	}
	if allowPrivate {
		return nil
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return fmt.Errorf("notify.url: %q is this machine, not a public address", redact(raw))
	}
	if ip, err := netip.ParseAddr(host); err == nil && !Public(ip) {
		return fmt.Errorf("notify.url: %s is a loopback, private or link-local address, not a public one", ip)
	}
	return nil
}

// Public reports whether ip is an address on the public internet: not
// loopback, private (RFC 1918, fc00::/7), link-local (which holds the
// cloud metadata service, 169.254.169.254), unspecified, multicast, or
// carrier-grade NAT (100.64.0.0/10).
func Public(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsGlobalUnicast() && !ip.IsPrivate() && !cgnat.Contains(ip)
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// Client is the HTTP client a Notifier sends with by default: unless
// allowPrivate, its dialer refuses every address that is not Public, after
// name resolution, so no host name leads it inside the network. It follows
// no redirects: a receiver answers, it does not send pixmill elsewhere.
func Client(allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if !allowPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("notify: dialling %q: %w", address, err)
			}
			if !Public(ap.Addr()) {
				return fmt.Errorf("notify: %s is not a public address (pixmill up --notify-allow-private allows it)", ap.Addr())
			}
			return nil
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = d.DialContext
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Notify queues n and returns at once; a full queue is an error to tell
// the caller, never a wait.
func (nf *Notifier) Notify(n Notification) error {
	if err := CheckURL(n.URL, nf.cfg.AllowPrivate); err != nil {
		return err
	}
	e := cloudevents.NewEvent()
	e.SetID(cmp.Or(n.ID, events.NewID()))
	e.SetSource(nf.cfg.Source)
	e.SetType(TypeJobFinished)
	e.SetSubject(n.Data.Job)
	e.SetTime(nf.deps.Now())
	if err := e.SetData(cloudevents.ApplicationJSON, n.Data); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	select {
	case nf.queue <- delivery{n: n, e: e, attempt: 1}:
		return nil
	default:
		return errors.New("notify: too many notifications waiting")
	}
}

// Close stops the workers; deliveries not yet made are dropped.
func (nf *Notifier) Close() {
	nf.cancel()
	nf.wg.Wait()
}

func (nf *Notifier) work() {
	defer nf.wg.Done()
	for {
		select {
		case <-nf.ctx.Done():
			return
		case d := <-nf.queue:
			nf.attempt(d)
		}
	}
}

// attempt makes one attempt at d, and schedules the next, or dead-letters
// it, without holding the worker through the back-off.
func (nf *Notifier) attempt(d delivery) {
	retry, err := nf.send(d)
	if err == nil {
		if nf.deps.Delivered != nil {
			nf.deps.Delivered(nf.ctx, d.n)
		}
		return
	}
	if !retry || d.attempt >= nf.cfg.MaxAttempts {
		l := Letter{Notification: d.n, EventID: d.e.ID(), Attempts: d.attempt, Reason: err.Error()}
		if dlErr := nf.deps.DeadLetter(nf.ctx, l); dlErr != nil && nf.ctx.Err() == nil {
			// The store failed: try the whole delivery again later rather
			// than lose it.
			d.attempt = nf.cfg.MaxAttempts - 1
		} else {
			return
		}
	}
	wait := nf.cfg.Backoff << (d.attempt - 1)
	d.attempt++
	nf.wg.Add(1)
	go func() {
		defer nf.wg.Done()
		select {
		case <-nf.ctx.Done():
		case <-nf.deps.After(wait):
			select {
			case nf.queue <- d:
			case <-nf.ctx.Done():
			}
		}
	}()
}

// send makes one attempt: the handshake, then the POST. It reports
// whether a failure is worth another attempt.
func (nf *Notifier) send(d delivery) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(nf.ctx, nf.cfg.Timeout)
	defer cancel()
	if retry, err := nf.handshake(ctx, d.n.URL); err != nil {
		return retry, err
	}
	secret, err := nf.deps.Secret(ctx, d.n.Data.Owner)
	if err != nil {
		return true, fmt.Errorf("the owner's secret: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.n.URL, nil)
	if err != nil {
		return false, err
	}
	if err := cehttp.WriteRequest(binding.WithForceBinary(ctx), binding.ToMessage(&d.e), req); err != nil {
		return false, err
	}
	req.Header.Set(SignatureHeader, Sign(secret, nf.deps.Now(), d.e.Data()))
	resp, err := nf.deps.HTTPClient.Do(req)
	if err != nil {
		return true, fmt.Errorf("POST %s: %w", redact(d.n.URL), bare(err))
	}
	resp.Body.Close()
	return answer("POST", d.n.URL, resp.StatusCode)
}

// handshake asks the receiver whether this gateway may send to it.
func (nf *Notifier) handshake(ctx context.Context, target string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodOptions, target, nil)
	if err != nil {
		return false, err
	}
	origin := nf.cfg.Source
	req.Header.Set("WebHook-Request-Origin", origin)
	resp, err := nf.deps.HTTPClient.Do(req)
	if err != nil {
		return true, fmt.Errorf("OPTIONS %s: %w", redact(target), bare(err))
	}
	resp.Body.Close()
	if retry, err := answer("OPTIONS", target, resp.StatusCode); err != nil {
		return retry, err
	}
	if allowed := resp.Header.Get("WebHook-Allowed-Origin"); allowed != origin && allowed != "*" {
		return false, fmt.Errorf("OPTIONS %s: the receiver allows origin %q, not %q", redact(target), allowed, origin)
	}
	return false, nil
}

// answer turns a status into the outcome of an attempt.
func answer(method, target string, status int) (bool, error) {
	switch {
	case status >= 200 && status < 300:
		return false, nil
	case status >= 500, status == http.StatusRequestTimeout, status == http.StatusTooManyRequests:
		return true, fmt.Errorf("%s %s: %d %s", method, redact(target), status, http.StatusText(status))
	}
	return false, fmt.Errorf("%s %s: %d %s, not retried", method, redact(target), status, http.StatusText(status))
}

// Sign is the Pixmill-Signature value of body sent at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// bare is err without the URL an *url.Error repeats in full.
func bare(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redact keeps a URL's query, which may hold a receiver's token, out of
// reasons and logs.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(a URL)"
	}
	u.RawQuery, u.User = "", nil
	return u.String()
}
