#!/usr/bin/env bash
# Fetches the real photographs the face detection and red-eye tests in
# functions/imaging use besides scikit-image's, into DIR (default
# .cache/skimage, beside scikit-image's astronaut):
#   - Grace Hopper's portrait (matplotlib's sample data,
#     mpl-data/sample_data/grace_hopper.jpg, a US Navy photograph in the
#     public domain) from Debian's python-matplotlib-data;
#   - from OpenCV's sample data (samples/data, in Debian's opencv-doc, under
#     OpenCV's licence): a mandrill's face (baboon.jpg, the USC-SIPI
#     "Mandrill"), red and orange sweets (smarties.png), cut fruit
#     (fruits.jpg) and a footballer in a red and blue kit before a crowd
#     (messi5.jpg): red things that are not red eyes, and faces without them.
# opencv-doc is large (96 MB); only those four files are unpacked. Nothing
# is fetched when DIR already holds them.
set -euo pipefail
. "$(dirname "$0")/debian.sh"

dir=${1:-.cache/skimage}
mkdir -p "$dir"
opencv=(baboon.jpg smarties.png fruits.jpg messi5.jpg)
missing=()
for f in grace_hopper.jpg "${opencv[@]}"; do
	[ -s "$dir/$f" ] || missing+=("$f")
done
if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ ! -s "$dir/grace_hopper.jpg" ]; then
	deb_unpack python-matplotlib-data "$work"
	deb_take "$work" python-matplotlib-data '*/sample_data/grace_hopper.jpg' "$dir/grace_hopper.jpg"
fi
samples=./usr/share/doc/opencv-doc/examples/data
deb_unpack_only opencv-doc "$work" "${opencv[@]/#/$samples/}"
for f in "${opencv[@]}"; do
	deb_take "$work" opencv-doc "*/examples/data/$f" "$dir/$f"
done
