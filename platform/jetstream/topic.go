package jetstream

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
	"gocloud.dev/gcerrors"
	"gocloud.dev/pubsub"
	"gocloud.dev/pubsub/batcher"
	"gocloud.dev/pubsub/driver"

	"github.com/pixmill/pixmill/platform/topicdriver"
)

// sendBatcherOpts sends each message on its own: a send is one JetStream
// publish waiting for its ack, so a batch would only queue messages behind
// each other's round trips. Concurrency comes from the handlers instead.
var sendBatcherOpts = &batcher.Options{
	MaxBatchSize: 1,
	MaxHandlers:  100,
}

// OpenTopic returns a topic that publishes to subject on js. A stream must
// hold subject by the time messages are sent (see EnsureStream); until then
// Send fails with gcerrors.NotFound.
func OpenTopic(js natsjs.JetStream, subject string, opts *TopicOptions) (*pubsub.Topic, error) {
	t, err := openTopic(js, subject, opts)
	if err != nil {
		return nil, err
	}
	return pubsub.NewTopic(t, sendBatcherOpts), nil
}

func openTopic(js natsjs.JetStream, subject string, opts *TopicOptions) (*topic, error) {
	if err := checkSubject(subject, false); err != nil {
		return nil, err
	}
	t := &topic{js: js, subject: subject}
	if opts != nil {
		t.opts = *opts
	}
	return t, nil
}

type topic struct {
	js      natsjs.JetStream
	subject string
	opts    TopicOptions
}

var _ driver.Topic = (*topic)(nil)

// SendBatch publishes the messages one after the other, each waiting for
// the stream's ack, so that a nil error means every one of them is stored.
func (t *topic) SendBatch(ctx context.Context, dms []*driver.Message) error {
	return topicdriver.SendEach(ctx, dms, t.send)
}

func (t *topic) send(ctx context.Context, dm *driver.Message) error {
	h, err := encodeMetadata(dm.Metadata)
	if err != nil {
		return err
	}
	if key := t.opts.MsgIDKey; key != "" && dm.Metadata[key] != "" {
		if h == nil {
			h = nats.Header{}
		}
		h.Set(natsjs.MsgIDHeader, dm.Metadata[key])
	}
	m := &nats.Msg{Subject: t.subject, Data: dm.Body, Header: h}
	if err := topicdriver.BeforeSend(dm, m); err != nil {
		return err
	}
	ack, err := t.js.PublishMsg(ctx, m)
	if err != nil {
		return noReply(ctx, fmt.Sprintf("publish to %q", t.subject), err)
	}
	return topicdriver.AfterSend(dm, ack)
}

func (t *topic) IsRetryable(err error) bool { return isRetryable(err) }

// As gives the topic's natsjs.JetStream.
func (t *topic) As(i any) bool {
	p, ok := i.(*natsjs.JetStream)
	if ok {
		*p = t.js
	}
	return ok
}

func (t *topic) ErrorAs(err error, i any) bool { return errorAs(err, i) }

func (t *topic) ErrorCode(err error) gcerrors.ErrorCode { return errorCode(err) }

// Close does nothing: the connection belongs to whoever made js.
func (t *topic) Close() error { return nil }
