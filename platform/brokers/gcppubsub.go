// The gcppubsub:// driver (gocloud.dev/pubsub/gcppubsub) is built on the v1
// Pub/Sub client, and its Message.As hands out the v1 API's types; the v2
// types would not match. gocloud.dev's gcppubsubv2:// driver is the v2
// counterpart.
//
//lint:file-ignore SA1019 gcppubsub:// exposes cloud.google.com/go/pubsub/apiv1 types.

package brokers

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	raw "cloud.google.com/go/pubsub/apiv1"
	pb "cloud.google.com/go/pubsub/apiv1/pubsubpb"
	"gocloud.dev/pubsub"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/pixmill/pixmill/platform/runner"
)

const pubsubScheme = "gcppubsub"

// PubSubDeliveryCount reads Pub/Sub's delivery attempt of m: 1 plus the
// number of nacks and expired ack deadlines so far. Pub/Sub sets it only on
// subscriptions with a dead-letter policy; elsewhere, and for a message that
// is not from Pub/Sub, it reports false.
func PubSubDeliveryCount(m *pubsub.Message) (int, bool) {
	var rm *pb.ReceivedMessage
	if !m.As(&rm) || rm.GetDeliveryAttempt() <= 0 {
		return 0, false
	}
	return int(rm.GetDeliveryAttempt()), true
}

// pubSubBroker extends leases with ModifyAckDeadline, which needs the
// subscription's name and a client: gocloud.dev's message exposes only the
// ack id. The client is dialled on first use, the way gocloud.dev dials
// (PUBSUB_EMULATOR_HOST, else Application Default Credentials).
func pubSubBroker(u *url.URL) runner.Broker {
	sub := subscriptionPath(u)
	var (
		once     sync.Once
		deadline int32
		initErr  error
	)
	extend := func(m *pubsub.Message) error {
		var rm *pb.ReceivedMessage
		if !m.As(&rm) {
			return errors.New("brokers: not a Pub/Sub message")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := subscriberClient(ctx)
		if err != nil {
			return err
		}
		once.Do(func() {
			s, err := c.GetSubscription(ctx, &pb.GetSubscriptionRequest{Subscription: sub})
			if err != nil {
				initErr = fmt.Errorf("brokers: reading the ack deadline of %s: %w", sub, err)
				return
			}
			deadline = s.GetAckDeadlineSeconds()
		})
		if initErr != nil {
			return initErr
		}
		return c.ModifyAckDeadline(ctx, &pb.ModifyAckDeadlineRequest{Subscription: sub, AckIds: []string{rm.GetAckId()}, AckDeadlineSeconds: deadline})
	}
	return runner.Broker{DeliveryCount: PubSubDeliveryCount, ExtendLease: extend}
}

// subscriptionPath turns gcppubsub://projects/P/subscriptions/S or the short
// gcppubsub://P/S into projects/P/subscriptions/S, as gocloud.dev does.
func subscriptionPath(u *url.URL) string {
	p := path.Join(u.Host, u.Path)
	if strings.HasPrefix(p, "projects/") {
		return p
	}
	project, name, _ := strings.Cut(p, "/")
	return "projects/" + project + "/subscriptions/" + name
}

var shared struct {
	once sync.Once
	c    *raw.SubscriberClient
	err  error
}

func subscriberClient(ctx context.Context) (*raw.SubscriberClient, error) {
	shared.once.Do(func() {
		opts, err := clientOptions()
		if err != nil {
			shared.err = err
			return
		}
		shared.c, shared.err = raw.NewSubscriberClient(context.WithoutCancel(ctx), opts...)
	})
	return shared.c, shared.err
}

func clientOptions() ([]option.ClientOption, error) {
	host := os.Getenv("PUBSUB_EMULATOR_HOST")
	if host == "" {
		return nil, nil
	}
	conn, err := grpc.NewClient(host, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("brokers: dialling the Pub/Sub emulator at %s: %w", host, err)
	}
	return []option.ClientOption{option.WithGRPCConn(conn)}, nil
}

// PubSubConfig says how ProvisionPubSub makes pixmill's topics and
// subscriptions.
type PubSubConfig struct {
	// Project is the Google Cloud project id.
	Project string
	// Prefix names the topics and subscriptions: PREFIX-requests,
	// PREFIX-responses, PREFIX-deadletter.
	Prefix string
	// MaxAttempts is the platform's (pixmill up --max-attempts). The
	// requests subscription's dead-letter policy forwards a message after
	// max(5, MaxAttempts+1) delivery attempts, once the platform has had
	// its chance to park it; 5 is Pub/Sub's smallest allowed value.
	MaxAttempts int
	// AckDeadline is the requests subscription's lease, 10s to 600s; give
	// pixmill up the same --ack-wait.
	AckDeadline time.Duration
	// Push, when set, makes push subscriptions that deliver to the
	// functions' URLs, as infra/terraform does for Cloud Run, instead of
	// the pull subscriptions pixmill up's workers read.
	Push *PushEndpoints
}

// PushEndpoints are the URLs of the functions (pixmill-function, with
// FUNCTION_TARGET Edit, Results and DeadLetter) that push subscriptions
// deliver to, in Pub/Sub's wrapped push format.
type PushEndpoints struct {
	Edit, Results, DeadLetter string
}

// ProvisionPubSub creates pixmill's topics and subscriptions and returns
// their URLs; what exists already is left as it is. opts reach the Pub/Sub
// API (none for Application Default Credentials; PUBSUB_EMULATOR_HOST is
// honoured as by gocloud.dev).
//
// The requests subscription has a dead-letter policy, which is what makes
// Pub/Sub count delivery attempts (see PubSubDeliveryCount), and a retry
// policy (1s to 60s), which spaces redeliveries of nacked requests. On real
// Pub/Sub the service agent also needs publish rights on the dead-letter
// topic and subscribe rights on the requests subscription (infra/ grants
// them). Workers receive one message per pull (max_recv_batch_size=1): a
// request fetched ahead would sit unextended and come back with its count
// raised.
func ProvisionPubSub(ctx context.Context, cfg PubSubConfig, opts ...option.ClientOption) (Queues, error) {
	if len(opts) == 0 {
		o, err := clientOptions()
		if err != nil {
			return Queues{}, err
		}
		opts = o
	}
	pc, err := raw.NewPublisherClient(ctx, opts...)
	if err != nil {
		return Queues{}, fmt.Errorf("brokers: pubsub publisher client: %w", err)
	}
	defer pc.Close()
	sc, err := raw.NewSubscriberClient(ctx, opts...)
	if err != nil {
		return Queues{}, fmt.Errorf("brokers: pubsub subscriber client: %w", err)
	}
	defer sc.Close()
	topic := func(name string) string { return "projects/" + cfg.Project + "/topics/" + cfg.Prefix + "-" + name }
	subscription := func(name string) string {
		return "projects/" + cfg.Project + "/subscriptions/" + cfg.Prefix + "-" + name
	}
	for _, name := range []string{"requests", "responses", "deadletter"} {
		if _, err := pc.CreateTopic(ctx, &pb.Topic{Name: topic(name)}); err != nil && status.Code(err) != codes.AlreadyExists {
			return Queues{}, fmt.Errorf("brokers: creating topic %s: %w", topic(name), err)
		}
	}
	subs := []*pb.Subscription{
		PubSubRequestsSubscription(subscription("requests"), topic("requests"), topic("deadletter"), cfg.AckDeadline, PubSubDeadLetterAttempts(cfg.MaxAttempts, cfg.Push != nil)),
		PubSubSubscription(subscription("responses"), topic("responses")),
		PubSubSubscription(subscription("deadletter"), topic("deadletter")),
	}
	if p := cfg.Push; p != nil {
		for i, url := range []string{p.Edit, p.Results, p.DeadLetter} {
			if url == "" {
				return Queues{}, fmt.Errorf("brokers: push subscription %s: no endpoint URL", subs[i].Name)
			}
			subs[i].PushConfig = &pb.PushConfig{PushEndpoint: url}
		}
	}
	for _, s := range subs {
		if _, err := sc.CreateSubscription(ctx, s); err != nil && status.Code(err) != codes.AlreadyExists {
			return Queues{}, fmt.Errorf("brokers: creating subscription %s: %w", s.Name, err)
		}
	}
	u := func(p string) string { return pubsubScheme + "://" + p }
	if cfg.Push != nil {
		// Nothing pulls: the subscriptions deliver to the functions.
		return Queues{
			RequestsTopic:   u(topic("requests")),
			ResponsesTopic:  u(topic("responses")),
			DeadletterTopic: u(topic("deadletter")),
		}, nil
	}
	return Queues{
		RequestsTopic:          u(topic("requests")),
		RequestsSubscription:   u(subscription("requests")) + "?max_recv_batch_size=1",
		ResponsesTopic:         u(topic("responses")),
		ResponsesSubscription:  u(subscription("responses")),
		DeadletterTopic:        u(topic("deadletter")),
		DeadletterSubscription: u(subscription("deadletter")),
	}, nil
}

// PubSubDeadLetterAttempts is the requests subscription's
// MaxDeliveryAttempts for the platform's maxAttempts. Pulled by workers, a
// request is parked by the platform after maxAttempts and the policy is the
// backstop one attempt later; pushed to a function, the policy is what
// parks it. 5 is the least Pub/Sub allows.
func PubSubDeadLetterAttempts(maxAttempts int, push bool) int {
	if push {
		return max(5, maxAttempts)
	}
	return max(5, maxAttempts+1)
}

// PubSubRequestsSubscription is the requests subscription ProvisionPubSub
// makes: the lease is ackDeadline; the dead-letter policy forwards to
// deadletterTopic after attempts deliveries (and makes Pub/Sub count them);
// the retry policy spaces redeliveries from 1s to 60s.
func PubSubRequestsSubscription(name, topic, deadletterTopic string, ackDeadline time.Duration, attempts int) *pb.Subscription {
	return &pb.Subscription{
		Name: name, Topic: topic,
		AckDeadlineSeconds: int32(ackDeadline / time.Second),
		DeadLetterPolicy:   &pb.DeadLetterPolicy{DeadLetterTopic: deadletterTopic, MaxDeliveryAttempts: int32(attempts)},
		RetryPolicy:        &pb.RetryPolicy{MinimumBackoff: durationpb.New(time.Second), MaximumBackoff: durationpb.New(time.Minute)},
	}
}

// PubSubSubscription is a responses or dead-letter subscription: a 60s
// lease, no policies (the platform never gives up on a response).
func PubSubSubscription(name, topic string) *pb.Subscription {
	return &pb.Subscription{Name: name, Topic: topic, AckDeadlineSeconds: 60}
}

// PubSubDiff names each setting of an existing subscription, have, that is
// not what want (made by the functions above) asks for. A push endpoint
// is compared only when want has one.
func PubSubDiff(have, want *pb.Subscription) []string {
	var d []string
	if have.GetTopic() != want.GetTopic() {
		d = append(d, fmt.Sprintf("topic is %s, pixmill needs %s", have.GetTopic(), want.GetTopic()))
	}
	if have.GetAckDeadlineSeconds() != want.GetAckDeadlineSeconds() {
		d = append(d, fmt.Sprintf("ack_deadline_seconds is %d, pixmill needs %d", have.GetAckDeadlineSeconds(), want.GetAckDeadlineSeconds()))
	}
	hd, wd := have.GetDeadLetterPolicy(), want.GetDeadLetterPolicy()
	if hd.GetDeadLetterTopic() != wd.GetDeadLetterTopic() || hd.GetMaxDeliveryAttempts() != wd.GetMaxDeliveryAttempts() {
		d = append(d, fmt.Sprintf("dead_letter_policy is %s, pixmill needs %s", describeDeadLetter(hd), describeDeadLetter(wd)))
	}
	hr, wr := have.GetRetryPolicy(), want.GetRetryPolicy()
	if hr.GetMinimumBackoff().AsDuration() != wr.GetMinimumBackoff().AsDuration() || hr.GetMaximumBackoff().AsDuration() != wr.GetMaximumBackoff().AsDuration() {
		d = append(d, fmt.Sprintf("retry_policy is %s, pixmill needs %s", describeRetry(hr), describeRetry(wr)))
	}
	if want.GetPushConfig().GetPushEndpoint() != "" && have.GetPushConfig().GetPushEndpoint() != want.GetPushConfig().GetPushEndpoint() {
		d = append(d, fmt.Sprintf("push endpoint is %q, pixmill needs %q", have.GetPushConfig().GetPushEndpoint(), want.GetPushConfig().GetPushEndpoint()))
	}
	return d
}

func describeDeadLetter(p *pb.DeadLetterPolicy) string {
	if p == nil {
		return "none"
	}
	return fmt.Sprintf("%d attempts to %s", p.GetMaxDeliveryAttempts(), p.GetDeadLetterTopic())
}

func describeRetry(p *pb.RetryPolicy) string {
	if p == nil {
		return "none"
	}
	return fmt.Sprintf("%s to %s", p.GetMinimumBackoff().AsDuration(), p.GetMaximumBackoff().AsDuration())
}

// PubSubClientOptions are the options with which this package reaches
// Pub/Sub: the emulator at PUBSUB_EMULATOR_HOST when set, as gocloud.dev
// does, else none (Application Default Credentials).
func PubSubClientOptions() ([]option.ClientOption, error) { return clientOptions() }

// DeletePubSub deletes what ProvisionPubSub made for cfg.
func DeletePubSub(ctx context.Context, cfg PubSubConfig, opts ...option.ClientOption) error {
	if len(opts) == 0 {
		o, err := clientOptions()
		if err != nil {
			return err
		}
		opts = o
	}
	pc, err := raw.NewPublisherClient(ctx, opts...)
	if err != nil {
		return fmt.Errorf("brokers: pubsub publisher client: %w", err)
	}
	defer pc.Close()
	sc, err := raw.NewSubscriberClient(ctx, opts...)
	if err != nil {
		return fmt.Errorf("brokers: pubsub subscriber client: %w", err)
	}
	defer sc.Close()
	var errs []error
	for _, name := range []string{"requests", "responses", "deadletter"} {
		if err := sc.DeleteSubscription(ctx, &pb.DeleteSubscriptionRequest{Subscription: "projects/" + cfg.Project + "/subscriptions/" + cfg.Prefix + "-" + name}); err != nil && status.Code(err) != codes.NotFound {
			errs = append(errs, err)
		}
		if err := pc.DeleteTopic(ctx, &pb.DeleteTopicRequest{Topic: "projects/" + cfg.Project + "/topics/" + cfg.Prefix + "-" + name}); err != nil && status.Code(err) != codes.NotFound {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
