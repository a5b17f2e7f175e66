#!/usr/bin/env bash
# Draws docs/ops/*.jpg, the before/after pictures of README's Ops section,
# by running the ops on the test pictures: the synthetic faces the imaging
# tests draw, scikit-image's astronaut and a photograph from Debian's
# mate-backgrounds (fetched into .cache if they are not there yet; without
# them, the pictures that need them are left out). Nothing is drawn by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

out=docs/ops
photos=$PWD/.cache/photos
skimage=$PWD/.cache/skimage
scripts/fetch-photos.sh "$photos" || echo "readme-pictures: no photographs; going on without" >&2
scripts/fetch-skimage.sh "$skimage" || echo "readme-pictures: no astronaut; going on without" >&2

mkdir -p "$out"
rm -f "$out"/*.jpg
PIXMILL_README_PICTURES=$PWD/$out PIXMILL_PHOTOS=$photos PIXMILL_SKIMAGE=$skimage \
	go test -count=1 -run '^TestReadmePictures$' ./functions/imaging/
echo "readme-pictures: $(ls "$out"/*.jpg | wc -l) pictures, $(du -sh "$out" | cut -f1) in $out" >&2
