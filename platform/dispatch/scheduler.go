package dispatch

// Scheduler decides which held task goes next: deficit round-robin over the
// owners with tasks held, each owner's jobs in submission order and each
// job's tasks in order. It does no I/O and keeps no clock; the Dispatcher
// owns the window and asks Next for as many tasks as it has free slots.
// It is not safe for concurrent use.
//
// Deficit round-robin, with every task costing 1: on its turn an owner's
// deficit grows by its weight, and it takes tasks while the deficit is at
// least 1. With weights 2 and 1, owner A takes 2 tasks a round and B 1, so
// of 9 free slots A gets 6 and B 3. An owner alone takes every slot
// (work-conserving), and an owner that arrives gets a slot within one round:
// a one-photo job waits for at most one task of each other owner.
type Scheduler struct {
	weight func(owner string) int
	owners map[string]*ownerQueue
	// ring is the owners with held tasks, in turn order; pos is whose
	// turn it is.
	ring []*ownerQueue
	pos  int
	held int
}

type ownerQueue struct {
	name    string
	deficit int
	jobs    []*heldJob
}

// heldJob is the part of a job not yet handed out: the task indexes in
// order.
type heldJob struct {
	id      string
	indexes []int
}

// Pick is a task to send: job's task at Index, of Owner.
type Pick struct {
	Owner string
	Job   string
	Index int
}

// NewScheduler returns an empty Scheduler; weight gives each owner's share
// (values below 1 count as 1; nil weighs everyone 1).
func NewScheduler(weight func(owner string) int) *Scheduler {
	if weight == nil {
		weight = func(string) int { return 1 }
	}
	return &Scheduler{weight: weight, owners: map[string]*ownerQueue{}}
}

// Add holds the tasks of job at indexes (in the order they are to go),
// behind owner's jobs already held.
func (s *Scheduler) Add(owner, job string, indexes []int) {
	if len(indexes) == 0 {
		return
	}
	q := s.owners[owner]
	if q == nil {
		q = &ownerQueue{name: owner}
		s.owners[owner] = q
		// A newcomer joins just before the owner whose turn it is, so it
		// waits a whole round at most.
		s.ring = append(s.ring, nil)
		copy(s.ring[s.pos+1:], s.ring[s.pos:])
		s.ring[s.pos] = q
	}
	q.jobs = append(q.jobs, &heldJob{id: job, indexes: indexes})
	s.held += len(indexes)
}

// Next hands out up to n held tasks, in the order they are to be sent.
func (s *Scheduler) Next(n int) []Pick {
	var out []Pick
	for n > 0 && len(s.ring) > 0 {
		q := s.ring[s.pos]
		if q.deficit < 1 {
			q.deficit += max(s.weight(q.name), 1)
		}
		for n > 0 && q.deficit >= 1 && len(q.jobs) > 0 {
			j := q.jobs[0]
			out = append(out, Pick{Owner: q.name, Job: j.id, Index: j.indexes[0]})
			j.indexes = j.indexes[1:]
			if len(j.indexes) == 0 {
				q.jobs = q.jobs[1:]
			}
			q.deficit--
			s.held--
			n--
		}
		switch {
		case len(q.jobs) == 0:
			// An owner with nothing held leaves the ring and keeps no
			// credit: it starts afresh when it submits again.
			delete(s.owners, q.name)
			s.ring = append(s.ring[:s.pos], s.ring[s.pos+1:]...)
			if s.pos >= len(s.ring) {
				s.pos = 0
			}
		case q.deficit < 1:
			s.pos = (s.pos + 1) % len(s.ring)
		}
	}
	return out
}

// Held is the number of tasks held, not yet handed out.
func (s *Scheduler) Held() int { return s.held }

// HeldBy is the number of tasks owner has held.
func (s *Scheduler) HeldBy(owner string) int {
	q := s.owners[owner]
	if q == nil {
		return 0
	}
	n := 0
	for _, j := range q.jobs {
		n += len(j.indexes)
	}
	return n
}
