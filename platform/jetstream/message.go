package jetstream

import (
	"errors"
	"time"

	natsjs "github.com/nats-io/nats.go/jetstream"
	"gocloud.dev/pubsub"
)

// errNotJetStream is returned by the helpers below for a message that some
// other driver delivered.
var errNotJetStream = errors.New("jetstream: not a message received through this driver")

func jsMsg(m *pubsub.Message) (natsjs.Msg, bool) {
	var jm natsjs.Msg
	ok := m.As(&jm)
	return jm, ok
}

// DeliveryCount is how many times the server has delivered m, this delivery
// included: 1 the first time, then one more after each nack or expired
// lease. The count is kept by the server, so it survives the crash of a
// subscriber. ok is false for a message from another driver. It has the
// signature of runner.Config.DeliveryCount.
func DeliveryCount(m *pubsub.Message) (n int, ok bool) {
	jm, ok := jsMsg(m)
	if !ok {
		return 0, false
	}
	meta, err := jm.Metadata()
	if err != nil {
		return 0, false
	}
	return int(meta.NumDelivered), true
}

// ExtendLease restarts m's ack wait, telling the server m is still being
// worked on, so that it is not delivered to someone else meanwhile. A long
// handler calls it at intervals shorter than the ack wait. The request is
// sent without waiting for a reply.
func ExtendLease(m *pubsub.Message) error {
	jm, ok := jsMsg(m)
	if !ok {
		return errNotJetStream
	}
	return jm.InProgress()
}

// NackWithDelay asks the server to deliver m again once d has passed (backoff
// for transient failures), and settles m with gocloud: call it instead of
// m.Nack, and do not Ack or Nack m after it. If the delayed nack cannot be
// sent, the error is returned and m is nacked as usual (delivered again at
// once, or after its ack wait if the server is unreachable). A message from
// another driver is left alone, with an error.
func NackWithDelay(m *pubsub.Message, d time.Duration) error {
	jm, ok := jsMsg(m)
	if !ok {
		return errNotJetStream
	}
	err := jm.NakWithDelay(d)
	// After a delayed nak the driver's own nak is refused as a double
	// ack and dropped; it only tells gocloud that m is settled.
	m.Nack()
	return err
}
