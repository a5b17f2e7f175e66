package backendtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
	amqp "github.com/rabbitmq/amqp091-go"
	"gocloud.dev/blob"

	"github.com/pixmill/pixmill/platform/brokers"
	"github.com/pixmill/pixmill/platform/jetstream"
)

// PubSubProject is the project the emulator's topics are made in.
const PubSubProject = "pixmill-test"

// Backends are the backends pixmill is tested on.
func Backends() []Backend {
	return []Backend{
		{Name: "embedded-jetstream", AckWait: 2 * time.Second, Setup: func(testing.TB, Params) URLs { return URLs{} }},
		{Name: "nats-jetstream", AckWait: 2 * time.Second, Setup: setupNATS, Teardown: teardownNATS},
		{Name: "rabbitmq", AckWait: 2 * time.Second, Setup: setupRabbit, Teardown: teardownRabbit},
		// Pub/Sub's shortest ack deadline is 10s.
		{Name: "gcp-pubsub-emulator", AckWait: 10 * time.Second, Setup: setupPubSub, Teardown: teardownPubSub},
		{Name: "s3", AckWait: 2 * time.Second, Setup: setupS3, Teardown: teardownS3},
	}
}

// setupNATS makes three work-queue streams on the machine's NATS server,
// named after the test so that concurrent runs share nothing.
func setupNATS(t testing.TB, p Params) URLs {
	Need(t, "nats", NATSAddr)
	js := natsJS(t)
	for _, s := range []string{"requests", "responses", "deadletter"} {
		if _, err := jetstream.EnsureStream(context.Background(), js, streamName(p.ID, s), []string{natsSubject(p.ID, s)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	return URLs{Name: p.ID, Queues: natsQueues(p.ID)}
}

// natsQueues are the URLs of the queues on the machine's NATS server for
// test id, on the subjects natsSubject names.
func natsQueues(id string) brokers.Queues {
	base := "jetstream://" + NATSAddr + "/" + natsSubject(id, "")
	return brokers.Queues{
		RequestsTopic:          base + "requests",
		RequestsSubscription:   base + "requests?consumer=workers&ack_wait=2s&max_batch=1",
		ResponsesTopic:         base + "responses",
		ResponsesSubscription:  base + "responses?consumer=results",
		DeadletterTopic:        base + "deadletter",
		DeadletterSubscription: base + "deadletter?consumer=deadletter",
	}
}

func teardownNATS(t testing.TB, u URLs) {
	js := natsJS(t)
	for _, s := range []string{"requests", "responses", "deadletter"} {
		if err := js.DeleteStream(context.Background(), streamName(u.Name, s)); err != nil {
			t.Errorf("deleting stream: %v", err)
		}
	}
}

func natsSubject(id, s string) string { return "pixmill." + id + "." + s }

// streamName is the stream that holds a queue's subject, named as pixmill
// provision names it.
func streamName(id, s string) string { return jetstream.StreamName(natsSubject(id, s)) }

func natsJS(t testing.TB) natsjs.JetStream {
	t.Helper()
	nc, err := nats.Connect("nats://" + NATSAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := natsjs.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func setupRabbit(t testing.TB, p Params) URLs {
	Need(t, "rabbitmq", RabbitAddr)
	conn := rabbitConn(t)
	q, err := brokers.ProvisionRabbit(conn, "pixmill-"+p.ID, p.MaxAttempts)
	if err != nil {
		t.Fatal(err)
	}
	return URLs{Name: "pixmill-" + p.ID, Queues: q}
}

func teardownRabbit(t testing.TB, u URLs) {
	if err := brokers.DeleteRabbit(rabbitConn(t), u.Name); err != nil {
		t.Error(err)
	}
}

func rabbitConn(t testing.TB) *amqp.Connection {
	t.Helper()
	conn, err := amqp.Dial(Env["RABBIT_SERVER_URL"])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func pubSubConfig(id string, maxAttempts int) brokers.PubSubConfig {
	return brokers.PubSubConfig{Project: PubSubProject, Prefix: "pixmill-" + id, MaxAttempts: maxAttempts, AckDeadline: 10 * time.Second}
}

func setupPubSub(t testing.TB, p Params) URLs {
	Need(t, "pubsub", PubSubAddr)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	q, err := brokers.ProvisionPubSub(ctx, pubSubConfig(p.ID, p.MaxAttempts))
	if err != nil {
		t.Fatal(err)
	}
	return URLs{Name: p.ID, Queues: q}
}

func teardownPubSub(t testing.TB, u URLs) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := brokers.DeletePubSub(ctx, pubSubConfig(u.Name, 0)); err != nil {
		t.Error(err)
	}
}

// setupS3 makes a bucket on the S3 server; the queues are the embedded
// JetStream's.
func setupS3(t testing.TB, p Params) URLs {
	Need(t, "s3", S3Addr)
	u := URLs{Name: "pixmill-" + p.ID, Bucket: s3URL("pixmill-" + p.ID)}
	client := s3Client(t, u.Bucket)
	if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(u.Name)}); err != nil {
		t.Fatal(err)
	}
	return u
}

func teardownS3(t testing.TB, u URLs) {
	ctx := context.Background()
	b, err := blob.OpenBucket(ctx, u.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	it := b.List(nil)
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Delete(ctx, obj.Key); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s3Client(t, u.Bucket).DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(u.Name)}); err != nil {
		t.Error(err)
	}
}

// s3URL is the gocloud.dev URL of bucket on the S3 server: path-style
// addressing, since the server serves every bucket on one host.
func s3URL(bucket string) string {
	return fmt.Sprintf("s3://%s?endpoint=http://%s&region=us-east-1&use_path_style=true", bucket, S3Addr)
}

func s3Client(t testing.TB, bucketURL string) *s3.Client {
	t.Helper()
	b, err := blob.OpenBucket(context.Background(), bucketURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	var c *s3.Client
	if !b.As(&c) {
		t.Fatal("not an s3blob bucket")
	}
	return c
}
