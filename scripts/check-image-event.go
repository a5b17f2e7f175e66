//go:build ignore

// Check-image-event is the client half of scripts/check-image.sh's run
// check: it drives a pixmill-function serving Edit from the image, as
// Knative would. It stores a JPEG as an original in the function's file
// bucket, serves an HTTP CloudEvents sink that the function's
// PIXMILL_RESPONSES_TOPIC (an http:// URL) points at, POSTs one
// task.requested in the binary content mode, and checks the answer (200),
// the edited picture in the bucket (a JPEG of exactly -width×-height) and the
// response event the function published (task.completed with that result),
// and the task's started record beside it. It prints what it saw and exits non-zero on the first thing
// that is wrong.
//
//	go run scripts/check-image-event.go -function http://127.0.0.1:18080/ \
//	    -sink 127.0.0.1:18081 -bucket /tmp/bucket -picture photo.jpg
//
// It is a single file behind the ignore build tag, outside ./..., so that
// it is run only by the script, in this module (for the events package).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	_ "image/jpeg"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/records"
)

func main() {
	function := flag.String("function", "", "URL of the pixmill-function serving Edit")
	sink := flag.String("sink", "", "HOST:PORT to serve the responses sink on (the function's PIXMILL_RESPONSES_TOPIC is http://HOST:PORT/)")
	bucketDir := flag.String("bucket", "", "directory of the function's file bucket, as this machine sees it")
	picture := flag.String("picture", "", "JPEG to edit")
	width := flag.Int("width", 320, "width of the thumbnail asked for")
	height := flag.Int("height", 240, "height of the thumbnail asked for")
	wait := flag.Duration("timeout", 2*time.Minute, "how long the function may take to start and to answer")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("check-image-event: ")
	if *function == "" || *sink == "" || *bucketDir == "" || *picture == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*function, *sink, *bucketDir, *picture, *width, *height, *wait); err != nil {
		log.Fatalf("FAIL: %v", err)
	}
}

func run(function, sink, bucketDir, picture string, width, height int, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()

	// The sink: every POST is one response event.
	received := make(chan cloudevents.Event, 16)
	ln, err := net.Listen("tcp", sink)
	if err != nil {
		return fmt.Errorf("sink: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, err := cloudevents.NewEventFromHTTPRequest(r)
		if err != nil {
			log.Printf("sink: %s %s: not a CloudEvent: %v", r.Method, r.URL, err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case received <- *e:
		default:
		}
		w.WriteHeader(http.StatusOK)
	})}
	go srv.Serve(ln)
	defer srv.Close()

	// The original, stored as the gateway stores it.
	data, err := os.ReadFile(picture)
	if err != nil {
		return err
	}
	in, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || format != "jpeg" {
		return fmt.Errorf("%s: not a JPEG (%s, %v)", picture, format, err)
	}
	bucketURL := (&url.URL{Scheme: "file", Path: bucketDir, RawQuery: "no_tmp_dir=1"}).String()
	bucket, err := blob.OpenBucket(ctx, bucketURL)
	if err != nil {
		return err
	}
	defer bucket.Close()
	job, task, img := events.NewID(), events.NewID(), events.NewID()
	req := events.TaskRequested{
		Job: job, Task: task, Owner: "image-check", Image: img, Original: records.ImageKey("image-check", img),
		Ops: []json.RawMessage{json.RawMessage(fmt.Sprintf(
			`{"op":"thumbnail","width":%d,"height":%d,"fit":"fill","upscale":false}`, width, height))},
		Output: events.Output{Key: records.OutputKey("image-check", job, task, ".jpg"), Format: "jpeg", Quality: 85},
	}
	if err := bucket.WriteAll(ctx, req.Original, data, &blob.WriterOptions{ContentType: "image/jpeg"}); err != nil {
		return err
	}
	log.Printf("original %s: %s, %dx%d JPEG, %d bytes", req.Original, picture, in.Width, in.Height, len(data))

	if err := waitUp(ctx, function); err != nil {
		return err
	}
	e, err := events.New(events.SourceGateway, time.Now(), req)
	if err != nil {
		return err
	}
	status, body, took, err := post(ctx, function, e)
	if err != nil {
		return err
	}
	log.Printf("POST %s (binary mode %s, task %s) → %d %s in %v", function, e.Type(), task, status, body, took.Round(time.Millisecond))
	if status != http.StatusOK {
		return fmt.Errorf("Edit answered %d, want 200", status)
	}

	out, err := bucket.ReadAll(ctx, req.Output.Key)
	if err != nil {
		return fmt.Errorf("result %s: %v", req.Output.Key, err)
	}
	got, gotFormat, err := image.DecodeConfig(bytes.NewReader(out))
	if err != nil {
		return fmt.Errorf("result %s: %v", req.Output.Key, err)
	}
	log.Printf("result %s: %dx%d %s, %d bytes", req.Output.Key, got.Width, got.Height, gotFormat, len(out))
	if gotFormat != "jpeg" || got.Width != width || got.Height != height {
		return fmt.Errorf("result is a %dx%d %s, want a %dx%d jpeg", got.Width, got.Height, gotFormat, width, height)
	}

	// task.completed naming that result.
	var types []string
	for len(types) < 1 {
		select {
		case r := <-received:
			if r.Subject() != task {
				continue
			}
			types = append(types, strings.TrimPrefix(r.Type(), events.Prefix))
			switch r.Type() {
			case events.TypeTaskCompleted:
				var c events.TaskCompleted
				if err := events.Decode(r, &c); err != nil {
					return err
				}
				if c.Result.Key != req.Output.Key || c.Result.Width != width || c.Result.Height != height || c.Result.Bytes != int64(len(out)) {
					return fmt.Errorf("task.completed names %+v, want %s, %dx%d, %d bytes", c.Result, req.Output.Key, width, height, len(out))
				}
			case events.TypeTaskFailed:
				var f events.TaskFailed
				_ = events.Decode(r, &f)
				return fmt.Errorf("task.failed: %s: %s", f.Kind, f.Reason)
			}
		case <-ctx.Done():
			return fmt.Errorf("response events: got %v, want task.completed.v1", types)
		}
	}
	log.Printf("response events at the sink: %s", strings.Join(types, ", "))
	if types[0] != "task.completed.v1" {
		return fmt.Errorf("response events %v, want task.completed.v1", types)
	}
	st, err := records.NewStore(bucket).Tasks(ctx, records.Job{ID: job, Tasks: []records.JobTask{{ID: task}}})
	if err != nil || len(st) != 1 || st[0].Attempts != 1 {
		return fmt.Errorf("the task's records say %+v (%v), want its first attempt started", st, err)
	}
	fmt.Println("check-image-event: ok")
	return nil
}

// waitUp waits until the function's port takes connections.
func waitUp(ctx context.Context, function string) error {
	u, err := url.Parse(function)
	if err != nil {
		return err
	}
	start := time.Now()
	var d net.Dialer
	for {
		c, err := d.DialContext(ctx, "tcp", u.Host)
		if err == nil {
			c.Close()
			log.Printf("function listening after %v", time.Since(start).Round(time.Millisecond))
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("function %s did not start: %v", function, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// post sends e in the binary content mode, as Knative delivers it.
func post(ctx context.Context, function string, e cloudevents.Event) (int, string, time.Duration, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, function, bytes.NewReader(e.Data()))
	if err != nil {
		return 0, "", 0, err
	}
	r.Header.Set("Content-Type", e.DataContentType())
	r.Header.Set("Ce-Specversion", e.SpecVersion())
	r.Header.Set("Ce-Id", e.ID())
	r.Header.Set("Ce-Source", e.Source())
	r.Header.Set("Ce-Type", e.Type())
	r.Header.Set("Ce-Subject", e.Subject())
	r.Header.Set("Ce-Time", e.Time().Format(time.RFC3339Nano))
	start := time.Now()
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		return 0, "", 0, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<10))
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, "", 0, err
	}
	return res.StatusCode, strings.TrimSpace(string(body)), time.Since(start), nil
}
