// Package api holds the request and response bodies of pixmill's HTTP API,
// defined once: the gateway answers with them and the client decodes them.
// The reference is docs/api.md.
package api

import (
	"encoding/json"
	"time"
)

// Error is the body of every error answer: what was wrong, in words fit to
// show to the person who sent the request.
type Error struct {
	Error string `json:"error"`
	// Quota is set when the request was refused for going over one of the
	// owner's quotas (413 or 429): which, its limit and the use.
	Quota *QuotaExceeded `json:"quota,omitempty"`
}

// Image is the server's answer for one uploaded file: either an accepted
// image with its id and properties, or the name and the reason it was
// rejected (Error).
type Image struct {
	ID     string `json:"id,omitempty"`
	Name   string `json:"name"`
	Format string `json:"format,omitempty"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
	Bytes  int64  `json:"bytes,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Accepted reports whether the server stored the file as an image.
func (im Image) Accepted() bool { return im.Error == "" && im.ID != "" }

// UploadResult holds one entry per uploaded file, in the order the files
// were sent. Error is set when the request itself failed part way (its body
// was cut short or too large): the files after the last entry were not read.
type UploadResult struct {
	Images []Image `json:"images"`
	Error  string  `json:"error,omitempty"`
}

// JobRequest asks for the same edits on a set of uploaded images. Each op is
// a JSON object such as {"op":"thumbnail","width":256,"height":256}; the
// server validates them. An empty Format keeps each image's format and a
// zero Quality lets the server choose. Metadata is "strip" (the default:
// no camera, time or GPS position in the results) or "keep". Preset names
// a saved recipe (see Preset) instead of Ops: its ops are used, and its
// format, quality and metadata where the request leaves them out.
type JobRequest struct {
	Images   []string          `json:"images"`
	Ops      []json.RawMessage `json:"ops,omitempty"`
	Preset   string            `json:"preset,omitempty"`
	Format   string            `json:"format,omitempty"`
	Quality  int               `json:"quality,omitempty"`
	Metadata string            `json:"metadata,omitempty"`
	// Notify, if set, is where a job.finished CloudEvent is POSTed when
	// the job ends (docs/api.md, "Notifications").
	Notify *Notify `json:"notify,omitempty"`
}

// Notify is where a job's end is told: an http or https URL.
type Notify struct {
	URL string `json:"url"`
}

// NotifySecret is the key the caller's job notifications are signed with
// (GET and POST /v1/me/notify-secret): the HMAC-SHA256 key is the secret's
// text as it is.
type NotifySecret struct {
	Secret  string    `json:"secret"`
	Created time.Time `json:"created"`
}

// Preset is a named recipe: the ops and output settings of a job, without
// its pictures. Built-in presets are the same for everyone and cannot be
// changed or deleted; the others belong to the owner who saved them.
type Preset struct {
	Name     string            `json:"name"`
	Ops      []json.RawMessage `json:"ops"`
	Format   string            `json:"format,omitempty"`
	Quality  int               `json:"quality,omitempty"`
	Metadata string            `json:"metadata,omitempty"`
	Builtin  bool              `json:"builtin,omitempty"`
}

// PresetList is the built-in presets, then the caller's, each by name.
type PresetList struct {
	Presets []Preset `json:"presets"`
}

// JobSummary is a job as the list of jobs shows it.
type JobSummary struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	// Tasks is the number of pictures in the job.
	Tasks int `json:"tasks"`
	// Ops are the names of the job's edits, in order.
	Ops []string `json:"ops"`
}

// JobList is a page of the caller's jobs, newest first. NextPageToken,
// given as ?page_token=, fetches the next page; it is empty on the last.
type JobList struct {
	Jobs          []JobSummary `json:"jobs"`
	NextPageToken string       `json:"next_page_token,omitempty"`
}

// JobState is the state of a whole job.
type JobState string

// The states of a job. Succeeded, failed and partial are final.
const (
	JobQueued    JobState = "queued"
	JobRunning   JobState = "running"
	JobSucceeded JobState = "succeeded"
	JobFailed    JobState = "failed"
	JobPartial   JobState = "partial"
)

// Final reports whether the job will not change any more.
func (s JobState) Final() bool {
	return s == JobSucceeded || s == JobFailed || s == JobPartial
}

// TaskState is the state of one image's edit within a job.
type TaskState string

// The states of a task. Succeeded and failed are final.
const (
	TaskQueued    TaskState = "queued"
	TaskRunning   TaskState = "running"
	TaskSucceeded TaskState = "succeeded"
	TaskFailed    TaskState = "failed"
)

// Final reports whether the task will not change any more.
func (s TaskState) Final() bool { return s == TaskSucceeded || s == TaskFailed }

// Job is a job and its tasks, one task per image.
type Job struct {
	ID    string   `json:"id"`
	State JobState `json:"state"`
	// Counts is the number of tasks in each state.
	Counts map[TaskState]int `json:"counts"`
	// The output settings of the job, as in JobRequest: Format "" keeps
	// each photo's, Quality 0 is the format's default, and Metadata is
	// always spelled out ("strip" or "keep").
	Format   string `json:"format"`
	Quality  int    `json:"quality"`
	Metadata string `json:"metadata"`
	// Notice tells about trouble that holds the job up, such as
	// processors that keep crashing.
	Notice string `json:"notice,omitempty"`
	// Total is the number of tasks in the job, also when Tasks holds a
	// page of them or none (view=summary).
	Total int    `json:"total"`
	Tasks []Task `json:"tasks,omitempty"`
	// Notify is where the job's end is told, if anywhere.
	Notify *Notify `json:"notify,omitempty"`
	// NextPageToken, given as ?page_token= with the same limit, fetches
	// the next page of tasks; it is empty on the last.
	NextPageToken string `json:"next_page_token,omitempty"`
}

// Progress is the summary a job's event stream sends (events "job" and
// "end"): its state, counts and size, without the tasks.
type Progress struct {
	ID     string            `json:"id"`
	State  JobState          `json:"state"`
	Counts map[TaskState]int `json:"counts"`
	Total  int               `json:"total"`
	Notice string            `json:"notice,omitempty"`
}

// Task is the edit of one image. Output is set once the task has succeeded.
type Task struct {
	ID       string    `json:"id"`
	Image    string    `json:"image"`
	Name     string    `json:"name,omitempty"`
	State    TaskState `json:"state"`
	Attempts int       `json:"attempts"`
	Error    string    `json:"error,omitempty"`
	Output   *Output   `json:"output,omitempty"`
}

// Output describes an edited picture.
type Output struct {
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Format string `json:"format"`
	Bytes  int64  `json:"bytes"`
}

// LinkRequest asks for a signed link to one of the caller's objects: Path is
// a GET route of the API (an original, an output, a preview or an archive),
// ExpiresIn a duration such as "1h" or "7d", at most seven days (default
// one hour).
type LinkRequest struct {
	Path      string `json:"path"`
	ExpiresIn string `json:"expires_in,omitempty"`
}

// Link is a signed link: URL, relative to the gateway, opens its path
// without any other credential until Expires.
type Link struct {
	URL     string    `json:"url"`
	Expires time.Time `json:"expires"`
}

// Me is who the gateway takes the caller for (GET /v1/me), for the web app
// to show who is signed in, with the caller's use of its quotas.
type Me struct {
	// Owner is the caller's owner id: everything they upload and run is
	// kept under it.
	Owner string `json:"owner"`
	// Via says how the caller was identified: "key" (an API key), "oidc",
	// "proxy", "iap", or "loopback" and "none" for the single owner of a
	// gateway without sign-in.
	Via string `json:"via"`
	// Name is what to call the caller, when the proxy or the token gives
	// one: an email address or a user name.
	Name string `json:"name,omitempty"`
	// Usage and Limits are what the caller uses of its quotas, and their
	// limits (0: none).
	Usage  Usage  `json:"usage"`
	Limits Limits `json:"limits"`
}

// PreviewRequest asks for one uploaded image edited as a recipe says, made
// small for a screen (POST /v1/previews): Ops (or a Preset), given in the
// original's pixels as for a job, Format and Quality as for a job, and
// Size, the longest side of the answer in pixels. Nothing is stored.
type PreviewRequest struct {
	Image   string            `json:"image"`
	Ops     []json.RawMessage `json:"ops,omitempty"`
	Preset  string            `json:"preset,omitempty"`
	Format  string            `json:"format,omitempty"`
	Quality int               `json:"quality,omitempty"`
	Size    int               `json:"size,omitempty"`
}

// Defaults of a PreviewRequest: WebP, which every browser shows, at 640
// pixels, a panel on a dense screen.
const (
	DefaultPreviewFormat = "webp"
	DefaultPreviewSize   = 640
)
