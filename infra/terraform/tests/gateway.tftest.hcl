# `terraform test` of the gateway in both sign-in modes, with a mocked
# Google provider (no cloud calls): what pixmill is told to verify, who may
# call the service, and what its service account may do. The service
# accounts get distinct invented members from the mock, so a grant is the
# gateway's only if it names the gateway's account.

mock_provider "google" {
  mock_data "google_project" {
    defaults = { number = "123456789012" }
  }
  mock_resource "google_cloud_run_v2_service" {
    defaults = { uri = "https://pixmill-gateway-abc123-ew.a.run.app" }
  }
}

variables {
  project_id = "my-project"
  image      = "europe-west1-docker.pkg.dev/my-project/pixmill/pixmill:0.1.0"
}

run "iap" {
  command = apply

  variables {
    gateway_auth     = "iap"
    iap_members      = ["group:photos@example.com", "user:ann@example.com"]
    link_keys_secret = "pixmill-link-keys"
  }

  assert {
    condition     = google_cloud_run_v2_service.gateway.template[0].containers[0].args == tolist(["up", "--addr", ":8080", "--auth", "iap", "--iap-audience", "/projects/123456789012/locations/europe-west1/services/pixmill-gateway"])
    error_message = "The gateway must run up --auth iap with the audience IAP signs for on Cloud Run: /projects/NUMBER/locations/REGION/services/NAME."
  }

  assert {
    condition     = output.gateway_auth.iap_audience == "/projects/123456789012/locations/europe-west1/services/pixmill-gateway"
    error_message = "The gateway_auth output must name the audience the gateway verifies."
  }

  assert {
    condition = (
      google_cloud_run_v2_service.gateway.iap_enabled == true
      && google_cloud_run_v2_service.gateway.launch_stage == "BETA"
      && google_cloud_run_v2_service.gateway.invoker_iam_disabled == false
      && google_cloud_run_v2_service.gateway.ingress == "INGRESS_TRAFFIC_ALL"
    )
    error_message = "With iap the service has IAP enabled (a BETA launch-stage feature) and keeps Cloud Run's invoker check."
  }

  assert {
    condition = (
      length(google_cloud_run_v2_service_iam_member.gateway_iap_agent) == 1
      && google_cloud_run_v2_service_iam_member.gateway_iap_agent[0].name == "pixmill-gateway"
      && google_cloud_run_v2_service_iam_member.gateway_iap_agent[0].role == "roles/run.invoker"
      && google_cloud_run_v2_service_iam_member.gateway_iap_agent[0].member == "serviceAccount:service-123456789012@gcp-sa-iap.iam.gserviceaccount.com"
    )
    error_message = "IAP's service agent, and only it, must be the gateway's invoker."
  }

  assert {
    condition = (
      toset(keys(google_iap_web_cloud_run_service_iam_member.gateway_users)) == toset(["group:photos@example.com", "user:ann@example.com"])
      && alltrue([
        for m in google_iap_web_cloud_run_service_iam_member.gateway_users :
        m.role == "roles/iap.httpsResourceAccessor" && m.cloud_run_service_name == "pixmill-gateway" && m.location == "europe-west1"
      ])
    )
    error_message = "Each of iap_members must get roles/iap.httpsResourceAccessor on the gateway."
  }

  assert {
    condition = (
      one([for e in google_cloud_run_v2_service.gateway.template[0].containers[0].env : e.value if e.name == "PIXMILL_BUCKET"]) == "gs://my-project-pixmill-data"
      && one([for e in google_cloud_run_v2_service.gateway.template[0].containers[0].env : e.value if e.name == "PIXMILL_REQUESTS_TOPIC"]) == "gcppubsub://projects/my-project/topics/pixmill-requests"
      && length([for e in google_cloud_run_v2_service.gateway.template[0].containers[0].env : e if startswith(e.name, "PIXMILL_") && endswith(e.name, "_SUBSCRIPTION")]) == 0
    )
    error_message = "The gateway must be told the bucket and the requests topic as gocloud.dev URLs, and no subscription (a gateway alone)."
  }

  assert {
    condition = one([
      for e in google_cloud_run_v2_service.gateway.template[0].containers[0].env :
      e.value_source[0].secret_key_ref[0] if e.name == "PIXMILL_LINK_KEYS"
    ]) == { secret = "pixmill-link-keys", version = "latest" }
    error_message = "The link keys must come from the secret's latest version, not from a value in the configuration."
  }

  # Every grant in the module that names the gateway's account: exactly these.
  assert {
    condition = toset(concat(
      [
        for m in [
          google_storage_bucket_iam_member.edit_read_originals,
          google_storage_bucket_iam_member.edit_write_results,
          google_storage_bucket_iam_member.results_records,
          google_storage_bucket_iam_member.deadletter_records,
          google_storage_bucket_iam_member.gateway_objects,
        ] : "bucket ${m.bucket} ${m.role} conditions=${length(m.condition)}" if m.member == google_service_account.gateway.member
      ],
      [
        for m in [
          google_pubsub_topic_iam_member.edit_publish_responses,
          google_pubsub_topic_iam_member.pubsub_agent_deadletter,
          google_pubsub_topic_iam_member.gateway_publish_requests,
        ] : "topic ${m.topic} ${m.role}" if m.member == google_service_account.gateway.member
      ],
      [for m in google_pubsub_subscription_iam_member.pubsub_agent_subscriber : "subscription ${m.role}" if m.member == google_service_account.gateway.member],
      [for m in [google_service_account_iam_member.pubsub_agent_token_creator] : "service account ${m.role}" if m.member == google_service_account.gateway.member],
      [for m in google_cloud_run_v2_service_iam_member.invoker : "run ${m.role}" if m.member == google_service_account.gateway.member],
      [for m in google_cloud_run_v2_service_iam_member.gateway_iap_agent : "run ${m.role}" if m.member == google_service_account.gateway.member],
      [for m in google_iap_web_cloud_run_service_iam_member.gateway_users : "iap ${m.role}" if m.member == google_service_account.gateway.member],
      [for m in google_secret_manager_secret_iam_member.gateway_link_keys : "secret ${m.secret_id} ${m.role}" if m.member == google_service_account.gateway.member],
      )) == toset([
      "bucket my-project-pixmill-data roles/storage.objectUser conditions=0",
      "topic pixmill-requests roles/pubsub.publisher",
      "secret pixmill-link-keys roles/secretmanager.secretAccessor",
    ])
    error_message = "The gateway's service account must hold exactly: objectUser on the bucket, publisher on the requests topic, accessor on the link keys' secret."
  }

  assert {
    condition     = google_cloud_run_v2_service.gateway.template[0].service_account == google_service_account.gateway.email
    error_message = "The gateway must run as its own service account."
  }

  assert {
    condition     = contains(keys(google_project_service.apis), "iap.googleapis.com") && contains(keys(google_project_service.apis), "secretmanager.googleapis.com")
    error_message = "IAP and Secret Manager must be enabled when they are used."
  }
}

run "oidc" {
  command = apply

  variables {
    gateway_auth  = "oidc"
    oidc_issuer   = "https://login.example.com/realms/photos"
    oidc_audience = "pixmill"
  }

  assert {
    condition     = google_cloud_run_v2_service.gateway.template[0].containers[0].args == tolist(["up", "--addr", ":8080", "--auth", "oidc", "--oidc-issuer", "https://login.example.com/realms/photos", "--oidc-audience", "pixmill"])
    error_message = "The gateway must run up --auth oidc with the issuer and audience given."
  }

  assert {
    condition = (
      google_cloud_run_v2_service.gateway.iap_enabled == false
      && google_cloud_run_v2_service.gateway.invoker_iam_disabled == true
      && google_cloud_run_v2_service.gateway.ingress == "INGRESS_TRAFFIC_ALL"
    )
    error_message = "With oidc the gateway is public: no IAP, no invoker check, traffic from everywhere."
  }

  assert {
    condition     = length(google_cloud_run_v2_service_iam_member.gateway_iap_agent) == 0 && length(google_iap_web_cloud_run_service_iam_member.gateway_users) == 0 && output.gateway_auth.iap_audience == null
    error_message = "With oidc there is nothing of IAP."
  }

  assert {
    condition     = length([for e in google_cloud_run_v2_service.gateway.template[0].containers[0].env : e if e.name == "PIXMILL_LINK_KEYS"]) == 0 && length(google_secret_manager_secret_iam_member.gateway_link_keys) == 0
    error_message = "Without link_keys_secret the gateway gets no link keys and no secret access."
  }

  assert {
    condition = (
      google_storage_bucket_iam_member.gateway_objects.member == google_service_account.gateway.member
      && google_storage_bucket_iam_member.gateway_objects.role == "roles/storage.objectUser"
      && google_pubsub_topic_iam_member.gateway_publish_requests.member == google_service_account.gateway.member
      && google_pubsub_topic_iam_member.gateway_publish_requests.topic == "pixmill-requests"
    )
    error_message = "In either mode the gateway reads and writes the bucket and publishes requests."
  }

  assert {
    condition     = !contains(keys(google_project_service.apis), "iap.googleapis.com")
    error_message = "With oidc the IAP API is not needed."
  }
}

run "oidc_needs_issuer_and_audience" {
  command = plan
  variables {
    gateway_auth = "oidc"
  }
  expect_failures = [var.oidc_issuer, var.oidc_audience]
}

run "oidc_issuer_must_be_https" {
  command = plan
  variables {
    gateway_auth  = "oidc"
    oidc_issuer   = "http://login.example.com"
    oidc_audience = "pixmill"
  }
  expect_failures = [var.oidc_issuer]
}

run "iap_members_only_with_iap" {
  command = plan
  variables {
    gateway_auth  = "oidc"
    oidc_issuer   = "https://login.example.com"
    oidc_audience = "pixmill"
    iap_members   = ["user:ann@example.com"]
  }
  expect_failures = [var.iap_members]
}

run "unknown_auth_mode" {
  command = plan
  variables {
    gateway_auth = "none"
  }
  expect_failures = [var.gateway_auth]
}
