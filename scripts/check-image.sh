#!/usr/bin/env bash
# check-image.sh: builds infra/container/Dockerfile for real, without Docker
# and without a container registry, and proves the image works. `make
# image-check` runs it (root, Debian bookworm; not part of `make test`).
#
#   1. Installs buildah, debootstrap and runc from Debian's archive if missing.
#   2. Makes the two base images the Dockerfile names, in buildah's local
#      store, since no registry is reachable: debian:bookworm-slim from a
#      debootstrap --variant=minbase bookworm out of this machine's Debian
#      mirror, slimmed as the official image is; golang:1.26-bookworm = that
#      plus the C toolchain the official image carries and the Go toolchain
#      from the Go module proxy (module golang.org/toolchain), laid out and
#      configured as the official image is (/usr/local/go, GOPATH=/go,
#      GOTOOLCHAIN=local, WORKDIR /go). Both carry this machine's Debian
#      sources, and the Go one this machine's Go proxy settings (go env) and
#      the CA certificates of its bundle that Debian's lacks, so that the
#      unchanged Dockerfile's apt-get and go mod download reach what this
#      machine reaches. Made once, then reused (REBUILD_BASE=1 remakes).
#   3. `buildah bud` of the unchanged Dockerfile (cache mounts and the
#      Dockerfile.dockerignore beside it included), timed; then checks the
#      final image: runs as 10001:10001, has libvips42 and every library
#      the binaries link, has no Go toolchain, compiler or -dev package.
#   4. Runs it: pixmill-function from the image as uid 10001 serving Edit
#      (FUNCTION_TARGET=Edit, a file bucket, PIXMILL_RESPONSES_TOPIC an
#      http:// sink), driven by scripts/check-image-event.go: one binary-mode
#      task.requested for a real JPEG must answer 200, leave a JPEG of the
#      asked size in the bucket, record the start and publish task.completed;
#      then `pixmill up` from the image must answer GET /healthz with 200.
#
# Environment: IMAGE (default localhost/pixmill:check), GO_VERSION (the Go
# toolchain of the golang base, default this machine's `go env GOVERSION`,
# which must be of the Dockerfile's golang minor), NO_CACHE=1 (build without
# buildah's layer cache, as a first build would), REBUILD_BASE=1,
# BUILDAH_ISOLATION (default: oci with runc if that works here, else
# chroot), STORAGE_DRIVER (default buildah's, overlay; vfs if that fails).
# Build log and timings go to .cache/image-check/. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

say() { printf 'check-image: %s\n' "$*" >&2; }
die() { printf 'check-image: FAIL: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (buildah with its local store, debootstrap, chroot)"
command -v go >/dev/null || die "needs go (for the toolchain download and the request program)"

script_start=$(date +%s)
IMAGE=${IMAGE:-localhost/pixmill:check}
DOCKERFILE=infra/container/Dockerfile
cache=$root/.cache/image-check
mkdir -p "$cache"
label=io.pixmill.image-check

# The base images exactly as the Dockerfile names them, normalised as
# buildah looks them up (docker.io/library/NAME:TAG).
mapfile -t froms < <(sed -n 's/^FROM[[:space:]]\+\([^[:space:]]\+\).*/\1/p' "$DOCKERFILE")
[ "${froms[*]}" = "golang:1.26-bookworm debian:bookworm-slim" ] ||
	die "$DOCKERFILE's FROM lines are now '${froms[*]}'; this script makes golang:1.26-bookworm and debian:bookworm-slim only: update it"
DEBIAN_BASE=docker.io/library/debian:bookworm-slim
GO_BASE=docker.io/library/golang:1.26-bookworm
go_minor=1.26
GO_VERSION=${GO_VERSION:-$(go env GOVERSION)}
GO_VERSION=${GO_VERSION%% *}
case $GO_VERSION in
go"$go_minor".*) ;;
*) die "GO_VERSION=$GO_VERSION is not a go$go_minor.x toolchain (golang:$go_minor-bookworm): set GO_VERSION=go$go_minor.N" ;;
esac

work=$(mktemp -d /var/tmp/pixmill-image-check.XXXXXX)
containers=()
pids=()
cleanup() {
	local p c
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	for c in "${containers[@]}"; do buildah rm "$c" >/dev/null 2>&1 || true; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A working container that cleanup removes; its id in $ctr.
new_container() {
	ctr=$(buildah from --pull=never "$@")
	containers+=("$ctr")
}

##### 1. Tools

need=()
command -v buildah >/dev/null || need+=(buildah)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v runc >/dev/null || need+=(runc)
if [ ${#need[@]} -gt 0 ]; then
	say "installing ${need[*]} from Debian's archive"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! buildah info >/dev/null 2>&1; then
	[ "${STORAGE_DRIVER:-}" = vfs ] && die "buildah info fails even with STORAGE_DRIVER=vfs: $(buildah info 2>&1 | tail -1)"
	say "buildah's default storage does not work here ($(buildah info 2>&1 | tail -1)); using the vfs driver"
	export STORAGE_DRIVER=vfs
fi
say "buildah $(buildah version | sed -n 's/^Version: *//p'), storage $(buildah info --format '{{.store.GraphDriverName}}')"

##### 2. Base images

# has_base IMAGE VALUE: IMAGE is in the store, made by this script with VALUE.
has_base() {
	[ "${REBUILD_BASE:-}" = 1 ] && return 1
	buildah inspect --type image "$1" >/dev/null 2>&1 || return 1
	[ "$(buildah inspect --type image --format "{{index .OCIv1.Config.Labels \"$label\"}}" "$1")" = "$2" ]
}

# This machine's Debian mirror, for debootstrap.
mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)\/\?$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\/debian\)\/\?[[:space:]]\+bookworm[[:space:]].*/\2/p' /etc/apt/sources.list 2>/dev/null | head -1)
[ -n "$mirror" ] || die "found no Debian mirror in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"

debian_recipe=minbase-1
if has_base "$DEBIAN_BASE" "$debian_recipe"; then
	say "base $DEBIAN_BASE: made earlier, reused"
else
	say "base $DEBIAN_BASE: debootstrap --variant=minbase bookworm from $mirror"
	rootfs=$work/rootfs
	debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
		die "debootstrap failed; see $cache/debootstrap.log"
	# Slim as the official image is: no documentation, manuals or
	# translations, now or from later installs; no package lists or debs.
	cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<-'EOF'
		path-exclude /usr/share/doc/*
		path-include /usr/share/doc/*/copyright
		path-exclude /usr/share/groff/*
		path-exclude /usr/share/info/*
		path-exclude /usr/share/linda/*
		path-exclude /usr/share/lintian/overrides/*
		path-exclude /usr/share/locale/*
		path-exclude /usr/share/man/*
	EOF
	cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<-'EOF'
		DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
		APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
		Dir::Cache::pkgcache "";
		Dir::Cache::srcpkgcache "";
	EOF
	echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
	find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
	find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
	rm -rf "$rootfs"/usr/share/{groff,info,linda,lintian/overrides,locale,man}/*
	chroot "$rootfs" apt-get clean
	rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log "$rootfs"/var/cache/debconf/*-old
	# This machine's Debian sources (the official image has
	# debian.sources: bookworm, bookworm-updates, bookworm-security).
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		rm -f "$rootfs/etc/apt/sources.list"
		cp /etc/apt/sources.list.d/debian.sources "$rootfs/etc/apt/sources.list.d/"
	elif [ -f /etc/apt/sources.list ]; then
		grep -E '^[[:space:]]*deb(-src)?[[:space:]].*/debian(-security)?/?[[:space:]]' /etc/apt/sources.list >"$rootfs/etc/apt/sources.list"
	fi
	new_container scratch
	mnt=$(buildah mount "$ctr")
	tar -C "$rootfs" --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -cf - . | tar -C "$mnt" -xpf -
	buildah umount "$ctr" >/dev/null
	buildah config --os linux --arch amd64 \
		--env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		--cmd '["bash"]' --label "$label=$debian_recipe" "$ctr"
	buildah commit -q --rm "$ctr" "$DEBIAN_BASE" >/dev/null
	rm -rf "$rootfs"
	say "base $DEBIAN_BASE: $(buildah images --format '{{.Size}}' "$DEBIAN_BASE")"
fi

# How builds run here: OCI isolation with runc where it works (crun, the
# default, refuses this machine's hybrid cgroups), else chroot.
runflags=()
if [ -n "${BUILDAH_ISOLATION:-}" ]; then
	runflags=(--isolation "$BUILDAH_ISOLATION")
else
	new_container "$DEBIAN_BASE"
	if probe=$(buildah run --isolation oci --runtime "$(command -v runc)" "$ctr" -- true 2>&1); then
		runflags=(--isolation oci --runtime "$(command -v runc)")
	else
		say "OCI isolation with runc does not work here (${probe##*$'\n'}); using chroot isolation"
		runflags=(--isolation chroot)
	fi
fi
say "isolation: ${runflags[*]}"

# The Go base is remade when the toolchain or this machine's TLS trust
# (below) changes.
host_ca=/etc/ssl/certs/ca-certificates.crt
[ -f "$host_ca" ] || die "no $host_ca on this machine (Debian's ca-certificates)"
go_recipe="$GO_VERSION ca:$(sha256sum "$host_ca" | cut -c1-12)"
if has_base "$GO_BASE" "$go_recipe"; then
	say "base $GO_BASE: $GO_VERSION, made earlier, reused"
else
	say "base $GO_BASE: $DEBIAN_BASE + the C toolchain + $GO_VERSION"
	tc=$( (cd "$work" && GOTOOLCHAIN=local GOFLAGS='' go mod download -json "golang.org/toolchain@v0.0.1-$GO_VERSION.linux-amd64") |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
	if [ -z "$tc" ] || [ ! -f "$tc/VERSION" ]; then
		die "could not download golang.org/toolchain@v0.0.1-$GO_VERSION.linux-amd64 from the Go module proxy"
	fi
	new_container "$DEBIAN_BASE"
	# What the official image has from buildpack-deps:bookworm-scm and its
	# own layer (minus mercurial and subversion): what cgo and go get use.
	buildah run "${runflags[@]}" "$ctr" -- sh -c 'apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			ca-certificates curl gnupg netbase wget git openssh-client procps \
			g++ gcc libc6-dev make pkg-config >/dev/null &&
		rm -rf /var/lib/apt/lists/*' || die "installing the C toolchain in $GO_BASE failed"
	mnt=$(buildah mount "$ctr")
	# This machine's TLS trust: the certificates of its bundle that Debian's
	# lacks (a proxy's own CA, where one sits between this machine and the
	# Go module proxy) are added to the image's, as ca-certificates adds
	# local ones. Nothing is added where the two agree.
	mkdir -p "$work/hostca"
	awk -v dir="$work/hostca" 'FNR == 1 { f++ }
		/-----BEGIN CERTIFICATE-----/ { b = ""; in_b = 1 }
		in_b { sub(/\r$/, ""); b = b $0 "\n" }
		/-----END CERTIFICATE-----/ { in_b = 0; if (f == 1) seen[b] = 1; else if (!(b in seen)) printf "%s", b > sprintf("%s/pixmill-image-check-host-%03d.crt", dir, ++n) }' \
		"$mnt/etc/ssl/certs/ca-certificates.crt" "$host_ca"
	extra_ca=$(find "$work/hostca" -name '*.crt' | wc -l)
	if [ "$extra_ca" -gt 0 ]; then
		say "base $GO_BASE: trusting $extra_ca certificate(s) of this machine's bundle that Debian's lacks"
		cp "$work"/hostca/*.crt "$mnt/usr/local/share/ca-certificates/"
	fi
	mkdir -p "$mnt/usr/local/go" "$mnt/go/src" "$mnt/go/bin"
	cp -a "$tc/." "$mnt/usr/local/go/"
	# The module cache keeps the toolchain read-only and without execute
	# bits; the go command restores them as it unpacks a toolchain.
	chmod -R u+w "$mnt/usr/local/go"
	chmod a+x "$mnt"/usr/local/go/bin/* "$mnt"/usr/local/go/pkg/tool/linux_*/*
	chmod -R 1777 "$mnt/go"
	buildah umount "$ctr" >/dev/null
	# This machine's Go network settings, so that go mod download in the
	# build reaches the proxy this machine reaches.
	goenv=()
	for v in GOPROXY GOSUMDB GONOSUMDB GONOPROXY GOPRIVATE GOINSECURE; do
		val=$(go env "$v")
		[ -n "$val" ] && goenv+=(--env "$v=$val")
	done
	buildah config --env "GOLANG_VERSION=${GO_VERSION#go}" --env GOTOOLCHAIN=local --env GOPATH=/go \
		--env PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		"${goenv[@]}" --workingdir /go --cmd '["bash"]' --label "$label=$go_recipe" "$ctr"
	if [ "$extra_ca" -gt 0 ]; then
		buildah run "${runflags[@]}" "$ctr" -- update-ca-certificates >/dev/null ||
			die "update-ca-certificates failed in $GO_BASE"
	fi
	buildah commit -q --rm "$ctr" "$GO_BASE" >/dev/null
	buildah run "${runflags[@]}" "$(buildah from --pull=never "$GO_BASE" | tee "$work/goctr")" -- go version >&2 ||
		die "go does not run in $GO_BASE"
	buildah rm "$(cat "$work/goctr")" >/dev/null
	say "base $GO_BASE: $(buildah images --format '{{.Size}}' "$GO_BASE")"
fi

##### 3. Build

budflags=(--layers --force-rm)
[ "${NO_CACHE:-}" = 1 ] && budflags+=(--no-cache)
say "buildah bud -f $DOCKERFILE -t $IMAGE . (${budflags[*]}; log: $cache/build.log)"
start=$(date +%s)
if ! buildah bud "${runflags[@]}" --pull=never "${budflags[@]}" -f "$DOCKERFILE" -t "$IMAGE" . >"$cache/build.log" 2>&1; then
	tail -30 "$cache/build.log" >&2
	die "the build failed; the whole log is $cache/build.log"
fi
build_s=$(($(date +%s) - start))
size=$(buildah images --format '{{.Size}}' "$IMAGE")
say "built $IMAGE in ${build_s}s: $size"

# The final image, as it is.
inspect() { buildah inspect --type image --format "$1" "$IMAGE"; }
user=$(inspect '{{.OCIv1.Config.User}}')
[ "$user" = 10001:10001 ] || die "the image runs as '$user', want 10001:10001"
say "config: user $user, entrypoint $(inspect '{{.OCIv1.Config.Entrypoint}}'), cmd $(inspect '{{.OCIv1.Config.Cmd}}'), workdir $(inspect '{{.OCIv1.Config.WorkingDir}}')"
new_container "$IMAGE"
mnt=$(buildah mount "$ctr")
chroot "$mnt" getent passwd 10001 | grep -q '^pixmill:' || die "no user pixmill with uid 10001 in the image"
# shellcheck disable=SC2016 # dpkg-query's own ${field} syntax
chroot "$mnt" dpkg-query -W -f '${db:Status-Abbrev} ${Package} ${Version}\n' >"$work/packages"
vips=$(awk '$1 == "ii" && $2 == "libvips42" { print $3 }' "$work/packages")
[ -n "$vips" ] || die "libvips42 is not installed in the image"
build_pkgs=$(awk '$1 == "ii" && ($2 ~ /-dev$/ || $2 ~ /^(gcc|g\+\+|cpp)(-[0-9]+)?$/ || $2 ~ /^(make|pkg-config|pkgconf|binutils|libc6-dev)$/ || $2 ~ /^golang/) { print $2 }' "$work/packages" | tr '\n' ' ')
[ -z "$build_pkgs" ] || die "build packages in the final image: $build_pkgs"
gobins=$(find "$mnt" -xdev \( -path "$mnt/usr/local/go" -o -name go -o -name gofmt -o -name 'go1.*' \) -print | sed "s|^$mnt||" | tr '\n' ' ')
[ -z "$gobins" ] || die "a Go toolchain in the final image: $gobins"
for b in pixmill pixmill-function; do
	[ -x "$mnt/usr/local/bin/$b" ] || die "/usr/local/bin/$b is missing"
	missing=$(chroot "$mnt" ldd "/usr/local/bin/$b" | grep 'not found' || true)
	[ -z "$missing" ] || die "$b links libraries the image lacks: $missing"
done
say "final image: libvips42 $vips, $(awk '$1 == "ii"' "$work/packages" | wc -l) packages, none -dev, no compiler, no Go toolchain; the binaries' libraries all resolve"
buildah umount "$ctr" >/dev/null

##### 4. Run

# A free TCP port on loopback, from BASE up.
free_port() {
	local p=$1
	while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
	echo "$p"
}
fn_port=$(free_port 18480)
sink_port=$(free_port $((fn_port + 1)))
up_port=$(free_port $((sink_port + 1)))

picture=$root/.cache/photos/Elephants.jpg
[ -f "$picture" ] || scripts/fetch-photos.sh "$root/.cache/photos"
[ -f "$picture" ] || die "no test photo at $picture"

bucket=$work/bucket
mkdir -p "$bucket"
chown 10001:10001 "$bucket"
new_container "$IMAGE"
# Host networking: the sink and the function's port are on this machine's
# loopback. The user, the environment and the working directory are the
# image's.
buildah run "${runflags[@]}" --network host \
	-v "$bucket:/tmp/pixmill-bucket" \
	-e FUNCTION_TARGET=Edit -e HOST=127.0.0.1 -e PORT="$fn_port" \
	-e PIXMILL_BUCKET='file:///tmp/pixmill-bucket?no_tmp_dir=1' \
	-e PIXMILL_RESPONSES_TOPIC="http://127.0.0.1:$sink_port/" \
	"$ctr" -- pixmill-function >"$cache/function.log" 2>&1 &
pids+=($!)
fn_pid=$!
say "pixmill-function (Edit) from the image on 127.0.0.1:$fn_port, bucket $bucket, responses to the sink on 127.0.0.1:$sink_port"
for _ in $(seq 1 300); do
	(exec 3<>"/dev/tcp/127.0.0.1/$fn_port") 2>/dev/null && break
	if ! kill -0 "$fn_pid" 2>/dev/null; then
		cat "$cache/function.log" >&2
		die "pixmill-function from the image exited before listening; its log is above and in $cache/function.log"
	fi
	sleep 0.2
done
if ! go run scripts/check-image-event.go -function "http://127.0.0.1:$fn_port/" -sink "127.0.0.1:$sink_port" \
	-bucket "$bucket" -picture "$picture" -width 320 -height 240; then
	tail -20 "$cache/function.log" >&2
	die "the Edit check failed; the function's log is $cache/function.log"
fi
owner=$(find "$bucket/results" -type f -name '*.jpg' -printf '%u:%g' -quit)
[ "$owner" = "10001:10001" ] || [ "$owner" = "pixmill:pixmill" ] || die "the result was written by $owner, want uid 10001"
kill "$fn_pid" 2>/dev/null || true
wait "$fn_pid" 2>/dev/null || true

new_container "$IMAGE"
buildah run "${runflags[@]}" --network host "$ctr" -- pixmill up --addr "127.0.0.1:$up_port" >"$cache/up.log" 2>&1 &
pids+=($!)
up_pid=$!
health=""
for _ in $(seq 1 300); do
	health=$(curl -s -o "$work/healthz" -w '%{http_code}' "http://127.0.0.1:$up_port/healthz" || true)
	[ "$health" = 200 ] && break
	kill -0 "$up_pid" 2>/dev/null || break
	sleep 0.2
done
if [ "$health" != 200 ]; then
	tail -20 "$cache/up.log" >&2
	die "pixmill up from the image: GET /healthz answered '${health:-nothing}', want 200; its log is $cache/up.log"
fi
say "pixmill up from the image: GET /healthz → 200 $(head -c 200 "$work/healthz")"
kill "$up_pid" 2>/dev/null || true
wait "$up_pid" 2>/dev/null || true

total_s=$(($(date +%s) - script_start))
summary="ok: $IMAGE built in ${build_s}s (${budflags[*]}), $size, runs as 10001:10001 with libvips42 $vips; Edit edited a JPEG to 320x240 and published its responses; pixmill up is healthy; ${total_s}s in all"
echo "$(date -u +%FT%TZ) $summary" >>"$cache/runs.log"
say "$summary"
