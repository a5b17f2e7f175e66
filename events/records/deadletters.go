package records

import (
	"context"
	"slices"
	"time"

	"github.com/pixmill/pixmill/events/fault"
)

// DeadLetterNotification is the Kind of a job's notification that could
// not be delivered (platform/notify), parked beside the requests. Its Key
// is NotificationDeadLetterKey(job); it has no Body: a redrive asks for
// the notification again (RedriveNotification).
const DeadLetterNotification = "notification"

// NotificationDeadLetterKey is the dead-letter key of job's notification.
func NotificationDeadLetterKey(job string) string { return "notify-" + job }

// DeadLetter is a request parked on the dead-letter topic, kept so it can be
// listed and redriven.
type DeadLetter struct {
	// Key identifies the record: the task id, the event id of a message
	// that was not a task request, or notify-{job} for a notification.
	Key      string    `json:"key"`
	Job      string    `json:"job,omitempty"`
	Task     string    `json:"task,omitempty"`
	Owner    string    `json:"owner,omitempty"`
	Reason   string    `json:"reason"`
	Kind     string    `json:"kind"`
	Attempts int       `json:"attempts"`
	At       time.Time `json:"at"`
	// Body and Metadata are the parked message as it was sent, without the
	// dead-letter attributes, ready to be sent again.
	Body     []byte            `json:"body"`
	Metadata map[string]string `json:"metadata"`
}

// PutDeadLetter stores a dead-letter record; the same request parked twice
// overwrites its record.
func (s *Store) PutDeadLetter(ctx context.Context, d DeadLetter) error {
	return s.put(ctx, deadLetterKey(d.Key), d)
}

// DeadLetters lists every dead-letter record, oldest first.
func (s *Store) DeadLetters(ctx context.Context) ([]DeadLetter, error) {
	var out []DeadLetter
	keys, err := s.keys(ctx, "records/deadletter/")
	if err != nil {
		return nil, err
	}
	for _, key := range keys {
		var d DeadLetter
		err := s.get(ctx, key, &d)
		if fault.KindOf(err) == fault.NotFound {
			continue // redriven since it was listed
		}
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b DeadLetter) int { return a.At.Compare(b.At) })
	return out, nil
}

// DeleteDeadLetter removes a record after its request was sent again.
func (s *Store) DeleteDeadLetter(ctx context.Context, key string) error {
	return s.remove(ctx, deadLetterKey(key))
}
