# The gateway: `pixmill up` with a requests topic and a bucket and no
# subscriptions, which makes it a gateway alone (platform/stack): it takes
# uploads and jobs, stores the originals, publishes one task.requested per
# picture to the requests topic, and reads the records the results and
# deadletter functions write. It keeps nothing of its own, so any number of
# instances agree, and it scales to zero like the functions.
#
# Unlike the functions it is reachable from the internet, and who may call
# it is var.gateway_auth (docs/auth.md has pixmill's side of each mode):
#
#   iap   Cloud Run's own IAP integration (iap_enabled). IAP signs people in
#         with their Google identities, lets through the members granted
#         roles/iap.httpsResourceAccessor (var.iap_members), and calls the
#         service as its service agent, which alone holds run.invoker.
#         pixmill runs --auth iap and verifies IAP's signed assertion for
#         this service's audience, so a request that did not come through
#         IAP has no owner.
#   oidc  Public: Cloud Run checks no IAM (invoker_iam_disabled), and pixmill
#         runs --auth oidc, verifying bearer tokens of var.oidc_issuer for
#         var.oidc_audience. pixmill's own API keys work too.

locals {
  gateway_name = "${local.prefix}-gateway"

  # What IAP signs for when it sits in front of a Cloud Run service directly:
  # /projects/PROJECT_NUMBER/locations/REGION/services/SERVICE_NAME (Google's
  # "Securing your app with signed headers", the aud of the assertion). The
  # project's number, not its ID.
  iap_audience = "/projects/${data.google_project.this.number}/locations/${var.region}/services/${local.gateway_name}"

  gateway_auth_args = {
    iap  = ["--auth", "iap", "--iap-audience", local.iap_audience]
    oidc = ["--auth", "oidc", "--oidc-issuer", var.oidc_issuer, "--oidc-audience", var.oidc_audience]
  }

  # Service agent of IAP: it calls the service once IAP has let a request in.
  iap_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-iap.iam.gserviceaccount.com"
}

resource "google_cloud_run_v2_service" "gateway" {
  project     = var.project_id
  location    = var.region
  name        = local.gateway_name
  description = "pixmill gateway: the HTTP API, the web app and the CLI's endpoint; publishes task requests, reads records."
  labels      = local.labels

  # IAP on Cloud Run is a preview feature of the API: the service must be
  # created at the BETA launch stage to have it.
  launch_stage         = var.gateway_auth == "iap" ? "BETA" : null
  iap_enabled          = var.gateway_auth == "iap"
  invoker_iam_disabled = var.gateway_auth == "oidc"
  ingress              = "INGRESS_TRAFFIC_ALL"
  deletion_protection  = var.deletion_protection

  template {
    service_account = google_service_account.gateway.email
    # Large uploads and progress streams (server-sent events) are long
    # requests; a stream cut here is resumed by the browser with
    # Last-Event-ID, and nothing is missed.
    timeout                          = "600s"
    max_instance_request_concurrency = var.gateway.max_concurrency

    scaling {
      min_instance_count = var.gateway.min_instances
      max_instance_count = var.gateway.max_instances
    }

    containers {
      name  = "gateway"
      image = var.image
      # The image's entrypoint is pixmill; up on every interface, on the
      # port Cloud Run sends requests to.
      args = concat(["up", "--addr", ":${local.function_port}"], local.gateway_auth_args[var.gateway_auth])

      ports {
        name           = "http1"
        container_port = local.function_port
      }

      resources {
        limits = {
          cpu    = var.gateway.cpu
          memory = var.gateway.memory
        }
        cpu_idle          = true
        startup_cpu_boost = true
      }

      dynamic "env" {
        for_each = {
          PIXMILL_BUCKET         = local.urls.bucket
          PIXMILL_REQUESTS_TOPIC = local.urls.requests_topic
        }
        content {
          name  = env.key
          value = env.value
        }
      }

      # Signed links verify on every instance with the same keys, read from
      # Secret Manager when an instance starts; they never pass through
      # Terraform or its state.
      dynamic "env" {
        for_each = var.link_keys_secret != "" ? [var.link_keys_secret] : []
        content {
          name = "PIXMILL_LINK_KEYS"
          value_source {
            secret_key_ref {
              secret  = env.value
              version = "latest"
            }
          }
        }
      }
    }
  }

  traffic {
    type    = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
    percent = 100
  }

  # The instance must be able to read the keys before its revision starts.
  depends_on = [google_project_service.apis, google_secret_manager_secret_iam_member.gateway_link_keys]
}

# --- who may call it --------------------------------------------------------

# iap: IAP calls the service as its service agent, and nobody else may.
resource "google_cloud_run_v2_service_iam_member" "gateway_iap_agent" {
  count = var.gateway_auth == "iap" ? 1 : 0

  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_service.gateway.name
  role     = "roles/run.invoker"
  member   = local.iap_agent
}

# iap: the people and groups IAP lets through.
resource "google_iap_web_cloud_run_service_iam_member" "gateway_users" {
  for_each = var.gateway_auth == "iap" ? toset(var.iap_members) : toset([])

  project                = var.project_id
  location               = var.region
  cloud_run_service_name = google_cloud_run_v2_service.gateway.name
  role                   = "roles/iap.httpsResourceAccessor"
  member                 = each.value
}
