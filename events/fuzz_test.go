package events

import (
	"strings"
	"testing"

	"gocloud.dev/pubsub"
)

// FuzzFromMessage feeds arbitrary metadata and bodies to the decoder. It
// must never panic; an event it accepts must survive a round trip through
// ToMessage unchanged. Metadata arrives as "key=value" lines.
func FuzzFromMessage(f *testing.F) {
	f.Add("ce-specversion=1.0\nce-id=1\nce-source=/x\nce-type="+TypeTaskStarted+"\ncontent-type=application/json", []byte(`{"job":"j","task":"t","owner":"o","attempt":1}`))
	f.Add("content-type=application/cloudevents+json", []byte(`{"specversion":"1.0","id":"1","source":"/x","type":"t","data":{"a":1}}`))
	f.Add("ce-specversion=1.0\nce-id=1\nce-source=/x\nce-type=t\nce-time=2026-11-26T10:00:00Z\nce-traceparent=00-abc-def-01", []byte{0xff, 0x00})
	f.Add("ce-specversion=0.3\nce-id=", []byte(nil))
	f.Fuzz(func(t *testing.T, meta string, body []byte) {
		md := map[string]string{}
		for _, line := range strings.Split(meta, "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				md[k] = v
			}
		}
		e, err := FromMessage(&pubsub.Message{Metadata: md, Body: body})
		if err != nil {
			return
		}
		m, err := ToMessage(e)
		if err != nil {
			t.Fatalf("accepted %v but cannot encode it: %v", e, err)
		}
		back, err := FromMessage(m)
		if err != nil {
			t.Fatalf("round trip of %v failed: %v", e, err)
		}
		if back.ID() != e.ID() || back.Type() != e.Type() || back.Source() != e.Source() || string(back.Data()) != string(e.Data()) {
			t.Fatalf("round trip changed the event:\n%v\n%v", e, back)
		}
	})
}
