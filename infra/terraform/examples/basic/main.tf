# The smallest pixmill installation: everything on defaults in one project
# and region. Build the source archive first, from the repository root:
#
#   git archive --format=zip -o infra/terraform/examples/basic/pixmill-source.zip HEAD
#   cd infra/terraform/examples/basic
#   terraform init && terraform apply -var project_id=my-project

provider "google" {
  project = var.project_id
  region  = var.region
}

module "pixmill" {
  source = "../.."

  project_id     = var.project_id
  region         = var.region
  source_archive = "${path.module}/pixmill-source.zip"

  results_retention_days = 30
  max_delivery_attempts  = 5
}
