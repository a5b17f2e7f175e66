// Package imagingtest starts libvips for the tests of packages that process
// pictures: their TestMain is `func TestMain(m *testing.M) { imagingtest.Main(m) }`.
package imagingtest

import (
	"fmt"
	"os"
	"testing"

	"github.com/pixmill/pixmill/functions/imaging"
)

// Main starts libvips, runs the tests and exits with their status.
func Main(m *testing.M) {
	if err := imaging.Startup(imaging.DefaultConfig()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	imaging.Shutdown()
	os.Exit(code)
}
