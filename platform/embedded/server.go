package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// startTimeout bounds Start when its context has no deadline. Recovering a
// large store takes seconds, not minutes; a server that is not up by then
// will not come up.
const startTimeout = 30 * time.Second

// serverName names the server in its logs and in the JetStream metadata it
// writes to Dir; it is fixed so that a restart recognises its own store.
const serverName = "pixmill-embedded"

// NATS is a running embedded server.
type NATS struct {
	srv    *server.Server
	addr   string
	unlock func()
	once   sync.Once
}

// Start starts a NATS server with JetStream on cfg.Dir and returns once it
// accepts connections. It refuses port 4222 and non-loopback hosts. The
// server keeps running when ctx ends; ctx bounds only the start.
func Start(ctx context.Context, cfg Config) (*NATS, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded: dir %q: %w", cfg.Dir, err)
	}
	unlock, err := lockDir(cfg.Dir)
	if err != nil {
		return nil, err
	}
	port := cfg.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	srv, err := server.NewServer(&server.Options{
		ServerName: serverName,
		Host:       cfg.Host,
		Port:       port,
		JetStream:  true,
		StoreDir:   cfg.Dir,
		SyncAlways: cfg.SyncAlways,
		// The process owns signals and logging, not the server.
		NoSigs: true,
		NoLog:  true,
	})
	if err != nil {
		unlock()
		return nil, fmt.Errorf("embedded: %w", err)
	}
	log := newServerLogger(cfg.Logger)
	srv.SetLoggerV2(log, log.enabled(slog.LevelDebug), log.enabled(levelTrace), false)

	go srv.Start()
	if err := waitReady(ctx, srv, log); err != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
		unlock()
		return nil, fmt.Errorf("embedded: server on %s did not start: %w", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)), err)
	}
	return &NATS{srv: srv, addr: srv.Addr().String(), unlock: unlock}, nil
}

// waitReady waits until srv accepts clients with JetStream enabled, a fatal
// error is logged, or ctx ends.
func waitReady(ctx context.Context, srv *server.Server, log *serverLogger) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, startTimeout)
		defer cancel()
	}
	for {
		if msg := log.lastFatal(); msg != "" {
			return errors.New(msg)
		}
		if srv.ReadyForConnections(50 * time.Millisecond) {
			if !srv.JetStreamEnabled() {
				return errors.New("jetstream is not enabled")
			}
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// URL is the client URL, nats://host:port.
func (n *NATS) URL() string { return "nats://" + n.addr }

// Addr is the host:port the server listens on, as used in
// jetstream://host:port/subject URLs.
func (n *NATS) Addr() string { return n.addr }

// Shutdown closes client connections, flushes the store and returns once the
// server has stopped. It is safe to call more than once.
func (n *NATS) Shutdown() {
	n.srv.Shutdown()
	n.srv.WaitForShutdown()
	n.once.Do(n.unlock)
}
