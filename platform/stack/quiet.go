package stack

import (
	"context"
	"log/slog"
)

// quieter passes on only records at min or above: the NATS server narrates
// its start-up at info level, which buries pixmill's own lines.
func quieter(log *slog.Logger, min slog.Level) *slog.Logger {
	return slog.New(levelFloor{log.Handler(), min})
}

type levelFloor struct {
	slog.Handler
	min slog.Level
}

func (h levelFloor) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h levelFloor) WithAttrs(as []slog.Attr) slog.Handler {
	return levelFloor{h.Handler.WithAttrs(as), h.min}
}

func (h levelFloor) WithGroup(name string) slog.Handler {
	return levelFloor{h.Handler.WithGroup(name), h.min}
}
