package jetstream_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/platform/embedded"
	"github.com/pixmill/pixmill/platform/jetstream"
)

// The platform at start-up: an embedded server, a work-queue stream for the
// requests topic, then a topic and a subscription opened by URL.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "pixmill-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	srv, err := embedded.Start(ctx, embedded.Config{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown()

	nc, err := nats.Connect(srv.URL())
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	js, err := natsjs.New(nc)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := jetstream.EnsureStream(ctx, js, "REQUESTS", []string{"pixmill.requests"}, nil); err != nil {
		log.Fatal(err)
	}

	topic, err := pubsub.OpenTopic(ctx, "jetstream://"+srv.Addr()+"/pixmill.requests?msg_id_key=ce-id")
	if err != nil {
		log.Fatal(err)
	}
	defer topic.Shutdown(ctx)
	sub, err := pubsub.OpenSubscription(ctx, "jetstream://"+srv.Addr()+"/pixmill.requests?consumer=editors&ack_wait=2m")
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Shutdown(ctx)

	err = topic.Send(ctx, &pubsub.Message{
		Body:     []byte(`{"image":"originals/abc"}`),
		Metadata: map[string]string{"ce-id": "task-1", "ce-type": "dev.pixmill.task.requested.v1"},
	})
	if err != nil {
		log.Fatal(err)
	}
	m, err := sub.Receive(ctx)
	if err != nil {
		log.Fatal(err)
	}
	n, _ := jetstream.DeliveryCount(m)
	fmt.Printf("%s delivery %d\n", m.Metadata["ce-type"], n)
	m.Ack()
	// Output: dev.pixmill.task.requested.v1 delivery 1
}
