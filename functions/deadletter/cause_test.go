package deadletter

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pixmill/pixmill/events/fault"
)

func TestCauseOf(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	const (
		pubsubReason = "Pub/Sub gave up after 5 delivery attempts: the processor failed or stopped each time"
		knative500   = "Knative gave up delivering the request: the last attempt ended with HTTP 500 (Internal Server Error)"
	)
	tests := []struct {
		name string
		md   map[string]string
		want Cause
	}{
		{
			name: "pixmill's runner",
			md:   map[string]string{"ce-pixmilldlreason": "gave up after 4 attempts: the bucket is unreachable", "ce-pixmilldlkind": "transient", "ce-pixmilldlattempts": "4"},
			want: Cause{Reason: "gave up after 4 attempts: the bucket is unreachable", Detail: "gave up after 4 attempts: the bucket is unreachable", Kind: fault.Transient, Attempts: 4},
		},
		{
			name: "pixmill's runner wins over the broker",
			md:   map[string]string{"ce-pixmilldlreason": "the picture is broken", "ce-pixmilldlkind": "permanent", "ce-pixmilldlattempts": "1", "CloudPubSubDeadLetterSourceDeliveryCount": "5"},
			want: Cause{Reason: "the picture is broken", Detail: "the picture is broken", Kind: fault.Permanent, Attempts: 1},
		},
		{
			name: "pixmill's runner with an unknown kind",
			md:   map[string]string{"ce-pixmilldlreason": "odd", "ce-pixmilldlkind": "weird"},
			want: Cause{Reason: "odd", Detail: "odd", Kind: fault.Transient},
		},
		{
			name: "Knative, 500 with a body",
			md:   map[string]string{"ce-knativeerrorcode": "500", "ce-knativeerrordest": "http://edit.pixmill.svc.cluster.local", "ce-knativeerrordata": b64("the function failed unexpectedly (boom)\n")},
			want: Cause{
				Reason: knative500,
				Detail: knative500 + ": the function failed unexpectedly (boom) (subscriber http://edit.pixmill.svc.cluster.local)",
				Kind:   fault.Transient,
			},
		},
		{
			name: "Knative, unreachable subscriber",
			md:   map[string]string{"ce-knativeerrorcode": "500", "ce-knativeerrordata": b64(`dispatch error: Post "http://edit.pixmill.svc.cluster.local": dial tcp: no such host`)},
			want: Cause{
				Reason: knative500,
				Detail: knative500 + `: dispatch error: Post "http://edit.pixmill.svc.cluster.local": dial tcp: no such host`,
				Kind:   fault.Transient,
			},
		},
		{
			name: "Knative, 422 is permanent",
			md:   map[string]string{"ce-knativeerrorcode": "422", "ce-knativeerrordata": ""},
			want: Cause{
				Reason: "Knative gave up delivering the request: the last attempt ended with HTTP 422 (Unprocessable Entity)",
				Detail: "Knative gave up delivering the request: the last attempt ended with HTTP 422 (Unprocessable Entity)",
				Kind:   fault.Permanent,
			},
		},
		{
			name: "Knative, 413 and data that is not base64",
			md:   map[string]string{"ce-knativeerrorcode": "413", "ce-knativeerrordata": "too\tbig\x00!"},
			want: Cause{
				Reason: "Knative gave up delivering the request: the last attempt ended with HTTP 413 (Request Entity Too Large)",
				Detail: "Knative gave up delivering the request: the last attempt ended with HTTP 413 (Request Entity Too Large): too big !",
				Kind:   fault.LimitExceeded,
			},
		},
		{
			name: "Knative, destination only",
			md:   map[string]string{"ce-knativeerrordest": "http://edit"},
			want: Cause{
				Reason: "Knative gave up delivering the request after repeated failures",
				Detail: "Knative gave up delivering the request after repeated failures (subscriber http://edit)",
				Kind:   fault.Transient,
			},
		},
		{
			name: "Pub/Sub dead-letter policy",
			md: map[string]string{
				"CloudPubSubDeadLetterSourceDeliveryCount":       "5",
				"CloudPubSubDeadLetterSourceSubscription":        "projects/p/subscriptions/pixmill-requests",
				"CloudPubSubDeadLetterSourceSubscriptionProject": "p",
				"CloudPubSubDeadLetterSourceTopicPublishTime":    "2026-11-26T09:00:00.000Z",
			},
			want: Cause{Reason: pubsubReason, Detail: pubsubReason + " (subscription projects/p/subscriptions/pixmill-requests)", Kind: fault.Transient, Attempts: 5},
		},
		{
			name: "Pub/Sub without a count",
			md:   map[string]string{"CloudPubSubDeadLetterSourceSubscription": "projects/p/subscriptions/s"},
			want: Cause{
				Reason: "Pub/Sub gave up after repeated delivery attempts: the processor failed or stopped each time",
				Detail: "Pub/Sub gave up after repeated delivery attempts: the processor failed or stopped each time (subscription projects/p/subscriptions/s)",
				Kind:   fault.Transient,
			},
		},
		{
			name: "RabbitMQ delivery limit",
			md:   map[string]string{"x-first-death-reason": "delivery_limit", "x-first-death-queue": "pixmill.requests", "x-death": "[map[count:1 reason:delivery_limit]]"},
			want: Cause{
				Reason: "RabbitMQ gave up after its delivery limit: the processor failed or stopped each time",
				Detail: "RabbitMQ gave up after its delivery limit: the processor failed or stopped each time (queue pixmill.requests)",
				Kind:   fault.Transient,
			},
		},
		{
			name: "RabbitMQ, another reason",
			md:   map[string]string{"x-first-death-reason": "expired"},
			want: Cause{
				Reason: "RabbitMQ parked the request: it waited in the queue longer than its time to live",
				Detail: "RabbitMQ parked the request: it waited in the queue longer than its time to live",
				Kind:   fault.Transient,
			},
		},
		{
			name: "nobody says",
			md:   map[string]string{"ce-id": "x", "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
			want: Cause{Reason: "parked by the broker after repeated failures", Detail: "parked by the broker after repeated failures", Kind: fault.Transient},
		},
		{
			name: "no metadata at all",
			want: Cause{Reason: "parked by the broker after repeated failures", Detail: "parked by the broker after repeated failures", Kind: fault.Transient},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, CauseOf(tt.md)); diff != "" {
				t.Errorf("CauseOf (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKnativeDataIsShortened(t *testing.T) {
	long := strings.Repeat("é", 1024)
	got := CauseOf(map[string]string{"ce-knativeerrorcode": "503", "ce-knativeerrordata": base64.StdEncoding.EncodeToString([]byte(long))}).Detail
	if _, data, _ := strings.Cut(got, "): "); len([]rune(data)) != 301 || !strings.HasSuffix(data, "…") {
		t.Errorf("detail %q: want the body cut to 300 characters and an ellipsis", got)
	}
}
