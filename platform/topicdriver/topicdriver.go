// Package topicdriver holds what pixmill's gocloud.dev topic drivers
// (jetstream and cehttptopic) share: sending a batch message by message,
// and handing the driver's own types to a message's BeforeSend and
// AfterSend hooks.
package topicdriver

import (
	"context"

	"gocloud.dev/pubsub/driver"
)

// SendEach sends the messages one after the other with send and stops at
// the first error, so that a nil error means every one of them was sent.
func SendEach(ctx context.Context, dms []*driver.Message, send func(context.Context, *driver.Message) error) error {
	for _, dm := range dms {
		if err := send(ctx, dm); err != nil {
			return err
		}
	}
	return nil
}

// As returns the As function that a BeforeSend or AfterSend hook gets: it
// sets a target of type *T to v and reports whether the target was one.
func As[T any](v T) func(any) bool {
	return func(i any) bool {
		p, ok := i.(*T)
		if ok {
			*p = v
		}
		return ok
	}
}

// BeforeSend runs dm's BeforeSend hook, if it has one, on v.
func BeforeSend[T any](dm *driver.Message, v T) error {
	if dm.BeforeSend == nil {
		return nil
	}
	return dm.BeforeSend(As(v))
}

// AfterSend runs dm's AfterSend hook, if it has one, on v.
func AfterSend[T any](dm *driver.Message, v T) error {
	if dm.AfterSend == nil {
		return nil
	}
	return dm.AfterSend(As(v))
}
