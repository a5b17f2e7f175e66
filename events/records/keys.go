package records

import (
	"fmt"
	"math"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

// LocalOwner is the single owner of a stack without sign-in, and the owner
// of every picture stored before pictures had owners (legacyLayout).
const LocalOwner = "local"

// The kinds of pictures, each the first segment of its keys. The kind comes
// before the owner so that retention rules and storage grants, which match a
// prefix, stay one rule a kind (infra/terraform); an owner's pictures are the
// prefix {kind}/{owner}/ of each kind (OwnerPrefixes).
var pictureKinds = []string{"originals", "results", "previews"}

// OwnerPrefixes are the bucket prefixes of an owner's pictures, one a kind:
// erasing an owner, or applying a rule to one, is an operation on these.
func OwnerPrefixes(owner string) []string {
	ps := make([]string, len(pictureKinds))
	for i, k := range pictureKinds {
		ps[i] = k + "/" + url.PathEscape(owner) + "/"
	}
	return ps
}

// ImageKey is the bucket key of an owner's original picture.
func ImageKey(owner, id string) string { return "originals/" + url.PathEscape(owner) + "/" + id }

// OutputKey is the bucket key of a task's result, ext being its extension
// with the dot (imagetype.Type.Ext). It depends on the ids only, so a task
// processed twice overwrites the same object.
func OutputKey(owner, job, task, ext string) string {
	return "results/" + url.PathEscape(owner) + "/" + job + "/" + task + ext
}

// PreviewKey is where the small copy of a task's result is kept once made.
func PreviewKey(owner, job, task string) string {
	return "previews/" + url.PathEscape(owner) + "/" + job + "/" + task + ".webp"
}

// ProxyKey is where the copy of an original that live previews are made
// from is kept once made (imaging.Proxy): beside the previews of results,
// under a segment no job id can be.
func ProxyKey(owner, image string) string {
	return "previews/" + url.PathEscape(owner) + "/images/" + image + ".jpg"
}

// legacyLayout is how many segments followed each kind before keys had
// owners (originals/{image}, results/{job}/{task}.{ext}): one fewer than now,
// so an old key is never taken for an owner's. Records name such keys, and
// they stay readable in place as LocalOwner's (docs/auth.md, "Storage").
var legacyLayout = map[string]int{"originals": 1, "results": 2}

// OwnsKey reports whether key lies inside owner's storage: under one of
// OwnerPrefixes(owner), or, for LocalOwner, in the layout from before
// owners. A key that is not in canonical form (a "..", a "." or an empty
// segment) lies nowhere: some buckets resolve such names, others do not.
func OwnsKey(owner, key string) bool {
	if owner == "" || key == "" || path.Clean("/"+key) != "/"+key || strings.HasSuffix(key, "/") {
		return false
	}
	for _, p := range OwnerPrefixes(owner) {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	kind, rest, _ := strings.Cut(key, "/")
	n, ok := legacyLayout[kind]
	return owner == LocalOwner && ok && strings.Count(rest, "/") == n-1
}

func imageRecordKey(id string) string { return "records/images/" + id + ".json" }
func jobKey(id string) string         { return "records/jobs/" + id + "/job.json" }
func tasksPrefix(job string) string   { return "records/jobs/" + job + "/tasks/" }
func taskKey(job, task, fact string) string {
	return tasksPrefix(job) + task + "/" + fact + ".json"
}

func deadLetterKey(key string) string { return "records/deadletter/" + key + ".json" }

const fleetKey = "records/fleet.json"

// Tombstones (gone.go), and the time an owner was erased.
func goneImageKey(id string) string { return "records/gone/images/" + id + ".json" }
func goneJobKey(id string) string   { return "records/gone/jobs/" + id + ".json" }
func erasedKey(owner string) string { return "records/gone/owners/" + url.PathEscape(owner) + ".json" }

// retentionKey is where an owner's own retention is kept, beside the
// owner's list of jobs.
func retentionKey(owner string) string {
	return "records/owners/" + url.PathEscape(owner) + "/retention.json"
}

// ownerJobsPrefix is where an owner's list of jobs is kept: one small
// record per job, named so that a listing gives the newest first.
func ownerJobsPrefix(owner string) string {
	return "records/owners/" + url.PathEscape(owner) + "/jobs/"
}

// ownerJobKey sorts by creation time, newest first (the time counted down
// from the largest one), then by id.
func ownerJobKey(owner string, j Job) string {
	return fmt.Sprintf("%s%019d-%s.json", ownerJobsPrefix(owner), math.MaxInt64-j.Created.UnixNano(), j.ID)
}

// parseOwnerJobKey reads the job id and creation time from the name of a
// line of an owner's list of jobs (without its prefix), as ownerJobKey
// wrote it.
func parseOwnerJobKey(name string) (id string, created time.Time, ok bool) {
	n, id, ok := strings.Cut(strings.TrimSuffix(name, ".json"), "-")
	if !ok {
		return "", time.Time{}, false
	}
	v, err := strconv.ParseInt(n, 10, 64)
	if err != nil {
		return "", time.Time{}, false
	}
	return id, time.Unix(0, math.MaxInt64-v), true
}
