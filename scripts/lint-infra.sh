#!/usr/bin/env bash
# `make lint-infra`: checks infra/ offline, with the tools that
# scripts/install-infra-tools.sh installs from the Go module proxy.
#
#   terraform fmt       -check -recursive on infra/terraform
#   terraform validate  the module and examples/basic, after
#                       `terraform init -backend=false`. The Google provider
#                       comes from the Terraform registry when it answers;
#                       where it does not (this project's machines), from a
#                       stand-in that serves the provider schema transcribed
#                       in infra/schemas/terraform/google.json, so Terraform's
#                       own checks run but the provider's value checks do not
#   terraform test      the module's tests/*.tftest.hcl: plan and apply with
#                       a mocked provider (no cloud calls) on that schema,
#                       checking what the module wires together
#   tflint              built-in terraform ruleset, preset "all" (the google
#                       ruleset plugin is a download from GitHub)
#   kubeconform         -strict on the output of `kustomize build` for
#                       infra/knative and infra/knative/keda, against the
#                       schemas in infra/schemas/kubernetes (no -skip: every
#                       kind used has a schema there)
#   Dockerfile          infra/lint's tests: BuildKit's parser and lint rules,
#                       plus pixmill's rules for the image, and the Cloud
#                       Build config that builds it
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

start=$SECONDS
if ! scripts/install-infra-tools.sh >"${TMPDIR:-/tmp}/pixmill-install-infra-tools.log" 2>&1; then
	cat "${TMPDIR:-/tmp}/pixmill-install-infra-tools.log"
	echo "lint-infra: installing the tools failed" >&2
	exit 1
fi
echo "lint-infra: tools ready ($((SECONDS - start))s; log in ${TMPDIR:-/tmp}/pixmill-install-infra-tools.log)"
tools="$root/.cache/infra-tools"
export PATH="$tools/bin:$PATH" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0
failed=()
step() { # step NAME COMMAND...: run, time and report one check
	local name=$1 start=$SECONDS
	shift
	if "$@" >"$work/out" 2>&1; then
		echo "lint-infra: ok    $name ($((SECONDS - start))s)"
		sed -n 's/^note: /    /p' "$work/out"
		passed=$((passed + 1))
	else
		echo "lint-infra: FAIL  $name ($((SECONDS - start))s)"
		sed 's/^/    /' "$work/out"
		failed+=("$name")
	fi
}

# Terraform's CLI configuration: none of the user's, and for the stand-in a
# filesystem mirror that holds only the Google provider.
: >"$work/empty.tfrc"
cat >"$work/stub.tfrc" <<TFRC
provider_installation {
  filesystem_mirror {
    path    = "$tools/terraform-mirror"
    include = ["registry.terraform.io/hashicorp/google"]
  }
}
TFRC

tf_run() ( # tf_run DIR COMMAND: init a copy of infra/terraform/DIR (real provider, else stand-in), then terraform COMMAND there
	rm -rf "$work/tf"
	cp -r infra/terraform "$work/tf"
	cd "$work/tf/$1"
	if ! TF_CLI_CONFIG_FILE="$work/empty.tfrc" timeout 120 terraform init -backend=false -input=false -no-color >"$work/init.log" 2>&1; then
		grep -q -e "could not connect to registry" -e "Failed to query available provider packages" "$work/init.log" || { cat "$work/init.log"; return 1; }
		echo "note: registry.terraform.io unreachable; the Google provider is the stand-in serving infra/schemas/terraform/google.json"
		rm -rf .terraform .terraform.lock.hcl
		export TF_CLI_CONFIG_FILE="$work/stub.tfrc" PIXMILL_TF_SCHEMA="$root/infra/schemas/terraform/google.json"
		terraform init -backend=false -input=false -no-color >"$work/init.log" 2>&1 || { cat "$work/init.log"; return 1; }
	fi
	terraform "$2" -no-color
)

kube() { # kube DIR: kustomize build DIR | kubeconform
	if command -v kubectl >/dev/null; then
		kubectl kustomize "$1"
	else
		kustomize build "$1"
	fi >"$work/manifests.yaml"
	kubeconform -strict -summary \
		-schema-location "$root/infra/schemas/kubernetes/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
		"$work/manifests.yaml"
}

export TF_CLI_CONFIG_FILE="$work/empty.tfrc"
step "terraform fmt" terraform fmt -check -recursive -diff infra/terraform
step "terraform validate (module)" tf_run . validate
step "terraform validate (examples/basic)" tf_run examples/basic validate
step "terraform test (module, mocked provider)" tf_run . test
step "tflint" tflint --chdir=infra/terraform --config="$root/infra/terraform/.tflint.hcl" --recursive --no-color
step "kubeconform (infra/knative)" kube infra/knative
step "kubeconform (infra/knative/keda)" kube infra/knative/keda
step "Dockerfile (infra/lint tests)" bash -c 'cd infra/lint && go vet ./... && go test -count=1 ./...'

echo "lint-infra: $passed passed, ${#failed[@]} failed"
if [ ${#failed[@]} -gt 0 ]; then
	echo "lint-infra: failed checks: ${failed[*]}" >&2
	exit 1
fi
