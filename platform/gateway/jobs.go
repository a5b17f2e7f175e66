package gateway

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/functions/imaging"
	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/notify"
)

// maxJobBody bounds a job request: 10,000 ids (25 bytes each in JSON) and a
// few ops fit easily.
const maxJobBody = 1 << 20

// createJob validates the whole request before anything is stored or queued:
// an unknown op, a bad field or an unknown image is a 400 and nothing runs.
func (g *Gateway) createJob(w http.ResponseWriter, r *http.Request, owner string) {
	req, err := decodeJobRequest(http.MaxBytesReader(w, r.Body, maxJobBody))
	if err == nil {
		req, err = g.withPreset(r, owner, req)
	}
	if err != nil {
		g.fail(w, r, err)
		return
	}
	ops, needs, err := g.validateJob(req)
	if err == nil && req.Notify != nil {
		if nerr := notify.CheckURL(req.Notify.URL, g.cfg.NotifyAllowPrivate); nerr != nil {
			err = fault.New(fault.InvalidArgument, "%s", nerr)
		}
	}
	if err != nil {
		g.fail(w, r, err)
		return
	}
	ctx := r.Context()
	inputs, err := g.inputs(r, owner, needs)
	if err != nil {
		g.fail(w, r, err)
		return
	}
	imgs, err := g.jobImages(ctx, owner, req.Images)
	if err != nil {
		g.fail(w, r, err)
		return
	}
	job := records.Job{ID: events.NewID(), Owner: owner, Created: g.deps.Now().UTC(), Ops: ops, Format: req.Format, Quality: req.Quality, Metadata: metadata(req.Metadata), Inputs: inputs}
	if req.Notify != nil {
		job.Notify = &records.Notify{URL: req.Notify.URL}
	}
	for _, img := range imgs {
		task := records.JobTask{ID: events.NewID(), Image: img.ID, Name: img.Name}
		format := outputFormat(req.Format, img.Format)
		task.Output = events.Output{Key: records.OutputKey(owner, job.ID, task.ID, outputExt(format)), Format: format, Quality: req.Quality, Metadata: job.Metadata}
		job.Tasks = append(job.Tasks, task)
	}
	if err := g.quotas.StartJob(ctx, owner, job.ID, len(job.Tasks)); err != nil {
		g.fail(w, r, err)
		return
	}
	if err := g.store.PutJob(ctx, job); err != nil {
		g.quotas.Stored(owner, job.ID, false)
		g.fail(w, r, err)
		return
	}
	// The notification is pending before any task is sent, so that the
	// job's end, whoever sees it, finds it (platform/stack, notify.go).
	if job.Notify != nil {
		if err := g.store.PutPending(ctx, records.Pending{Job: job.ID, Owner: owner, Generation: 1, At: job.Created}); err != nil {
			g.quotas.Stored(owner, job.ID, false)
			g.fail(w, r, err)
			return
		}
	}
	g.quotas.Stored(owner, job.ID, true)
	g.jobs.put(job.ID, job)
	send := g.enqueue
	if g.deps.Dispatch != nil {
		send = g.dispatch
	}
	if err := send(r, job, imgs); err != nil {
		g.fail(w, r, err)
		return
	}
	body := newJobBody(job, records.Queued)
	body.Counts[api.TaskQueued] = len(job.Tasks)
	for _, t := range job.Tasks {
		body.Tasks = append(body.Tasks, api.Task{ID: t.ID, Image: t.Image, Name: t.Name, State: api.TaskQueued})
	}
	w.Header().Set("Location", "/v1/jobs/"+job.ID)
	writeJSON(w, http.StatusAccepted, body)
}

// parallelImageReads bounds the image records one job's submission reads
// at once: each is a round trip to the bucket, and a job of thousands read
// one by one would take seconds.
const parallelImageReads = 64

// jobImages reads the records of the caller's images ids, in that order. An
// unknown id (or someone else's) is a 400 naming the first such in the list.
func (g *Gateway) jobImages(ctx context.Context, owner string, ids []string) ([]records.Image, error) {
	imgs := make([]records.Image, len(ids))
	errs := make([]error, len(ids))
	var eg errgroup.Group
	eg.SetLimit(parallelImageReads)
	for i, id := range ids {
		eg.Go(func() error {
			imgs[i], errs[i] = g.image(ctx, owner, id)
			if fault.KindOf(errs[i]) == fault.NotFound {
				errs[i] = fault.New(fault.InvalidArgument, "images[%d]: unknown image id %q", i, id)
			}
			return nil
		})
	}
	_ = eg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return imgs, nil
}

func decodeJobRequest(r io.Reader) (api.JobRequest, error) {
	var req api.JobRequest
	return req, decodeBody(r, &req, "job request")
}

// decodeBody reads one JSON object into v, refusing fields v does not have;
// what names the body in errors.
func decodeBody(r io.Reader, v any, what string) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if isTooLarge(err) {
			return fault.New(fault.LimitExceeded, "the %s is larger than %d bytes", what, maxJobBody)
		}
		return fault.New(fault.InvalidArgument, "the %s is not valid JSON: %v", what, err)
	}
	return nil
}

// validateJob checks everything but image ownership and returns the ops in
// canonical form (defaults filled), as they will be queued, with the other
// pictures they read (a watermark's image), by op index.
func (g *Gateway) validateJob(req api.JobRequest) ([]json.RawMessage, map[int][]string, error) {
	if len(req.Images) == 0 {
		return nil, nil, fault.New(fault.InvalidArgument, "images: at least one image id is required")
	}
	if len(req.Images) > g.cfg.MaxTasksPerJob {
		return nil, nil, fault.New(fault.InvalidArgument, "images: %d images, over the limit of %d per job", len(req.Images), g.cfg.MaxTasksPerJob)
	}
	seen := make(map[string]bool, len(req.Images))
	for i, id := range req.Images {
		if !events.ValidID(id) {
			return nil, nil, fault.New(fault.InvalidArgument, "images[%d]: unknown image id %q", i, id)
		}
		if seen[id] {
			return nil, nil, fault.New(fault.InvalidArgument, "images[%d]: image %q is listed twice", i, id)
		}
		seen[id] = true
	}
	return validateRecipe(req)
}

// validateRecipe checks a job's ops and output settings, all of it but the
// pictures: what a preset holds.
func validateRecipe(req api.JobRequest) ([]json.RawMessage, map[int][]string, error) {
	if len(req.Ops) == 0 {
		return nil, nil, fault.New(fault.InvalidArgument, "ops: at least one op is required")
	}
	return validateSettings(req)
}

// validateSettings is validateRecipe where no ops is a valid answer.
func validateSettings(req api.JobRequest) ([]json.RawMessage, map[int][]string, error) {
	ops := make([]json.RawMessage, len(req.Ops))
	needs := map[int][]string{}
	for i, raw := range req.Ops {
		op, err := imaging.Parse(raw)
		if err != nil {
			return nil, nil, fault.Wrap(fault.InvalidArgument, err, "ops[%d]: %s", i, fault.Message(err))
		}
		ops[i] = imaging.Canonical(op)
		if n, ok := op.(imaging.Needer); ok && len(n.Needs()) > 0 {
			needs[i] = n.Needs()
		}
	}
	if req.Format != "" && !slices.Contains(imaging.Formats(), req.Format) {
		return nil, nil, fault.New(fault.InvalidArgument, "format: %q cannot be written (available: %s)", req.Format, strings.Join(imaging.Formats(), ", "))
	}
	if m := req.Metadata; m != "" && m != events.MetadataStrip && m != events.MetadataKeep {
		return nil, nil, fault.New(fault.InvalidArgument, "metadata: must be %q (the default: no camera, time or GPS position in the results) or %q, got %q", events.MetadataStrip, events.MetadataKeep, m)
	}
	if req.Quality < 0 || req.Quality > 100 {
		return nil, nil, fault.New(fault.InvalidArgument, "quality: must be between 0 and 100, got %d", req.Quality)
	}
	return ops, needs, nil
}

// inputs finds the bucket keys of the pictures ops read besides the
// original; an id that is unknown or someone else's is a 400 naming the op.
func (g *Gateway) inputs(r *http.Request, owner string, needs map[int][]string) (map[string]string, error) {
	if len(needs) == 0 {
		return nil, nil
	}
	keys := map[string]string{}
	for i, ids := range needs {
		for _, id := range ids {
			img, err := g.image(r.Context(), owner, id)
			if fault.KindOf(err) == fault.NotFound {
				return nil, fault.New(fault.InvalidArgument, "ops[%d]: unknown image id %q", i, id)
			}
			if err != nil {
				return nil, err
			}
			keys[id] = img.Key
		}
	}
	return keys, nil
}

// newJobBody is what the API shows of job j in state, before its counts
// and tasks.
func newJobBody(j records.Job, state records.State) api.Job {
	b := api.Job{ID: j.ID, State: api.JobState(state), Counts: map[api.TaskState]int{}, Total: len(j.Tasks), Format: j.Format, Quality: j.Quality, Metadata: metadata(j.Metadata)}
	if j.Notify != nil {
		b.Notify = &api.Notify{URL: j.Notify.URL}
	}
	return b
}

// metadata is the job's metadata choice with the default spelled out.
func metadata(requested string) string {
	if requested == "" {
		return events.MetadataStrip
	}
	return requested
}

// outputFormat is the requested format, else the original's if it can be
// written, else JPEG.
func outputFormat(requested, original string) string {
	switch {
	case requested != "":
		return requested
	case slices.Contains(imaging.Formats(), original):
		return original
	default:
		return "jpeg"
	}
}

// parallelSends bounds the requests one job has in flight to the broker:
// enough that a job of thousands is queued in a second or two on the
// embedded JetStream, whose acknowledgement is a round trip each.
const parallelSends = 128

// enqueue publishes one request per task. Sends run concurrently so the
// broker's acknowledgements overlap; a task whose request could not be
// queued is recorded as failed, so its owner is told instead of waiting.
func (g *Gateway) enqueue(r *http.Request, job records.Job, imgs []records.Image) error {
	ctx, cancel := context.WithTimeout(r.Context(), g.cfg.EnqueueTimeout)
	defer cancel()
	var eg errgroup.Group
	eg.SetLimit(parallelSends)
	for i, t := range job.Tasks {
		eg.Go(func() error {
			e, err := events.New(events.SourceGateway, g.deps.Now(), events.TaskRequested{
				Job: job.ID, Task: t.ID, Owner: job.Owner, Image: t.Image,
				Original: imgs[i].Key, Ops: job.Ops, Output: t.Output, Inputs: job.Inputs,
			})
			if err == nil {
				err = events.Send(ctx, g.deps.Requests, e)
			}
			if err == nil {
				g.deps.Queued(t.ID)
				return nil
			}
			g.failUnqueued(ctx, job, t.ID)
			return fault.Wrap(fault.Transient, err, "queueing task %s", t.ID)
		})
	}
	return eg.Wait()
}

// dispatch hands job to the dispatcher; if it cannot take the job, every
// task is recorded as failed, so its owner is told instead of waiting.
func (g *Gateway) dispatch(r *http.Request, job records.Job, imgs []records.Image) error {
	originals := make([]string, len(imgs))
	for i, img := range imgs {
		originals[i] = img.Key
	}
	err := g.deps.Dispatch.Submit(r.Context(), job, originals)
	if err == nil {
		return nil
	}
	for _, t := range job.Tasks {
		g.failUnqueued(r.Context(), job, t.ID)
	}
	return err
}

// failUnqueued records that task of job could not be queued. It is recorded
// even when the deadline or the caller's going away is what stopped the
// send.
func (g *Gateway) failUnqueued(ctx context.Context, job records.Job, task string) {
	failed := events.TaskFailed{Job: job.ID, Task: task, Owner: job.Owner, Attempt: 1, Kind: string(fault.Transient), Reason: "the task could not be queued; submit it again"}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if ferr := g.store.MarkFailed(fctx, failed, g.deps.Now()); ferr != nil {
		g.log.Error("recording an unqueued task", "job", job.ID, "task", task, g.ownerAttr(job.Owner), "err", ferr)
	}
	g.deps.Changes.TaskChanged(job.ID, task)
}

func (g *Gateway) loadJob(r *http.Request, owner string) (records.Job, error) {
	id := r.PathValue("id")
	if !events.ValidID(id) {
		return records.Job{}, fault.New(fault.NotFound, "job %q not found", id)
	}
	if j, ok := g.jobs.get(id); ok {
		if j.Owner != owner {
			return records.Job{}, fault.New(fault.NotFound, "job %q not found", id)
		}
		return j, nil
	}
	j, err := g.store.Job(r.Context(), owner, id)
	if err != nil {
		return records.Job{}, notFoundAs(err, "job %q not found", id)
	}
	g.jobs.put(j.ID, j)
	return j, nil
}

// jobTasks loads the caller's job named in the path and its tasks' states,
// answering the error itself when it cannot.
func (g *Gateway) jobTasks(w http.ResponseWriter, r *http.Request, owner string) (records.Job, []records.TaskStatus, bool) {
	j, err := g.loadJob(r, owner)
	if err == nil {
		var tasks []records.TaskStatus
		if tasks, err = g.store.Tasks(r.Context(), j); err == nil {
			return j, tasks, true
		}
	}
	g.fail(w, r, err)
	return records.Job{}, nil, false
}

// Bounds of a page of GET /v1/jobs.
const (
	defaultJobsPage = 20
	maxJobsPage     = 100
)

// listJobs lists the caller's jobs, newest first, a page at a time
// (?limit=, ?page_token= from the page before).
func (g *Gateway) listJobs(w http.ResponseWriter, r *http.Request, owner string) {
	q := r.URL.Query()
	limit := defaultJobsPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxJobsPage {
			g.fail(w, r, fault.New(fault.InvalidArgument, "limit: must be a whole number from 1 to %d, got %q", maxJobsPage, v))
			return
		}
		limit = n
	}
	jobs, next, err := g.store.Jobs(r.Context(), owner, q.Get("page_token"), limit)
	if err != nil {
		g.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	list := api.JobList{Jobs: make([]api.JobSummary, len(jobs)), NextPageToken: next}
	for i, j := range jobs {
		list.Jobs[i] = api.JobSummary(j)
	}
	writeJSON(w, http.StatusOK, list)
}

// Bounds of a page of a job's tasks, GET /v1/jobs/{id}?limit=.
const maxTaskPage = 1000

// getJob answers a job's state and its tasks: every task by default, a page
// of them with ?limit= (and ?page_token= from the page before), or none
// with ?view=summary, which costs one listing of the job's records and no
// reads, for pollers of a job of thousands.
func (g *Gateway) getJob(w http.ResponseWriter, r *http.Request, owner string) {
	q := r.URL.Query()
	j, err := g.loadJob(r, owner)
	if err != nil {
		g.fail(w, r, err)
		return
	}
	from, n, err := taskPage(q, len(j.Tasks))
	if err != nil {
		g.fail(w, r, err)
		return
	}
	counts, tasks, err := g.store.TaskPage(r.Context(), j, from, n)
	if err != nil {
		g.fail(w, r, err)
		return
	}
	state := records.JobStateOf(counts, len(j.Tasks))
	body := newJobBody(j, state)
	if !state.Final() {
		body.Notice = g.notice(r.Context())
	}
	for state, n := range counts {
		body.Counts[api.TaskState(state)] = n
	}
	for _, t := range tasks {
		body.Tasks = append(body.Tasks, taskView(t))
	}
	if next := from + n; q.Has("limit") && next < len(j.Tasks) {
		body.NextPageToken = strconv.Itoa(next)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, body)
}

// taskPage reads which tasks GET /v1/jobs/{id} is to show of a job of total:
// n of them from index from.
func taskPage(q url.Values, total int) (from, n int, err error) {
	switch v := q.Get("view"); v {
	case "", "full":
	case "summary":
		if q.Has("limit") || q.Has("page_token") {
			return 0, 0, fault.New(fault.InvalidArgument, "view: a summary has no tasks to page through; drop limit and page_token")
		}
		return 0, 0, nil
	default:
		return 0, 0, fault.New(fault.InvalidArgument, "view: must be \"full\" (the default) or \"summary\", got %q", v)
	}
	n = total
	if v := q.Get("limit"); q.Has("limit") {
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > maxTaskPage {
			return 0, 0, fault.New(fault.InvalidArgument, "limit: must be a whole number from 1 to %d, got %q", maxTaskPage, v)
		}
	}
	if v := q.Get("page_token"); v != "" {
		if from, err = strconv.Atoi(v); err != nil || from < 1 || from >= total {
			return 0, 0, fault.New(fault.InvalidArgument, "page_token: not a page of this job")
		}
	}
	return from, n, nil
}

func (g *Gateway) getOps(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"ops": imaging.Catalogue(), "formats": imaging.Formats()})
}

// notFoundAs replaces a NotFound error's message (which names storage keys)
// with one for the user; other errors pass through, and so do those of
// what its owner deleted or what expired, whose message says so.
func notFoundAs(err error, format string, args ...any) error {
	if _, gone := records.AsGone(err); gone {
		return err
	}
	if err == nil || fault.KindOf(err) != fault.NotFound {
		return err
	}
	return fault.New(fault.NotFound, format, args...)
}

// notice returns what to tell the owners of unfinished jobs about the
// processors, or "". The fleet's report is read at most every two seconds:
// every poll of every job would read it otherwise.
func (g *Gateway) notice(ctx context.Context) string {
	g.fleetMu.Lock()
	defer g.fleetMu.Unlock()
	now := g.deps.Now()
	if now.Sub(g.fleetRead) > 2*time.Second {
		st, err := g.store.FleetStatus(ctx)
		if err != nil {
			g.log.Warn("reading the fleet status", "err", err)
			return ""
		}
		g.fleet, g.fleetRead = st, now
	}
	// A report nobody refreshed for a minute is from a supervisor that is
	// gone; it says nothing about now.
	if g.fleet.Healthy || now.Sub(g.fleet.At) > time.Minute {
		return ""
	}
	return "processing unavailable, retrying: " + g.fleet.Message
}
