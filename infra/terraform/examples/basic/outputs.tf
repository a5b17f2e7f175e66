output "gateway_url" {
  description = "The gateway: the web app and the API, behind IAP."
  value       = module.pixmill.gateway_url
}

output "gateway_env" {
  description = "Environment for the pixmill gateway (export these before pixmill up)."
  value       = module.pixmill.gateway_env
}

output "services" {
  description = "Cloud Run services running the edit, results and deadletter functions."
  value       = module.pixmill.services
}

output "function_uris" {
  description = "Endpoints of the edit, results and deadletter functions."
  value       = module.pixmill.function_uris
}
