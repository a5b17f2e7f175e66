package provision

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/platform/brokers"
	"github.com/pixmill/pixmill/platform/jetstream"
)

// planJetStream makes, for each queue, the stream that holds its subject
// (named by jetstream.StreamName, configured by jetstream.StreamConfig) and
// the durable consumer of its subscription URL.
func planJetStream(ctx context.Context, q brokers.Queues, o Options) ([]Item, error) {
	var items []Item
	conns := map[string]natsjs.JetStream{}
	defer func() {
		for _, js := range conns {
			js.Conn().Close()
		}
	}()
	dial := func(flag, server string) (natsjs.JetStream, error) {
		if js, ok := conns[server]; ok {
			return js, nil
		}
		nc, err := nats.Connect(server, nats.Name("pixmill provision"))
		if err != nil {
			return nil, unreachable(err, "%s: cannot reach NATS at %s", flag, redact(server))
		}
		js, err := natsjs.New(nc)
		if err != nil {
			nc.Close()
			return nil, unreachable(err, "%s: JetStream at %s", flag, redact(server))
		}
		conns[server] = js
		return js, nil
	}
	for _, r := range roles(q) {
		if r.topic == "" && r.sub == "" {
			continue
		}
		var (
			server, subject, flag string
			err                   error
			sub                   jetstream.SubscriptionOptions
		)
		if r.topic != "" {
			flag = r.topicFlag()
			server, subject, err = jetstream.ParseTopicURL(r.topic)
		}
		if err == nil && r.sub != "" {
			var subServer, subSubject string
			subServer, subSubject, sub, err = jetstream.ParseSubscriptionURL(r.sub)
			if err == nil && r.topic != "" && (subServer != server || subSubject != subject) {
				err = fmt.Errorf("%s: %s is not on the topic's server and subject %s", r.subFlag(), redact(r.sub), redact(r.topic))
			}
			if r.topic == "" {
				flag, server, subject = r.subFlag(), subServer, subSubject
			}
		}
		if err != nil {
			return items, fault.Wrap(fault.InvalidArgument, err, "%s", flag)
		}
		js, err := dial(flag, server)
		if err != nil {
			return items, err
		}
		it, stream, err := ensureStream(ctx, js, subject, flag, o)
		if err != nil {
			return items, err
		}
		items = append(items, it)
		if r.sub == "" {
			continue
		}
		it, err = ensureConsumer(ctx, js, stream, it.Outcome == Created, subject, sub, r.subFlag(), o)
		if err != nil {
			return items, err
		}
		items = append(items, it)
	}
	return items, nil
}

// ensureStream finds the stream that holds subject, whatever its name, or
// makes one.
func ensureStream(ctx context.Context, js natsjs.JetStream, subject, flag string, o Options) (Item, string, error) {
	want := jetstream.StreamConfig(jetstream.StreamName(subject), []string{subject}, &jetstream.StreamOptions{Replicas: o.Replicas})
	it := Item{Kind: "stream", Name: want.Name, For: flag}
	name, err := js.StreamNameBySubject(ctx, subject)
	switch {
	case errors.Is(err, natsjs.ErrStreamNotFound):
		it.Outcome, it.Details = Created, []string{fmt.Sprintf("subject %s, work queue, file storage, %d replica(s)", subject, want.Replicas)}
		if o.DryRun {
			return it, want.Name, nil
		}
		if _, err := js.CreateStream(ctx, want); err != nil {
			return it, "", fault.Wrap(fault.Permanent, err, "%s: creating stream %s for subject %s", flag, want.Name, subject)
		}
		return it, want.Name, nil
	case err != nil:
		return it, "", unreachable(err, "%s: finding the stream that holds subject %s", flag, subject)
	}
	it.Name = name
	s, err := js.Stream(ctx, name)
	if err != nil {
		return it, "", unreachable(err, "%s: reading stream %s", flag, name)
	}
	want.Name = name
	have := s.CachedInfo().Config
	d := jetstream.StreamDiff(have, want)
	switch {
	case len(d) == 0:
		it.Outcome = OK
	case !o.Update:
		it.Outcome, it.Details = Differs, d
	default:
		// The operator's own settings (limits, other subjects) stay;
		// the server refuses what it cannot change in place
		// (retention, storage), and the item then still differs.
		it.Outcome, it.Details = Differs, d
		upd := have
		upd.Retention, upd.Storage, upd.Replicas = want.Retention, want.Storage, want.Replicas
		for _, subj := range want.Subjects {
			if !slices.Contains(upd.Subjects, subj) {
				upd.Subjects = append(slices.Clone(upd.Subjects), subj)
			}
		}
		if o.DryRun {
			it.Outcome = Updated
			break
		}
		_, err := js.UpdateStream(ctx, upd)
		updated(&it, err)
	}
	return it, name, nil
}

// ensureConsumer makes the durable consumer of a subscription URL on
// stream. Opening the subscription would make it too; provisioning it
// shows it, and its backlog, before the first worker starts.
func ensureConsumer(ctx context.Context, js natsjs.JetStream, stream string, streamNew bool, subject string, opts jetstream.SubscriptionOptions, flag string, o Options) (Item, error) {
	dryRun := o.DryRun
	want := jetstream.ConsumerConfig(subject, opts)
	it := Item{Kind: "consumer", Name: stream + "/" + want.Durable, For: flag, Optional: true}
	if streamNew && dryRun {
		it.Outcome = Created
		return it, nil
	}
	c, err := js.Consumer(ctx, stream, want.Durable)
	switch {
	case errors.Is(err, natsjs.ErrConsumerNotFound):
		it.Outcome = Created
		if dryRun {
			return it, nil
		}
		if _, err := js.CreateConsumer(ctx, stream, want); err != nil {
			return it, fault.Wrap(fault.Permanent, err, "%s: creating consumer %s on stream %s", flag, want.Durable, stream)
		}
		return it, nil
	case err != nil:
		return it, unreachable(err, "%s: reading consumer %s on stream %s", flag, want.Durable, stream)
	}
	d := jetstream.ConsumerDiff(c.CachedInfo().Config, want)
	switch {
	case len(d) == 0:
		it.Outcome = OK
	case !o.Update:
		it.Outcome, it.Details = Differs, d
	case dryRun:
		it.Outcome, it.Details = Updated, d
	default:
		it.Outcome, it.Details = Differs, d
		_, err := js.UpdateConsumer(ctx, stream, want)
		updated(&it, err)
	}
	return it, nil
}
