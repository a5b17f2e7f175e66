package autoscaler

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// testConfig is the default policy with a maximum of 10 replicas.
func testConfig(edit func(*Config)) Config {
	cfg := DefaultConfig()
	cfg.MaxScale = 10
	if edit != nil {
		edit(&cfg)
	}
	return cfg
}

// script is the queue second by second: the load function gives what waits
// and what is in flight at second i, and the running total of completions.
type script func(i int) (waiting, inFlight int, completed uint64)

// constant is a load of waiting tasks that never changes.
func constant(n int) script {
	return func(int) (int, int, uint64) { return n, 0, 0 }
}

// phases is a load of n waiting tasks for each phase's length in seconds.
func phases(ps ...[2]int) script {
	return func(i int) (int, int, uint64) {
		for _, p := range ps {
			if i < p[1] {
				return p[0], 0, 0
			}
			i -= p[1]
		}
		return 0, 0, 0
	}
}

// simulate feeds the autoscaler one observation a second for n seconds,
// starting with replicas running; the fleet follows every decision. It
// returns the decisions, one per second.
func simulate(t *testing.T, cfg Config, replicas, n int, load script) []Decision {
	t.Helper()
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]Decision, n)
	for i := range n {
		w, f, c := load(i)
		out[i] = a.Scale(Observation{Time: t0.Add(time.Duration(i) * time.Second), Waiting: w, InFlight: f, Completed: c, Replicas: replicas})
		replicas = out[i].Desired
	}
	return out
}

func desired(ds []Decision) []int {
	out := make([]int, len(ds))
	for i, d := range ds {
		out[i] = d.Desired
	}
	return out
}

// changes counts the decisions that differ from the one before.
func changes(ds []Decision) int {
	n := 0
	for i := 1; i < len(ds); i++ {
		if ds[i].Desired != ds[i-1].Desired {
			n++
		}
	}
	return n
}

func TestDecide(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		replicas int // running before the first observation
		seconds  int
		load     script
		// want maps a second to the replicas wanted then.
		want map[int]int
		// check looks at the whole run.
		check func(t *testing.T, ds []Decision)
	}{
		{
			name: "idle stays at zero", cfg: testConfig(nil), seconds: 120, load: constant(0),
			check: func(t *testing.T, ds []Decision) {
				if c := changes(ds); c != 0 || ds[0].Desired != 0 {
					t.Errorf("desired %v, want zero throughout", desired(ds))
				}
			},
		},
		{
			// 300 pictures arrive at a fleet at zero: the first decision
			// goes straight to the maximum (the up rate allows 1000×).
			name: "burst from zero", cfg: testConfig(nil), seconds: 5, load: phases([2]int{0, 1}, [2]int{300, 4}),
			want: map[int]int{0: 0, 1: 10, 4: 10},
			check: func(t *testing.T, ds []Decision) {
				if !ds[1].Panic {
					t.Errorf("a burst from zero should panic: %+v", ds[1])
				}
			},
		},
		{
			// With an up rate of 2 the fleet doubles per decision: 0 counts
			// as 1, so 2, 4, 8, then the maximum of 10.
			name: "burst with a bounded scale-up rate", cfg: testConfig(func(c *Config) { c.MaxScaleUpRate = 2 }), seconds: 6, load: constant(300),
			want: map[int]int{0: 2, 1: 4, 2: 8, 3: 10, 5: 10},
		},
		{
			name: "activation on the first waiting request", cfg: testConfig(nil), seconds: 3, load: phases([2]int{0, 2}, [2]int{1, 1}),
			want: map[int]int{0: 0, 1: 0, 2: 1},
		},
		{
			// 3 tasks always waiting or in flight, target 1: 3 replicas,
			// never a change, never a panic.
			name: "steady load", cfg: testConfig(nil), replicas: 3, seconds: 300,
			load: func(i int) (int, int, uint64) { return 1, 2, uint64(3 * i) },
			check: func(t *testing.T, ds []Decision) {
				for i, d := range ds {
					if d.Desired != 3 || d.Panic {
						t.Fatalf("second %d: %+v, want 3 replicas and no panic", i, d)
					}
				}
			},
		},
		{
			// Target 4 tasks per replica: 10 tasks want ceil(10/4) = 3.
			name: "target per replica", cfg: testConfig(func(c *Config) { c.Target = 4 }), replicas: 3, seconds: 60, load: constant(10),
			want: map[int]int{0: 3, 59: 3},
		},
		{
			// 8 for a minute, then 2: the stable window forgets the 8s over
			// the next minute, so the replicas come down step by step, never
			// more than halving, never going up, ending at 2.
			name: "load that falls off", cfg: testConfig(nil), replicas: 8, seconds: 200, load: phases([2]int{8, 60}, [2]int{2, 140}),
			want: map[int]int{59: 8, 130: 2, 199: 2},
			check: func(t *testing.T, ds []Decision) {
				for i := 61; i < len(ds); i++ {
					prev, cur := ds[i-1].Desired, ds[i].Desired
					if cur > prev || cur < prev/2 || cur < 2 {
						t.Fatalf("second %d: %d after %d; want down by at most half, never below 2", i, cur, prev)
					}
				}
				if ds[90].Desired >= 8 || ds[90].Desired <= 2 {
					t.Errorf("30s after the fall: %d, want on its way down (the stable window lags)", ds[90].Desired)
				}
			},
		},
		{
			// 8 replicas and a load of 1: the down rate halves them per
			// decision, and the scale-down delay (10s) holds each step:
			// 8, 4 for 10s, 2 for 10s, then 1.
			name: "scale-down rate and delay", cfg: testConfig(nil), replicas: 8, seconds: 60, load: constant(1),
			want: map[int]int{0: 4, 9: 4, 10: 2, 19: 2, 20: 1, 59: 1},
		},
		{
			// Without a delay the steps come one per decision.
			name: "scale-down rate without delay", cfg: testConfig(func(c *Config) { c.ScaleDownDelay = 0 }), replicas: 8, seconds: 10, load: constant(1),
			want: map[int]int{0: 4, 1: 2, 2: 1, 9: 1},
		},
		{
			// 2 replicas carry a load of 2; 20 arrive for 5s. The panic
			// window (6s) sees twice what 2 replicas carry within two
			// seconds and the fleet grows; it does not come down while
			// panicking, which lasts until a stable window (60s) after the
			// load was last over the threshold.
			name: "spike triggers panic", cfg: testConfig(nil), replicas: 2, seconds: 200, load: phases([2]int{2, 60}, [2]int{20, 5}, [2]int{2, 135}),
			want: map[int]int{59: 2},
			check: func(t *testing.T, ds []Decision) {
				start, end := -1, -1
				for i, d := range ds {
					if d.Panic && start < 0 {
						start = i
					}
					if start >= 0 && !d.Panic && end < 0 {
						end = i
					}
				}
				if start < 60 || start > 62 {
					t.Fatalf("panic began at second %d, want within the spike's first seconds (60-62)", start)
				}
				if ds[start].Desired <= 2 {
					t.Errorf("panic at %d wants %d, want more than the 2 running", start, ds[start].Desired)
				}
				for i := start + 1; i < end; i++ {
					if ds[i].Desired < ds[i-1].Desired {
						t.Fatalf("second %d: down from %d to %d while panicking", i, ds[i-1].Desired, ds[i].Desired)
					}
				}
				// Over the threshold only at first: the replicas grow, and
				// with them the threshold. Panic ends a stable window
				// after the last time it was over.
				if end < 120 || end > 126 {
					t.Errorf("panic ended at second %d, want a stable window (60s) after it began", end)
				}
				if got := ds[len(ds)-1].Desired; got != 2 {
					t.Errorf("after the spike: %d, want back to 2", got)
				}
			},
		},
		{
			// Every other second 4 tasks, then none: once the windows
			// hold a stable window of it they average 2, and the replicas
			// hold at 2.
			name: "flapping input does not flap replicas", cfg: testConfig(nil), replicas: 2, seconds: 300,
			load: func(i int) (int, int, uint64) { return 4 * (i % 2), 0, 0 },
			check: func(t *testing.T, ds []Decision) {
				if c := changes(ds[60:]); c != 0 || ds[60].Desired != 2 {
					t.Errorf("%d changes after the first minute: %v, want a steady 2", c, desired(ds)[55:80])
				}
				if c := changes(ds[:60]); c > 2 {
					t.Errorf("%d changes in the first minute: %v", c, desired(ds)[:60])
				}
			},
		},
		{
			// A load wavering by one around 4 (3, 4, 5 in a fixed shuffle)
			// averages to just under or just over 4 from one second to the
			// next; the scale-down delay keeps the replicas from following.
			name: "a load wavering around a boundary", cfg: testConfig(nil), replicas: 4, seconds: 300,
			load: func(i int) (int, int, uint64) { return 4 + (i*7)%3 - 1, 0, 0 },
			check: func(t *testing.T, ds []Decision) {
				if c := changes(ds[1:]); c > 1 {
					t.Errorf("%d changes: %v, want at most one", c, desired(ds)[:40])
				}
			},
		},
		{
			// Bursts of 6 for 3s every 20s: between bursts the fleet waits
			// (the grace period is 30s), in bursts it does not thrash.
			name: "bursts shorter than the grace period keep the fleet", cfg: testConfig(nil), replicas: 0, seconds: 400,
			load: func(i int) (int, int, uint64) {
				if i%20 < 3 {
					return 6, 0, 0
				}
				return 0, 0, 0
			},
			check: func(t *testing.T, ds []Decision) {
				for i := 1; i < len(ds); i++ {
					if ds[i].Desired == 0 {
						t.Fatalf("second %d: scaled to zero between bursts 20s apart (grace 30s)", i)
					}
				}
				// Following the bursts up in a panic and down after it is
				// fine; more than once a stable window is not.
				if c := changes(ds[100:]); c > 2*300/60 {
					t.Errorf("%d changes in 300s of regular bursts: %v", c, desired(ds[100:160]))
				}
			},
		},
		{
			// The last task finishes at second 9; with a 30s grace the
			// fleet keeps its replica through second 38 and goes to zero at
			// 39, 30s after the last load was seen.
			name: "grace period before zero", cfg: testConfig(nil), replicas: 1, seconds: 60, load: phases([2]int{1, 10}),
			want: map[int]int{9: 1, 20: 1, 38: 1, 39: 0, 59: 0},
		},
		{
			// Panic mode does not outlast an idle grace period.
			name: "zero ends a panic", cfg: testConfig(func(c *Config) { c.ScaleToZeroGracePeriod = 3 * time.Second }), seconds: 20, load: phases([2]int{0, 1}, [2]int{50, 4}),
			want: map[int]int{1: 10, 4: 10, 6: 10, 7: 0, 19: 0},
		},
		{
			// After zero the windows start afresh: one task after a big
			// burst starts one worker.
			name: "a lone request after zero", cfg: testConfig(func(c *Config) { c.ScaleToZeroGracePeriod = 3 * time.Second }), seconds: 30, load: phases([2]int{50, 4}, [2]int{0, 10}, [2]int{1, 1}),
			want: map[int]int{3: 10, 5: 10, 6: 0, 14: 1},
		},
		{
			name: "the maximum", cfg: testConfig(func(c *Config) { c.MaxScale = 4 }), seconds: 60, load: constant(1000),
			check: func(t *testing.T, ds []Decision) {
				for i, d := range ds {
					if d.Desired != 4 {
						t.Fatalf("second %d: %d, want the maximum 4", i, d.Desired)
					}
				}
			},
		},
		{
			name: "the minimum keeps replicas when idle", cfg: testConfig(func(c *Config) { c.MinScale = 2 }), seconds: 100, load: phases([2]int{5, 5}),
			want: map[int]int{0: 5, 99: 2},
		},
		{
			// 2 replicas complete 40 tasks/s; 5 waiting are done in 0.125s,
			// before a third worker could start (1s): no scale-up. 100
			// waiting would take 2.5s: then the fleet grows.
			name: "no scale-up the running replicas would beat", cfg: testConfig(nil), replicas: 2, seconds: 20,
			load: func(i int) (int, int, uint64) {
				switch {
				case i < 5:
					return 0, 2, uint64(40 * i)
				case i < 10:
					return 1, 2, uint64(40 * i)
				}
				return 98, 2, uint64(40 * i)
			},
			want: map[int]int{4: 2, 9: 2, 10: 10},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := simulate(t, tt.cfg, tt.replicas, tt.seconds, tt.load)
			for at, want := range tt.want {
				if got := ds[at].Desired; got != want {
					t.Errorf("second %d: desired %d (%s), want %d\nfirst seconds: %v", at, got, ds[at].Reason, want, desired(ds)[:min(len(ds), 45)])
				}
			}
			if tt.check != nil {
				tt.check(t, ds)
			}
		})
	}
}

func TestDecideBeforeAnyObservation(t *testing.T) {
	a, err := New(testConfig(func(c *Config) { c.MinScale = 1 }))
	if err != nil {
		t.Fatal(err)
	}
	if d := a.Decide(t0); d.Desired != 1 {
		t.Errorf("%+v, want the minimum", d)
	}
}

// TestDecisionIsAFunctionOfItsInputs replays the same observations twice:
// the same decisions come out, whatever the wall clock says.
func TestDecisionIsAFunctionOfItsInputs(t *testing.T) {
	load := phases([2]int{0, 3}, [2]int{40, 10}, [2]int{3, 30})
	a := simulate(t, testConfig(nil), 0, 80, load)
	b := simulate(t, testConfig(nil), 0, 80, load)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("two replays differ:\n%s", diff)
	}
}

func TestWindow(t *testing.T) {
	// The worked example of the window's comment.
	w := newWindow(3 * time.Second)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	w.record(at(100), 4)
	w.record(at(500), 2)
	w.record(at(1200), 6)
	if got, _ := w.average(at(1500)); got != 4.5 {
		t.Errorf("average %v, want 4.5", got)
	}
	w.record(at(2300), 0)
	if got, _ := w.average(at(2500)); got != 3 {
		t.Errorf("average %v, want 3", got)
	}
	// At 3.5s the first bucket (0-1s) has left the 3s window.
	if got, _ := w.average(at(3500)); got != 3 {
		t.Errorf("average %v, want (6+0)/2 = 3", got)
	}
	if _, ok := w.average(at(60_000)); ok {
		t.Errorf("an old window still averages")
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		edit func(*Config)
		want string // "" for valid
	}{
		{func(*Config) {}, ""},
		{func(c *Config) { c.MaxScale = 0 }, "max-scale 0: must be at least 1"},
		{func(c *Config) { c.MinScale = 5; c.MaxScale = 4 }, "min-scale 5: must not be above max-scale 4"},
		{func(c *Config) { c.Target = 0 }, "target 0: must be a number above 0"},
		{func(c *Config) { c.StableWindow = time.Second }, "stable-window 1s: must be between 6s and 1h"},
		{func(c *Config) { c.PanicWindowPercentage = 1 }, "panic-window-percentage 1: makes a panic window of 600ms"},
		{func(c *Config) { c.PanicThresholdPercentage = 100 }, "panic-threshold-percentage 100: must be between 110 and 1000"},
		{func(c *Config) { c.MaxScaleDownRate = 1 }, "max-scale-down-rate 1: must be a number above 1"},
		{func(c *Config) { c.ScaleToZeroGracePeriod = -time.Second }, "scale-to-zero-grace-period -1s: must not be negative"},
		{func(c *Config) { c.ActivationPoll = 2 * time.Second }, "activation-poll 2s: must be between 1ms and the tick"},
	}
	for _, tt := range tests {
		cfg := DefaultConfig()
		tt.edit(&cfg)
		err := cfg.Validate()
		if tt.want == "" {
			if err != nil {
				t.Errorf("%+v: %v", cfg, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("got %v, want an error with %q", err, tt.want)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{
		"PIXMILL_AUTOSCALE_STABLE_WINDOW":               "20s",
		"PIXMILL_AUTOSCALE_MAX_SCALE":                   "7",
		"PIXMILL_AUTOSCALE_PANIC_THRESHOLD_PERCENTAGE":  "150",
		"PIXMILL_AUTOSCALE_SCALE_TO_ZERO_GRACE_PERIOD":  "5s",
		"PIXMILL_AUTOSCALE_TARGET":                      "2.5",
		"PIXMILL_AUTOSCALE_UNRELATED_KEY_IS_NOT_LOOKED": "x",
	}
	got, err := DefaultConfig().FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	want.StableWindow, want.MaxScale, want.PanicThresholdPercentage, want.ScaleToZeroGracePeriod, want.Target = 20*time.Second, 7, 150, 5*time.Second, 2.5
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	_, err = DefaultConfig().FromEnv(func(k string) string {
		return map[string]string{"PIXMILL_AUTOSCALE_TICK": "often", "PIXMILL_AUTOSCALE_MIN_SCALE": "1.5"}[k]
	})
	for _, want := range []string{`PIXMILL_AUTOSCALE_TICK="often" is not a duration`, `PIXMILL_AUTOSCALE_MIN_SCALE="1.5" is not a whole number`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want it to say %s", err, want)
		}
	}
}

// TestEveryKeyReadsFromEnv: a value of its kind in the environment reaches
// each field of Config, under the key its doc comment names.
func TestEveryKeyReadsFromEnv(t *testing.T) {
	typ := reflect.TypeFor[Config]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		key := Key(f.Name)
		val := map[reflect.Kind]string{reflect.Int: "3", reflect.Float64: "3", reflect.Int64: "3s"}[f.Type.Kind()]
		got, err := Config{}.FromEnv(func(k string) string {
			if k == EnvPrefix+envName(key) {
				return val
			}
			return ""
		})
		if err != nil {
			t.Errorf("%s=%s: %v", key, val, err)
			continue
		}
		if v := reflect.ValueOf(got).Field(i); v.IsZero() {
			t.Errorf("%s=%s left Config.%s at zero", key, val, f.Name)
		}
	}
}

// TestKeysAreKnatives: field names become Knative's keys.
func TestKeysAreKnatives(t *testing.T) {
	for field, want := range map[string]string{
		"MinScale":               "min-scale",
		"PanicWindowPercentage":  "panic-window-percentage",
		"ScaleToZeroGracePeriod": "scale-to-zero-grace-period",
		"MaxScaleUpRate":         "max-scale-up-rate",
		"Tick":                   "tick",
	} {
		if got := Key(field); got != want {
			t.Errorf("Key(%s) = %q, want %q", field, got, want)
		}
	}
}
