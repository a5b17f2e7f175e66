# Topics and subscriptions. A request is acknowledged only when the edit
# function answers 2xx, after its result is stored and its response sent;
# a failed or timed-out delivery is retried with exponential backoff, and
# after max_delivery_attempts Pub/Sub parks the message on the deadletter
# topic, where pixmill's dead-letter consumer records it for `pixmill dlq`.

resource "google_pubsub_topic" "requests" {
  project = var.project_id
  name    = "${local.prefix}-requests"
  labels  = local.labels

  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "responses" {
  project = var.project_id
  name    = "${local.prefix}-responses"
  labels  = local.labels

  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "deadletter" {
  project = var.project_id
  name    = "${local.prefix}-deadletter"
  labels  = local.labels

  depends_on = [google_project_service.apis]
}

# Push subscriptions that deliver requests to the edit function and responses
# to the results function, in Pub/Sub's standard (wrapped) push format: the
# Functions Framework turns it into a google.cloud.pubsub.topic.v1.
# messagePublished CloudEvent, the same event an Eventarc trigger delivers,
# and platform/httpfunc takes pixmill's event out of the message. Because
# the subscription has a dead-letter policy, Pub/Sub adds deliveryAttempt to
# each push, which the function reports as the task's attempt.
resource "google_pubsub_subscription" "edit" {
  count = local.push ? 1 : 0

  project = var.project_id
  name    = "${local.prefix}-edit"
  topic   = google_pubsub_topic.requests.id
  labels  = local.labels

  ack_deadline_seconds       = var.ack_deadline_seconds
  message_retention_duration = "${var.message_retention_days * 86400}s"

  push_config {
    push_endpoint = google_cloudfunctions2_function.edit.service_config[0].uri
    oidc_token {
      service_account_email = google_service_account.invoker.email
      audience              = google_cloudfunctions2_function.edit.service_config[0].uri
    }
  }

  retry_policy {
    minimum_backoff = "${var.minimum_backoff_seconds}s"
    maximum_backoff = "${var.maximum_backoff_seconds}s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.deadletter.id
    max_delivery_attempts = var.max_delivery_attempts
  }

  # Never expire for inactivity: a quiet month must not delete the queue.
  expiration_policy {
    ttl = ""
  }

  depends_on = [
    google_cloud_run_service_iam_member.edit_invoker,
    google_service_account_iam_member.pubsub_agent_token_creator,
  ]
}

resource "google_pubsub_subscription" "results" {
  count = local.push ? 1 : 0

  project = var.project_id
  name    = "${local.prefix}-results"
  topic   = google_pubsub_topic.responses.id
  labels  = local.labels

  ack_deadline_seconds       = 60
  message_retention_duration = "${var.message_retention_days * 86400}s"

  push_config {
    push_endpoint = google_cloudfunctions2_function.results.service_config[0].uri
    oidc_token {
      service_account_email = google_service_account.invoker.email
      audience              = google_cloudfunctions2_function.results.service_config[0].uri
    }
  }

  retry_policy {
    minimum_backoff = "${var.minimum_backoff_seconds}s"
    maximum_backoff = "${var.maximum_backoff_seconds}s"
  }

  # A response that cannot be recorded after this many tries is parked
  # rather than retried for the whole retention period.
  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.deadletter.id
    max_delivery_attempts = var.max_delivery_attempts
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [
    google_cloud_run_service_iam_member.results_invoker,
    google_service_account_iam_member.pubsub_agent_token_creator,
  ]
}

# Pull subscription on the dead-letter topic: messages published to a topic
# without a subscription are lost. The gateway (`pixmill up` with
# PIXMILL_DEADLETTER_SUBSCRIPTION) reads it and records what was parked.
resource "google_pubsub_subscription" "deadletter" {
  project = var.project_id
  name    = "${local.prefix}-deadletter"
  topic   = google_pubsub_topic.deadletter.id
  labels  = local.labels

  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = ""
  }
}
