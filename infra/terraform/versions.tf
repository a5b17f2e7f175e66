terraform {
  # 1.9 is the first release whose variable validations may refer to other
  # variables (minimum_backoff_seconds <= maximum_backoff_seconds).
  required_version = ">= 1.9, < 2.0"

  required_providers {
    google = {
      source = "hashicorp/google"
      # service_account.member needs 5.x; 6.0 added deletion_protection to
      # google_cloud_run_v2_service, 6.30 its iap_enabled and 6.31
      # google_iap_web_cloud_run_service_iam_member, which the gateway uses.
      version = ">= 6.31, < 8.0"
    }
  }
}
