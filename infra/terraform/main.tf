# pixmill on Google Cloud: three Pub/Sub topics (requests, responses,
# deadletter), one data bucket, the edit, results and deadletter functions
# as Cloud Run services running the pixmill container image, and the gateway
# in front of them (gateway.tf), each with its own least-privilege service
# account.
#
# The functions run from the image (infra/container) rather than from source:
# the edit path links libvips through cgo, and neither the build nor the run
# images of Cloud Run functions' Go buildpack carry libvips (see README.md,
# "Why a container image"). A Cloud Run service running the image with
# FUNCTION_TARGET set is what a Cloud Run function is underneath.
#
# pixmill keeps every object of an installation in one bucket under fixed
# prefixes, then by owner (records.ImageKey, records.OutputKey in
# events/records: originals/{owner}/{image}, results/{owner}/…):
#   originals/  uploads, read by the edit function
#   results/    edited pictures, written by the edit function
#   previews/   small copies of results for the web app, made by the gateway
#               when first shown
#   records/    job, task and dead-letter records, written by the results
#               and deadletter functions
# so that one gocloud.dev bucket URL (PIXMILL_BUCKET) serves the whole
# platform. Lifecycle rules and IAM grants are per prefix instead of per
# bucket: the same separation two buckets would give, without a second URL.

locals {
  prefix          = var.name_prefix
  bucket_name     = var.bucket_name != "" ? var.bucket_name : "${var.project_id}-${var.name_prefix}-data"
  bucket_location = var.bucket_location != "" ? var.bucket_location : upper(var.region)
  labels          = merge({ app = "pixmill", "pixmill-install" = var.name_prefix }, var.labels)

  # Service agent of Pub/Sub in this project: it moves messages to the
  # dead-letter topic and mints the OIDC tokens of push deliveries.
  pubsub_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  # Object name prefixes in IAM conditions, as Cloud Storage names objects.
  objects = "projects/_/buckets/${local.bucket_name}/objects"

  # What the functions are told, under the names of platform/stack/config.go.
  # gocloud.dev URLs: gs:// (gcsblob) and gcppubsub:// (gcppubsub).
  urls = {
    bucket           = "gs://${local.bucket_name}"
    requests_topic   = "gcppubsub://projects/${var.project_id}/topics/${google_pubsub_topic.requests.name}"
    responses_topic  = "gcppubsub://projects/${var.project_id}/topics/${google_pubsub_topic.responses.name}"
    deadletter_topic = "gcppubsub://projects/${var.project_id}/topics/${google_pubsub_topic.deadletter.name}"
  }

  # What the module's resources need. Building and pushing the image needs
  # Artifact Registry (and Cloud Build, to build there), which the README's
  # steps enable before the image exists.
  apis = concat(
    [
      "iam.googleapis.com",
      "pubsub.googleapis.com",
      "run.googleapis.com",
      "storage.googleapis.com",
    ],
    var.gateway_auth == "iap" ? ["iap.googleapis.com"] : [],
    var.link_keys_secret != "" ? ["secretmanager.googleapis.com"] : [],
  )
}

data "google_project" "this" {
  project_id = var.project_id
}

resource "google_project_service" "apis" {
  for_each = var.enable_apis ? toset(local.apis) : toset([])

  project = var.project_id
  service = each.value
  # Other workloads in the project may use the same APIs.
  disable_on_destroy = false
}
