package gateway

import "sync"

// Changes tells a gateway's progress feeds which task records were just
// written in this process, so that they read those tasks rather than list
// the whole job. Make one with NewChanges, give it to the gateway (Deps) and
// call TaskChanged after each task record is written. A nil *Changes
// ignores calls.
type Changes struct {
	mu     sync.Mutex
	notify []func(job, task string)
}

// NewChanges returns a Changes that tells nobody until given to a gateway.
func NewChanges() *Changes { return &Changes{} }

// TaskChanged says that a record of task in job was just written (started,
// succeeded, failed, or removed). It does no I/O and never blocks for long:
// a job nobody watches costs a map lookup. Safe for concurrent use.
func (c *Changes) TaskChanged(job, task string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	notify := c.notify
	c.mu.Unlock()
	for _, f := range notify {
		f(job, task)
	}
}

func (c *Changes) listen(f func(job, task string)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.notify = append(c.notify, f)
}
