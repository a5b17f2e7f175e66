// Package backendtest is one end-to-end suite run against every queue and
// bucket pixmill supports, the way gocloud.dev's drivertest runs against each
// driver: a Backend says how to make fresh, uniquely named queues and a
// bucket on its service and hands their URLs to `pixmill up`; Run drives the
// real binary (separate worker processes, HTTP API) through the same
// scenarios on each:
//
//   - the end-to-end flow: upload real photographs and generated pictures,
//     submit a job, wait, download every output and measure it;
//   - a worker killed mid-task: its request is delivered again and completes,
//     on its second attempt;
//   - a poison request that kills every worker that takes it: it is tried
//     exactly max-attempts times, parked on the dead-letter topic with its
//     reason, its owner told, while ordinary tasks beside it succeed.
//
// Services are started by scripts/start-services.sh when they are not
// running. A backend whose service cannot be reached is skipped with the
// reason on a developer's machine and fails the run when CI is set.
package backendtest
