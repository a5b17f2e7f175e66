package cehttptopic

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"gocloud.dev/gcerrors"
)

// StatusError is an answer other than 2xx.
type StatusError struct {
	// URL is the receiver's, with any password redacted.
	URL        string
	StatusCode int
	// Body is the first line of the response body, trimmed and cut to 200
	// bytes: where Knative's components and pixmill's functions say why.
	Body string
	// Location is the Location header of a redirect.
	Location string
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("cehttptopic: POST %s: %d %s", e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	if e.StatusCode/100 == 3 {
		msg += fmt.Sprintf(" (redirects are not followed: use the URL it points to, %q)", e.Location)
	}
	return msg
}

// classify gives the error code of a status and whether it is worth another
// try; the table is in the package documentation.
func classify(status int) (code gcerrors.ErrorCode, retry bool) {
	switch {
	case status/100 == 2:
		return gcerrors.OK, false
	case status == http.StatusNotFound:
		return gcerrors.NotFound, true
	case status == http.StatusRequestTimeout, status == http.StatusGatewayTimeout:
		return gcerrors.DeadlineExceeded, true
	case status == http.StatusTooManyRequests:
		return gcerrors.ResourceExhausted, true
	case status == http.StatusConflict, status/100 == 5:
		// gcerrors has neither Aborted nor Unavailable.
		return gcerrors.Unknown, true
	case status == http.StatusBadRequest, status == http.StatusRequestEntityTooLarge,
		status == http.StatusUnsupportedMediaType, status == http.StatusUnprocessableEntity:
		return gcerrors.InvalidArgument, false
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return gcerrors.PermissionDenied, false
	}
	return gcerrors.FailedPrecondition, false
}

// requestError is a request that got no answer: the receiver could not be
// reached, the connection broke, or the attempt timed out.
type requestError struct {
	url     string
	timeout time.Duration
	err     error
}

func (e *requestError) Error() string {
	if e.timedOut() {
		return fmt.Sprintf("cehttptopic: POST %s: no answer within %s (the timeout parameter)", e.url, e.timeout)
	}
	return fmt.Sprintf("cehttptopic: POST %s: %v", e.url, e.err)
}

func (e *requestError) Unwrap() error { return e.err }

func (e *requestError) timedOut() bool { return errors.Is(e.err, context.DeadlineExceeded) }

// notEventError is a message that holds no valid CloudEvent: nothing was
// sent, and nothing ever will be.
type notEventError struct{ err error }

func (e *notEventError) Error() string {
	return fmt.Sprintf("cehttptopic: the message is not a CloudEvent: %v", e.err)
}

func (e *notEventError) Unwrap() error { return e.err }
