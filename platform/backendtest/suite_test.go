package backendtest_test

import (
	"fmt"
	"os"
	"testing"

	_ "gocloud.dev/blob/s3blob"

	"github.com/pixmill/pixmill/functions/imaging"
	"github.com/pixmill/pixmill/platform/backendtest"
)

func TestMain(m *testing.M) {
	backendtest.SetEnv()
	if err := imaging.Startup(imaging.DefaultConfig()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	imaging.Shutdown()
	os.Exit(code)
}

// TestBackends runs the suite on every backend. Backends run in parallel:
// much of each scenario is waiting for leases to run out.
func TestBackends(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end suite")
	}
	for _, b := range backendtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			backendtest.Run(t, b)
		})
	}
}
