# The smallest pixmill installation: everything on defaults in one project
# and region. Build and push the image first, from the repository root (the
# README of infra/terraform has the commands), then:
#
#   cd infra/terraform/examples/basic
#   terraform init
#   terraform apply -var project_id=my-project \
#       -var image=europe-west1-docker.pkg.dev/my-project/pixmill/pixmill:0.1.0 \
#       -var 'iap_members=["user:you@example.com"]'
#
# The gateway signs people in with IAP, and lets in iap_members.

provider "google" {
  project = var.project_id
  region  = var.region
}

module "pixmill" {
  source = "../.."

  project_id = var.project_id
  region     = var.region
  image      = var.image

  gateway_auth = "iap"
  iap_members  = var.iap_members

  results_retention_days = 30
  max_delivery_attempts  = 5
}
