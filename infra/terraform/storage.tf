# The data bucket holds originals/, results/ and records/ (see main.tf).

resource "google_storage_bucket" "data" {
  project  = var.project_id
  name     = local.bucket_name
  location = local.bucket_location
  labels   = local.labels

  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy

  dynamic "lifecycle_rule" {
    for_each = var.results_retention_days > 0 ? [1] : []
    content {
      condition {
        age            = var.results_retention_days
        matches_prefix = ["results/", "previews/"]
      }
      action {
        type = "Delete"
      }
    }
  }

  dynamic "lifecycle_rule" {
    for_each = var.originals_retention_days > 0 ? [1] : []
    content {
      condition {
        age            = var.originals_retention_days
        matches_prefix = ["originals/"]
      }
      action {
        type = "Delete"
      }
    }
  }

  # An upload cut off half-way leaves parts nobody will finish.
  lifecycle_rule {
    condition {
      age = 1
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  depends_on = [google_project_service.apis]
}
