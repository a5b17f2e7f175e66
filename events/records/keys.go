package records

import (
	"fmt"
	"math"
	"net/url"
)

// ImageKey is the bucket key of an original picture.
func ImageKey(id string) string { return "originals/" + id }

// OutputKey is the bucket key of a task's result, ext being its extension
// with the dot (imagetype.Type.Ext). It depends on the ids only, so a task
// processed twice overwrites the same object.
func OutputKey(job, task, ext string) string { return "results/" + job + "/" + task + ext }

func imageRecordKey(id string) string { return "records/images/" + id + ".json" }
func jobKey(id string) string         { return "records/jobs/" + id + "/job.json" }
func tasksPrefix(job string) string   { return "records/jobs/" + job + "/tasks/" }
func taskKey(job, task, fact string) string {
	return tasksPrefix(job) + task + "/" + fact + ".json"
}

func deadLetterKey(key string) string { return "records/deadletter/" + key + ".json" }

const fleetKey = "records/fleet.json"

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
