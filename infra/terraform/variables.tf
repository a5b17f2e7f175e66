variable "project_id" {
  description = "ID of the Google Cloud project that holds everything this module creates."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project ID: 6 to 30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "Region of the Cloud Run services and (unless bucket_location is set) the bucket."
  type        = string
  default     = "europe-west1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west1 or us-central1."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name (topics, subscriptions, the bucket, Cloud Run services, service accounts). Change it to run two pixmill installations in one project."
  type        = string
  default     = "pixmill"

  validation {
    # Service account IDs are at most 30 characters; the longest suffix used
    # is "-deadletter" (11), and account IDs must end with a letter or digit.
    condition     = can(regex("^[a-z][a-z0-9-]{2,17}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 4 to 19 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "labels" {
  description = "Labels added to every resource that takes labels."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))])
    error_message = "labels keys must start with a lowercase letter, and keys and values may hold only lowercase letters, digits, _ and - (at most 63 characters)."
  }
}

variable "enable_apis" {
  description = "Enable the Google APIs the module's resources need (IAM, Pub/Sub, Cloud Run, Cloud Storage). Turn off where a platform team enables APIs."
  type        = bool
  default     = true
}

variable "image" {
  description = <<-EOT
    The pixmill container image the functions run, built from
    infra/container/Dockerfile and pushed where Cloud Run can pull it
    (Artifact Registry), named with a tag or a digest:
    europe-west1-docker.pkg.dev/my-project/pixmill/pixmill:0.1.0 or
    …/pixmill@sha256:…. A new tag or digest rolls out a new revision of
    every service; pushing over the same tag does not, so give each build
    its own tag (and never "latest").
  EOT
  type        = string

  validation {
    # registry host (with a dot, and an optional port), one or more path
    # components, then a tag, a digest, or both
    condition     = can(regex("^[a-z0-9-]+(\\.[a-z0-9-]+)+(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[a-f0-9]{64})?|@sha256:[a-f0-9]{64})$", var.image))
    error_message = "image must be a registry path with a tag or a digest, such as europe-west1-docker.pkg.dev/my-project/pixmill/pixmill:0.1.0 or …/pixmill@sha256:<64 hex digits>."
  }
  validation {
    condition     = !can(regex(":latest(@|$)", var.image))
    error_message = "image must not use the latest tag: Terraform would not see a new image behind it. Tag each build (or use its digest)."
  }
}

variable "deletion_protection" {
  description = "Keep Terraform from deleting the Cloud Run services (the provider's own default is true). They hold no data, the data bucket has force_destroy for that, so the module's default is false and terraform destroy works in one step."
  type        = bool
  default     = false
}

variable "ack_deadline_seconds" {
  description = "Lease on a delivered request: the edit subscription's ack deadline and the edit service's request timeout. A request not acknowledged within it is delivered again."
  type        = number
  default     = 300

  validation {
    condition     = var.ack_deadline_seconds >= 10 && var.ack_deadline_seconds <= 600 && floor(var.ack_deadline_seconds) == var.ack_deadline_seconds
    error_message = "ack_deadline_seconds must be a whole number from 10 to 600 (Pub/Sub's limits)."
  }
}

variable "max_delivery_attempts" {
  description = "Deliveries of one message before Pub/Sub moves it to the dead-letter topic. The functions count attempts too and tell the owner before this is reached."
  type        = number
  default     = 5

  validation {
    condition     = var.max_delivery_attempts >= 5 && var.max_delivery_attempts <= 100 && floor(var.max_delivery_attempts) == var.max_delivery_attempts
    error_message = "max_delivery_attempts must be a whole number from 5 to 100 (Pub/Sub's limits)."
  }
}

variable "minimum_backoff_seconds" {
  description = "First delay before a failed delivery is retried; Pub/Sub grows it exponentially up to maximum_backoff_seconds."
  type        = number
  default     = 10

  validation {
    condition     = var.minimum_backoff_seconds >= 0 && var.minimum_backoff_seconds <= 600 && var.minimum_backoff_seconds <= var.maximum_backoff_seconds
    error_message = "minimum_backoff_seconds must be from 0 to 600 seconds and not above maximum_backoff_seconds."
  }
}

variable "maximum_backoff_seconds" {
  description = "Longest delay between two deliveries of a failing message."
  type        = number
  default     = 600

  validation {
    condition     = var.maximum_backoff_seconds >= 0 && var.maximum_backoff_seconds <= 600
    error_message = "maximum_backoff_seconds must be from 0 to 600 seconds (Pub/Sub's limit)."
  }
}

variable "message_retention_days" {
  description = "How long a subscription keeps an unacknowledged message: requests wait this long for a processor that is down, and parked ones for the deadletter function."
  type        = number
  default     = 7

  validation {
    condition     = var.message_retention_days >= 1 && var.message_retention_days <= 7 && floor(var.message_retention_days) == var.message_retention_days
    error_message = "message_retention_days must be a whole number from 1 to 7 (Pub/Sub keeps messages at most 7 days)."
  }
}

variable "bucket_location" {
  description = "Location of the data bucket (a region, dual-region or multi-region such as EU). Empty: the region."
  type        = string
  default     = ""

  validation {
    condition     = var.bucket_location == "" || can(regex("^[A-Za-z0-9-]+$", var.bucket_location))
    error_message = "bucket_location must be a Cloud Storage location such as EU, US or europe-west1, or empty for the region."
  }
}

variable "bucket_name" {
  description = "Name of the data bucket (originals/, results/ and records/). Empty: PROJECT-PREFIX-data."
  type        = string
  default     = ""

  validation {
    condition     = var.bucket_name == "" || can(regex("^[a-z0-9][a-z0-9_.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3 to 63 lowercase letters, digits, hyphens, underscores or dots, starting and ending with a letter or digit."
  }
}

variable "results_retention_days" {
  description = "Edited pictures (results/, and their previews/) are deleted this many days after they were written. 0 keeps them."
  type        = number
  default     = 30

  validation {
    condition     = var.results_retention_days >= 0 && floor(var.results_retention_days) == var.results_retention_days
    error_message = "results_retention_days must be a whole number of days, 0 or more."
  }
}

variable "originals_retention_days" {
  description = "Uploaded originals (originals/) are deleted this many days after upload. 0 (the default) keeps them: originals stay downloadable."
  type        = number
  default     = 0

  validation {
    condition     = var.originals_retention_days >= 0 && floor(var.originals_retention_days) == var.originals_retention_days
    error_message = "originals_retention_days must be a whole number of days, 0 or more."
  }
}

variable "force_destroy" {
  description = "Let terraform destroy delete buckets that still hold objects. Leave false for real data."
  type        = bool
  default     = false
}

variable "edit" {
  description = "Sizing of the edit service: memory and CPUs of one instance, instance bounds (min 0 scales to zero) and requests one instance serves at once (1: an edit is CPU-bound and holds a decoded picture)."
  type = object({
    memory          = optional(string, "2Gi")
    cpu             = optional(string, "1")
    min_instances   = optional(number, 0)
    max_instances   = optional(number, 20)
    max_concurrency = optional(number, 1)
  })
  default = {}
}

variable "results" {
  description = "Sizing of the results service (small JSON records, many at once)."
  type = object({
    memory          = optional(string, "256Mi")
    cpu             = optional(string, "1")
    min_instances   = optional(number, 0)
    max_instances   = optional(number, 5)
    max_concurrency = optional(number, 32)
  })
  default = {}
}

variable "deadletter" {
  description = "Sizing of the deadletter service (a few small records per parked request, rarely called)."
  type = object({
    memory          = optional(string, "256Mi")
    cpu             = optional(string, "1")
    min_instances   = optional(number, 0)
    max_instances   = optional(number, 2)
    max_concurrency = optional(number, 16)
  })
  default = {}
}

# --- the gateway --------------------------------------------------------------

variable "gateway_auth" {
  description = <<-EOT
    How the gateway's callers sign in. "iap": Cloud Run's IAP integration
    lets in the members of iap_members with their Google identities, and
    pixmill verifies IAP's signed assertion (--auth iap). "oidc": the
    gateway is public, and pixmill verifies bearer tokens of oidc_issuer for
    oidc_audience (--auth oidc); pixmill's API keys work as well.
  EOT
  type        = string
  default     = "iap"

  validation {
    condition     = contains(["iap", "oidc"], var.gateway_auth)
    error_message = "gateway_auth must be \"iap\" or \"oidc\"."
  }
}

variable "iap_members" {
  description = "With gateway_auth = \"iap\": who IAP lets through to the gateway (roles/iap.httpsResourceAccessor on it), as IAM members: user:ann@example.com, group:photos@example.com, domain:example.com. Empty lets nobody in until access is granted elsewhere."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for m in var.iap_members : can(regex("^(user|group|domain|serviceAccount|principal|principalSet):.+$", m))])
    error_message = "iap_members must be IAM members such as user:ann@example.com, group:photos@example.com or domain:example.com."
  }
  validation {
    condition     = length(var.iap_members) == 0 || var.gateway_auth == "iap"
    error_message = "iap_members applies only with gateway_auth = \"iap\"."
  }
}

variable "oidc_issuer" {
  description = "With gateway_auth = \"oidc\": the OpenID provider's issuer URL, exactly as its tokens' iss (https://accounts.google.com, https://login.example.com/realms/photos)."
  type        = string
  default     = ""

  validation {
    condition     = var.gateway_auth != "oidc" || can(regex("^https://[^/?#]+", var.oidc_issuer))
    error_message = "oidc_issuer must be an https URL when gateway_auth is \"oidc\"."
  }
}

variable "oidc_audience" {
  description = "With gateway_auth = \"oidc\": the audience pixmill requires in tokens (the client ID or API identifier the provider puts in aud)."
  type        = string
  default     = ""

  validation {
    condition     = var.gateway_auth != "oidc" || trimspace(var.oidc_audience) != ""
    error_message = "oidc_audience is required when gateway_auth is \"oidc\"."
  }
}

variable "link_keys_secret" {
  description = "Secret Manager secret, in this project, holding the signing keys of pixmill's signed links (PIXMILL_LINK_KEYS: base64 keys of at least 32 bytes, comma-separated, the first signing). The gateway reads its latest version at start. Empty: no signed links."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([A-Za-z0-9_-]{1,255})?$", var.link_keys_secret))
    error_message = "link_keys_secret must be the ID of a secret in this project (letters, digits, _ and -), not a path or a version."
  }
}

variable "gateway" {
  description = "Sizing of the gateway service (uploads, the web app, progress streams)."
  type = object({
    memory          = optional(string, "512Mi")
    cpu             = optional(string, "1")
    min_instances   = optional(number, 0)
    max_instances   = optional(number, 5)
    max_concurrency = optional(number, 80)
  })
  default = {}

  validation {
    condition     = can(regex("^[0-9]+(M|Mi|G|Gi)$", var.gateway.memory)) && contains(["1", "2", "4", "6", "8"], var.gateway.cpu)
    error_message = "gateway.memory must look like 512Mi or 1G, and gateway.cpu must be 1, 2, 4, 6 or 8 (it serves many requests at once)."
  }
  validation {
    condition     = var.gateway.min_instances >= 0 && var.gateway.max_instances >= 1 && var.gateway.min_instances <= var.gateway.max_instances && var.gateway.max_concurrency >= 1 && var.gateway.max_concurrency <= 1000
    error_message = "gateway needs 0 <= min_instances <= max_instances, max_instances >= 1 and max_concurrency from 1 to 1000."
  }
}
