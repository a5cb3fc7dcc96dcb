#!/bin/bash
# Build the livepatch-enabled arm64 test kernel from Debian's linux-source
# package, and print the path of its cache entry on stdout.
#
# The entry is keyed by the source package version, the config fragments,
# the cross compiler and this script, and holds:
#   linux/                  the built tree: KDIR for out-of-tree modules
#   linux/arch/arm64/boot/Image
#   key                     what went into the key
#
# An entry is only ever created by rename(2) of a finished build directory,
# so an interrupted or failed build never looks valid.
#
# usage: build.sh [SERIES [VARIANT]]   (SERIES defaults to 7.2)
#   VARIANT debug (default): every fragment, debug.config's lock, sleep
#     and leak checking included: the kernel the tests run on;
#   VARIANT bench: without debug.config and host.config: the kernel
#     that prices the module (tests/cost; lockdep alone is most of a debug
#     kernel's instructions per exit; it boots no systemd and loads no
#     signed module).
set -euo pipefail

series=${1:-7.2}
variant=${2:-debug}
case "$variant" in debug|bench) ;; *) echo "build.sh: variant must be debug or bench, not '$variant'" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
cache=${VTC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vtimer-cache}
cross=${CROSS_COMPILE:-aarch64-linux-gnu-}
jobs=${JOBS:-$(nproc)}

log() { echo "build.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

command -v "${cross}gcc" >/dev/null ||
	die "${cross}gcc not found (apt-get install gcc-aarch64-linux-gnu, or make deps)"

fragments=()
for f in "$here"/config/*.config; do
	[ "$variant" = bench ] && case ${f##*/} in debug.config|host.config) continue ;; esac
	fragments+=("$f")
done
if [ -d "$here/config/$series" ]; then
	fragments+=("$here/config/$series"/*.config)
fi

dl=$cache/dl
mkdir -p "$dl"
pkg=linux-source-$series
deb=$(ls "$dl/${pkg}_"*_all.deb 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$deb" ]; then
	log "fetching $pkg with the project-local apt configuration"
	"$here/apt-local.sh" update >&2
	(cd "$dl" && "$here/apt-local.sh" download "$pkg" >&2)
	deb=$(ls "$dl/${pkg}_"*_all.deb | sort -V | tail -n 1)
fi
version=$(dpkg-deb -f "$deb" Version)

keytext=$( {
	echo "source $pkg $version"
	echo "compiler $("${cross}gcc" --version | head -n 1)"
	for f in "${fragments[@]}"; do echo "fragment $(basename "$f")"; cat "$f"; done
	echo "script"; cat "$0"
} )
key=$series-$version-$(printf '%s' "$keytext" | sha256sum | cut -c1-16)
entry=$cache/kernel/$key

if [ -f "$entry/linux/arch/arm64/boot/Image" ]; then
	log "cached: $entry"
	echo "$entry"
	exit 0
fi

work=$cache/kernel/.build-$key
mkdir -p "$work"
if [ ! -f "$work/linux/.unpacked" ]; then
	log "unpacking $pkg $version"
	rm -rf "$work/linux" "$work/x"
	dpkg-deb -x "$deb" "$work/x"
	tar -C "$work" -xf "$work/x/usr/src/$pkg.tar.xz"
	mv "$work/$pkg" "$work/linux"
	rm -rf "$work/x"
	touch "$work/linux/.unpacked"
fi
printf '%s\n' "$keytext" > "$work/key"

cd "$work/linux"
cat "${fragments[@]}" > .vtc-fragment
make -s ARCH=arm64 CROSS_COMPILE="$cross" KCONFIG_ALLCONFIG=.vtc-fragment allnoconfig >&2

# Every line of the fragments must have taken effect: a dependency that is
# silently missing would give us a kernel that cannot run the tests.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=n)
		opt=${line%=n}
		if grep -q "^$opt=" .config; then log "config: $opt is set, wanted n"; bad=1; fi
		;;
	CONFIG_*=*)
		if ! grep -qxF "$line" .config; then log "config: wanted $line, got: $(grep "^${line%%=*}=" .config || echo unset)"; bad=1; fi
		;;
	esac
done < .vtc-fragment
[ "$bad" = 0 ] || die "config fragments did not apply"

log "building $key with $jobs jobs (a first build takes about 20 minutes on 2 cores)"
start=$SECONDS
# Progress: one line per 500 compiled files, the full log kept beside it.
if ! make ARCH=arm64 CROSS_COMPILE="$cross" -j"$jobs" Image modules 2>&1 |
	tee "$work/build.log" |
	awk -v t0="$start" '/^  CC/ { n++; if (n % 500 == 0) { printf "build.sh: %d files compiled\n", n > "/dev/stderr"; fflush() } }
		/error:|Error [0-9]/ { print > "/dev/stderr" }'; then
	die "kernel build failed, log: $work/build.log"
fi
[ -f arch/arm64/boot/Image ] || die "no Image after build, log: $work/build.log"
log "built in $((SECONDS - start)) s"

mkdir -p "$cache/kernel"
rm -rf "$entry"
mv "$work" "$entry"
echo "$entry"
