// Package dispatch shares the worker fleet fairly among owners: it stands
// between the gateway and the requests topic, holds each job's tasks, and
// sends them to the topic under one in-flight window shared by everyone,
// freeing a slot when a task ends. Free slots go to the owners with tasks
// held by deficit round-robin (Scheduler), weighted per owner; within one
// owner, jobs go in the order they were submitted, tasks in job order. An
// owner alone gets every slot, so sharing costs it nothing. No broker needs
// to know about owners: NATS JetStream, RabbitMQ and Pub/Sub all work the
// same way, each seeing no more than the window at a time.
//
// # Durable state
//
// What a dispatcher must remember is what the records already hold — the
// job record, with its tasks in order — plus one small cursor per job still
// dispatching (records.Cursor, under the owner's records): the tasks before
// it were sent. The cursor is written after the sends it covers. On start,
// Run reads every cursor, and for each job counts its tasks before the
// cursor that have not ended as in flight and holds those after it that
// have not ended. So a crash between a send and the cursor's write sends
// those tasks again, at most a window of them; a task sent twice is
// processed to the same output key and the same records, so its owner sees
// one result. No task is lost: a job's cursor is written before Submit
// returns, and removed only when every task is sent and has ended.
//
// # Releases
//
// A slot frees when its task ends: succeeded, or failed for good (which
// includes dead-lettered). Where the results handler runs in the same
// process (pixmill up), the records Store says so at once (Release). A
// periodic reconcile also reads the state of the tasks in flight for longer
// than its interval — one listing each, a cost in proportion to the window,
// not to the jobs — so a lost notification, a restart, or a deployment where
// the results run elsewhere (Knative, Cloud Run) leaks no slot.
//
// # Limits
//
// The window is one process's: several gateway replicas each dispatch the
// jobs they accepted, each under its own window, so fairness holds per
// replica (docs/scale-out.md).
//
// # Errors
//
// Submit returns a fault.Transient error when the job's cursor cannot be
// written: nothing was sent, and the caller should fail the submission. A
// send that fails is tried again, with backoff, until it succeeds or Run's
// context ends; the task stays queued meanwhile, as it would in a broker
// that is down.
package dispatch
