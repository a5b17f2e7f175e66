#!/usr/bin/env bash
# Fetches Grace Hopper's portrait (matplotlib's sample data,
# mpl-data/sample_data/grace_hopper.jpg, a US Navy photograph in the public
# domain) from Debian's python-matplotlib-data package into DIR (default
# .cache/skimage, beside scikit-image's astronaut), for the face detection
# and red-eye tests in functions/imaging. Nothing is fetched when DIR
# already holds it.
set -euo pipefail
. "$(dirname "$0")/debian.sh"

dir=${1:-.cache/skimage}
mkdir -p "$dir"
if [ -s "$dir/grace_hopper.jpg" ]; then
	exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
deb_unpack python-matplotlib-data "$work"
deb_take "$work" python-matplotlib-data '*/sample_data/grace_hopper.jpg' "$dir/grace_hopper.jpg"
