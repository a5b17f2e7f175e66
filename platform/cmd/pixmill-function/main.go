// Command pixmill-function serves one of pixmill's functions over HTTP with
// the Functions Framework, as Cloud Run functions runs it:
//
//	FUNCTION_TARGET=Edit PORT=8080 PIXMILL_BUCKET=… PIXMILL_RESPONSES_TOPIC=… pixmill-function
//
// FUNCTION_TARGET is one of the functions the root package registers:
//
//	Edit        PIXMILL_BUCKET, PIXMILL_RESPONSES_TOPIC
//	Results     PIXMILL_BUCKET
//	DeadLetter  PIXMILL_BUCKET (a Knative deadLetterSink, or a push
//	            subscription on Pub/Sub's dead-letter topic)
//
// PORT defaults to 8080, HOST to every interface (set HOST=127.0.0.1 to stay
// on loopback). `make run-function` builds and runs it. On Cloud Run
// functions the buildpack generates the equivalent of this file around the
// root package.
package main

import (
	"log"
	"os"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"

	_ "github.com/pixmill/pixmill"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	host := os.Getenv("HOST")
	if err := funcframework.StartHostPort(host, port); err != nil {
		log.Fatalf("pixmill-function: %v", err)
	}
}
