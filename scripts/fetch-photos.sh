#!/usr/bin/env bash
# Fetches real, freely licensed photographs from Debian's mate-backgrounds
# package (JPEG, 1.3 to 18 megapixels) into DIR (default .cache/photos), for
# the end-to-end tests and benchmarks. Nothing is fetched when DIR already
# holds them.
set -euo pipefail
. "$(dirname "$0")/debian.sh"

dir=${1:-.cache/photos}
mkdir -p "$dir"
if compgen -G "$dir/*.jpg" >/dev/null && [ "$(ls "$dir"/*.jpg | wc -l)" -ge 16 ]; then
	exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
deb_unpack mate-backgrounds "$work"
find "$work/x/usr/share/backgrounds/mate" -name '*.jpg' -exec cp {} "$dir"/ \;
echo "fetch-photos: $(ls "$dir"/*.jpg | wc -l) photos in $dir" >&2
