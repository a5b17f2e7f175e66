#!/usr/bin/env bash
# Fetches Grace Hopper's portrait (matplotlib's sample data,
# mpl-data/sample_data/grace_hopper.jpg, a US Navy photograph in the public
# domain) from Debian's python-matplotlib-data package into DIR (default
# .cache/skimage, beside scikit-image's astronaut), for the face detection
# and red-eye tests in functions/imaging. Nothing is fetched when DIR
# already holds it.
set -euo pipefail

dir=${1:-.cache/skimage}
mkdir -p "$dir"
if [ -s "$dir/grace_hopper.jpg" ]; then
	exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
( cd "$work" && apt-get download python-matplotlib-data >/dev/null 2>&1 ) || {
	# apt-get download needs a package list; fetch one the first time.
	if [ "$(id -u)" -eq 0 ]; then apt-get update -qq; else sudo apt-get update -qq; fi
	( cd "$work" && apt-get download python-matplotlib-data >/dev/null )
}
dpkg -x "$work"/python-matplotlib-data_*.deb "$work/x"
src=$(find "$work/x" -path '*/sample_data/grace_hopper.jpg' -print -quit)
if [ -z "$src" ]; then
	echo "fetch-portraits: grace_hopper.jpg is not in python-matplotlib-data" >&2
	exit 1
fi
cp "$src" "$dir/grace_hopper.jpg"
echo "fetch-portraits: $dir/grace_hopper.jpg" >&2
