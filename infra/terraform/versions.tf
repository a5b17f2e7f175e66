terraform {
  # 1.9 is the first release whose variable validations may refer to other
  # variables (minimum_backoff_seconds <= maximum_backoff_seconds).
  required_version = ">= 1.9, < 2.0"

  required_providers {
    google = {
      source = "hashicorp/google"
      # build_config.service_account and service_account.member need 5.x;
      # 6.x is what the module is written against.
      version = ">= 6.0, < 8.0"
    }
  }
}
