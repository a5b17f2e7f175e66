#!/usr/bin/env bash
# Installs Debian's chromium, the headless browser the web app's end-to-end
# tests (platform/webtest) drive through the DevTools protocol. Nothing is
# downloaded outside Debian's archive. Safe to run again: it does nothing when
# /usr/bin/chromium is there.
set -euo pipefail

[ -x /usr/bin/chromium ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "install-chromium: need root (or sudo) to install chromium" >&2; exit 1; }
	sudo=sudo
fi
echo "install-chromium: installing chromium from Debian's archive" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
/usr/bin/chromium --version >&2
