package records

import (
	"context"
	"time"

	"github.com/pixmill/pixmill/events/fault"
)

// FleetStatus is what the processors' supervisor last said about them. The
// gateway shows it on unfinished jobs, so that a fleet that keeps crashing is
// reported rather than leaving people waiting in silence.
type FleetStatus struct {
	Healthy bool      `json:"healthy"`
	Message string    `json:"message,omitempty"`
	At      time.Time `json:"at"`
}

// PutFleetStatus stores the supervisor's report.
func (s *Store) PutFleetStatus(ctx context.Context, st FleetStatus) error {
	return s.put(ctx, fleetKey, st)
}

// FleetStatus reads the last report; with none, the fleet is taken as
// healthy (a deployment without a supervisor, such as Cloud Run).
func (s *Store) FleetStatus(ctx context.Context) (FleetStatus, error) {
	var st FleetStatus
	err := s.get(ctx, fleetKey, &st)
	if fault.KindOf(err) == fault.NotFound {
		return FleetStatus{Healthy: true}, nil
	}
	return st, err
}
