// Package dispatch shares the worker fleet fairly among owners: it stands
// between the gateway and the requests topic, holds each job's tasks, and
// sends them to the topic under one window shared by everyone: how many
// tasks may wait in the queue, sent and not yet taken by a worker. A slot
// frees when a worker starts its task. Free slots go to the owners with tasks
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
// it were sent. Cursors are written after the sends they cover, once a
// window of tasks (and at least 32) has been sent since the last write,
// when a job has been sent to its end, at every reconcile and when Run
// stops: a write per window of tasks rather than per task. On start,
// Run reads every cursor, and for each job counts its tasks before the
// cursor that have not ended as in flight and holds those after it that
// have not ended. So a crash between a send and the cursor's write sends
// those tasks again, those sent since the last write; a task sent twice is
// processed to the same output key and the same records, so its owner sees
// one result. No task is lost: a job's cursor is written before Submit
// returns, and removed only when every task is sent and has ended.
//
// # Releases
//
// A slot frees when a worker starts its task (Started): in pixmill up the
// fleet's status pipe says so the moment a worker takes a request. Counting
// only waiting tasks keeps the window's meaning when workers die holding
// leases: a task leased to a killed worker is no longer waiting, so it
// cannot fill the window while the broker holds it for redelivery. A
// task's end (succeeded, or failed for good, which includes dead-lettered)
// is told by the records Store where the results handler runs in the same
// process (Release), and ends the job when it is the last. A periodic
// reconcile also reads the state of the tasks sent longer ago than its
// interval — one listing each, a cost in proportion to the tasks in flight,
// not to the jobs — so a lost notification, a restart, or a deployment
// where workers and results run elsewhere (Knative, Cloud Run) leaks no
// slot: a task whose record shows it started frees its slot there.
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
