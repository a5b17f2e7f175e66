package gateway

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob/memblob"
	"gocloud.dev/pubsub/mempubsub"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/auth"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// TestLogsNameOwnersByPseudonym: where the gateway logs an owner, it logs
// the owner's pseudonym, never the owner id, the subject or the email
// address the id was derived from.
func TestLogsNameOwnersByPseudonym(t *testing.T) {
	const email = "alice@example.com"
	owner := auth.OwnerID(auth.DefaultProxyIssuer, email)
	names := auth.NewPseudonyms(bytes.Repeat([]byte("p"), 32))
	tests := []struct {
		name    string
		message string
		// break makes the gateway fail and log, and returns the path
		// that does it.
		breaks func(t *testing.T, e *env) string
	}{
		{"a request failing on storage", "request failed", func(t *testing.T, e *env) string {
			_ = e.bucket.Close()
			return "/v1/jobs"
		}},
		{"an archive whose output is gone", "archive: reading output", func(t *testing.T, e *env) string {
			ctx := context.Background()
			img := records.Image{ID: events.NewID(), Owner: owner, Name: "a.jpg", Key: records.ImageKey(owner, "a"), Format: "jpeg", Width: 8, Height: 8, Bytes: 1, Created: time.Now().UTC()}
			job := records.Job{ID: events.NewID(), Owner: owner, Created: time.Now().UTC(), Tasks: []records.JobTask{{ID: events.NewID(), Image: img.ID, Name: "a.jpg",
				Output: events.Output{Key: records.OutputKey(owner, "gone", "gone", ".jpg"), Format: "jpeg"}}}}
			res := events.Result{Key: job.Tasks[0].Output.Key, Format: "jpeg", ContentType: "image/jpeg", Width: 8, Height: 8, Bytes: 1}
			for _, err := range []error{
				e.store.PutImage(ctx, img), e.store.PutJob(ctx, job),
				e.store.MarkCompleted(ctx, events.TaskCompleted{Job: job.ID, Task: job.Tasks[0].ID, Owner: owner, Attempt: 1, Result: res}, time.Now()),
			} {
				if err != nil {
					t.Fatal(err)
				}
			}
			return "/v1/jobs/" + job.ID + "/archive"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log stacktest.SyncBuffer
			bucket := memblob.OpenBucket(nil)
			topic := mempubsub.NewTopic()
			t.Cleanup(func() { _ = topic.Shutdown(context.Background()) })
			e := serve(t, Config{}, Deps{Bucket: bucket, Requests: topic, Pseudonyms: names,
				Owners: func(*http.Request) (string, error) { return owner, nil },
				Log:    slog.New(slog.NewJSONHandler(&log, nil))})
			e.get(t, owner, tt.breaks(t, e))
			got := log.String()
			if !strings.Contains(got, tt.message) || !strings.Contains(got, `"owner":"`+names.Of(owner)+`"`) {
				t.Errorf("the log does not say %q with the owner's pseudonym %s:\n%s", tt.message, names.Of(owner), got)
			}
			for _, secret := range []string{owner, email, "alice"} {
				if strings.Contains(got, secret) {
					t.Errorf("the log holds %q:\n%s", secret, got)
				}
			}
		})
	}
}
