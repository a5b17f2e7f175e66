# The edit and results functions, built by the Go buildpack from the
# repository root (FUNCTION_TARGET Edit and Results, registered with the
# Functions Framework for Go). Both scale to zero.
#
# With trigger_type = "pubsub_push" they are reached through the push
# subscriptions of pubsub.tf; with "eventarc" each gets an event trigger on
# its topic, and Eventarc owns the subscription.

locals {
  # What the functions read (platform/httpfunc/config.go): the bucket, and
  # for the edit function the topic its responses go to.
  edit_env = {
    PIXMILL_BUCKET          = local.urls.bucket
    PIXMILL_RESPONSES_TOPIC = local.urls.responses_topic
  }
  results_env = {
    PIXMILL_BUCKET = local.urls.bucket
  }

  source = {
    bucket = google_storage_bucket.source.name
    object = google_storage_bucket_object.source.name
  }

  build_service_account = "projects/${var.project_id}/serviceAccounts/${google_service_account.build.email}"
}

resource "google_cloudfunctions2_function" "edit" {
  project     = var.project_id
  location    = var.region
  name        = "${local.prefix}-edit"
  description = "pixmill edit: reads an original, applies the requested ops with libvips, stores the result and reports task.completed or task.failed."
  labels      = local.labels

  build_config {
    runtime         = var.go_runtime
    entry_point     = "Edit"
    service_account = local.build_service_account
    source {
      storage_source {
        bucket = local.source.bucket
        object = local.source.object
      }
    }
  }

  service_config {
    available_memory                 = var.edit.memory
    available_cpu                    = var.edit.cpu
    min_instance_count               = var.edit.min_instances
    max_instance_count               = var.edit.max_instances
    max_instance_request_concurrency = var.edit.max_concurrency
    timeout_seconds                  = var.ack_deadline_seconds
    ingress_settings                 = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.edit.email
    environment_variables            = local.edit_env
  }

  dynamic "event_trigger" {
    for_each = local.push ? [] : [google_pubsub_topic.requests.id]
    content {
      trigger_region        = var.region
      event_type            = "google.cloud.pubsub.topic.v1.messagePublished"
      pubsub_topic          = event_trigger.value
      retry_policy          = "RETRY_POLICY_RETRY"
      service_account_email = google_service_account.invoker.email
    }
  }

  depends_on = [
    google_project_iam_member.build,
    google_storage_bucket_iam_member.build_source_reader,
  ]
}

resource "google_cloudfunctions2_function" "results" {
  project     = var.project_id
  location    = var.region
  name        = "${local.prefix}-results"
  description = "pixmill results: turns task events into per-task records in the data bucket."
  labels      = local.labels

  build_config {
    runtime         = var.go_runtime
    entry_point     = "Results"
    service_account = local.build_service_account
    source {
      storage_source {
        bucket = local.source.bucket
        object = local.source.object
      }
    }
  }

  service_config {
    available_memory                 = var.results.memory
    available_cpu                    = var.results.cpu
    min_instance_count               = var.results.min_instances
    max_instance_count               = var.results.max_instances
    max_instance_request_concurrency = var.results.max_concurrency
    timeout_seconds                  = 60
    ingress_settings                 = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.results.email
    environment_variables            = local.results_env
  }

  dynamic "event_trigger" {
    for_each = local.push ? [] : [google_pubsub_topic.responses.id]
    content {
      trigger_region        = var.region
      event_type            = "google.cloud.pubsub.topic.v1.messagePublished"
      pubsub_topic          = event_trigger.value
      retry_policy          = "RETRY_POLICY_RETRY"
      service_account_email = google_service_account.invoker.email
    }
  }

  depends_on = [
    google_project_iam_member.build,
    google_storage_bucket_iam_member.build_source_reader,
  ]
}
