package events

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
)

// ErrInvalid marks every error about an event that cannot be read or does not
// follow the contract. Such an event never becomes valid by retrying.
var ErrInvalid = errors.New("invalid event")

// Data is implemented by the data types of pixmill's events.
type Data interface {
	Validate() error
	eventType() string
	taskID() string
}

func (TaskRequested) eventType() string { return TypeTaskRequested }
func (TaskStarted) eventType() string   { return TypeTaskStarted }
func (TaskCompleted) eventType() string { return TypeTaskCompleted }
func (TaskFailed) eventType() string    { return TypeTaskFailed }

func (t TaskRequested) taskID() string { return t.Task }
func (t TaskStarted) taskID() string   { return t.Task }
func (t TaskCompleted) taskID() string { return t.Task }
func (t TaskFailed) taskID() string    { return t.Task }

// New builds a validated event carrying data, with a fresh id, the type that
// belongs to data, the task id as subject and now as its time.
func New(source string, now time.Time, data Data) (cloudevents.Event, error) {
	if err := data.Validate(); err != nil {
		return cloudevents.Event{}, invalid("%s data: %v", data.eventType(), err)
	}
	e := cloudevents.NewEvent()
	e.SetID(NewID())
	e.SetSource(source)
	e.SetType(data.eventType())
	e.SetSubject(data.taskID())
	e.SetTime(now)
	if err := e.SetData(cloudevents.ApplicationJSON, data); err != nil {
		return cloudevents.Event{}, invalid("%s data: %v", data.eventType(), err)
	}
	return e, nil
}

// Decode reads e's data into into (a pointer to one of the data types) after
// checking that e has the matching type, and validates it. Fields that this
// version does not know are ignored, so producers can add fields without a
// new type version.
func Decode(e cloudevents.Event, into Data) error {
	if err := e.Validate(); err != nil {
		return invalid("%v", err)
	}
	if e.Type() != into.eventType() {
		return invalid("type %q, want %q", e.Type(), into.eventType())
	}
	if err := e.DataAs(into); err != nil {
		return invalid("%s data: %v", e.Type(), err)
	}
	if err := into.Validate(); err != nil {
		return invalid("%s data: %v", e.Type(), err)
	}
	return nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewID returns a new unguessable identifier (128 random bits, 26 lower-case
// base32 characters) for events, jobs, tasks and images.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms.
	return strings.ToLower(idEncoding.EncodeToString(b[:]))
}

// ValidID reports whether s has the shape of an id made by NewID. Callers use
// it to turn away malformed ids before they reach storage keys.
func ValidID(s string) bool {
	if len(s) != 26 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

type attemptKey struct{}

// WithAttempt records in ctx which delivery attempt of an event a handler is
// running (1 for the first). The delivery layer sets it from the broker's
// delivery count.
func WithAttempt(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, attemptKey{}, n)
}

// AttemptFrom returns the attempt recorded by WithAttempt, or 1.
func AttemptFrom(ctx context.Context) int {
	if n, ok := ctx.Value(attemptKey{}).(int); ok && n > 0 {
		return n
	}
	return 1
}
