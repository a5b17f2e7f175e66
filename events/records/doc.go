// Package records keeps pixmill's shared state as small JSON objects in the
// bucket, so that any number of gateway replicas and results functions see the
// same answers without a database.
//
// It sits beside the events because, like them, it is a contract between the
// layers: the gateway writes images and jobs, the results and dead-letter
// functions write what happened to tasks, and the platform reads them all.
// The task state belongs to the records themselves, not to any one writer.
// One file per record kind: images.go, jobs.go (and each owner's list),
// tasks.go (with ended.go, the cache of ended tasks, and views.go, the reads
// of part of a job: a page, or the tasks a reader was told changed),
// deadletters.go, fleet.go, dispatch.go (the fair-share dispatcher's
// cursors), notify.go (job-end notifications: pending, claims, secrets); gone.go (tombstones), erase.go (deleting jobs, images and
// owners) and retention.go (the expiry sweep); keys.go is the whole bucket
// layout; store.go the bucket I/O.
//
// # Layout
//
//	originals/{owner}/{image}                 an uploaded picture
//	results/{owner}/{job}/{task}.{ext}        a task's result
//	previews/{owner}/{job}/{task}.webp        its small copy, for the web app
//	previews/{owner}/images/{image}.jpg       an original's copy for live previews
//	records/images/{image}.json               written once, at upload
//	records/jobs/{job}/job.json               written once, when the job is created
//	records/jobs/{job}/tasks/{task}/started-{attempt}.json
//	records/jobs/{job}/tasks/{task}/succeeded.json
//	records/jobs/{job}/tasks/{task}/failed.json
//	records/owners/{owner}/jobs/{newest-first}-{job}.json
//	                                          a job's line in its owner's list
//	records/owners/{owner}/retention.json     the owner's own retention
//	records/gone/images/{image}.json          the tombstone of a deleted or expired image
//	records/gone/jobs/{job}.json              the tombstone of a deleted or expired job
//	records/gone/owners/{owner}.json          when the owner was erased
//	records/owners/{owner}/dispatch/{job}.json
//	                                          a job's fair-share cursor, while
//	                                          its tasks are being sent (dispatch.go)
//	records/deadletter/{task or event}.json   a parked request
//	records/deadletter/notify-{job}.json      a notification not delivered
//	records/notify/{job}.json                 a job's end notification, still to send
//	records/jobs/{job}/notify/{generation}.json
//	                                          a claim on sending it (notify.go)
//	records/owners/{owner}/notify-secret.json the key it is signed with
//	records/fleet.json                        the supervisor's last report
//
// An owner's pictures lie under its own prefix of each kind
// ([OwnerPrefixes]), and a function refuses a task whose keys lie outside
// them ([OwnsKey]). Pictures stored before owners existed stay at
// originals/{image} and results/{job}/{task}.{ext}, where their records name
// them, and belong to [LocalOwner].
//
// # Why one object per fact
//
// Task records are never read, changed and written back: each event writes
// its own object, named by what happened, and a task's state is derived when
// it is read (succeeded beats failed beats started beats nothing). So two
// results handlers that process a task's events at once cannot lose an update,
// and a duplicated event rewrites an object with the same content — duplicates
// change nothing. A whole job's state is one listing of its prefix plus a read
// of each ended task's record, 16 at a time. A Store keeps the ended records
// it has read, checked against the listing's size, time and checksum, so a
// page that follows a job of hundreds of photos costs one listing a look,
// not hundreds of reads (BenchmarkJobStatus in platform/backendtest).
//
// # Errors
//
// A missing image or job is a fault.NotFound, a [*GoneError] when its owner
// deleted it or it expired; storage failures are fault.Transient.
package records
