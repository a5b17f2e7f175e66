package records

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
)

// Notify is where a job's owner asked to be told that the job ended
// (platform/notify).
type Notify struct {
	URL string `json:"url"`
}

// A job with a Notify has, until its notification is delivered or
// dead-lettered, a pending record; the process that sees the job end claims
// the notification by creating a claim record that must not exist yet, so
// that however many processes see the end, and whenever, one of them sends
// it:
//
//	records/notify/{job}.json                    pending: Pending
//	records/jobs/{job}/notify/{generation}.json  a claim: Claim
//
// A claim whose sender stopped before the delivery ended (it is older than
// the longest a delivery can take, and the pending record is still there)
// is taken over by creating the next generation's; a redrive of the
// notification's dead letter does the same. Claims lie under the job's
// records so that deleting the job deletes them.
const notifyPendingPrefix = "records/notify/"

func notifyPendingKey(job string) string { return notifyPendingPrefix + job + ".json" }
func notifyClaimsPrefix(job string) string {
	return "records/jobs/" + job + "/notify/"
}
func notifyClaimKey(job string, gen int) string {
	return fmt.Sprintf("%s%09d.json", notifyClaimsPrefix(job), gen)
}

// Pending says that a job's notification is still to be delivered.
type Pending struct {
	Job   string `json:"job"`
	Owner string `json:"owner"`
	// Generation is the claim the next delivery must make: 1, then one
	// more than the last for each redrive.
	Generation int       `json:"generation"`
	At         time.Time `json:"at"`
}

// Claim says who took on delivering a job's notification, and when.
type Claim struct {
	Generation int       `json:"generation"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

// PutPending records that job's notification is to be delivered, with
// claim generation p.Generation (1 for a new job).
func (s *Store) PutPending(ctx context.Context, p Pending) error {
	return s.put(ctx, notifyPendingKey(p.Job), p)
}

// PendingNotification reads job's pending record; none is a
// fault.NotFound.
func (s *Store) PendingNotification(ctx context.Context, job string) (Pending, error) {
	var p Pending
	return p, s.get(ctx, notifyPendingKey(job), &p)
}

// PendingNotifications lists the jobs whose notifications are still to be
// delivered: one listing.
func (s *Store) PendingNotifications(ctx context.Context) ([]string, error) {
	keys, err := s.keys(ctx, notifyPendingPrefix)
	if err != nil {
		return nil, err
	}
	jobs := make([]string, 0, len(keys))
	for _, k := range keys {
		jobs = append(jobs, strings.TrimSuffix(strings.TrimPrefix(k, notifyPendingPrefix), ".json"))
	}
	return jobs, nil
}

// DonePending removes job's pending record once its delivery of
// generation gen ended (delivered or dead-lettered), unless a redrive
// asked for a later generation since.
func (s *Store) DonePending(ctx context.Context, job string, gen int) error {
	p, err := s.PendingNotification(ctx, job)
	switch {
	case fault.KindOf(err) == fault.NotFound:
		return nil
	case err != nil:
		return err
	case p.Generation > gen:
		return nil
	}
	return s.remove(ctx, notifyPendingKey(job))
}

// LastClaim is the latest claim on job's notification; ok is false when
// there is none.
func (s *Store) LastClaim(ctx context.Context, job string) (c Claim, ok bool, err error) {
	keys, err := s.keys(ctx, notifyClaimsPrefix(job))
	if err != nil || len(keys) == 0 {
		return Claim{}, false, err
	}
	last, latest := 0, ""
	for _, k := range keys {
		n, err := strconv.Atoi(factOf(k))
		if err == nil && n > last {
			last, latest = n, k
		}
	}
	if latest == "" {
		return Claim{}, false, nil
	}
	err = s.get(ctx, latest, &c)
	if fault.KindOf(err) == fault.NotFound {
		return Claim{}, false, nil // the job was deleted meanwhile
	}
	return c, err == nil, err
}

// claimMu serialises claims made in this process: the file bucket checks
// that an object is absent and then renames over it, two steps another
// writer in the same process could come between. Buckets of cloud
// providers make the check and the write one step, across processes.
var claimMu sync.Mutex

// ClaimNotification creates claim c on job's notification, and reports
// whether this call created it: false when a claim of that generation was
// already there, whoever made it. It is the one step that makes a job's
// notification sent once, by one process.
func (s *Store) ClaimNotification(ctx context.Context, job string, c Claim) (bool, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return false, fmt.Errorf("records: encoding a claim: %w", err)
	}
	key := notifyClaimKey(job, c.Generation)
	claimMu.Lock()
	defer claimMu.Unlock()
	err = s.bucket.WriteAll(ctx, key, b, &blob.WriterOptions{ContentType: "application/json", IfNotExist: true})
	switch {
	case err == nil:
		return true, nil
	case gcerrors.Code(err) == gcerrors.FailedPrecondition:
		return false, nil
	}
	return false, fault.Storage(err, "records: writing %s", key)
}

// RedriveNotification asks for job's notification to be delivered again,
// after it was dead-lettered: a pending record for the claim after the
// last one. The next sweep of a running gateway delivers it.
func (s *Store) RedriveNotification(ctx context.Context, owner, job string, at time.Time) error {
	c, _, err := s.LastClaim(ctx, job)
	if err != nil {
		return err
	}
	return s.PutPending(ctx, Pending{Job: job, Owner: owner, Generation: c.Generation + 1, At: at.UTC()})
}

// notifySecretKey is where an owner's notification secret is kept, beside
// its other records, so that erasing the owner erases it.
func notifySecretKey(owner string) string {
	return "records/owners/" + url.PathEscape(owner) + "/notify-secret.json"
}

// NotifySecret is the key an owner's notifications are signed with.
type NotifySecret struct {
	Secret  string    `json:"secret"`
	Created time.Time `json:"created"`
}

// notifySecretPrefix starts every secret, so that one found in a log or a
// repository can be told for what it is.
const notifySecretPrefix = "whsec_"

// OwnerNotifySecret reads owner's secret, making one on first use; two
// first uses at once agree on the same one.
func (s *Store) OwnerNotifySecret(ctx context.Context, owner string, now time.Time) (NotifySecret, error) {
	var sec NotifySecret
	err := s.get(ctx, notifySecretKey(owner), &sec)
	if fault.KindOf(err) != fault.NotFound {
		return sec, err
	}
	sec = newNotifySecret(now)
	b, err := json.Marshal(sec)
	if err != nil {
		return NotifySecret{}, fmt.Errorf("records: encoding a secret: %w", err)
	}
	key := notifySecretKey(owner)
	err = s.bucket.WriteAll(ctx, key, b, &blob.WriterOptions{ContentType: "application/json", IfNotExist: true})
	if gcerrors.Code(err) == gcerrors.FailedPrecondition {
		var other NotifySecret
		return other, s.get(ctx, key, &other)
	}
	return sec, fault.Storage(err, "records: writing %s", key)
}

// RotateNotifySecret replaces owner's secret with a new one. Notifications
// sent from then on are signed with it.
func (s *Store) RotateNotifySecret(ctx context.Context, owner string, now time.Time) (NotifySecret, error) {
	sec := newNotifySecret(now)
	return sec, s.put(ctx, notifySecretKey(owner), sec)
}

func newNotifySecret(now time.Time) NotifySecret {
	// 256 random bits: two ids' worth, each the 26 characters of an id,
	// so that tests that compare answers without their ids see none.
	secret := notifySecretPrefix + events.NewID() + events.NewID()
	return NotifySecret{Secret: secret, Created: now.UTC()}
}
