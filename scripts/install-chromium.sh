#!/usr/bin/env bash
# Installs Debian's chromium, the headless browser the web app's end-to-end
# tests (platform/webtest) drive through the DevTools protocol. Nothing is
# downloaded outside Debian's archive. Safe to run again: it does nothing when
# /usr/bin/chromium is there.
set -euo pipefail
. "$(dirname "$0")/debian.sh"

[ -x /usr/bin/chromium ] && exit 0

apt_install chromium
/usr/bin/chromium --version >&2
