# `terraform test` on the module with a mocked Google provider (no cloud
# calls): plans and "applies" the defaults and checks what the module wires
# together. The mock takes its schema from the provider, the real one or the
# stand-in of make lint-infra, and invents the computed values it is not
# given here.

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

run "plan" {
  command = plan

  assert {
    condition = {
      for k, s in google_cloud_run_v2_service.function :
      k => one([for e in s.template[0].containers[0].env : e.value if e.name == "FUNCTION_TARGET"])
    } == { edit = "Edit", results = "Results", deadletter = "DeadLetter" }
    error_message = "The services must run the Edit, Results and DeadLetter functions."
  }

  assert {
    condition = alltrue([
      for s in google_cloud_run_v2_service.function :
      s.ingress == "INGRESS_TRAFFIC_INTERNAL_ONLY"
      && s.template[0].scaling[0].min_instance_count == 0
      && s.template[0].containers[0].image == var.image
      && s.template[0].containers[0].command == tolist(["pixmill-function"])
    ])
    error_message = "Every service must run pixmill-function from the image, internal only, scaling to zero."
  }

  assert {
    condition = alltrue([
      for s in google_cloud_run_v2_service.function :
      one([for e in s.template[0].containers[0].env : e.value if e.name == "PIXMILL_BUCKET"]) == "gs://my-project-pixmill-data"
    ])
    error_message = "Every function must be told the bucket."
  }

  assert {
    condition     = google_cloud_run_v2_service.function["edit"].template[0].timeout == "300s" && google_cloud_run_v2_service.function["edit"].template[0].max_instance_request_concurrency == 1
    error_message = "The edit service must time out with the ack deadline and take one request at a time."
  }

  assert {
    condition     = length(google_pubsub_subscription.push["edit"].dead_letter_policy) == 1 && length(google_pubsub_subscription.push["results"].dead_letter_policy) == 1 && length(google_pubsub_subscription.push["deadletter"].dead_letter_policy) == 0
    error_message = "Edit and results subscriptions dead-letter; the deadletter subscription does not."
  }

  assert {
    condition     = keys(google_pubsub_subscription_iam_member.pubsub_agent_subscriber) == ["edit", "results"]
    error_message = "The Pub/Sub agent needs subscriber on the dead-lettering subscriptions only."
  }
}

run "apply" {
  command = apply

  assert {
    condition     = google_pubsub_subscription.push["results"].push_config[0].push_endpoint == "https://service-abc123-ew.a.run.app/projects/my-project/topics/pixmill-responses"
    error_message = "A push endpoint must be the service URL plus the topic's path."
  }

  assert {
    condition = alltrue([
      for s in google_pubsub_subscription.push :
      s.push_config[0].oidc_token[0].audience == "https://service-abc123-ew.a.run.app"
      && s.push_config[0].oidc_token[0].service_account_email == google_service_account.invoker.email
    ])
    error_message = "Pushes must authenticate as the invoker, for the service's URL."
  }

  assert {
    condition = alltrue([
      for m in google_cloud_run_v2_service_iam_member.invoker :
      m.role == "roles/run.invoker" && m.member == google_service_account.invoker.member
    ]) && length(google_cloud_run_v2_service_iam_member.invoker) == 3
    error_message = "Only the invoker may invoke each service."
  }

  assert {
    condition     = !contains(keys(output.gateway_env), "PIXMILL_DEADLETTER_SUBSCRIPTION") && output.gateway_env.PIXMILL_BUCKET == "gs://my-project-pixmill-data"
    error_message = "gateway_env names the bucket and no dead-letter subscription."
  }
}

# The sizing checks hold for every service, not only the first.
run "bad_results_cpu" {
  command = plan
  variables {
    results = { cpu = "3" }
  }
  expect_failures = [google_cloud_run_v2_service.function["results"]]
}

run "deadletter_fraction_of_a_cpu_takes_one_request" {
  command = plan
  variables {
    deadletter = { cpu = "0.5", max_concurrency = 4 }
  }
  expect_failures = [google_cloud_run_v2_service.function["deadletter"]]
}

run "fraction_of_a_cpu_with_one_request_is_fine" {
  command = plan
  variables {
    results = { cpu = "0.5", max_concurrency = 1, memory = "512Mi" }
  }
}
