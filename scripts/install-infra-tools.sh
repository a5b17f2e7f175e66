#!/usr/bin/env bash
# Installs what `make lint-infra` needs and is missing, from the Go module
# proxy, into .cache/infra-tools (ignored by git). Safe to run again: a tool
# already at the pinned version is left alone.
#
#   tflint       TFLINT_VERSION, built-in terraform ruleset only
#   kubeconform  KUBECONFORM_VERSION
#   kustomize    KUSTOMIZE_VERSION, only where kubectl (which embeds it) is missing
#   terraform-provider-google_v6.999.0
#                infra/lint's schema-only stand-in for the Google provider,
#                laid out as a Terraform filesystem mirror (see lint-infra.sh)
#
# terraform itself is not installed here: the development and CI machines
# have it (Debian does not package it, and its release downloads are not
# reachable from them).
set -euo pipefail
cd "$(dirname "$0")/.."

TFLINT_VERSION=v0.64.0
KUBECONFORM_VERSION=v0.8.0
KUSTOMIZE_VERSION=v5.8.3
STUB_VERSION=6.999.0

tools="$PWD/.cache/infra-tools"
bin="$tools/bin"
mkdir -p "$bin"
export GOBIN="$bin" GOFLAGS="${GOFLAGS:--buildvcs=false}"

have() { # have NAME VERSION: the tool is installed at that version
	[ -x "$bin/$1" ] && [ "$(cat "$bin/.$1.version" 2>/dev/null)" = "$2" ]
}

install() { # install NAME MODULE@VERSION
	local name=$1 pkg=$2 version=${2##*@}
	have "$name" "$version" && return 0
	echo "install-infra-tools: go install $pkg" >&2
	go install "$pkg"
	echo "$version" >"$bin/.$name.version"
}

install tflint "github.com/terraform-linters/tflint@$TFLINT_VERSION"
install kubeconform "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
if ! command -v kubectl >/dev/null; then
	install kustomize "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
fi

# The stand-in provider is built from this repository's infra/lint module
# every time (Go's build cache makes an unchanged rebuild instant).
mirror="$tools/terraform-mirror/registry.terraform.io/hashicorp/google/$STUB_VERSION/$(go env GOOS)_$(go env GOARCH)"
mkdir -p "$mirror"
(cd infra/lint && go build -o "$mirror/terraform-provider-google_v$STUB_VERSION" ./cmd/terraform-provider-schemastub)

command -v terraform >/dev/null || { echo "install-infra-tools: terraform is not installed" >&2; exit 1; }
