package cehttptopic

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"gocloud.dev/pubsub"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		raw         string
		wantTarget  string
		wantTimeout time.Duration
		wantErr     string
	}{
		{raw: "http://broker-ingress.knative-eventing.svc.cluster.local/pixmill/pixmill", wantTarget: "http://broker-ingress.knative-eventing.svc.cluster.local/pixmill/pixmill"},
		{raw: "https://sink.example/?timeout=10m", wantTarget: "https://sink.example/", wantTimeout: 10 * time.Minute},
		{raw: "http://127.0.0.1:8081?", wantTarget: "http://127.0.0.1:8081"},
		{raw: "http://h/?timeout=0s", wantErr: `timeout "0s" is not a positive duration`},
		{raw: "http://h/?timeout=soon", wantErr: `timeout "soon" is not a positive duration`},
		{raw: "http://h/?timeout=1s&timeout=2s", wantErr: "parameter timeout is given 2 times"},
		{raw: "http://h/?key=abc", wantErr: `unknown parameter key="abc"`},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			u, err := url.Parse(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			target, opts, err := parseURL(u)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if target.String() != tt.wantTarget || opts.Timeout != tt.wantTimeout {
				t.Errorf("target %s timeout %s, want %s %s", target, opts.Timeout, tt.wantTarget, tt.wantTimeout)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		open    func() error
		wantErr string
	}{
		{"no host", func() error { _, err := pubsub.OpenTopic(ctx, "http:///path"); return err }, "not an http or https URL with a host"},
		{"unknown parameter", func() error { _, err := pubsub.OpenTopic(ctx, "https://h/?retries=3"); return err }, "unknown parameter retries"},
		{"a subscription", func() error { _, err := pubsub.OpenSubscription(ctx, "http://h/"); return err }, "there is no subscription to pull from it"},
		{"another scheme", func() error { _, err := OpenTopic(&url.URL{Scheme: "ftp", Host: "h"}, nil); return err }, "not an http or https URL"},
		{"a negative timeout", func() error {
			_, err := OpenTopic(&url.URL{Scheme: "http", Host: "h"}, &TopicOptions{Timeout: -time.Second})
			return err
		}, "timeout -1s is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.open(); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err %v, want %q", err, tt.wantErr)
			}
		})
	}
}
