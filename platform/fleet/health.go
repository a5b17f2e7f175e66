package fleet

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/pixmill/pixmill/events/records"
)

// Health judges the fleet from its crashes in the last minute: more than one
// per worker slot, and at least three, is a crash loop rather than bad luck.
func Health(crashes, slots int, now time.Time) records.FleetStatus {
	if crashes >= max(3, slots+1) {
		return records.FleetStatus{Message: fmt.Sprintf("the processors stopped unexpectedly %d times in the last minute", crashes), At: now}
	}
	return records.FleetStatus{Healthy: true, At: now}
}

// Report tells the gateway, through a record, when the workers keep
// crashing: then unfinished jobs show "processing unavailable, retrying"
// instead of waiting in silence. It writes on every change, and refreshes a
// bad report every 20 s so the gateway can tell a live one from one left by
// a supervisor that is gone. It returns when ctx ends.
func (f *Fleet) Report(ctx context.Context, store *records.Store, slots int, log *slog.Logger) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	var last records.FleetStatus
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		st := Health(f.Crashes(now, time.Minute), slots, now)
		if st.Healthy == last.Healthy && (st.Healthy || now.Sub(last.At) < 20*time.Second) {
			continue
		}
		if err := store.PutFleetStatus(ctx, st); err != nil {
			log.Warn("recording the fleet status", "err", err)
			continue
		}
		last = st
	}
}
