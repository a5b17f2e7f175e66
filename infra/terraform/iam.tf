# Service accounts, one per role, each granted only what its role needs:
#   edit     reads originals/, writes results/, publishes responses
#   results  reads and writes records/
#   invoker  the identity Pub/Sub (push) or Eventarc uses to call the
#            functions: run.invoker on the two functions' services only
#   build    builds the functions from the source bucket
# Grants on the data bucket carry IAM conditions on the object name prefix;
# uniform bucket-level access (storage.tf) makes those conditions possible.

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

resource "google_service_account" "invoker" {
  project      = var.project_id
  account_id   = "${local.prefix}-invoker"
  display_name = "pixmill function invoker"
  description  = "Identity of Pub/Sub push deliveries and Eventarc triggers calling the pixmill functions."

  depends_on = [google_project_service.apis]
}

resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "${local.prefix}-build"
  display_name = "pixmill function build"
  description  = "Cloud Build identity that builds the pixmill functions from source."

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

# --- invoker --------------------------------------------------------------

# A 2nd gen function is served by a Cloud Run service of the same name.
resource "google_cloud_run_service_iam_member" "edit_invoker" {
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.edit.name
  role     = "roles/run.invoker"
  member   = google_service_account.invoker.member
}

resource "google_cloud_run_service_iam_member" "results_invoker" {
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.results.name
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

resource "google_pubsub_subscription_iam_member" "pubsub_agent_edit" {
  count = local.push ? 1 : 0

  project      = var.project_id
  subscription = google_pubsub_subscription.edit[0].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "pubsub_agent_results" {
  count = local.push ? 1 : 0

  project      = var.project_id
  subscription = google_pubsub_subscription.results[0].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}

# --- build ----------------------------------------------------------------

# What a user-specified Cloud Build service account needs to build a
# function: write logs and push the image to the gcf-artifacts repository.
resource "google_project_iam_member" "build" {
  for_each = toset(["roles/logging.logWriter", "roles/artifactregistry.writer"])

  project = var.project_id
  role    = each.value
  member  = google_service_account.build.member
}

resource "google_storage_bucket_iam_member" "build_source_reader" {
  bucket = google_storage_bucket.source.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.build.member
}
