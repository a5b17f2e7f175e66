# `terraform test` of the data bucket's lifecycle rules, the cloud's side of
# pixmill up's --retain-originals and --retain-results (docs/deploying.md,
# "Retention"): an age condition on the originals/ prefix, and one on the
# results/ and previews/ prefixes, each a rule of its own and each left out
# when its days are 0. Mocked provider: no cloud calls.

mock_provider "google" {
  mock_data "google_project" {
    defaults = { number = "123456789012" }
  }
  mock_resource "google_cloud_run_v2_service" {
    defaults = { uri = "https://service-abc123-ew.a.run.app" }
  }
}

variables {
  project_id = "my-project"
  image      = "europe-west1-docker.pkg.dev/my-project/pixmill/pixmill:0.1.0"
}

run "defaults_keep_originals_and_expire_results_after_30_days" {
  command = plan

  assert {
    condition = length([
      for r in google_storage_bucket.data.lifecycle_rule : r
      if r.action[0].type == "Delete" && r.condition[0].age == 30 && try(toset(r.condition[0].matches_prefix), null) == toset(["results/", "previews/"])
    ]) == 1
    error_message = "By default results/ and previews/ must be deleted 30 days after they were written."
  }

  assert {
    condition     = length([for r in google_storage_bucket.data.lifecycle_rule : r if try(contains(r.condition[0].matches_prefix, "originals/"), false)]) == 0
    error_message = "By default no rule may touch originals/."
  }
}

run "originals_30_days_results_7_days" {
  command = plan

  variables {
    originals_retention_days = 30
    results_retention_days   = 7
  }

  assert {
    condition = length([
      for r in google_storage_bucket.data.lifecycle_rule : r
      if r.action[0].type == "Delete" && r.condition[0].age == 30 && try(toset(r.condition[0].matches_prefix), null) == toset(["originals/"])
    ]) == 1
    error_message = "originals/ must be deleted 30 days after upload."
  }

  assert {
    condition = length([
      for r in google_storage_bucket.data.lifecycle_rule : r
      if r.action[0].type == "Delete" && r.condition[0].age == 7 && try(toset(r.condition[0].matches_prefix), null) == toset(["results/", "previews/"])
    ]) == 1
    error_message = "results/ and previews/ must be deleted 7 days after they were written."
  }

  assert {
    condition = alltrue([
      for r in google_storage_bucket.data.lifecycle_rule :
      alltrue([for p in coalesce(r.condition[0].matches_prefix, []) : !startswith(p, "records/")])
    ])
    error_message = "No lifecycle rule may delete records/: the tombstones that say why a picture is gone live there."
  }
}

run "zero_days_keep_everything" {
  command = plan

  variables {
    originals_retention_days = 0
    results_retention_days   = 0
  }

  assert {
    condition     = length([for r in google_storage_bucket.data.lifecycle_rule : r if r.action[0].type == "Delete"]) == 0
    error_message = "With 0 days for both, no rule may delete anything."
  }
}

run "days_are_whole" {
  command = plan

  variables {
    results_retention_days = 1.5
  }

  expect_failures = [var.results_retention_days]
}
