package auth_test

import (
	"strings"
	"testing"

	"github.com/pixmill/pixmill/platform/auth"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		addr string
		mode auth.Mode
		want string // in the error; "" for none
	}{
		{"127.0.0.1:8080", auth.ModeLoopback, ""},
		{"127.0.0.1:0", "", ""},
		{"127.1.2.3:8080", auth.ModeLoopback, ""},
		{"[::1]:8080", auth.ModeLoopback, ""},
		{"localhost:8080", auth.ModeLoopback, ""},
		{"0.0.0.0:8080", auth.ModeLoopback, "--auth keys|oidc|proxy|iap, or --auth none"},
		{":8080", auth.ModeLoopback, "every interface"},
		{"[::]:8080", "", "--auth keys|oidc|proxy|iap"},
		{"192.168.1.10:8080", auth.ModeLoopback, "--auth none to accept"},
		{"[::ffff:10.0.0.1]:8080", auth.ModeLoopback, "not loopback"},
		{"pixmill.internal:8080", auth.ModeLoopback, "not loopback"},
		{"0.0.0.0:8080", auth.ModeNone, ""},
		{"0.0.0.0:8080", auth.ModeKeys, ""},
		{"0.0.0.0:8080", auth.ModeOIDC, ""},
		{"0.0.0.0:8080", auth.ModeProxy, ""},
		{"0.0.0.0:8080", auth.ModeIAP, ""},
		{"8080", auth.ModeLoopback, "not host:port"},
	}
	for _, tt := range tests {
		t.Run(tt.addr+"/"+string(tt.mode), func(t *testing.T) {
			err := auth.Check(tt.addr, tt.mode)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Check = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Check = %v, want an error with %q", err, tt.want)
			}
		})
	}
}
