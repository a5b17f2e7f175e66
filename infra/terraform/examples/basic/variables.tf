variable "project_id" {
  description = "Google Cloud project to install pixmill in."
  type        = string
}

variable "region" {
  description = "Region of the functions and the bucket."
  type        = string
  default     = "europe-west1"
}
