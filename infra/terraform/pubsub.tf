# Topics and subscriptions. A request is acknowledged only when the edit
# function answers 2xx, after its result is stored and its response sent;
# a failed or timed-out delivery is retried with exponential backoff, and
# after max_delivery_attempts Pub/Sub parks the message on the deadletter
# topic, where the deadletter function records it for `pixmill dlq` and
# marks its task failed.

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

# One push subscription per function, in Pub/Sub's standard (wrapped) push
# format, authenticated with an OIDC token of the invoker service account
# whose audience is the service's URL. The Functions Framework turns each
# push into a google.cloud.pubsub.topic.v1.messagePublished CloudEvent and
# platform/httpfunc takes pixmill's event out of the message. The endpoint is
# the service's URL plus /projects/PROJECT/topics/TOPIC: the framework serves
# the function on every path and takes the event's source topic from this
# one (on / it logs a warning with every delivery and leaves it out).
#
#   edit        requests   -> the edit service, ack deadline = its timeout
#   results     responses  -> the results service
#   deadletter  deadletter -> the deadletter service
#
# The edit and results subscriptions have a dead-letter policy: after
# max_delivery_attempts a message is moved to the deadletter topic, and
# because of the policy every push carries deliveryAttempt, which the
# functions report as the task's attempt. The deadletter subscription has
# none: it is the end of the line, and a parked message that cannot be
# recorded is retried (with backoff) until message_retention_days.
locals {
  subscriptions = {
    edit       = { topic = google_pubsub_topic.requests, ack_deadline_seconds = var.ack_deadline_seconds, dead_letter = true }
    results    = { topic = google_pubsub_topic.responses, ack_deadline_seconds = 60, dead_letter = true }
    deadletter = { topic = google_pubsub_topic.deadletter, ack_deadline_seconds = 60, dead_letter = false }
  }
  dead_lettered = { for k, v in local.subscriptions : k => v if v.dead_letter }
}

resource "google_pubsub_subscription" "push" {
  for_each = local.subscriptions

  project = var.project_id
  name    = "${local.prefix}-${each.key}"
  topic   = each.value.topic.id
  labels  = local.labels

  ack_deadline_seconds       = each.value.ack_deadline_seconds
  message_retention_duration = "${var.message_retention_days * 86400}s"

  push_config {
    push_endpoint = "${google_cloud_run_v2_service.function[each.key].uri}/projects/${var.project_id}/topics/${each.value.topic.name}"
    oidc_token {
      service_account_email = google_service_account.invoker.email
      audience              = google_cloud_run_v2_service.function[each.key].uri
    }
  }

  retry_policy {
    minimum_backoff = "${var.minimum_backoff_seconds}s"
    maximum_backoff = "${var.maximum_backoff_seconds}s"
  }

  dynamic "dead_letter_policy" {
    for_each = each.value.dead_letter ? [google_pubsub_topic.deadletter.id] : []
    content {
      dead_letter_topic     = dead_letter_policy.value
      max_delivery_attempts = var.max_delivery_attempts
    }
  }

  # Never expire for inactivity: a quiet month must not delete the queue.
  expiration_policy {
    ttl = ""
  }

  depends_on = [
    google_cloud_run_v2_service_iam_member.invoker,
    google_service_account_iam_member.pubsub_agent_token_creator,
  ]
}
