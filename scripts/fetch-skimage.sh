#!/usr/bin/env bash
# Fetches scikit-image's astronaut portrait (skimage/data/astronaut.png,
# public domain) and two of its photographs with no red eyes in them,
# coffee.png (an espresso cup on a red saucer) and chelsea.png (a ginger
# cat), both CC0, from Debian's python3-skimage package into DIR (default
# .cache/skimage), for the red-eye and teeth tests in functions/imaging.
# Nothing is fetched when DIR already holds them.
set -euo pipefail

dir=${1:-.cache/skimage}
mkdir -p "$dir"
files=(astronaut.png coffee.png chelsea.png)
missing=0
for f in "${files[@]}"; do
	[ -s "$dir/$f" ] || missing=1
done
if [ "$missing" -eq 0 ]; then
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
for f in "${files[@]}"; do
	src=$(find "$work/x" -path "*/skimage/data/$f" -print -quit)
	if [ -z "$src" ]; then
		echo "fetch-skimage: $f is not in python3-skimage" >&2
		exit 1
	fi
	cp "$src" "$dir/$f"
	echo "fetch-skimage: $dir/$f" >&2
done
