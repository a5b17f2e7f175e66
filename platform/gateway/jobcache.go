package gateway

import (
	"sync"

	"github.com/pixmill/pixmill/events/records"
)

// jobCache keeps job records the gateway has read. A job's record is
// written once, when it is created, and never changed, so a copy is as good
// as a read; a job of 10,000 photos is a record of megabytes, which every
// poll of its status and every connection to its events would otherwise
// read and decode again.
type jobCache struct {
	mu    sync.Mutex
	jobs  map[string]records.Job
	tasks int // in jobs
}

// maxCachedTasks bounds the cache by the tasks of the jobs it holds (about
// 300 bytes each); when full it starts again empty.
const maxCachedTasks = 200_000

func (c *jobCache) get(id string) (records.Job, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	j, ok := c.jobs[id]
	return j, ok
}

func (c *jobCache) put(j records.Job) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.jobs == nil || c.tasks+len(j.Tasks) > maxCachedTasks {
		c.jobs, c.tasks = map[string]records.Job{}, 0
	}
	if _, ok := c.jobs[j.ID]; !ok {
		c.jobs[j.ID] = j
		c.tasks += len(j.Tasks)
	}
}
