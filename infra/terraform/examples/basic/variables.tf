variable "project_id" {
  description = "Google Cloud project to install pixmill in."
  type        = string
}

variable "region" {
  description = "Region of the Cloud Run services and the bucket."
  type        = string
  default     = "europe-west1"
}

variable "image" {
  description = "The pixmill image pushed to Artifact Registry, with a tag or digest (REGION-docker.pkg.dev/PROJECT/pixmill/pixmill:TAG)."
  type        = string
}

variable "iap_members" {
  description = "Who may use the gateway, through IAP: user:you@example.com, group:photos@example.com, domain:example.com."
  type        = list(string)
  default     = []
}
