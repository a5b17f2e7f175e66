#!/usr/bin/env bash
# Installs what building and testing pixmill needs and is missing: libvips
# (Debian's libvips-dev) and pkg-config. Go tools come from the Go module
# proxy through `go run`/`go install` in the Makefile. Safe to run again.
set -euo pipefail

need=()
pkg-config --exists vips 2>/dev/null || need+=(libvips-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v gcc >/dev/null || need+=(gcc)
[ ${#need[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${need[*]}" >&2; exit 1; }
	sudo=sudo
fi
echo "install-deps: installing ${need[*]} from Debian's archive" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" pkg-config >/dev/null
pkg-config --modversion vips >&2
