// Package lint holds the checks of pixmill's deployment definitions that no
// installable linter makes here. It is its own module, so that the tools it
// needs (BuildKit's Dockerfile parser, the Terraform plugin protocol) stay out
// of the application's go.mod; scripts/lint-infra.sh runs it.
//
// The tests check infra/container/Dockerfile with BuildKit's own parser and
// the lint rules BuildKit applies while parsing (the rules of
// `docker build --check` that need no base image), then pixmill's rules for
// the image: multi-stage, tagged base images, a final stage with the libvips
// runtime and no toolchain, a numeric non-root USER, an exec-form
// ENTRYPOINT, and no HEALTHCHECK; and that infra/container/cloudbuild.yaml
// builds that Dockerfile with BuildKit and pushes the image it tags.
//
// cmd/terraform-provider-schemastub lets `terraform validate` run without
// the Google provider; cmd/k8sschemas writes the Kubernetes JSON schemas
// kubeconform validates against (see infra/schemas/README.md).
package lint
