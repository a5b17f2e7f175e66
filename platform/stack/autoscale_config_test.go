package stack_test

import (
	"flag"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pixmill/pixmill/platform/stack"
)

func TestScalingFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(t *testing.T, c stack.Config)
		wantErr string
	}{
		{
			name: "autoscaled by default",
			check: func(t *testing.T, c stack.Config) {
				p := c.Scaling.Policy
				if !c.Autoscaled() || p.MinScale != 0 || p.MaxScale != runtime.NumCPU() || p.ScaleToZeroGracePeriod != 30*time.Second {
					t.Errorf("autoscaled %v, policy %+v", c.Autoscaled(), p)
				}
			},
		},
		{
			name: "--workers pins", args: []string{"--workers", "0"},
			check: func(t *testing.T, c stack.Config) {
				if c.Autoscaled() || c.Workers != 0 {
					t.Errorf("autoscaled %v, workers %d", c.Autoscaled(), c.Workers)
				}
			},
		},
		{
			name: "flags win over the environment", args: []string{"--max-workers", "6", "--scale-to-zero-after", "3s"},
			env: map[string]string{"PIXMILL_MAX_WORKERS": "4", "PIXMILL_MIN_WORKERS": "1", "PIXMILL_AUTOSCALE_STABLE_WINDOW": "20s"},
			check: func(t *testing.T, c stack.Config) {
				p := c.Scaling.Policy
				if p.MaxScale != 6 || p.MinScale != 1 || p.ScaleToZeroGracePeriod != 3*time.Second || p.StableWindow != 20*time.Second {
					t.Errorf("policy %+v", p)
				}
			},
		},
		{name: "min above max", args: []string{"--min-workers", "3", "--max-workers", "2"}, wantErr: "min-workers: 3 is above max-workers 2"},
		{name: "a bad policy key", env: map[string]string{"PIXMILL_AUTOSCALE_PANIC_THRESHOLD_PERCENTAGE": "50"}, wantErr: "panic-threshold-percentage 50"},
		{name: "a bad metrics address", args: []string{"--worker-metrics-addr", "localhost"}, wantErr: `worker-metrics-addr: "localhost" is not HOST:PORT`},
		{name: "a pinned fleet ignores the policy", args: []string{"--workers", "2", "--min-workers", "3", "--max-workers", "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseUp(tt.args, tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

// parseUp is what `pixmill up` makes of args and the environment env: the
// configuration, and the flag or validation error.
func parseUp(args []string, env map[string]string) (stack.Config, error) {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c stack.Config
	c.BindFlags(fs, func(k string) string { return env[k] })
	err := fs.Parse(args)
	if err == nil {
		err = c.Validate()
	}
	return c, err
}
