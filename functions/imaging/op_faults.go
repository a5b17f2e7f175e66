//go:build pixmill_faults

package imaging

import (
	"os"
	"syscall"
	"time"

	"github.com/davidbyttow/govips/v2/vips"
)

// Fault-injection ops, compiled only with -tags pixmill_faults: the crash,
// poison and lease tests use them to make a processor die or dawdle on
// purpose. Production builds do not know them, so no request can ask for them.

func init() {
	register(&Crash{}, "Test builds only: kills the processing process, as a picture that crashes libvips would.")
	register(&Sleep{}, "Test builds only: holds the task for a while, as a very slow edit would.")
}

// Crash kills the process that runs it with SIGKILL: no deferred call, no
// nack, nothing — the broker finds out when the lease runs out.
type Crash struct {
	Code int `json:"code" min:"0" max:"255" default:"0" help:"Unused; keeps the op's JSON shape."`
}

// Name returns "crash".
func (*Crash) Name() string { return "crash" }

func (*Crash) apply(*vips.ImageRef) error {
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

// Sleep blocks for Millis milliseconds.
type Sleep struct {
	Millis int `json:"millis" min:"0" max:"600000" required:"true" help:"How long to hold the task, in milliseconds."`
}

// Name returns "sleep".
func (*Sleep) Name() string { return "sleep" }

func (s *Sleep) apply(*vips.ImageRef) error {
	time.Sleep(time.Duration(s.Millis) * time.Millisecond)
	return nil
}
