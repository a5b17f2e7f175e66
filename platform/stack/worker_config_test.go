package stack_test

import (
	"flag"
	"io"
	"runtime"
	"testing"

	"github.com/pixmill/pixmill/platform/stack"
)

// TestTasksPerWorker checks the tasks each worker runs when --concurrency
// is left out: the CPUs shared out over the largest fleet, rounded up.
func TestTasksPerWorker(t *testing.T) {
	cpus := runtime.NumCPU()
	tests := []struct {
		args []string
		want int
	}{
		{nil, 1}, // autoscaled up to one worker per CPU
		{[]string{"--workers", "1"}, cpus},
		{[]string{"--max-workers", "1"}, cpus},
		{[]string{"--workers", "1", "--concurrency", "3"}, 3},
		{[]string{"--workers", "64"}, 1},
	}
	for _, tt := range tests {
		c, err := parseUp(tt.args, nil)
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if c.Concurrency != tt.want {
			t.Errorf("%v: %d tasks per worker, want %d", tt.args, c.Concurrency, tt.want)
		}
	}
}

// TestWorkerFlags checks the worker's flags and their environment
// variables: 0 leaves the choice to the worker, and so does the prefetch
// left unset (-1: the broker's default, brokers.DefaultPrefetch).
func TestWorkerFlags(t *testing.T) {
	tests := []struct {
		args                           []string
		env                            map[string]string
		concurrency, threads, prefetch int
	}{
		{nil, nil, 0, 0, -1},
		{[]string{"--prefetch", "1"}, nil, 0, 0, 1},
		{[]string{"--concurrency", "2", "--vips-threads", "2", "--prefetch", "0"}, nil, 2, 2, 0},
		{nil, map[string]string{stack.EnvConcurrency: "0", stack.EnvVipsThreads: "3", stack.EnvPrefetch: "0"}, 0, 3, 0},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("worker", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var c stack.WorkerConfig
		c.BindFlags(fs, func(k string) string { return tt.env[k] })
		if err := fs.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		if c.Concurrency != tt.concurrency || c.VipsThreads != tt.threads || c.Prefetch != tt.prefetch {
			t.Errorf("%v %v: concurrency %d, threads %d, prefetch %d; want %d, %d, %d", tt.args, tt.env, c.Concurrency, c.VipsThreads, c.Prefetch, tt.concurrency, tt.threads, tt.prefetch)
		}
	}
}
