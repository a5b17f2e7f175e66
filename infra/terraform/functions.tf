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

  depends_on = [google_project_service.apis]
}
