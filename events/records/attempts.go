package records

import (
	"context"
	"strconv"

	"github.com/pixmill/pixmill/events/fault"
)

// AttemptStarted reports whether attempt n of a task has begun: whether its
// started-{n} record is there. It only reads (one existence check), for the
// worker that must tell a delivery that started from one that died unstarted
// in a worker's hands (see platform/runner, CountStarted). The edit function
// writes the record itself (MarkStarted) before it reads the picture, so an
// attempt that kills its worker has one.
func (s *Store) AttemptStarted(ctx context.Context, job, task string, n int) (bool, error) {
	key := taskKey(job, task, "started-"+strconv.Itoa(n))
	ok, err := s.bucket.Exists(ctx, key)
	if err != nil {
		return false, fault.Storage(err, "records: checking %s", key)
	}
	return ok, nil
}
