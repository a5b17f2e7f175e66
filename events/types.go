package events

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Prefix is the reverse-DNS namespace of every pixmill event type.
const Prefix = "dev.pixmill."

// The event types of version 1 of the contract.
const (
	TypeTaskRequested = Prefix + "task.requested.v1"
	TypeTaskStarted   = Prefix + "task.started.v1"
	TypeTaskCompleted = Prefix + "task.completed.v1"
	TypeTaskFailed    = Prefix + "task.failed.v1"
)

// Sources name the producer of an event (the CloudEvents "source" attribute).
const (
	SourceGateway = "/pixmill/gateway"
	SourceEdit    = "/pixmill/functions/edit"
	SourceRunner  = "/pixmill/runner"
)

// Output formats a task may ask for; "" keeps the original's format where it
// can be saved.
var OutputFormats = []string{"jpeg", "png", "webp", "avif", "heif", "gif", "tiff"}

// TaskRequested asks for one picture to be edited: read Original, apply Ops in
// order, write the result at Output.Key.
type TaskRequested struct {
	Job   string `json:"job"`
	Task  string `json:"task"`
	Owner string `json:"owner"`
	Image string `json:"image"`
	// Original is the bucket key of the uploaded picture.
	Original string `json:"original"`
	// Ops are the edit steps, each a flat JSON object {"op":"name", fields…},
	// already validated and with defaults filled by the gateway.
	Ops    []json.RawMessage `json:"ops"`
	Output Output            `json:"output"`
	// Inputs maps the other pictures the ops read (a watermark's image id)
	// to their bucket keys.
	Inputs map[string]string `json:"inputs,omitempty"`
}

// Output says where and how a task's result is stored.
type Output struct {
	// Key is the bucket key of the result. It is derived from the job and
	// task ids only, so a request processed twice writes the same object.
	Key     string `json:"key"`
	Format  string `json:"format,omitempty"`
	Quality int    `json:"quality,omitempty"`
	// Metadata is MetadataStrip (or empty, as in requests from before it
	// existed) or MetadataKeep.
	Metadata string `json:"metadata,omitempty"`
}

// What a result keeps of its original's metadata.
const (
	// MetadataStrip drops EXIF (the camera, the time, the GPS position),
	// XMP and IPTC; the orientation and the colours stay right, in the
	// pixels and an sRGB profile. The default.
	MetadataStrip = "strip"
	// MetadataKeep keeps them, for photographers' own archives.
	MetadataKeep = "keep"
)

// TaskStarted tells that a processor took a task (one attempt). pixmill's
// edit function records it in the task's records itself rather than
// publishing it (see package edit); the results function still records one
// that arrives, from a processor that publishes it.
type TaskStarted struct {
	Job     string `json:"job"`
	Task    string `json:"task"`
	Owner   string `json:"owner"`
	Attempt int    `json:"attempt"`
}

// TaskCompleted tells that a task's result is stored.
type TaskCompleted struct {
	Job     string `json:"job"`
	Task    string `json:"task"`
	Owner   string `json:"owner"`
	Attempt int    `json:"attempt"`
	Result  Result `json:"result"`
}

// Result describes a stored result picture.
type Result struct {
	Key         string `json:"key"`
	Format      string `json:"format"`
	ContentType string `json:"content_type"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Bytes       int64  `json:"bytes"`
}

// TaskFailed tells that a task ended without a result, and why.
type TaskFailed struct {
	Job     string `json:"job"`
	Task    string `json:"task"`
	Owner   string `json:"owner"`
	Attempt int    `json:"attempt"`
	// Kind is the error kind (permanent, limit_exceeded, …) that decided
	// the task was not retried.
	Kind string `json:"kind"`
	// Reason is a message fit to show the picture's owner.
	Reason string `json:"reason"`
	// DeadLettered is true when the request went to the dead-letter topic
	// after its last attempt.
	DeadLettered bool `json:"dead_lettered,omitempty"`
}

// Validate reports the first missing or malformed field.
func (t TaskRequested) Validate() error {
	if err := required("job", t.Job, "task", t.Task, "owner", t.Owner, "image", t.Image, "original", t.Original, "output.key", t.Output.Key); err != nil {
		return err
	}
	if len(t.Ops) == 0 {
		return fmt.Errorf("ops: at least one op is required")
	}
	for i, op := range t.Ops {
		var head struct {
			Op string `json:"op"`
		}
		if err := json.Unmarshal(op, &head); err != nil || head.Op == "" {
			return fmt.Errorf("ops[%d]: not an object with an \"op\" name", i)
		}
	}
	if t.Output.Format != "" && !slices.Contains(OutputFormats, t.Output.Format) {
		return fmt.Errorf("output.format: %q is not one of %s", t.Output.Format, strings.Join(OutputFormats, ", "))
	}
	if t.Output.Quality < 0 || t.Output.Quality > 100 {
		return fmt.Errorf("output.quality: must be between 0 and 100, got %d", t.Output.Quality)
	}
	if m := t.Output.Metadata; m != "" && m != MetadataStrip && m != MetadataKeep {
		return fmt.Errorf("output.metadata: must be %q or %q, got %q", MetadataStrip, MetadataKeep, m)
	}
	return nil
}

// Validate reports the first missing or malformed field.
func (t TaskStarted) Validate() error {
	if err := required("job", t.Job, "task", t.Task, "owner", t.Owner); err != nil {
		return err
	}
	return positive("attempt", t.Attempt)
}

// Validate reports the first missing or malformed field.
func (t TaskCompleted) Validate() error {
	if err := required("job", t.Job, "task", t.Task, "owner", t.Owner, "result.key", t.Result.Key, "result.format", t.Result.Format); err != nil {
		return err
	}
	if t.Result.Width <= 0 || t.Result.Height <= 0 {
		return fmt.Errorf("result: size must be positive, got %dx%d", t.Result.Width, t.Result.Height)
	}
	return positive("attempt", t.Attempt)
}

// Validate reports the first missing or malformed field.
func (t TaskFailed) Validate() error {
	return required("job", t.Job, "task", t.Task, "owner", t.Owner, "kind", t.Kind, "reason", t.Reason)
}

// required takes name, value pairs and names the first empty one.
func required(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			return fmt.Errorf("%s: required", pairs[i])
		}
	}
	return nil
}

func positive(name string, v int) error {
	if v < 1 {
		return fmt.Errorf("%s: must be at least 1, got %d", name, v)
	}
	return nil
}
