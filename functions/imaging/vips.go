package imaging

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/davidbyttow/govips/v2/vips"
)

// libState is what Startup learnt about the installed libvips.
type libState struct {
	readable []format // accepted input formats libvips can load
	writable []format // formats libvips can save, tried at start-up
}

var (
	// lib is nil before Startup and after Shutdown; Process and Probe read it
	// without a lock.
	lib       atomic.Pointer[libState]
	startMu   sync.Mutex
	shutdown  bool
	errNotRun = errors.New("imaging: Startup has not been called, or Shutdown has")
)

// Startup starts libvips with cfg. It fails if cfg is invalid or libvips was
// already started; libvips cannot be started again after [Shutdown].
func Startup(cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	startMu.Lock()
	defer startMu.Unlock()
	if shutdown {
		return errors.New("imaging: libvips cannot be started again after Shutdown")
	}
	if lib.Load() != nil {
		return errors.New("imaging: Startup called twice")
	}
	// Set before vips.Startup, which logs every loader it finds at info level.
	vips.LoggingSettings(logTo(cfg.Logger), vips.LogLevelWarning)
	vips.Startup(&vips.Config{
		ConcurrencyLevel: cfg.Concurrency,
		// The operation cache is off: a worker sees each picture once, so
		// cached operations (and the pictures they hold) only take memory.
		MaxCacheSize:  0,
		MaxCacheMem:   0,
		MaxCacheFiles: 0,
	})
	st := &libState{}
	for _, f := range formats {
		if vips.IsTypeSupported(f.typ) {
			st.readable = append(st.readable, f)
		}
	}
	// Whether libvips has a saver says little about HEIF and AVIF, whose
	// encoders are libheif plug-ins packaged apart; saving a tiny picture
	// shows what really works, in a few milliseconds.
	st.writable = writableFormats()
	lib.Store(st)
	return nil
}

// Shutdown stops libvips. Nothing in this package works afterwards.
func Shutdown() {
	startMu.Lock()
	defer startMu.Unlock()
	if lib.Load() == nil {
		return
	}
	lib.Store(nil)
	shutdown = true
	vips.Shutdown()
}

// Formats lists the output formats the installed libvips can write, for
// Output.Format. It is empty before Startup.
func Formats() []string {
	st := lib.Load()
	if st == nil {
		return nil
	}
	names := make([]string, len(st.writable))
	for i, f := range st.writable {
		names[i] = f.Name
	}
	return names
}

func writableFormats() []format {
	img, err := vips.Black(8, 8)
	if err != nil {
		return nil
	}
	defer img.Close()
	if err := img.ToColorSpace(vips.InterpretationSRGB); err != nil {
		return nil
	}
	var out []format
	for _, f := range formats {
		if _, err := export(img, f, 0); err == nil {
			out = append(out, f)
		}
	}
	return out
}

func logTo(l *slog.Logger) vips.LoggingHandlerFunction {
	if l == nil {
		return func(string, vips.LogLevel, string) {}
	}
	return func(domain string, level vips.LogLevel, msg string) {
		lv := slog.LevelWarn
		if level == vips.LogLevelError || level == vips.LogLevelCritical {
			lv = slog.LevelError
		}
		l.Log(context.Background(), lv, msg, "domain", domain)
	}
}
