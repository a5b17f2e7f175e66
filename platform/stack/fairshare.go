package stack

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/auth"
	"github.com/pixmill/pixmill/platform/autoscaler"
	"github.com/pixmill/pixmill/platform/dispatch"
)

// Environment variables of the fair-share flags.
const (
	EnvFairWindow    = "PIXMILL_FAIR_WINDOW"
	EnvFairWeights   = "PIXMILL_FAIR_WEIGHTS"
	EnvFairReconcile = "PIXMILL_FAIR_RECONCILE"
)

// FairShare is how up shares the fleet among owners (package dispatch).
type FairShare struct {
	// Window is the tasks waiting in the queue at most (sent and not yet
	// taken by a worker), all owners together; 0 turns
	// fair share off (every task is sent at submission, one FIFO for
	// everyone); negative (the default) is twice the fleet's most tasks
	// at once, max workers × concurrency × 2, or DefaultRemoteWindow when
	// the workers run elsewhere.
	Window int
	// Weights are owners' shares by owner id; unlisted owners weigh 1.
	Weights map[string]int
	// Reconcile is how often tasks long in flight are read back.
	Reconcile time.Duration
}

func (f *FairShare) bindFlags(fs *flag.FlagSet, getenv func(string) string, envErr *error) {
	f.Window = -1
	f.Reconcile = dispatch.DefaultReconcile
	f.Weights = map[string]int{}
	weights := func(s string) error {
		w, err := dispatch.ParseWeights(s, auth.ResolveOwner)
		if err == nil {
			f.Weights = w
		}
		return err
	}
	set := func(key string, parse func(string) error) {
		if v := getenv(key); v != "" {
			*envErr = errors.Join(*envErr, parse(v))
		}
	}
	set(EnvFairWindow, intFlag(&f.Window, EnvFairWindow, 0))
	set(EnvFairWeights, weights)
	set(EnvFairReconcile, durationFlag(&f.Reconcile, EnvFairReconcile, 10*time.Millisecond))
	fs.Func("fair-window", "tasks waiting in the requests queue (sent, not yet taken by a worker), all owners together; free slots go to owners by weighted round-robin, so one owner's big job never starves another's; 0 turns fair share off (env "+EnvFairWindow+"; default: max workers × concurrency × 2, or "+strconv.Itoa(DefaultRemoteWindow)+" when the workers run elsewhere)", intFlag(&f.Window, "fair-window", 0))
	fs.Func("fair-weights", "owners' shares of the fleet, OWNER=N,… with OWNER a name given to pixmill keys create or an owner id; unlisted owners weigh 1 (env "+EnvFairWeights+")", weights)
	fs.Func("fair-reconcile", fmt.Sprintf("how often tasks in flight for longer are read back from the records, in case their end was not told (env %s, default %s)", EnvFairReconcile, dispatch.DefaultReconcile), durationFlag(&f.Reconcile, "fair-reconcile", 10*time.Millisecond))
}

// DefaultRemoteWindow is the window of a gateway whose workers run
// elsewhere (--workers 0, or the gateway alone), whose number up cannot
// know: enough for a few machines of workers; set --fair-window to twice
// their tasks at once to fit them.
const DefaultRemoteWindow = 64

// fairWindow is the window up dispatches under, 0 for none.
func (c *Config) fairWindow() int {
	switch {
	case c.FairShare.Window >= 0:
		return c.FairShare.Window
	case c.Queues.gatewayOnly() || c.fleetSlots() < 1:
		return DefaultRemoteWindow
	}
	return 2 * c.fleetSlots() * c.Concurrency
}

// startDispatch makes the dispatcher when fair share is on (nil otherwise)
// and makes the autoscaler count the tasks it holds as waiting.
func startDispatch(cfg Config, requests *pubsub.Topic, store *records.Store, obs *observing, log *slog.Logger) (*dispatch.Dispatcher, error) {
	w := cfg.fairWindow()
	if w == 0 {
		return nil, nil
	}
	d, err := dispatch.New(dispatch.Config{Window: w, Weights: cfg.FairShare.Weights, Reconcile: cfg.FairShare.Reconcile}, dispatch.Deps{
		Requests: requests, Store: store, Log: log, Sent: obs.queued,
	})
	if err != nil {
		return nil, err
	}
	store.OnTaskEnd(d.Release)
	obs.disp.Store(d)
	return d, nil
}

// started tells the dispatcher, if there is one, that a worker of this
// process' fleet took task: its slot of the window is free.
func (o *observing) started(task string) {
	if d := o.disp.Load(); d != nil {
		d.Started(task)
	}
}

// withHeld adds the tasks the dispatcher holds to the waiting requests the
// broker reports: they are work for the fleet all the same.
type withHeld struct {
	sig  autoscaler.Signal
	disp *atomic.Pointer[dispatch.Dispatcher]
}

func (s withHeld) Backlog(ctx context.Context) (autoscaler.Backlog, error) {
	b, err := s.sig.Backlog(ctx)
	if d := s.disp.Load(); d != nil && err == nil {
		b.Waiting += d.Held()
	}
	return b, err
}
