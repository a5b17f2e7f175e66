#!/usr/bin/env bash
# Fetches scikit-image's astronaut portrait (skimage/data/astronaut.png,
# public domain) from Debian's python3-skimage package into DIR (default
# .cache/skimage), for the red-eye negative control in functions/imaging.
# Nothing is fetched when DIR already holds it.
set -euo pipefail

dir=${1:-.cache/skimage}
mkdir -p "$dir"
if [ -s "$dir/astronaut.png" ]; then
	exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
( cd "$work" && apt-get download python3-skimage >/dev/null 2>&1 ) || {
	# apt-get download needs a package list; fetch one the first time.
	if [ "$(id -u)" -eq 0 ]; then apt-get update -qq; else sudo apt-get update -qq; fi
	( cd "$work" && apt-get download python3-skimage >/dev/null )
}
dpkg -x "$work"/python3-skimage_*.deb "$work/x"
src=$(find "$work/x" -path '*/skimage/data/astronaut.png' -print -quit)
if [ -z "$src" ]; then
	echo "fetch-skimage: astronaut.png is not in python3-skimage" >&2
	exit 1
fi
cp "$src" "$dir/astronaut.png"
echo "fetch-skimage: $dir/astronaut.png" >&2
