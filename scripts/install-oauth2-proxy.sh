#!/usr/bin/env bash
# Installs oauth2-proxy, the authenticating proxy that the browser test of
# sign-in (platform/webtest, TestSignInThroughOAuth2Proxy) puts in front of
# the gateway, from the Go module proxy into .cache/bin (ignored by git).
# Safe to run again: a binary already at the pinned version is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=v7.15.6
bin="$PWD/.cache/bin"
[ -x "$bin/oauth2-proxy" ] && [ "$(cat "$bin/.oauth2-proxy.version" 2>/dev/null)" = "$VERSION" ] && exit 0

mkdir -p "$bin"
echo "install-oauth2-proxy: building oauth2-proxy $VERSION" >&2
GOBIN="$bin" GOFLAGS="${GOFLAGS:--buildvcs=false}" go install "github.com/oauth2-proxy/oauth2-proxy/v7@$VERSION"
echo "$VERSION" >"$bin/.oauth2-proxy.version"
