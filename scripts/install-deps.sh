#!/usr/bin/env bash
# Installs what building and testing pixmill needs and is missing: libvips
# (Debian's libvips-dev) and pkg-config. Go tools come from the Go module
# proxy through `go run`/`go install` in the Makefile. Safe to run again.
set -euo pipefail
. "$(dirname "$0")/debian.sh"

need=()
pkg-config --exists vips 2>/dev/null || need+=(libvips-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v gcc >/dev/null || need+=(gcc)
[ ${#need[@]} -eq 0 ] && exit 0

apt_install "${need[@]}" pkg-config
pkg-config --modversion vips >&2
