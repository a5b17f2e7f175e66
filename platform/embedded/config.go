package embedded

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
)

// Defaults of Config.
const (
	DefaultHost = "127.0.0.1"

	// SystemPort is the standard NATS client port. Start refuses it: the
	// machines pixmill runs on have a system NATS listening there.
	SystemPort = 4222
)

// Config says where and how the embedded server runs.
type Config struct {
	// Dir holds the JetStream store (required). It is created if missing.
	Dir string

	// Host is the address to listen on; it must be a loopback address
	// (default 127.0.0.1) because the server has no authentication.
	Host string

	// Port is the client port; 0 (the default) picks a free one. 4222 is
	// refused.
	Port int

	// Logger receives the server's log lines; nil discards them.
	Logger *slog.Logger

	// SyncAlways fsyncs every write, so that acknowledged messages survive a
	// crash of the machine, not only of the process. It costs throughput.
	SyncAlways bool
}

func (c Config) withDefaults() Config {
	if c.Host == "" {
		c.Host = DefaultHost
	}
	return c
}

// validate reports every bad setting at once, each naming its key and value.
func (c Config) validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("embedded: dir is required"))
	}
	if !isLoopback(c.Host) {
		errs = append(errs, fmt.Errorf("embedded: host %q is not a loopback address; the embedded server has no authentication and must not be reachable from other machines", c.Host))
	}
	switch {
	case c.Port == SystemPort:
		errs = append(errs, fmt.Errorf("embedded: port %d is refused: it is the standard NATS port, where a system NATS server may listen; use 0 for a free port", c.Port))
	case c.Port < 0 || c.Port > 65535:
		errs = append(errs, fmt.Errorf("embedded: port %d is out of range (0 picks a free port)", c.Port))
	}
	return errors.Join(errs...)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
