#!/usr/bin/env bash
# Fetches scikit-image's astronaut portrait (skimage/data/astronaut.png,
# public domain) and two of its photographs with no red eyes in them,
# coffee.png (an espresso cup on a red saucer) and chelsea.png (a ginger
# cat), both CC0, from Debian's python3-skimage package into DIR (default
# .cache/skimage), for the red-eye and teeth tests in functions/imaging.
# Nothing is fetched when DIR already holds them.
set -euo pipefail
. "$(dirname "$0")/debian.sh"

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
deb_unpack python3-skimage "$work"
for f in "${files[@]}"; do
	deb_take "$work" python3-skimage "*/skimage/data/$f" "$dir/$f"
done
