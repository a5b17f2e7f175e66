// Package client is a typed Go client of pixmill's HTTP API and the "submit"
// workflow built on it: upload a batch of photos, run one job of edits on
// them, wait for the job, and download the edited pictures.
//
// # Client
//
// [Client] speaks the gateway's JSON API (/v1/images, /v1/jobs, …). Uploads
// are streamed: the multipart body is written through a pipe while it is
// sent, so a batch of large photos is never held in memory. Downloads copy
// the answer straight into the caller's [io.Writer].
//
// # Errors
//
// When the server answers with a non-2xx status, the error wraps an
// [*APIError] carrying the status and the server's own message; use
// [errors.As] to reach it. An upload where the server accepted no file is
// such an error, and its [UploadResult] still holds the reason given for
// each file. Context cancellation and deadlines are returned unchanged, so
// errors.Is(err, context.Canceled) works. Other errors start with "client:"
// and name the operation and the file or id involved.
//
// # Submit
//
// [Submit] runs the whole workflow with bounded parallelism. A file the
// server rejects is reported with its reason and the others go on; only
// when no file at all is accepted does Submit fail. Edited pictures are
// written to the output folder as <original base name>.<format extension>.
// Names are built from the local file names (the server's names are only a
// fallback) and are always reduced to a plain base name, so nothing is
// written outside the output folder. A file already present is never
// overwritten: a clash gets a numeric suffix (photo-2.jpg). Every task that
// did not succeed is listed in the [SubmitReport] with its reason.
package client
