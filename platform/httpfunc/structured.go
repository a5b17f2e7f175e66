package httpfunc

import (
	"errors"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/binding/format"
	"github.com/cloudevents/sdk-go/v2/event"
)

// The Functions Framework hands a structured-mode request
// (Content-Type: application/cloudevents+json) to the CloudEvents SDK,
// which reads it with the format registered for that media type before any
// function runs. The SDK's own JSON format returns a plain error for a body
// that is not a JSON CloudEvent, and the SDK answers 500 to plain errors:
// Knative and Pub/Sub would retry a request that can never be read. It
// answers 400 to an event.ValidationError, so the format registered here
// reads exactly as the SDK's does and reports an unreadable body as one.
//
// Registering a format is the SDK's documented extension point (package
// format: "Other formats may be added"); it replaces the built-in entry for
// the media type in this process only, at init, before any request is read.
// Writing is unchanged.
func init() { format.Add(structuredJSON{}) }

type structuredJSON struct{}

func (structuredJSON) MediaType() string { return format.JSON.MediaType() }

func (structuredJSON) Marshal(e *event.Event) ([]byte, error) { return format.JSON.Marshal(e) }

func (structuredJSON) Unmarshal(b []byte, e *event.Event) error {
	err := format.JSON.Unmarshal(b, e)
	if err == nil {
		return nil
	}
	var v event.ValidationError
	if errors.As(err, &v) {
		return err
	}
	return event.ValidationError{"body": fmt.Errorf("not a CloudEvent in the JSON structured format: %w", err)}
}
