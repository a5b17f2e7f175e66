# Helpers for the scripts that take what they need from Debian's archive;
# sourced, not run. Each names its caller in its messages ($0's base name).

# as_root runs a command as root: directly when root, else through sudo.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		echo "$(basename "$0"): need root (or sudo) to run: $*" >&2
		exit 1
	fi
}

# apt_install installs Debian packages, quietly, without recommends.
apt_install() {
	echo "$(basename "$0" .sh): installing $* from Debian's archive" >&2
	as_root apt-get update -qq
	DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# deb_download downloads Debian package PKG, without installing it, into
# DIR.
deb_download() {
	local pkg=$1 dir=$2
	( cd "$dir" && apt-get download "$pkg" >/dev/null 2>&1 ) || {
		# apt-get download needs a package list; fetch one the first time.
		as_root apt-get update -qq
		( cd "$dir" && apt-get download "$pkg" >/dev/null )
	}
}

# deb_unpack downloads Debian package PKG (without installing it) and
# unpacks it into DIR/x.
deb_unpack() {
	local pkg=$1 dir=$2
	deb_download "$pkg" "$dir"
	dpkg -x "$dir"/"${pkg}"_*.deb "$dir/x"
}

# deb_unpack_only is deb_unpack for a large package of which a few files
# are wanted: it unpacks into DIR/x only the paths matching the PATTERNs
# (tar's wildcards, from ./usr/...).
deb_unpack_only() {
	local pkg=$1 dir=$2
	shift 2
	deb_download "$pkg" "$dir"
	mkdir -p "$dir/x"
	dpkg-deb --fsys-tarfile "$dir"/"${pkg}"_*.deb | tar -x -C "$dir/x" --wildcards "$@"
}

# deb_take copies the file of unpacked package PKG (in WORK/x) whose path
# matches PATTERN to DEST, or fails naming what is missing.
deb_take() {
	local work=$1 pkg=$2 pattern=$3 dest=$4 src
	src=$(find "$work/x" -path "$pattern" -print -quit)
	if [ -z "$src" ]; then
		echo "$(basename "$0" .sh): $(basename "$pattern") is not in $pkg" >&2
		exit 1
	fi
	cp "$src" "$dest"
	echo "$(basename "$0" .sh): $dest" >&2
}
