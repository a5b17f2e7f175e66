package client

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/pixmill/pixmill/platform/api"
)

// APIError is a non-2xx answer from the server.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("server answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

// maxErrorText bounds how much of a body that is not pixmill's JSON (an
// HTML page from a proxy, say) ends up in a message meant for one line.
const maxErrorText = 200

// newAPIError builds the error for an answer with the given status and
// body. The server's {"error": "..."} message is used when there is one;
// otherwise the start of the body, and at least the status text, so the
// message is never empty.
func newAPIError(status int, body []byte) *APIError {
	var wire api.Error
	if json.Unmarshal(body, &wire) == nil && wire.Error != "" {
		return &APIError{Status: status, Message: wire.Error}
	}
	text := strings.Join(strings.Fields(strings.ToValidUTF8(string(body), "")), " ")
	if len(text) > maxErrorText {
		cut := maxErrorText
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "…"
	}
	if text == "" {
		text = http.StatusText(status)
	}
	if text == "" {
		text = "no message"
	}
	return &APIError{Status: status, Message: text}
}
