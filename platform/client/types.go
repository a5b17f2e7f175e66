package client

import (
	"encoding/json"
	"io"
	"time"
)

// File is one picture to upload. Open is called once, when the file's part
// of the request body is written, so a batch keeps at most one file open.
type File struct {
	// Name is the file name sent to the server, usually a base name such
	// as "beach.jpg".
	Name string
	Open func() (io.ReadCloser, error)
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
// were sent.
type UploadResult struct {
	Images []Image `json:"images"`
}

// JobRequest asks for the same edits on a set of uploaded images. Each op is
// a JSON object such as {"op":"thumbnail","width":256,"height":256}; the
// server validates them. An empty Format keeps each image's format and a
// zero Quality lets the server choose. Metadata is "strip" (the default:
// no camera, time or GPS position in the results) or "keep".
type JobRequest struct {
	Images   []string          `json:"images"`
	Ops      []json.RawMessage `json:"ops"`
	Format   string            `json:"format,omitempty"`
	Quality  int               `json:"quality,omitempty"`
	Metadata string            `json:"metadata,omitempty"`
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
	// The output settings of the job, as in JobRequest; Metadata is
	// always spelled out ("strip" or "keep").
	Format   string `json:"format,omitempty"`
	Quality  int    `json:"quality,omitempty"`
	Metadata string `json:"metadata,omitempty"`
	Tasks    []Task `json:"tasks"`
}

// Task is the edit of one image. Output is set once the task has succeeded.
type Task struct {
	ID       string    `json:"id"`
	Image    string    `json:"image"`
	Name     string    `json:"name,omitempty"`
	State    TaskState `json:"state"`
	Attempts int       `json:"attempts,omitempty"`
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
