//go:build pixmill_faults

package stack

import (
	"context"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/pixmill/pixmill/platform/embedded"
)

// drill restarts the embedded JetStream on the same port and store at each
// SIGUSR1: a broker outage for the chaos test, built only with -tags
// pixmill_faults. Clients reconnect by themselves.
func (e *embeddedQueue) drill() (stop func()) {
	restart := make(chan os.Signal, 1)
	signal.Notify(restart, syscall.SIGUSR1)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-restart:
			}
			e.restart()
		}
	}()
	return func() {
		signal.Stop(restart)
		close(done)
	}
}

func (e *embeddedQueue) restart() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.log.Warn("restarting the embedded JetStream (SIGUSR1)")
	if e.nats != nil {
		_, port, _ := net.SplitHostPort(e.nats.Addr())
		e.cfg.Port, _ = strconv.Atoi(port)
		e.nats.Shutdown()
	}
	var err error
	if e.nats, err = embedded.Start(context.Background(), e.cfg); err != nil {
		e.log.Error("the embedded JetStream did not come back", "err", err)
	}
}
