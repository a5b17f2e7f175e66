#!/usr/bin/env bash
# Regenerates the bad-input corpus kept in platform/stack/testdata/badinput.
set -euo pipefail
cd "$(dirname "$0")/.."
go run ./scripts/gen-badinput platform/stack/testdata/badinput
