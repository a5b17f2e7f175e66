// Package embedded runs a NATS server with JetStream inside the pixmill
// process, so that the one-machine deployment has a durable queue with no
// set-up: Start it on a data directory, open topics and subscriptions on
// jetstream://<Addr>/<subject> (package platform/jetstream), Shutdown it
// when the process ends.
//
// # Where it listens
//
// Only on a loopback address (127.0.0.1 unless Config.Host says otherwise)
// and by default on a free port picked at start. The server has no
// authentication, which is safe only because nothing off the machine can
// reach it. Port 4222 is refused outright: it is the standard NATS port, and
// the development and CI machines run a system NATS there; sharing it would
// mix pixmill's queues with someone else's, or fail at random depending on
// which server started first.
//
// # Durability
//
// Streams and their messages are kept in files under Config.Dir, so a
// restart on the same directory (on any port) finds every stream, consumer
// and un-acked message where it was. A message is written to the operating
// system before its publish is acknowledged, so it survives a crash of the
// process. It survives a crash of the machine only once fsynced: the server
// fsyncs every two minutes, or on every write with Config.SyncAlways, which
// costs throughput.
//
// Only one server may use a directory at a time: Start takes a lock on it
// (released by Shutdown, or by the operating system when the process dies)
// and fails while another server holds it.
//
// # Logs
//
// The server logs nothing unless Config.Logger is set; its notices, warnings
// and errors then go to that slog.Logger, and its debug and trace lines too
// when the logger is enabled at those levels (trace is slog.LevelDebug-4).
package embedded
