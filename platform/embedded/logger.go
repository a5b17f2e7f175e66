package embedded

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
)

// levelTrace is the slog level of the server's trace lines, one per protocol
// message: far below debug, so that a debug logger does not drown in them.
const levelTrace = slog.LevelDebug - 4

// serverLogger adapts a slog.Logger to the server's Logger interface. It also
// remembers the last fatal line, because the server reports a failure to
// start (a store directory it cannot use, a port already taken) only by
// logging it; Start puts that line in its error.
type serverLogger struct {
	log *slog.Logger

	mu    sync.Mutex
	fatal string
}

func newServerLogger(l *slog.Logger) *serverLogger {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return &serverLogger{log: l}
}

func (l *serverLogger) enabled(level slog.Level) bool {
	return l.log.Enabled(context.Background(), level)
}

func (l *serverLogger) Noticef(format string, v ...any) { l.log.Info(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }

func (l *serverLogger) Tracef(format string, v ...any) {
	l.log.Log(context.Background(), levelTrace, fmt.Sprintf(format, v...))
}

// Fatalf does not exit, unlike the server's own logger: the server stops
// starting after a fatal line, and Start turns that into an error.
func (l *serverLogger) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.mu.Lock()
	l.fatal = msg
	l.mu.Unlock()
	l.log.Error(msg)
}

func (l *serverLogger) lastFatal() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fatal
}
