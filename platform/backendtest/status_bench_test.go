package backendtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/backendtest"
)

// BenchmarkJobStatus is what one look at a finished job of 500 photos costs
// the gateway (GET /v1/jobs/{id}, and each poll of its event stream), on a
// file bucket and on the S3 server:
//
//	sequential  one listing, then every task's record read in turn: the
//	            naive way, for comparison
//	first-look  a Store that has not seen the job (another gateway replica,
//	            or a restart): one listing, the records read 16 at a time
//	watched     the same Store again, as while a page follows the job: one
//	            listing, no reads
func BenchmarkJobStatus(b *testing.B) {
	const tasks = 500
	ctx := context.Background()
	buckets := []struct {
		name string
		url  func(b *testing.B) string
	}{
		{"file", func(b *testing.B) string { return "file://" + b.TempDir() }},
		{"s3", func(b *testing.B) string {
			for _, be := range backendtest.Backends() {
				if be.Name == "s3" {
					u := be.Setup(b, backendtest.Params{ID: fmt.Sprintf("bench%d", time.Now().UnixNano())})
					b.Cleanup(func() { be.Teardown(b, u) })
					return u.Bucket
				}
			}
			b.Fatal("no s3 backend")
			return ""
		}},
	}
	for _, bk := range buckets {
		b.Run(bk.name, func(b *testing.B) {
			bucket, err := blob.OpenBucket(ctx, bk.url(b))
			if err != nil {
				b.Fatal(err)
			}
			defer bucket.Close()
			job := finishedJob(b, records.NewStore(bucket), tasks)
			check := func(ts []records.TaskStatus) {
				if len(ts) != tasks || records.JobState(ts) != records.Succeeded || ts[tasks-1].Result == nil || ts[tasks-1].Result.Width != 640 {
					b.Fatalf("job status: %d tasks, %s", len(ts), records.JobState(ts))
				}
			}
			b.Run("sequential", func(b *testing.B) {
				for b.Loop() {
					if n := readSequentially(b, bucket, job.ID); n != tasks {
						b.Fatalf("%d records read, want %d", n, tasks)
					}
				}
			})
			b.Run("first-look", func(b *testing.B) {
				for b.Loop() {
					ts, err := records.NewStore(bucket).Tasks(ctx, job)
					if err != nil {
						b.Fatal(err)
					}
					check(ts)
				}
			})
			b.Run("watched", func(b *testing.B) {
				s := records.NewStore(bucket)
				if _, err := s.Tasks(ctx, job); err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					ts, err := s.Tasks(ctx, job)
					if err != nil {
						b.Fatal(err)
					}
					check(ts)
				}
			})
		})
	}
}

// finishedJob records a job of n tasks that all succeeded.
func finishedJob(b *testing.B, s *records.Store, n int) records.Job {
	ctx := context.Background()
	j := records.Job{ID: "benchjob", Owner: "bench", Created: time.Now()}
	for i := range n {
		t := records.JobTask{ID: fmt.Sprintf("task%04d", i), Image: fmt.Sprintf("img%04d", i), Name: fmt.Sprintf("photo%04d.jpg", i)}
		j.Tasks = append(j.Tasks, t)
		res := events.Result{Key: records.OutputKey(j.Owner, j.ID, t.ID, ".jpg"), Format: "jpeg", ContentType: "image/jpeg", Width: 640, Height: 480, Bytes: 51200}
		if err := s.MarkStarted(ctx, events.TaskStarted{Job: j.ID, Task: t.ID, Owner: j.Owner, Attempt: 1}, time.Now()); err != nil {
			b.Fatal(err)
		}
		if err := s.MarkCompleted(ctx, events.TaskCompleted{Job: j.ID, Task: t.ID, Owner: j.Owner, Attempt: 1, Result: res}, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.PutJob(ctx, j); err != nil {
		b.Fatal(err)
	}
	return j
}

// readSequentially is the naive status read: list the job's records, then
// read each ended task's record in turn. It returns how many it read.
func readSequentially(b *testing.B, bucket *blob.Bucket, job string) int {
	ctx := context.Background()
	it := bucket.List(&blob.ListOptions{Prefix: "records/jobs/" + job + "/tasks/"})
	var keys []string
	for {
		obj, err := it.Next(ctx)
		if err != nil {
			break
		}
		if strings.HasSuffix(obj.Key, "/succeeded.json") {
			keys = append(keys, obj.Key)
		}
	}
	for _, k := range keys {
		data, err := bucket.ReadAll(ctx, k)
		if err != nil {
			b.Fatal(err)
		}
		var rec struct{ Attempt int }
		if err := json.Unmarshal(data, &rec); err != nil {
			b.Fatal(err)
		}
	}
	return len(keys)
}
