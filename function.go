// Package pixmill registers pixmill's functions with the Functions Framework
// for Go, for Cloud Run functions and for `make run-function`:
//
//	Edit        task.requested → edited picture in the bucket, response events
//	Results     response events → task records
//	DeadLetter  what a broker's dead-letter sink or topic delivers →
//	            a dead-letter record, and the parked request's task failed
//
// It lives at the module root because Cloud Run functions' Go buildpack
// builds the package at the root of the uploaded source, and it holds
// nothing but the registration: the work is in platform/httpfunc, and the
// functions themselves in functions/. As the program's assembly point it
// also registers the gocloud.dev drivers the functions may be configured
// with (PIXMILL_BUCKET, PIXMILL_RESPONSES_TOPIC), through platform/drivers.
package pixmill

import (
	"log/slog"
	"os"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"

	_ "github.com/pixmill/pixmill/platform/drivers"
	"github.com/pixmill/pixmill/platform/httpfunc"
)

func init() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	functions.CloudEvent("Edit", httpfunc.Edit(os.Getenv, log.With("function", "Edit")))
	functions.CloudEvent("Results", httpfunc.Results(os.Getenv, log.With("function", "Results")))
	functions.CloudEvent("DeadLetter", httpfunc.DeadLetter(os.Getenv, log.With("function", "DeadLetter")))
}
