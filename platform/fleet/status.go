package fleet

import (
	"os"
	"strconv"
	"strings"
	"sync"
)

// EnvStatusFD names the file descriptor on which a worker started by the
// fleet reports its status.
const EnvStatusFD = "PIXMILL_STATUS_FD"

// The status reports: "+TASK\n" when a task starts, naming it (the
// request's CloudEvent subject, possibly empty), and "-" when one ends.
const (
	statusBusy = '+'
	statusIdle = '-'
	statusEnd  = '\n'
)

// Status is a worker's side of the status pipe. Its methods are safe for
// concurrent use, cost one small write each, and do nothing on a nil
// Status or once the fleet has gone.
type Status struct {
	mu sync.Mutex
	f  *os.File
}

// StatusFromEnv opens the pipe the fleet handed the worker, or returns nil
// when the worker was not started by a fleet.
func StatusFromEnv(getenv func(string) string) *Status {
	fd, err := strconv.Atoi(getenv(EnvStatusFD))
	if err != nil || fd < 3 {
		return nil
	}
	f := os.NewFile(uintptr(fd), "fleet-status")
	if f == nil {
		return nil
	}
	return &Status{f: f}
}

// Busy reports that the worker started task (a task id, or "" when the
// request names none).
func (s *Status) Busy(task string) {
	if strings.ContainsRune(task, statusEnd) {
		task = ""
	}
	s.write(string(statusBusy) + task + string(statusEnd))
}

// Idle reports that the worker ended a task.
func (s *Status) Idle() { s.write(string(statusIdle)) }

func (s *Status) write(report string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return
	}
	// One write of a few bytes: a pipe writes it whole (PIPE_BUF).
	if _, err := s.f.WriteString(report); err != nil {
		// The fleet is gone (the pipe is broken): stop reporting.
		_ = s.f.Close()
		s.f = nil
	}
}

// Close closes the pipe.
func (s *Status) Close() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}
