// The Pub/Sub admin calls use the v1 API's clients, as package brokers
// does: gocloud.dev's gcppubsub:// driver is built on it.
//
//lint:file-ignore SA1019 brokers' Pub/Sub specs are cloud.google.com/go/pubsub/apiv1 types.
package provision

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"

	raw "cloud.google.com/go/pubsub/apiv1"
	pb "cloud.google.com/go/pubsub/apiv1/pubsubpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/platform/brokers"
)

// Pub/Sub's bounds on a subscription's ack deadline.
const (
	pubsubMinAck = 10 * time.Second
	pubsubMaxAck = 600 * time.Second
)

// planPubSub makes each topic, and each subscription on its queue's topic
// with the policies brokers.PubSubRequestsSubscription and
// brokers.PubSubSubscription give it. The clients reach the emulator at
// PUBSUB_EMULATOR_HOST when it is set, as gocloud.dev does.
func planPubSub(ctx context.Context, q brokers.Queues, o Options) ([]Item, error) {
	if q.RequestsSubscription != "" && (o.AckWait < pubsubMinAck || o.AckWait > pubsubMaxAck) {
		return nil, fault.New(fault.InvalidArgument, "ack-wait: %s is outside Pub/Sub's ack deadlines, %s to %s", o.AckWait, pubsubMinAck, pubsubMaxAck)
	}
	opts, err := brokers.PubSubClientOptions()
	if err != nil {
		return nil, unreachable(err, "PUBSUB_EMULATOR_HOST")
	}
	pc, err := raw.NewPublisherClient(ctx, opts...)
	if err != nil {
		return nil, unreachable(err, "Pub/Sub publisher client")
	}
	defer pc.Close()
	sc, err := raw.NewSubscriberClient(ctx, opts...)
	if err != nil {
		return nil, unreachable(err, "Pub/Sub subscriber client")
	}
	defer sc.Close()
	// A broker that is not there fails each call only when its deadline
	// runs out; a short one makes that error come soon.
	call := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, 20*time.Second) }

	var items []Item
	topics := map[string]string{}
	for _, r := range roles(q) {
		if r.topic == "" {
			continue
		}
		name, err := pubsubPath(r.topicFlag(), r.topic, "topics")
		if err != nil {
			return items, err
		}
		topics[r.name] = name
		it := Item{Kind: "topic", Name: name, For: r.topicFlag(), Outcome: OK}
		c, cancel := call()
		_, err = pc.GetTopic(c, &pb.GetTopicRequest{Topic: name})
		cancel()
		if status.Code(err) == codes.NotFound {
			it.Outcome = Created
			if !o.DryRun {
				c, cancel := call()
				_, err = pc.CreateTopic(c, &pb.Topic{Name: name})
				cancel()
				if err != nil {
					return items, fault.Wrap(fault.Permanent, err, "%s: creating topic %s", r.topicFlag(), name)
				}
			}
			err = nil
		}
		if err != nil {
			return items, unreachable(err, "%s: reading topic %s (PUBSUB_EMULATOR_HOST=%q)", r.topicFlag(), name, emulator())
		}
		items = append(items, it)
	}
	for _, r := range roles(q) {
		if r.sub == "" {
			continue
		}
		name, err := pubsubPath(r.subFlag(), r.sub, "subscriptions")
		if err != nil {
			return items, err
		}
		want := brokers.PubSubSubscription(name, topics[r.name])
		if r.name == "requests" {
			want = brokers.PubSubRequestsSubscription(name, topics[r.name], topics["deadletter"], o.AckWait, brokers.PubSubDeadLetterAttempts(o.MaxAttempts, false))
			if topics["deadletter"] == "" {
				want.DeadLetterPolicy = nil
			}
		}
		it := Item{Kind: "subscription", Name: name, For: r.subFlag()}
		c, cancel := call()
		have, err := sc.GetSubscription(c, &pb.GetSubscriptionRequest{Subscription: name})
		cancel()
		switch {
		case status.Code(err) == codes.NotFound:
			it.Outcome = Created
			if o.DryRun {
				break
			}
			if want.Topic == "" {
				return items, fault.New(fault.InvalidArgument, "%s: subscription %s does not exist, and making it needs --%s", r.subFlag(), name, r.topicFlag())
			}
			c, cancel := call()
			_, err = sc.CreateSubscription(c, want)
			cancel()
			if err != nil {
				return items, fault.Wrap(fault.Permanent, err, "%s: creating subscription %s", r.subFlag(), name)
			}
		case err != nil:
			return items, unreachable(err, "%s: reading subscription %s (PUBSUB_EMULATOR_HOST=%q)", r.subFlag(), name, emulator())
		default:
			if want.Topic == "" {
				want.Topic = have.GetTopic() // not given: any topic will do
			}
			if want.DeadLetterPolicy == nil && r.name == "requests" {
				want.DeadLetterPolicy = have.GetDeadLetterPolicy()
			}
			d := brokers.PubSubDiff(have, want)
			switch {
			case len(d) == 0:
				it.Outcome = OK
			case !o.Update || have.GetTopic() != want.GetTopic():
				// A subscription cannot move to another topic.
				it.Outcome, it.Details = Differs, d
			case o.DryRun:
				it.Outcome, it.Details = Updated, d
			default:
				it.Outcome, it.Details = Differs, d
				c, cancel := call()
				_, err := sc.UpdateSubscription(c, &pb.UpdateSubscriptionRequest{
					Subscription: want,
					UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"ack_deadline_seconds", "dead_letter_policy", "retry_policy"}},
				})
				cancel()
				updated(&it, err)
			}
		}
		items = append(items, it)
	}
	return items, nil
}

// pubsubPath turns gcppubsub://projects/P/KIND/NAME, or the short
// gcppubsub://P/NAME, into projects/P/KIND/NAME, as gocloud.dev reads them.
func pubsubPath(flag, s, kind string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fault.Wrap(fault.InvalidArgument, err, "%s: the URL does not parse", flag)
	}
	p := path.Join(u.Host, u.Path)
	if strings.HasPrefix(p, "projects/") {
		if parts := strings.Split(p, "/"); len(parts) != 4 || parts[2] != kind {
			return "", fault.New(fault.InvalidArgument, "%s: %q is not gcppubsub://projects/PROJECT/%s/NAME", flag, s, kind)
		}
		return p, nil
	}
	project, name, ok := strings.Cut(p, "/")
	if !ok || project == "" || name == "" || strings.Contains(name, "/") {
		return "", fault.New(fault.InvalidArgument, "%s: %q is not gcppubsub://projects/PROJECT/%s/NAME or gcppubsub://PROJECT/NAME", flag, s, kind)
	}
	return fmt.Sprintf("projects/%s/%s/%s", project, kind, name), nil
}
