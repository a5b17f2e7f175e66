package cehttptopic_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/events"
	_ "github.com/pixmill/pixmill/platform/cehttptopic"
)

// A program publishes into a Knative Broker by opening its ingress URL as a
// topic; here a test server stands in for the Broker.
func Example() {
	broker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println(r.Method, r.URL.Path, r.Header.Get("Ce-Type"), r.Header.Get("Ce-Subject"), r.Header.Get("Content-Type"))
		w.WriteHeader(http.StatusAccepted)
	}))
	defer broker.Close()

	ctx := context.Background()
	topic, err := pubsub.OpenTopic(ctx, broker.URL+"/pixmill/pixmill?timeout=10s")
	if err != nil {
		log.Fatal(err)
	}
	defer topic.Shutdown(ctx)

	e := cloudevents.NewEvent()
	e.SetID("1")
	e.SetSource("/example")
	e.SetType("dev.example.greeted.v1")
	e.SetSubject("world")
	if err := e.SetData(cloudevents.ApplicationJSON, map[string]string{"hello": "world"}); err != nil {
		log.Fatal(err)
	}
	if err := events.Send(ctx, topic, e); err != nil {
		log.Fatal(err)
	}
	// Output: POST /pixmill/pixmill dev.example.greeted.v1 world application/json
}
