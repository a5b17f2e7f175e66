output "gateway_env" {
  description = "Environment for the pixmill gateway (export these before pixmill up)."
  value       = module.pixmill.gateway_env
}

output "function_uris" {
  description = "Endpoints of the edit and results functions."
  value       = module.pixmill.function_uris
}
