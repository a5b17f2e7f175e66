# The edit, results and deadletter functions: one Cloud Run service each,
# all running the pixmill image's pixmill-function (the Functions Framework
# server, platform/cmd/pixmill-function) with FUNCTION_TARGET naming the
# function registered in function.go. That is what a Cloud Run function is
# underneath; the difference is that the image, built from
# infra/container/Dockerfile, carries libvips, which the functions' Go
# buildpack images do not (README.md, "Why a container image").
#
# Each service scales to zero, takes traffic from inside the project only
# (Pub/Sub push deliveries from this project count as internal) and allows
# no unauthenticated calls: only the invoker service account may call it
# (iam.tf), and the push subscriptions of pubsub.tf call as that account.

locals {
  functions = {
    edit = {
      target          = "Edit"
      description     = "pixmill edit: reads an original, applies the requested ops with libvips, stores the result and reports task.completed or task.failed."
      service_account = google_service_account.edit.email
      sizing          = var.edit
      # A push delivery is given up on (and redelivered) after the ack
      # deadline; the request should be cut off no later.
      timeout = var.ack_deadline_seconds
      # What the functions read (platform/httpfunc/config.go): the bucket,
      # and for the edit function the topic its responses go to.
      env = tomap({
        PIXMILL_BUCKET          = local.urls.bucket
        PIXMILL_RESPONSES_TOPIC = local.urls.responses_topic
      })
    }
    results = {
      target          = "Results"
      description     = "pixmill results: turns task events into per-task records in the data bucket."
      service_account = google_service_account.results.email
      sizing          = var.results
      timeout         = 60
      env             = tomap({ PIXMILL_BUCKET = local.urls.bucket })
    }
    deadletter = {
      target          = "DeadLetter"
      description     = "pixmill deadletter: records what Pub/Sub parked on the dead-letter topic and marks its task failed for the owner."
      service_account = google_service_account.deadletter.email
      sizing          = var.deadletter
      timeout         = 60
      env             = tomap({ PIXMILL_BUCKET = local.urls.bucket })
    }
  }

  # The port pixmill-function listens on: Cloud Run passes it as $PORT.
  function_port = 8080
}

resource "google_cloud_run_v2_service" "function" {
  for_each = local.functions

  project     = var.project_id
  location    = var.region
  name        = "${local.prefix}-${each.key}"
  description = each.value.description
  labels      = local.labels

  ingress             = "INGRESS_TRAFFIC_INTERNAL_ONLY"
  deletion_protection = var.deletion_protection

  template {
    service_account                  = each.value.service_account
    timeout                          = "${each.value.timeout}s"
    max_instance_request_concurrency = each.value.sizing.max_concurrency

    scaling {
      min_instance_count = each.value.sizing.min_instances
      max_instance_count = each.value.sizing.max_instances
    }

    containers {
      name  = "function"
      image = var.image
      # The image's entrypoint is pixmill (the local stack and the CLI);
      # the functions are served by pixmill-function, as on Knative.
      command = ["pixmill-function"]

      ports {
        name           = "http1"
        container_port = local.function_port
      }

      resources {
        limits = {
          cpu    = each.value.sizing.cpu
          memory = each.value.sizing.memory
        }
        # CPU only while a request is in flight, as for a function: an idle
        # instance costs nothing but its memory, and none once scaled to 0.
        cpu_idle          = true
        startup_cpu_boost = true
      }

      dynamic "env" {
        for_each = merge(each.value.env, { FUNCTION_TARGET = each.value.target })
        content {
          name  = env.key
          value = env.value
        }
      }
    }
  }

  traffic {
    type    = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
    percent = 100
  }

  # The sizing variables (var.edit, var.results, var.deadletter), checked
  # here once for the three services rather than three times over.
  lifecycle {
    precondition {
      condition     = can(regex("^[0-9]+(M|Mi|G|Gi)$", each.value.sizing.memory))
      error_message = "${each.key}.memory must look like 2Gi or 512M."
    }
    precondition {
      # Cloud Run's CPU limits: 1, 2, 4, 6 or 8, or a fraction of one CPU.
      condition     = contains(["1", "2", "4", "6", "8"], each.value.sizing.cpu) || (can(regex("^0\\.[0-9]+$", each.value.sizing.cpu)) && try(tonumber(each.value.sizing.cpu) >= 0.08, false))
      error_message = "${each.key}.cpu must be 1, 2, 4, 6 or 8, or a fraction of one CPU from 0.08 such as 0.5."
    }
    precondition {
      condition     = each.value.sizing.min_instances >= 0 && each.value.sizing.max_instances >= 1 && each.value.sizing.min_instances <= each.value.sizing.max_instances && each.value.sizing.max_concurrency >= 1 && each.value.sizing.max_concurrency <= 1000
      error_message = "${each.key} needs 0 <= min_instances <= max_instances, max_instances >= 1 and max_concurrency from 1 to 1000."
    }
    precondition {
      # Cloud Run serves one request at a time on less than one CPU.
      condition     = !can(regex("^0\\.", each.value.sizing.cpu)) || each.value.sizing.max_concurrency == 1
      error_message = "${each.key}.max_concurrency must be 1 when ${each.key}.cpu is below 1."
    }
  }

  depends_on = [google_project_service.apis]
}
