package dispatch

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Config is a Dispatcher's policy.
type Config struct {
	// Window is how many tasks may wait in the queue, sent and not yet
	// taken by a worker, all owners together. Enough that a worker that
	// takes a task finds the next one there — twice the fleet's most
	// tasks at once is the default pixmill up takes — and no more, since a
	// task sent waits behind the whole window.
	Window int
	// Weights are owners' shares, by owner id; an owner not listed
	// weighs 1.
	Weights map[string]int
	// Reconcile is how often the tasks in flight for longer than this are
	// read back from the records, in case their start or end was not
	// told.
	Reconcile time.Duration
}

// DefaultReconcile is the default Config.Reconcile.
const DefaultReconcile = 2 * time.Second

// Validate names the first bad setting and its value.
func (c Config) Validate() error {
	var errs []error
	if c.Window < 1 {
		errs = append(errs, fmt.Errorf("fair-window: %d, must be at least 1", c.Window))
	}
	if c.Reconcile <= 0 {
		errs = append(errs, fmt.Errorf("fair-reconcile: %s, must be positive", c.Reconcile))
	}
	for owner, w := range c.Weights {
		if w < 1 {
			errs = append(errs, fmt.Errorf("fair-weights: owner %q has weight %d, must be at least 1", owner, w))
		}
	}
	return errors.Join(errs...)
}

func (c Config) weight(owner string) int {
	if w, ok := c.Weights[owner]; ok {
		return w
	}
	return 1
}

// ParseWeights reads "OWNER=N,OWNER=N" into weights by owner; resolve turns
// each OWNER as written (a name given to pixmill keys create, or an owner
// id) into the owner id. An empty string is no weights.
func ParseWeights(s string, resolve func(string) (string, error)) (map[string]int, error) {
	w := map[string]int{}
	if strings.TrimSpace(s) == "" {
		return w, nil
	}
	for _, part := range strings.Split(s, ",") {
		name, n, ok := strings.Cut(strings.TrimSpace(part), "=")
		v, err := strconv.Atoi(n)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("fair-weights: %q is not OWNER=N with N a whole number of at least 1", part)
		}
		owner, err := resolve(name)
		if err != nil {
			return nil, fmt.Errorf("fair-weights: %q: %w", part, err)
		}
		w[owner] = v
	}
	return w, nil
}
