package fault

import (
	"net/http"
)

// Status says what a kind answers over HTTP: API is what a caller of the
// gateway sees; Push is what a function answers a push delivery (Knative
// Eventing, Pub/Sub push), where every status below 500 except 404, 408, 409
// and 429 means "do not deliver again". Push differs from API only for
// NotFound: to Knative a 404 means the subscriber is not there yet and is
// retried, while for a task a missing original is as final as a broken one.
type Status struct {
	Kind    Kind
	API     int
	Push    int
	Meaning string
}

// statuses is the table. docs/api.md shows it; a test holds the two
// together.
var statuses = []Status{
	{InvalidArgument, http.StatusBadRequest, http.StatusBadRequest, "the request is malformed: an unknown op, a value out of range"},
	{NotFound, http.StatusNotFound, http.StatusUnprocessableEntity, "no such object, or one that belongs to someone else"},
	{LimitExceeded, http.StatusRequestEntityTooLarge, http.StatusRequestEntityTooLarge, "over a limit that protects the fleet: size, pixels, frames"},
	{Permanent, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity, "the picture cannot take the edit; trying again will not help"},
	{Transient, http.StatusServiceUnavailable, http.StatusServiceUnavailable, "storage or the queue is unavailable; retried"},
}

// PanicStatus is the status of a recovered panic ([Catch]), on both paths:
// a 500 is retried by every push sender, as the panic may not recur.
const PanicStatus = http.StatusInternalServerError

// Kinds lists every kind, in the order of the status table.
func Kinds() []Kind {
	ks := make([]Kind, len(statuses))
	for i, s := range statuses {
		ks[i] = s.Kind
	}
	return ks
}

// Statuses is the table, one row per kind, for documentation and tests.
func Statuses() []Status { return append([]Status(nil), statuses...) }

// HTTPStatus is the status the gateway answers for err; nil is 200.
func HTTPStatus(err error) int { return statusOf(err, false) }

// PushStatus is the status a function answers a push delivery for err; nil
// is 200. It differs from [HTTPStatus] only where the table says so.
func PushStatus(err error) int { return statusOf(err, true) }

func statusOf(err error, push bool) int {
	if err == nil {
		return http.StatusOK
	}
	if Panicked(err) {
		return PanicStatus
	}
	k := KindOf(err)
	for _, s := range statuses {
		if s.Kind == k {
			if push {
				return s.Push
			}
			return s.API
		}
	}
	return http.StatusServiceUnavailable
}
