package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/pixmill/pixmill/platform/api"
)

// Error is a request's missing, expired or invalid credential: the gateway
// answers 401. Reach it with errors.As, or let [WriteUnauthorized] do so.
type Error struct {
	// Code is RFC 6750's error code: "" when the request carried no
	// credential (the RFC asks for no code then), CodeInvalidToken when the
	// credential it carried is expired, revoked, malformed or not ours.
	Code string
	// Msg is the public text, fit to show to the caller; it never holds a
	// secret, an email address or a token.
	Msg string
	// Err is the cause, for logs, or nil.
	Err error
}

// CodeInvalidToken is RFC 6750's error code for a credential that is
// expired, revoked, malformed or otherwise invalid.
const CodeInvalidToken = "invalid_token"

// Error returns the public message followed by the cause.
func (e *Error) Error() string {
	if e.Err == nil {
		return "auth: " + e.Msg
	}
	return "auth: " + e.Msg + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func missing(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

func invalid(cause error, format string, args ...any) error {
	return &Error{Code: CodeInvalidToken, Msg: fmt.Sprintf(format, args...), Err: cause}
}

// Realm is the realm named in every challenge.
const Realm = "pixmill"

// WriteUnauthorized answers a request whose credential err rejected: 401, a
// WWW-Authenticate: Bearer challenge with RFC 6750's error and description
// when the request carried a credential, and the API's JSON error body. It
// reports false, writing nothing, when err is not an [*Error]: that failure
// is not the caller's credential, and is answered like any other.
func WriteUnauthorized(w http.ResponseWriter, err error) bool {
	var ae *Error
	if !errors.As(err, &ae) {
		return false
	}
	challenge := fmt.Sprintf("Bearer realm=%q", Realm)
	if ae.Code != "" {
		challenge += fmt.Sprintf(", error=%q, error_description=%q", ae.Code, quotable(ae.Msg))
	}
	w.Header().Set("WWW-Authenticate", challenge)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusUnauthorized)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(api.Error{Error: ae.Msg})
	return true
}

// quotable keeps what RFC 6750 allows in error_description: printable
// ASCII without '"' and '\'.
func quotable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return -1
		}
		return r
	}, s)
}
