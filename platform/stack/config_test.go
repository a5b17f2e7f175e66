package stack_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pixmill/pixmill/platform/auth"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// TestQueueShapes checks which combinations of queue URLs up accepts: none
// (the embedded JetStream), all four (workers here), or a requests topic
// without subscriptions (the gateway alone).
func TestQueueShapes(t *testing.T) {
	const (
		broker = "http://broker-ingress.knative-eventing.svc.cluster.local/pixmill/pixmill"
		js     = "jetstream://127.0.0.1:4222/"
	)
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{name: "embedded"},
		{name: "all four", args: []string{"--requests-topic", js + "r", "--requests-subscription", js + "r?consumer=w", "--responses-topic", js + "s", "--responses-subscription", js + "s?consumer=r"}},
		{name: "gateway only", args: []string{"--requests-topic", broker}},
		{name: "gateway only on a configuration shared with the functions", env: map[string]string{
			"PIXMILL_REQUESTS_TOPIC": broker, "PIXMILL_RESPONSES_TOPIC": broker, "PIXMILL_DEADLETTER_TOPIC": js + "d",
		}},
		{name: "gateway only with workers", args: []string{"--requests-topic", broker, "--workers", "2"},
			wantErr: "workers: 2, but with no --requests-subscription there is nothing for workers to pull"},
		{name: "gateway only with a dead-letter subscription", args: []string{"--requests-topic", broker, "--deadletter-subscription", js + "d?consumer=d"},
			wantErr: "deadletter-subscription: \"jetstream://127.0.0.1:4222/d?consumer=d\" is set, but with no --requests-subscription"},
		{name: "a subscription alone", args: []string{"--requests-subscription", js + "r?consumer=w"},
			wantErr: "queues: --requests-topic, --responses-topic, --responses-subscription missing"},
		{name: "workers without results", args: []string{"--requests-topic", js + "r", "--requests-subscription", js + "r?consumer=w"},
			wantErr: "queues: --responses-topic, --responses-subscription missing"},
		{name: "results without workers", args: []string{"--requests-topic", broker, "--responses-subscription", js + "s?consumer=r"},
			wantErr: "queues: --requests-subscription, --responses-topic missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseUp(tt.args, tt.env)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatal(err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("err %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestAuthOnOpenAddresses: on loopback up needs no sign-in; on any other
// address it refuses to start until authentication is chosen, naming the
// flags, and --auth none is an explicit choice.
func TestAuthOnOpenAddresses(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "loopback", args: []string{"--addr", "127.0.0.1:0"}},
		{name: "loopback IPv6", args: []string{"--addr", "[::1]:8080"}},
		{name: "every address, no auth", args: []string{"--addr", "0.0.0.0:8080"}, wantErr: "--auth keys"},
		{name: "a LAN address, no auth", args: []string{"--addr", "192.0.2.10:8080"}, wantErr: "--auth none"},
		{name: "every address, keys", args: []string{"--addr", "0.0.0.0:8080", "--auth", "keys"}},
		{name: "every address, none", args: []string{"--addr", ":8080", "--auth", "none"}},
		{name: "oidc without an issuer", args: []string{"--addr", "0.0.0.0:8080", "--auth", "oidc"}, wantErr: "oidc-issuer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseUp(tt.args, nil)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatal(err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("err %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestUpRefusesOpenAddressWithoutAuth runs the real binary: `pixmill up`
// on an address others can reach, with no authentication, exits at once,
// naming the flags to add, before it listens or stores anything; with
// --auth none it starts and warns.
func TestUpRefusesOpenAddressWithoutAuth(t *testing.T) {
	bin := stacktest.Binary(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	_ = ln.Close()
	for _, addr := range []string{"0.0.0.0:" + port, ":" + port} {
		t.Run(addr, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "up", "--data", data, "--addr", addr)
			cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, auth.EnvAuth+"=") })
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("pixmill up --addr %s: %v, want exit status 1\n%s", addr, err, stderr.String())
			}
			for _, want := range []string{"not loopback", "--auth keys|oidc|proxy|iap", "--auth none"} {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("the refusal does not say %q:\n%s", want, stderr.String())
				}
			}
			if _, err := os.Stat(data); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the refused start made its data directory: %v", err)
			}
		})
	}
	t.Run("--auth none", func(t *testing.T) {
		p := stacktest.Up(t, t.TempDir(), "--addr", "0.0.0.0:0", "--auth", "none", "--workers", "0")
		if !strings.Contains(p.Log(), "--auth none: every caller is the one local owner") {
			t.Errorf("pixmill up --auth none on every address started without its warning:\n%s", p.Log())
		}
	})
}
