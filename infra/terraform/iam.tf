# Service accounts, one per role, each granted only what its role needs:
#   edit        reads originals/, writes results/, publishes responses
#   results     reads and writes records/
#   deadletter  reads, lists and writes records/
#   invoker     the identity of Pub/Sub's push deliveries: run.invoker on
#               the three functions' services, nothing else
#   gateway     reads and writes the bucket, publishes requests, reads the
#               link keys' secret
# Grants on the data bucket carry IAM conditions on the object name prefix;
# uniform bucket-level access (storage.tf) makes those conditions possible.
# No service account may build anything: the image is built before apply.

resource "google_service_account" "edit" {
  project      = var.project_id
  account_id   = "${local.prefix}-edit"
  display_name = "pixmill edit function"
  description  = "Runs the edit function: reads originals, writes results, publishes responses."

  depends_on = [google_project_service.apis]
}

resource "google_service_account" "results" {
  project      = var.project_id
  account_id   = "${local.prefix}-results"
  display_name = "pixmill results function"
  description  = "Runs the results function: reads and writes task records."

  depends_on = [google_project_service.apis]
}

resource "google_service_account" "deadletter" {
  project      = var.project_id
  account_id   = "${local.prefix}-deadletter"
  display_name = "pixmill deadletter function"
  description  = "Runs the deadletter function: records parked requests and marks their tasks failed."

  depends_on = [google_project_service.apis]
}

resource "google_service_account" "gateway" {
  project      = var.project_id
  account_id   = "${local.prefix}-gateway"
  display_name = "pixmill gateway"
  description  = "Runs the gateway: stores originals and previews, reads results and records, publishes task requests."

  depends_on = [google_project_service.apis]
}

resource "google_service_account" "invoker" {
  project      = var.project_id
  account_id   = "${local.prefix}-invoker"
  display_name = "pixmill function invoker"
  description  = "Identity of the Pub/Sub push deliveries calling the pixmill functions."

  depends_on = [google_project_service.apis]
}

# --- edit ---------------------------------------------------------------

resource "google_storage_bucket_iam_member" "edit_read_originals" {
  bucket = google_storage_bucket.data.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.edit.member

  condition {
    title       = "originals-only"
    description = "Objects under originals/"
    expression  = "resource.name.startsWith(\"${local.objects}/originals/\")"
  }
}

# objectUser rather than objectCreator: a redelivered request writes the same
# result key again, and overwriting an object needs delete permission.
resource "google_storage_bucket_iam_member" "edit_write_results" {
  bucket = google_storage_bucket.data.name
  role   = "roles/storage.objectUser"
  member = google_service_account.edit.member

  condition {
    title       = "results-only"
    description = "Objects under results/"
    expression  = "resource.name.startsWith(\"${local.objects}/results/\")"
  }
}

resource "google_pubsub_topic_iam_member" "edit_publish_responses" {
  project = var.project_id
  topic   = google_pubsub_topic.responses.name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.edit.member
}

# --- results ------------------------------------------------------------

resource "google_storage_bucket_iam_member" "results_records" {
  bucket = google_storage_bucket.data.name
  role   = "roles/storage.objectUser"
  member = google_service_account.results.member

  condition {
    title       = "records-only"
    description = "Objects under records/"
    expression  = "resource.name.startsWith(\"${local.objects}/records/\")"
  }
}

# --- deadletter -----------------------------------------------------------

# Read and create under records/: the dead-letter record of a parked request
# (records/deadletter/) and its task's "failed" fact (records/jobs/). The role
# is objectUser, as for the results function, rather than objectViewer plus
# objectCreator: Pub/Sub delivers at least once, a redelivered message writes
# the same keys again, and Cloud Storage needs delete permission to replace
# an object. Without it a redelivery would fail with 403 until the
# subscription's retention ran out.
#
# The function also lists a task's facts before marking it failed
# (records.Store.TaskState). Listing is checked on the bucket, not on an
# object, so resource.name never matches it; the objectListPrefix attribute
# of the request does, and the second half of the condition allows listings
# under records/ only.
resource "google_storage_bucket_iam_member" "deadletter_records" {
  bucket = google_storage_bucket.data.name
  role   = "roles/storage.objectUser"
  member = google_service_account.deadletter.member

  condition {
    title       = "records-only"
    description = "Objects under records/, and listings of records/"
    expression  = "resource.name.startsWith(\"${local.objects}/records/\") || api.getAttribute(\"storage.googleapis.com/objectListPrefix\", \"\").startsWith(\"records/\")"
  }
}

# --- gateway ----------------------------------------------------------------

# The whole bucket, unlike the functions: the gateway writes originals/,
# previews/ and records/ (job and image records, API keys under
# records/keys/), reads results/, and lists all of them per owner.
# objectUser rather than viewer plus creator: revoking an API key or noting
# its last use overwrites an object.
resource "google_storage_bucket_iam_member" "gateway_objects" {
  bucket = google_storage_bucket.data.name
  role   = "roles/storage.objectUser"
  member = google_service_account.gateway.member
}

resource "google_pubsub_topic_iam_member" "gateway_publish_requests" {
  project = var.project_id
  topic   = google_pubsub_topic.requests.name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.gateway.member
}

# The link keys' secret, when there is one: that secret only, not the
# project's others.
resource "google_secret_manager_secret_iam_member" "gateway_link_keys" {
  count = var.link_keys_secret != "" ? 1 : 0

  project   = var.project_id
  secret_id = var.link_keys_secret
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.gateway.member
}

# --- invoker --------------------------------------------------------------

# The push subscriptions call the services as the invoker; nobody else may
# (no allUsers binding: the services are private).
resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = google_cloud_run_v2_service.function

  project  = var.project_id
  location = var.region
  name     = each.value.name
  role     = "roles/run.invoker"
  member   = google_service_account.invoker.member
}

# --- Pub/Sub service agent ----------------------------------------------

# The agent signs the OIDC tokens of push deliveries as the invoker (needed
# in projects whose Pub/Sub agent predates April 2021; harmless elsewhere).
resource "google_service_account_iam_member" "pubsub_agent_token_creator" {
  service_account_id = google_service_account.invoker.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
}

# Dead-lettering: the agent publishes what it gives up on to the deadletter
# topic and acknowledges it on the source subscription.
resource "google_pubsub_topic_iam_member" "pubsub_agent_deadletter" {
  project = var.project_id
  topic   = google_pubsub_topic.deadletter.name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_agent
}

# Only the subscriptions with a dead-letter policy: the deadletter function's
# own subscription has none (the dead-letter topic is the end of the line).
resource "google_pubsub_subscription_iam_member" "pubsub_agent_subscriber" {
  for_each = local.dead_lettered

  project      = var.project_id
  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}
