package autoscaler

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Config is the scaling policy. Each field's key is its name in kebab case
// (ScaleDownDelay: scale-down-delay), in the environment (FromEnv) and in
// errors. Keys are named after Knative's config-autoscaler where Knative
// has the same setting, so that a policy tuned on one machine reads the
// same on a cluster (docs/autoscaling.md maps
// each key to its Knative annotation and KEDA field).
type Config struct {
	// MinScale and MaxScale bound the desired replicas (keys min-scale,
	// max-scale). MinScale 0 allows scaling to zero.
	MinScale, MaxScale int
	// Target is the load one replica is meant to carry: waiting plus
	// in-flight tasks per replica (key target). A worker that runs one task
	// at a time has target 1: every task waiting gets a worker, up to
	// MaxScale.
	Target float64
	// StableWindow is the averaging window for ordinary decisions (key
	// stable-window). It is also how long panic mode lasts after the load
	// last crossed the panic threshold.
	StableWindow time.Duration
	// PanicWindowPercentage is the panic window's length as a percentage of
	// StableWindow (key panic-window-percentage): 10 makes a 6s panic
	// window out of a 60s stable one.
	PanicWindowPercentage float64
	// PanicThresholdPercentage is the load over the panic window, as a
	// percentage of what the current replicas are meant to carry, that
	// starts panic mode (key panic-threshold-percentage).
	PanicThresholdPercentage float64
	// MaxScaleUpRate and MaxScaleDownRate bound one decision (keys
	// max-scale-up-rate, max-scale-down-rate): from n replicas the next
	// decision is at most ceil(n·up) (n counted as at least 1) and at least
	// floor(n/down). Scaling to zero after the grace period is not bound by
	// the down rate: by then nothing is left for the replicas to do.
	MaxScaleUpRate, MaxScaleDownRate float64
	// ScaleDownDelay holds the replicas at the most any decision asked for
	// within it (key scale-down-delay), so that a load that wavers around
	// a boundary (an average of 1.97 then 2.03, wanting 2 then 3) does not
	// stop and start a worker every tick. Scaling to zero is governed by
	// ScaleToZeroGracePeriod alone.
	ScaleDownDelay time.Duration
	// ScaleToZeroGracePeriod is how long the queue must hold nothing waiting and
	// nothing in flight before the replicas go to zero (key
	// scale-to-zero-grace-period).
	ScaleToZeroGracePeriod time.Duration
	// WorkerStartup is how long a new replica takes to start taking work
	// (key worker-startup). A scale-up is skipped while the running
	// replicas, at their recent completion rate, would finish everything
	// waiting and in flight sooner than that: the new worker would arrive
	// to an empty queue.
	WorkerStartup time.Duration
	// Tick is the time between decisions while replicas run (key tick).
	Tick time.Duration
	// ActivationPoll is the time between looks at the queue while there
	// are no replicas (key activation-poll): the first request waits at
	// most this long before its worker is started.
	ActivationPoll time.Duration
}

// Defaults, Knative's where Knative has the setting.
const (
	DefaultTarget                   = 1.0
	DefaultStableWindow             = 60 * time.Second
	DefaultPanicWindowPercentage    = 10.0
	DefaultPanicThresholdPercentage = 200.0
	DefaultMaxScaleUpRate           = 1000.0
	DefaultMaxScaleDownRate         = 2.0
	DefaultScaleDownDelay           = 10 * time.Second
	DefaultScaleToZeroGrace         = 30 * time.Second
	DefaultWorkerStartup            = time.Second
	DefaultTick                     = time.Second
	DefaultActivationPoll           = 50 * time.Millisecond
)

// BucketWidth is the resolution of the averaging windows: observations in
// the same second are averaged together first, so the windows weigh each
// second alike however often the queue is read. The panic window must be
// at least this long.
const BucketWidth = time.Second

// DefaultConfig is the default policy: from zero up to one replica per
// core.
func DefaultConfig() Config {
	return Config{
		MinScale:                 0,
		MaxScale:                 runtime.NumCPU(),
		Target:                   DefaultTarget,
		StableWindow:             DefaultStableWindow,
		PanicWindowPercentage:    DefaultPanicWindowPercentage,
		PanicThresholdPercentage: DefaultPanicThresholdPercentage,
		MaxScaleUpRate:           DefaultMaxScaleUpRate,
		MaxScaleDownRate:         DefaultMaxScaleDownRate,
		ScaleDownDelay:           DefaultScaleDownDelay,
		ScaleToZeroGracePeriod:   DefaultScaleToZeroGrace,
		WorkerStartup:            DefaultWorkerStartup,
		Tick:                     DefaultTick,
		ActivationPoll:           DefaultActivationPoll,
	}
}

// PanicWindow is the panic window's length.
func (c Config) PanicWindow() time.Duration {
	return time.Duration(float64(c.StableWindow) * c.PanicWindowPercentage / 100)
}

// Validate reports every bad setting, each naming its key and value.
func (c Config) Validate() error {
	var errs []error
	bad := func(key string, v any, why string) {
		errs = append(errs, fmt.Errorf("autoscaler: %s %v: %s", key, v, why))
	}
	if c.MinScale < 0 {
		bad("min-scale", c.MinScale, "must not be negative")
	}
	if c.MaxScale < 1 {
		bad("max-scale", c.MaxScale, "must be at least 1")
	}
	if c.MinScale > c.MaxScale && c.MaxScale >= 1 {
		bad("min-scale", c.MinScale, fmt.Sprintf("must not be above max-scale %d", c.MaxScale))
	}
	if !(c.Target > 0) || math.IsInf(c.Target, 0) {
		bad("target", c.Target, "must be a number above 0")
	}
	if c.StableWindow < 6*time.Second || c.StableWindow > time.Hour {
		bad("stable-window", c.StableWindow, "must be between 6s and 1h")
	}
	if !(c.PanicWindowPercentage >= 1 && c.PanicWindowPercentage <= 100) {
		bad("panic-window-percentage", c.PanicWindowPercentage, "must be between 1 and 100")
	} else if c.StableWindow >= 6*time.Second && c.PanicWindow() < BucketWidth {
		bad("panic-window-percentage", c.PanicWindowPercentage, fmt.Sprintf("makes a panic window of %s, under the %s resolution of the windows", c.PanicWindow(), BucketWidth))
	}
	if !(c.PanicThresholdPercentage >= 110 && c.PanicThresholdPercentage <= 1000) {
		bad("panic-threshold-percentage", c.PanicThresholdPercentage, "must be between 110 and 1000")
	}
	if !(c.MaxScaleUpRate > 1) || math.IsInf(c.MaxScaleUpRate, 0) {
		bad("max-scale-up-rate", c.MaxScaleUpRate, "must be a number above 1")
	}
	if !(c.MaxScaleDownRate > 1) || math.IsInf(c.MaxScaleDownRate, 0) {
		bad("max-scale-down-rate", c.MaxScaleDownRate, "must be a number above 1")
	}
	if c.ScaleDownDelay < 0 || c.ScaleDownDelay > time.Hour {
		bad("scale-down-delay", c.ScaleDownDelay, "must be between 0s and 1h")
	}
	if c.ScaleToZeroGracePeriod < 0 {
		bad("scale-to-zero-grace-period", c.ScaleToZeroGracePeriod, "must not be negative")
	}
	if c.WorkerStartup < 0 {
		bad("worker-startup", c.WorkerStartup, "must not be negative")
	}
	if c.Tick < 10*time.Millisecond {
		bad("tick", c.Tick, "must be at least 10ms")
	}
	if c.ActivationPoll < time.Millisecond || c.ActivationPoll > c.Tick && c.Tick >= 10*time.Millisecond {
		bad("activation-poll", c.ActivationPoll, "must be between 1ms and the tick")
	}
	return errors.Join(errs...)
}

// EnvPrefix starts the environment variable of each key: the key upper-cased
// with dashes as underscores, e.g. PIXMILL_AUTOSCALE_STABLE_WINDOW.
const EnvPrefix = "PIXMILL_AUTOSCALE_"

// FromEnv returns c with every key set in the environment replaced. Errors
// name the variable and its value; all of them are reported together.
func (c Config) FromEnv(getenv func(string) string) (Config, error) {
	var errs []error
	v := reflect.ValueOf(&c).Elem()
	for i := range v.NumField() {
		name := EnvPrefix + envName(Key(v.Type().Field(i).Name))
		if s := getenv(name); s != "" {
			if err := setKey(v.Field(i), s); err != nil {
				errs = append(errs, fmt.Errorf("autoscaler: %s=%q is not %w", name, s, err))
			}
		}
	}
	return c, errors.Join(errs...)
}

// setKey parses s into a field of Config by the field's type.
func setKey(f reflect.Value, s string) error {
	switch f.Interface().(type) {
	case time.Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return errors.New("a duration (e.g. 30s, 2m)")
		}
		f.SetInt(int64(d))
	case int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return errors.New("a whole number")
		}
		f.SetInt(int64(n))
	case float64:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return errors.New("a number")
		}
		f.SetFloat(x)
	default:
		panic(fmt.Sprintf("autoscaler: Config has a key of type %s", f.Type()))
	}
	return nil
}

// Key is the key of the Config field with the given name: the name in
// kebab case, as Knative spells its settings.
func Key(field string) string {
	var b strings.Builder
	for i, r := range field {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('-')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

func envName(key string) string {
	b := []byte(key)
	for i, ch := range b {
		switch {
		case ch == '-':
			b[i] = '_'
		case ch >= 'a' && ch <= 'z':
			b[i] = ch - 'a' + 'A'
		}
	}
	return string(b)
}
