package events

import (
	"context"
	"encoding/json"
	"mime"
	"strings"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/types"
	"gocloud.dev/pubsub"
)

// Metadata keys of the binary content mode.
const (
	attrPrefix     = "ce-"
	keyContentType = "content-type"
)

// structuredType is the media type of the structured content mode.
const structuredType = "application/cloudevents+json"

// ToMessage maps e to a pubsub message in binary content mode.
func ToMessage(e cloudevents.Event) (*pubsub.Message, error) {
	if err := e.Validate(); err != nil {
		return nil, invalid("%v", err)
	}
	md := map[string]string{
		"ce-specversion": e.SpecVersion(),
		"ce-id":          e.ID(),
		"ce-source":      e.Source(),
		"ce-type":        e.Type(),
	}
	if v := e.Subject(); v != "" {
		md["ce-subject"] = v
	}
	if t := e.Time(); !t.IsZero() {
		md["ce-time"] = types.FormatTime(t)
	}
	if v := e.DataSchema(); v != "" {
		md["ce-dataschema"] = v
	}
	if v := e.DataContentType(); v != "" {
		md[keyContentType] = v
	}
	for name, v := range e.Extensions() {
		s, err := types.Format(v)
		if err != nil {
			return nil, invalid("extension %s: %v", name, err)
		}
		md[attrPrefix+name] = s
	}
	return &pubsub.Message{Body: e.Data(), Metadata: md}, nil
}

// FromMessage reads the event carried by m, in binary or structured content
// mode. Missing required attributes are named in the error.
func FromMessage(m *pubsub.Message) (cloudevents.Event, error) {
	if isStructured(m.Metadata[keyContentType]) {
		var e cloudevents.Event
		if err := json.Unmarshal(m.Body, &e); err != nil {
			return cloudevents.Event{}, invalid("structured event: %v", err)
		}
		if err := e.Validate(); err != nil {
			return cloudevents.Event{}, invalid("%v", err)
		}
		return e, nil
	}
	return FromAttributes(m.Metadata, m.Body)
}

// FromAttributes builds an event from binary-mode attributes ("ce-" keys, case
// insensitive, and "content-type") and its data. Transports other than pubsub
// (HTTP headers, a Pub/Sub push envelope) use it too.
func FromAttributes(attrs map[string]string, data []byte) (cloudevents.Event, error) {
	e := cloudevents.NewEvent()
	seen := map[string]bool{}
	for k, v := range attrs {
		k = strings.ToLower(k)
		if k == keyContentType {
			e.SetDataContentType(v)
			continue
		}
		name, ok := strings.CutPrefix(k, attrPrefix)
		if !ok {
			continue
		}
		seen[name] = true
		switch name {
		case "specversion":
			if v != cloudevents.VersionV1 {
				return cloudevents.Event{}, invalid("ce-specversion %q is not supported (want %s)", v, cloudevents.VersionV1)
			}
		case "id":
			e.SetID(v)
		case "source":
			e.SetSource(v)
		case "type":
			e.SetType(v)
		case "subject":
			e.SetSubject(v)
		case "dataschema":
			e.SetDataSchema(v)
		case "time":
			t, err := types.ParseTime(v)
			if err != nil {
				return cloudevents.Event{}, invalid("ce-time %q: %v", v, err)
			}
			e.SetTime(t)
		default:
			if err := e.Context.SetExtension(name, v); err != nil {
				return cloudevents.Event{}, invalid("ce-%s: %v", name, err)
			}
		}
	}
	for _, name := range []string{"specversion", "id", "source", "type"} {
		if !seen[name] {
			return cloudevents.Event{}, invalid("attribute ce-%s is missing", name)
		}
	}
	if len(data) > 0 {
		e.DataEncoded = data
	}
	if err := e.Validate(); err != nil {
		return cloudevents.Event{}, invalid("%v", err)
	}
	return e, nil
}

func isStructured(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == structuredType
}

// Send publishes e on t in binary content mode, with the trace context of
// ctx as its distributed-tracing attributes (see ExtTraceParent).
func Send(ctx context.Context, t *pubsub.Topic, e cloudevents.Event) error {
	m, err := ToMessage(e)
	if err != nil {
		return err
	}
	injectTrace(ctx, m.Metadata)
	return t.Send(ctx, m)
}

// Attributes added to a message parked on the dead-letter topic, as
// CloudEvents extensions (so they travel as ce- metadata like the others).
const (
	ExtDeadLetterReason   = "pixmilldlreason"
	ExtDeadLetterKind     = "pixmilldlkind"
	ExtDeadLetterAttempts = "pixmilldlattempts"
)
