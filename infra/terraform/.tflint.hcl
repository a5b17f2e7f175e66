# tflint for the pixmill module and its examples. Only the bundled terraform
# ruleset: the google ruleset is a plugin downloaded from GitHub, which this
# project's machines cannot reach (see scripts/lint-infra.sh).
config {
  call_module_type = "all"
}

plugin "terraform" {
  enabled = true
  preset  = "all"
}
