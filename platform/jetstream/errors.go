package jetstream

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
	"gocloud.dev/gcerrors"
)

// errStoreFailed is the JetStream API error code for "storing a message
// failed": a stream with DiscardNew that reached its message or byte limit,
// or a full disk. nats.go has no name for it.
const errStoreFailed natsjs.ErrorCode = 10077

// errEmptyKey rejects a metadata entry with an empty key: NATS headers need a
// name.
var errEmptyKey = errors.New("jetstream: metadata key must not be empty")

// known are the errors this driver meets, with their gocloud code and
// whether gocloud should try again. gcerrors has no "unavailable" code (it
// maps gRPC's Unavailable to Unknown too), so a broker that is away for a
// while is Unknown and retryable: a reconnecting connection, a server
// restarting or electing a leader heal by themselves. A connection that was
// closed or drained never does; it is FailedPrecondition and final, so that
// Receive reports it instead of retrying forever.
var known = []struct {
	err   error
	code  gcerrors.ErrorCode
	retry bool
}{
	{natsjs.ErrNoStreamResponse, gcerrors.NotFound, false}, // no stream holds the subject
	{natsjs.ErrStreamNotFound, gcerrors.NotFound, false},
	{natsjs.ErrConsumerNotFound, gcerrors.NotFound, false},
	{natsjs.ErrConsumerDoesNotExist, gcerrors.NotFound, false},
	{natsjs.ErrConsumerDeleted, gcerrors.NotFound, false},

	{nats.ErrTimeout, gcerrors.DeadlineExceeded, true},
	{natsjs.ErrAsyncPublishTimeout, gcerrors.DeadlineExceeded, true},

	{nats.ErrDisconnected, gcerrors.Unknown, true},
	{nats.ErrConnectionReconnecting, gcerrors.Unknown, true},
	{nats.ErrStaleConnection, gcerrors.Unknown, true},
	{nats.ErrNoResponders, gcerrors.Unknown, true},
	{natsjs.ErrNoHeartbeat, gcerrors.Unknown, true},
	{natsjs.ErrServerShutdown, gcerrors.Unknown, true},
	{natsjs.ErrConsumerLeadershipChanged, gcerrors.Unknown, true},

	{nats.ErrConnectionClosed, gcerrors.FailedPrecondition, false},
	{natsjs.ErrConnectionClosed, gcerrors.FailedPrecondition, false},
	{nats.ErrConnectionDraining, gcerrors.FailedPrecondition, false},
	{nats.ErrNoServers, gcerrors.FailedPrecondition, false},
	{natsjs.ErrJetStreamNotEnabled, gcerrors.FailedPrecondition, false},
	{natsjs.ErrMsgAlreadyAckd, gcerrors.FailedPrecondition, false},

	{nats.ErrMaxPayload, gcerrors.InvalidArgument, false},
	{natsjs.ErrStreamMessageExceedsMaximum, gcerrors.InvalidArgument, false},
	{nats.ErrBadHeaderMsg, gcerrors.InvalidArgument, false},
	{nats.ErrBadSubject, gcerrors.InvalidArgument, false},
	{natsjs.ErrInvalidSubject, gcerrors.InvalidArgument, false},
	{errEmptyKey, gcerrors.InvalidArgument, false},

	{nats.ErrAuthorization, gcerrors.PermissionDenied, false},
	{nats.ErrPermissionViolation, gcerrors.PermissionDenied, false},
	{natsjs.ErrJetStreamNotEnabledForAccount, gcerrors.PermissionDenied, false},
}

// classify gives err's code and retryability.
func classify(err error) (gcerrors.ErrorCode, bool) {
	switch {
	case errors.Is(err, context.Canceled):
		return gcerrors.Canceled, false
	case errors.Is(err, context.DeadlineExceeded):
		// The caller's own context ended; noReply turns the driver's
		// timeouts into retryable ones.
		return gcerrors.DeadlineExceeded, false
	}
	for _, k := range known {
		if errors.Is(err, k.err) {
			return k.code, k.retry
		}
	}
	var apiErr *natsjs.APIError
	if errors.As(err, &apiErr) {
		return classifyAPI(apiErr)
	}
	return gcerrors.Unknown, false
}

// classifyAPI maps a JetStream API error the table does not name, by its
// HTTP-like status.
func classifyAPI(e *natsjs.APIError) (gcerrors.ErrorCode, bool) {
	if e.ErrorCode == errStoreFailed {
		// Retrying a full stream would block the sender until a
		// consumer makes room; the caller should decide.
		return gcerrors.ResourceExhausted, false
	}
	switch e.Code {
	case 400:
		return gcerrors.InvalidArgument, false
	case 403:
		return gcerrors.PermissionDenied, false
	case 404:
		return gcerrors.NotFound, false
	case 408:
		return gcerrors.DeadlineExceeded, true
	case 409:
		return gcerrors.FailedPrecondition, false
	case 429:
		return gcerrors.ResourceExhausted, false
	case 500:
		return gcerrors.Internal, false
	case 503:
		return gcerrors.Unknown, true
	}
	return gcerrors.Unknown, false
}

func errorCode(err error) gcerrors.ErrorCode {
	code, _ := classify(err)
	return code
}

func isRetryable(err error) bool {
	_, retry := classify(err)
	return retry
}

// noReply turns the context error that nats.go returns when its own default
// timeout (not the caller's context) runs out into a retryable timeout.
// gocloud passes context errors through unchanged and never retries them, so
// without this one lost reply would fail a Send or an ack for good.
func noReply(ctx context.Context, op string, err error) error {
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("jetstream: %s: no reply from the server: %w", op, nats.ErrTimeout)
	}
	return err
}

var errorType = reflect.TypeFor[error]()

// errorAs is errors.As, except that a target errors.As would panic on (not a
// pointer to an interface or to an error type) gives false.
func errorAs(err error, target any) bool {
	v := reflect.ValueOf(target)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return false
	}
	if t := v.Type().Elem(); t.Kind() != reflect.Interface && !t.Implements(errorType) {
		return false
	}
	return errors.As(err, target)
}
