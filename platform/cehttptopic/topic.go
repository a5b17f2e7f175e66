package cehttptopic

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/binding"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"gocloud.dev/gcerrors"
	"gocloud.dev/pubsub"
	"gocloud.dev/pubsub/batcher"
	"gocloud.dev/pubsub/driver"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/platform/topicdriver"
)

// DefaultTimeout bounds each attempt when neither the URL nor TopicOptions
// set a timeout.
const DefaultTimeout = time.Minute

// maxInFlight is how many requests a topic has open at once. Each message
// is its own request, so a batch would only queue events behind each
// other's round trips, and a retryable failure would send the whole batch
// again; concurrency comes from the batcher's handlers instead.
const maxInFlight = 64

var sendBatcherOpts = &batcher.Options{MaxBatchSize: 1, MaxHandlers: maxInFlight}

// TopicOptions are the settings of a topic opened with OpenTopic.
type TopicOptions struct {
	// Client sends the requests. Nil is a client shared by the package's
	// topics that keeps a connection per request in flight to each host and
	// follows no redirects. A client of your own that follows redirects
	// turns a POST answered 301, 302 or 303 into a GET without the event.
	Client *http.Client
	// Timeout bounds each attempt; zero is DefaultTimeout.
	Timeout time.Duration
}

// OpenTopic returns a topic that POSTs every message to target as a
// CloudEvent (see the package documentation).
func OpenTopic(target *url.URL, opts *TopicOptions) (*pubsub.Topic, error) {
	t, err := openTopic(target, opts)
	if err != nil {
		return nil, err
	}
	return pubsub.NewTopic(t, sendBatcherOpts), nil
}

func openTopic(target *url.URL, opts *TopicOptions) (*topic, error) {
	if target == nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return nil, fmt.Errorf("cehttptopic: %s is not an http or https URL with a host", redacted(target))
	}
	t := &topic{url: *target, client: sharedClient(), timeout: DefaultTimeout}
	if t.url.Path == "" {
		t.url.Path = "/"
	}
	if opts != nil {
		if opts.Client != nil {
			t.client = opts.Client
		}
		if opts.Timeout < 0 {
			return nil, fmt.Errorf("cehttptopic: timeout %s is negative", opts.Timeout)
		}
		if opts.Timeout > 0 {
			t.timeout = opts.Timeout
		}
	}
	return t, nil
}

// sharedClient is the client of every topic opened without one, so that
// topics posting to the same receiver share its connections. The default
// transport keeps only two idle connections per host, which would have 62
// of 64 concurrent requests dial anew each time.
var sharedClient = sync.OnceValue(func() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = maxInFlight
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
})

type topic struct {
	url     url.URL
	client  *http.Client
	timeout time.Duration
}

var _ driver.Topic = (*topic)(nil)

// SendBatch sends the messages one after the other; with the batcher's
// options a batch holds one message.
func (t *topic) SendBatch(ctx context.Context, dms []*driver.Message) error {
	return topicdriver.SendEach(ctx, dms, t.send)
}

func (t *topic) send(ctx context.Context, dm *driver.Message) error {
	e, err := events.FromMessage(&pubsub.Message{Body: dm.Body, Metadata: dm.Metadata})
	if err != nil {
		return &notEventError{err: err}
	}
	attempt, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(attempt, http.MethodPost, t.url.String(), nil)
	if err != nil {
		return err
	}
	if err := cehttp.WriteRequest(binding.WithForceBinary(attempt), binding.ToMessage(&e), req); err != nil {
		return &notEventError{err: err}
	}
	if err := topicdriver.BeforeSend(dm, req); err != nil {
		return err
	}
	res, err := t.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			// The topic is shutting down: context errors pass unchanged.
			return ctx.Err()
		}
		return &requestError{url: t.url.Redacted(), timeout: t.timeout, err: err}
	}
	line := readAndClose(res.Body)
	if res.StatusCode/100 != 2 {
		return &StatusError{URL: t.url.Redacted(), StatusCode: res.StatusCode, Body: line, Location: res.Header.Get("Location")}
	}
	return topicdriver.AfterSend(dm, res)
}

// maxBodyRead is how much of a response is read: enough for a reason, and
// reading what is left of a small body lets its connection be used again.
const maxBodyRead = 64 << 10

// maxLine is the longest reason kept from a response body.
const maxLine = 200

// readAndClose returns the first line of body, trimmed and at most maxLine
// bytes, reads on up to maxBodyRead and closes it.
func readAndClose(body io.ReadCloser) string {
	defer body.Close()
	r := bufio.NewReader(io.LimitReader(body, maxBodyRead))
	line, _ := r.ReadString('\n')
	_, _ = io.Copy(io.Discard, r)
	line = strings.TrimSpace(line)
	if len(line) > maxLine {
		line = strings.ToValidUTF8(line[:maxLine], "") + "…"
	}
	return line
}

// IsRetryable follows the Knative data-plane contract (see the package
// documentation).
func (t *topic) IsRetryable(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		_, retry := classify(se.StatusCode)
		return retry
	}
	var re *requestError
	return errors.As(err, &re)
}

// As gives nothing: the topic has no driver-specific type worth exposing.
func (t *topic) As(any) bool { return false }

// ErrorAs gives a *StatusError.
func (t *topic) ErrorAs(err error, i any) bool {
	p, ok := i.(**StatusError)
	if !ok {
		return false
	}
	return errors.As(err, p)
}

func (t *topic) ErrorCode(err error) gcerrors.ErrorCode {
	var se *StatusError
	var re *requestError
	var ne *notEventError
	switch {
	case errors.As(err, &se):
		code, _ := classify(se.StatusCode)
		return code
	case errors.As(err, &re):
		if re.timedOut() {
			return gcerrors.DeadlineExceeded
		}
		return gcerrors.Unknown
	case errors.As(err, &ne):
		return gcerrors.InvalidArgument
	case errors.Is(err, context.Canceled):
		return gcerrors.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return gcerrors.DeadlineExceeded
	}
	return gcerrors.Unknown
}

// Close does nothing: the shared client's idle connections close by
// themselves, and a client of the caller's is the caller's.
func (t *topic) Close() error { return nil }

func redacted(u *url.URL) string {
	if u == nil {
		return "no URL"
	}
	return fmt.Sprintf("%q", u.Redacted())
}
