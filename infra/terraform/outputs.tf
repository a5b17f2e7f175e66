output "requests_topic" {
  description = "Requests topic: the gateway publishes task.requested here."
  value       = google_pubsub_topic.requests.name
}

output "responses_topic" {
  description = "Responses topic: the edit function publishes task.started, task.completed and task.failed here."
  value       = google_pubsub_topic.responses.name
}

output "deadletter_topic" {
  description = "Dead-letter topic: requests that could not be processed after max_delivery_attempts; the deadletter function records them."
  value       = google_pubsub_topic.deadletter.name
}

output "push_subscriptions" {
  description = "Push subscriptions that feed the functions, by function: edit (requests), results (responses), deadletter (dead-letter topic)."
  value       = { for k, s in google_pubsub_subscription.push : k => s.name }
}

output "bucket" {
  description = "Data bucket: originals/, results/ and records/."
  value       = google_storage_bucket.data.name
}

output "services" {
  description = "Names of the Cloud Run services that run the functions, by function (for gcloud run services describe / logs read)."
  value       = { for k, s in google_cloud_run_v2_service.function : k => s.name }
}

output "function_uris" {
  description = "HTTPS endpoints of the functions' Cloud Run services (internal ingress, invoker-only)."
  value       = { for k, s in google_cloud_run_v2_service.function : k => s.uri }
}

output "service_accounts" {
  description = "Emails of the service accounts the module created."
  value = {
    edit       = google_service_account.edit.email
    results    = google_service_account.results.email
    deadletter = google_service_account.deadletter.email
    invoker    = google_service_account.invoker.email
    gateway    = google_service_account.gateway.email
  }
}

output "gateway_url" {
  description = "Where the gateway answers: the web app, the API (the CLI's --server or PIXMILL_SERVER). Behind IAP with gateway_auth = \"iap\"."
  value       = google_cloud_run_v2_service.gateway.uri
}

output "gateway_service" {
  description = "Name of the gateway's Cloud Run service (for gcloud run services describe / logs read)."
  value       = google_cloud_run_v2_service.gateway.name
}

output "gateway_auth" {
  description = "How the gateway identifies callers: the --auth mode and, for iap, the audience it verifies IAP's assertions for."
  value = {
    mode         = var.gateway_auth
    iap_audience = var.gateway_auth == "iap" ? local.iap_audience : null
  }
}

output "gateway_env" {
  description = "Environment for the CLI's operator commands (pixmill keys, pixmill dlq) or another gateway on this installation (gocloud.dev URLs under the names of platform/stack/config.go). No dead-letter subscription: the deadletter function records what is parked."
  value = {
    PIXMILL_BUCKET           = local.urls.bucket
    PIXMILL_REQUESTS_TOPIC   = local.urls.requests_topic
    PIXMILL_DEADLETTER_TOPIC = local.urls.deadletter_topic
  }
}
