package stack

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/notify"
)

// Notifications are the settings of job-end notifications (package
// notify).
type Notifications struct {
	// Sweep is how often the jobs whose notification is pending are
	// looked over, for those that ended unseen by this process: while it
	// was down, or in another one (default 30s).
	Sweep time.Duration
	// AllowPrivate lets notifications go to loopback, private and
	// link-local addresses, as a receiver on the same machine needs.
	AllowPrivate bool
	// Attempts, Backoff and Timeout are notify.Config's.
	Attempts int
	Backoff  time.Duration
	Timeout  time.Duration
}

// DefaultNotifySweep is how often pending notifications are looked over.
const DefaultNotifySweep = 30 * time.Second

func (n *Notifications) bindFlags(fs *flag.FlagSet, c *Config) {
	n.Sweep = DefaultNotifySweep
	fs.Func("notify-sweep", fmt.Sprintf("how often the jobs whose end notification is pending are looked over, for those whose end this process did not see: it was down, or another process recorded it (default %s)", DefaultNotifySweep), durationFlag(&n.Sweep, "notify-sweep", 10*time.Millisecond))
	fs.BoolFunc("notify-allow-private", "let job-end notifications go to loopback, private and link-local addresses (a receiver on this machine or network); refused by default, so that a job cannot make pixmill reach inside its network", func(s string) error {
		v, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("notify-allow-private: %q is not true or false", s)
		}
		n.AllowPrivate, c.Limits.NotifyAllowPrivate = v, v
		return nil
	})
	n.Attempts = 5
	fs.Func("notify-attempts", "POSTs tried before a job-end notification is dead-lettered (default 5)", intFlag(&n.Attempts, "notify-attempts", 1))
	n.Backoff = time.Second
	fs.Func("notify-backoff", "wait after a job-end notification's first failed attempt, doubled after each (default 1s)", durationFlag(&n.Backoff, "notify-backoff", time.Millisecond))
	n.Timeout = 10 * time.Second
	fs.Func("notify-timeout", "longest a receiver may take to answer one attempt, handshake included (default 10s)", durationFlag(&n.Timeout, "notify-timeout", 10*time.Millisecond))
}

// notifier sends each job's notification once its job has ended: told of
// each ended task by the Store the results handler writes through, and
// sweeping the pending notifications for the ends it was not told of.
type notifier struct {
	store *records.Store
	nf    *notify.Notifier
	// by names this process in the claims it makes; lease is how long a
	// claim holds before another process may take it over.
	by    string
	lease time.Duration
	now   func() time.Time
	log   *slog.Logger

	mu      sync.Mutex
	ended   map[string][]string // tasks ended since the last look, by job
	without map[string]bool     // jobs known to have no pending notification
	kick    chan struct{}
	// counts are the tasks seen ending of the jobs with a pending
	// notification, kept by run alone: a job's records are listed when
	// its first end is seen and when all its tasks are, not at every end
	// (a job of 10,000 photos would be listed 10,000 times).
	counts map[string]*count

	cancel context.CancelFunc
	done   chan struct{}
}

// count is what a notifier knows of a job's ended tasks.
type count struct {
	total int
	ended map[string]bool
}

// maxWithout and maxCounted bound the jobs remembered as having no
// notification and those counted; when full each starts again empty,
// which costs one more read or listing per job.
const (
	maxWithout = 1 << 14
	maxCounted = 1 << 10
)

// startNotifications starts the notifier on store, which it hooks for the
// ends of tasks, until close.
func startNotifications(cfg Notifications, store *records.Store, log *slog.Logger) (*notifier, error) {
	n := &notifier{store: store, by: "pixmill-" + events.NewID(), now: time.Now, log: log,
		ended: map[string][]string{}, without: map[string]bool{}, counts: map[string]*count{}, kick: make(chan struct{}, 1), done: make(chan struct{})}
	cfg.Sweep = cmp.Or(cfg.Sweep, DefaultNotifySweep)
	ncfg := notify.Config{MaxAttempts: cfg.Attempts, Backoff: cfg.Backoff, Timeout: cfg.Timeout, AllowPrivate: cfg.AllowPrivate}
	// A claim is taken over only when its sender must have stopped: it
	// would have delivered or dead-lettered within one span.
	n.lease = 2*ncfg.Span() + time.Minute
	nf, err := notify.New(ncfg, notify.Deps{
		Secret: func(ctx context.Context, owner string) ([]byte, error) {
			s, err := store.OwnerNotifySecret(ctx, owner, n.now())
			return []byte(s.Secret), err
		},
		DeadLetter: n.deadLetter,
		Delivered: func(ctx context.Context, note notify.Notification) {
			if err := store.DonePending(ctx, note.Data.Job, note.Generation); err != nil {
				n.log.Warn("a delivered notification stays pending; the sweep will find it delivered", "job", note.Data.Job, "err", err)
			}
		},
	})
	if err != nil {
		return nil, err
	}
	n.nf = nf
	store.OnTaskEnd(n.taskEnded)
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	go n.run(ctx, cfg.Sweep)
	return n, nil
}

// close stops the notifier; deliveries under way are dropped, and their
// claims are taken over after the lease by whichever process sweeps next.
func (n *notifier) close() {
	n.cancel()
	<-n.done
	n.nf.Close()
}

// taskEnded is the Store's hook: quick, it only notes the task.
func (n *notifier) taskEnded(job, task string) {
	n.mu.Lock()
	if !n.without[job] {
		n.ended[job] = append(n.ended[job], task)
	}
	n.mu.Unlock()
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// run looks at the jobs whose tasks ended as it is told of them, and at
// every pending notification each sweep.
func (n *notifier) run(ctx context.Context, every time.Duration) {
	defer close(n.done)
	t := time.NewTicker(every)
	defer t.Stop()
	n.sweep(ctx) // what ended while this process was down
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.kick:
			n.mu.Lock()
			jobs := n.ended
			n.ended = map[string][]string{}
			n.mu.Unlock()
			for job, tasks := range jobs {
				if err := n.told(ctx, job, tasks); err != nil && ctx.Err() == nil {
					n.log.Warn("counting a job's ended tasks; the next sweep looks at it", "job", job, "err", err)
				}
			}
		case <-t.C:
			n.sweep(ctx)
		}
	}
}

func (n *notifier) sweep(ctx context.Context) {
	jobs, err := n.store.PendingNotifications(ctx)
	if err != nil {
		n.log.Warn("listing pending notifications", "err", err)
		return
	}
	for _, job := range jobs {
		n.look(ctx, job)
	}
}

// told counts tasks of job seen ending, and looks at the job once all of
// them have. A job without a pending notification is remembered as such:
// its notification would have been pending from its creation on. Ends
// recorded by other processes are not seen here; the sweep finds those
// jobs.
func (n *notifier) told(ctx context.Context, job string, tasks []string) error {
	c := n.counts[job]
	if c == nil {
		p, err := n.store.PendingNotification(ctx, job)
		if fault.KindOf(err) == fault.NotFound {
			n.mu.Lock()
			if len(n.without) >= maxWithout {
				n.without = map[string]bool{}
			}
			n.without[job] = true
			n.mu.Unlock()
			return nil
		}
		if err != nil {
			return err
		}
		j, err := n.store.Job(ctx, p.Owner, job)
		if err != nil {
			return n.notifyIfEnded(ctx, job) // which ends it if the job is gone
		}
		// What ended before this process was told: it may have started
		// with the job half done.
		ended, err := n.store.EndedTasks(ctx, job)
		if err != nil {
			return err
		}
		if len(n.counts) >= maxCounted {
			n.counts = map[string]*count{}
		}
		c = &count{total: len(j.Tasks), ended: ended}
		n.counts[job] = c
	}
	for _, t := range tasks {
		c.ended[t] = true
	}
	if len(c.ended) < c.total {
		return nil
	}
	delete(n.counts, job)
	return n.notifyIfEnded(ctx, job)
}

// look is notifyIfEnded for the sweep, which logs what went wrong.
func (n *notifier) look(ctx context.Context, job string) {
	if err := n.notifyIfEnded(ctx, job); err != nil && ctx.Err() == nil {
		n.log.Warn("looking at a job's notification; the next sweep tries again", "job", job, "err", err)
	}
}

// notifyIfEnded sends job's notification if it is pending, the job has
// ended, and no live claim is on it.
func (n *notifier) notifyIfEnded(ctx context.Context, job string) error {
	p, err := n.store.PendingNotification(ctx, job)
	if fault.KindOf(err) == fault.NotFound {
		return nil
	}
	if err != nil {
		return err
	}
	j, err := n.store.Job(ctx, p.Owner, job)
	if fault.KindOf(err) == fault.NotFound || (err == nil && j.Notify == nil) {
		// Deleted, expired, or its owner erased: no one to tell.
		return n.store.DonePending(ctx, job, p.Generation)
	}
	if err != nil {
		return err
	}
	ended, err := n.store.EndedTasks(ctx, job)
	if err != nil || len(ended) < len(j.Tasks) {
		return err
	}
	gen := p.Generation
	last, ok, err := n.store.LastClaim(ctx, job)
	if err != nil {
		return err
	}
	if ok && last.Generation >= gen {
		if n.now().Sub(last.At) < n.lease {
			return nil // being delivered, or delivered and not yet marked so
		}
		gen = last.Generation + 1 // its sender stopped: take it over
	}
	won, err := n.store.ClaimNotification(ctx, job, records.Claim{Generation: gen, By: n.by, At: n.now().UTC()})
	if err != nil || !won {
		return err
	}
	tasks, err := n.store.Tasks(ctx, j)
	if err != nil {
		return err
	}
	c := records.Counts(tasks)
	data := notify.JobFinished{Job: job, Owner: j.Owner, State: string(records.JobState(tasks)), Total: len(tasks), Succeeded: c[records.Succeeded], Failed: c[records.Failed]}
	n.log.Info("job ended: notifying", "job", job, "state", data.State, "generation", gen)
	// A full queue leaves the claim to lapse: the sweep after the lease
	// takes it over.
	return n.nf.Notify(notify.Notification{URL: j.Notify.URL, ID: "finished-" + job, Data: data, Generation: gen})
}

// deadLetter parks a notification that could not be delivered where
// pixmill dlq lists and redrives it, and ends its pending record.
func (n *notifier) deadLetter(ctx context.Context, l notify.Letter) error {
	job := l.Notification.Data.Job
	err := n.store.PutDeadLetter(ctx, records.DeadLetter{
		Key: records.NotificationDeadLetterKey(job), Job: job, Owner: l.Notification.Data.Owner,
		Reason: l.Reason, Kind: records.DeadLetterNotification, Attempts: l.Attempts, At: n.now().UTC(),
	})
	if err != nil {
		return err
	}
	if err := n.store.DonePending(ctx, job, l.Notification.Generation); err != nil {
		n.log.Warn("a dead-lettered notification stays pending; the sweep after the lease sends it again", "job", job, "err", err)
	}
	return nil
}
