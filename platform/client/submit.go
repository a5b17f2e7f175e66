package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/pixmill/pixmill/platform/api"
)

// Rejection is a file that did not become an image, and why.
type Rejection struct {
	Path   string
	Reason string
}

// TaskFailure is a task that did not succeed, and why.
type TaskFailure struct {
	// Path is the local file the task edited, or the server's name for
	// an image this submission did not upload.
	Path     string
	TaskID   string
	ImageID  string
	Attempts int
	Reason   string
}

// SubmitReport says what Submit did. Submit fills it as far as it got, also
// when it returns an error, so a caller can still tell which files were
// rejected or which outputs were written.
type SubmitReport struct {
	JobID string
	// State is the last job state seen; empty when no job was created.
	State api.JobState
	// Files, Accepted and Rejected count the local files.
	Files, Accepted, Rejected int
	// Succeeded and Failed count the tasks; they are known only with
	// Wait. A task the job ended without finishing counts as failed.
	Succeeded, Failed int
	Rejections        []Rejection
	Failures          []TaskFailure
	// Written lists the output files written, in the job's task order.
	Written []string
}

// Submit uploads opts.Paths, creates one job of opts.Ops on every accepted
// image and, with opts.Wait, waits for it; with opts.Out it then downloads
// every succeeded output. Rejected files and failed tasks are not errors:
// they are listed in the report (and on opts.Progress) and the rest goes
// on. Submit returns an error when it cannot go on: invalid options, no
// file accepted, the server unreachable or answering 5xx, or a download
// that failed (the others are still written).
func Submit(ctx context.Context, opts SubmitOptions) (SubmitReport, error) {
	s, err := newSubmission(opts)
	if err != nil {
		return SubmitReport{}, err
	}
	err = s.run(ctx)
	return s.report, err
}

func newSubmission(opts SubmitOptions) (*submission, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	s := &submission{
		opts:     opts,
		client:   New(opts.Server, opts.HTTPClient, WithToken(opts.Token)),
		progress: newProgress(opts.Progress),
		open:     func(path string) (io.ReadCloser, error) { return os.Open(path) },
		files:    make([]localFile, len(opts.Paths)),
	}
	for i, p := range opts.Paths {
		s.files[i].path = p
	}
	s.report.Files = len(opts.Paths)
	return s, nil
}

// submission is the state of one Submit call.
type submission struct {
	opts     SubmitOptions
	client   *Client
	progress *progress
	open     func(path string) (io.ReadCloser, error)
	files    []localFile    // one per path, in order
	byImage  map[string]int // accepted image id → index in files
	report   SubmitReport
}

// localFile is one path and what became of it. Uploads write distinct
// elements concurrently, so nothing else is shared.
type localFile struct {
	path   string
	image  api.Image // the server's entry, once accepted
	reason string    // why it was rejected, if it was
}

func (s *submission) run(ctx context.Context) error {
	if err := s.uploadAll(ctx); err != nil {
		return err
	}
	ids := []string{}
	s.byImage = make(map[string]int)
	for i, f := range s.files {
		if f.reason != "" {
			s.report.Rejections = append(s.report.Rejections, Rejection{Path: f.path, Reason: f.reason})
			continue
		}
		ids = append(ids, f.image.ID)
		s.byImage[f.image.ID] = i
	}
	s.report.Accepted, s.report.Rejected = len(ids), len(s.report.Rejections)
	if len(ids) == 0 {
		return s.noneAccepted()
	}
	req := api.JobRequest{Images: ids, Ops: s.opts.Ops, Preset: s.opts.Preset, Format: s.opts.Format, Quality: s.opts.Quality, Metadata: s.opts.metadata()}
	if s.opts.Notify != "" {
		req.Notify = &api.Notify{URL: s.opts.Notify}
	}
	job, err := s.client.CreateJob(ctx, req)
	if err != nil {
		return err
	}
	s.report.JobID, s.report.State = job.ID, job.State
	s.progress.printf("job %s: %d images", printable(job.ID), len(ids))
	if !s.opts.Wait {
		return nil
	}
	job, err = s.wait(ctx, job)
	if err != nil {
		return err
	}
	s.settle(job)
	if s.opts.Out == "" {
		return nil
	}
	return s.downloadAll(ctx, job)
}

// maxListed bounds the reasons put in one error message; the report has
// them all.
const maxListed = 10

func (s *submission) noneAccepted() error {
	var b strings.Builder
	for i, r := range s.report.Rejections {
		if i == maxListed {
			fmt.Fprintf(&b, "; and %d more", len(s.report.Rejections)-maxListed)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %s", r.Path, r.Reason)
	}
	return fmt.Errorf("client: submit: no file was accepted: %s", b.String())
}

// maxPollFailures is how many polls in a row may fail before Submit gives
// up. The job goes on while the gateway restarts (a few seconds: 5 polls at
// the default 500ms cover 2.5s plus the requests' own time), so giving up
// at the first refused connection would abandon work that is fine.
const maxPollFailures = 5

// wait polls the job's summary until it is final, then reads its tasks: a
// poll costs the same for a job of ten photos or of ten thousand.
func (s *submission) wait(ctx context.Context, job api.Job) (api.Job, error) {
	s.showProgress(job)
	timer := time.NewTimer(s.opts.PollInterval)
	defer timer.Stop()
	failures := 0
	for !job.State.Final() {
		select {
		case <-ctx.Done():
			return job, ctx.Err()
		case <-timer.C:
		}
		next, err := s.client.JobSummary(ctx, job.ID)
		if err == nil && next.State.Final() {
			next, err = s.client.Job(ctx, job.ID)
		}
		switch {
		case err == nil:
			failures = 0
			job = next
			s.report.State = job.State
			s.showProgress(job)
		case ctx.Err() != nil:
			return job, ctx.Err()
		case retryable(err) && failures < maxPollFailures:
			failures++
			s.progress.printf("polling job %s failed, will retry: %v", printable(job.ID), err)
		default:
			return job, err
		}
		timer.Reset(s.opts.PollInterval)
	}
	return job, nil
}

// retryable tells a passing trouble (the gateway restarting or overloaded)
// from an answer that will not change, such as an unknown job.
func retryable(err error) bool {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.Status >= 500 || apiErr.Status == 429
	}
	return true
}

func (s *submission) showProgress(job api.Job) {
	done := job.Counts[api.TaskSucceeded] + job.Counts[api.TaskFailed]
	note := ""
	if failed := job.Counts[api.TaskFailed]; failed > 0 {
		note = fmt.Sprintf(" (%d failed)", failed)
	}
	total := job.Total
	if total == 0 {
		// A server from before totals: its counts add up to it.
		for _, n := range job.Counts {
			total += n
		}
	}
	s.progress.set("processing", done, total, note)
}

// settle counts the tasks of a final job and lists every one that did not
// succeed.
func (s *submission) settle(job api.Job) {
	for _, t := range job.Tasks {
		if t.State == api.TaskSucceeded {
			s.report.Succeeded++
			continue
		}
		s.report.Failed++
		reason := printable(t.Error)
		switch {
		case reason != "":
		case t.State == api.TaskFailed:
			reason = "the server gave no reason"
		default:
			reason = fmt.Sprintf("the job ended with this task %s", printable(string(t.State)))
		}
		path := s.nameOf(t)
		s.report.Failures = append(s.report.Failures, TaskFailure{
			Path: path, TaskID: t.ID, ImageID: t.Image, Attempts: t.Attempts, Reason: reason,
		})
		s.progress.printf("failed %s: %s", path, reason)
	}
}

// nameOf names a task's picture for people and for its output file: the
// local path that was uploaded, or else what the server calls it.
func (s *submission) nameOf(t api.Task) string {
	if f := s.fileOf(t); f != nil {
		return f.path
	}
	if t.Name != "" {
		return printable(t.Name)
	}
	return printable(t.ID)
}

// fileOf is the local file a task edits, or nil for an image this
// submission did not upload.
func (s *submission) fileOf(t api.Task) *localFile {
	if i, ok := s.byImage[t.Image]; ok {
		return &s.files[i]
	}
	return nil
}

// extensionFor picks the output's extension from the most specific format
// known: the output's, the requested one, the original's.
func (s *submission) extensionFor(t api.Task) string {
	var formats []string
	if t.Output != nil {
		formats = append(formats, t.Output.Format)
	}
	formats = append(formats, s.opts.Format)
	if f := s.fileOf(t); f != nil {
		formats = append(formats, f.image.Format, strings.TrimPrefix(filepath.Ext(f.path), "."))
	}
	for _, format := range formats {
		if ext := extension(format); ext != "" {
			return ext
		}
	}
	return ""
}

// printable keeps text from the server from steering a terminal: control
// characters, escape sequences included, become spaces.
func printable(text string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(text, "?"))
}

// runBounded calls fn(0) … fn(n-1) on at most limit goroutines and returns
// when every call has returned.
func runBounded(n, limit int, fn func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(n, limit) {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
