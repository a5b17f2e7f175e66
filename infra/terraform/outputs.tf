output "requests_topic" {
  description = "Requests topic: the gateway publishes task.requested here."
  value       = google_pubsub_topic.requests.name
}

output "responses_topic" {
  description = "Responses topic: the edit function publishes task.started, task.completed and task.failed here."
  value       = google_pubsub_topic.responses.name
}

output "deadletter_topic" {
  description = "Dead-letter topic: requests that could not be processed after max_delivery_attempts."
  value       = google_pubsub_topic.deadletter.name
}

output "deadletter_subscription" {
  description = "Pull subscription on the dead-letter topic, for the gateway's dead-letter recorder and pixmill dlq."
  value       = google_pubsub_subscription.deadletter.name
}

output "push_subscriptions" {
  description = "Push subscriptions that feed the functions (empty with trigger_type = \"eventarc\", where Eventarc owns them)."
  value       = { edit = one(google_pubsub_subscription.edit[*].name), results = one(google_pubsub_subscription.results[*].name) }
}

output "bucket" {
  description = "Data bucket: originals/, results/ and records/."
  value       = google_storage_bucket.data.name
}

output "function_uris" {
  description = "HTTPS endpoints of the functions (internal ingress only)."
  value = {
    edit    = google_cloudfunctions2_function.edit.service_config[0].uri
    results = google_cloudfunctions2_function.results.service_config[0].uri
  }
}

output "service_accounts" {
  description = "Emails of the service accounts the module created."
  value = {
    edit    = google_service_account.edit.email
    results = google_service_account.results.email
    invoker = google_service_account.invoker.email
    build   = google_service_account.build.email
  }
}

output "gateway_env" {
  description = "Environment for a pixmill gateway in front of this installation (gocloud.dev URLs under the names of platform/stack/config.go)."
  value = {
    PIXMILL_BUCKET                  = local.urls.bucket
    PIXMILL_REQUESTS_TOPIC          = local.urls.requests_topic
    PIXMILL_DEADLETTER_TOPIC        = local.urls.deadletter_topic
    PIXMILL_DEADLETTER_SUBSCRIPTION = local.urls.deadletter_pull
  }
}
