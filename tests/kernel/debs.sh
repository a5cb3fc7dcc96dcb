#!/bin/bash
# Debian packages of the test kernel: linux-image and linux-headers from
# "make bindeb-pkg", for installing the kernel the way a host would (the
# DKMS tests in the arm64 userland, tests/vm/dkms.sh). Prints the
# directory holding them on stdout:
#   <kernel entry>/debs/linux-image-<release>_*.deb
#   <kernel entry>/debs/linux-headers-<release>_*.deb
#   <kernel entry>/debs/Image       the kernel inside linux-image, to boot
#   <kernel entry>/debs/key         this script's hash (a change rebuilds)
#
# bindeb-pkg relinks vmlinux with a new build number and writes debian/ and
# ../*.deb, so it runs in a copy of the cached tree: the tree itself stays
# as it is, KDIR for every other build. The headers package rebuilds its
# host programs (fixdep, modpost, ...) with the cross compiler, so its
# scripts run on arm64; this is checked.
#
# usage: debs.sh [SERIES]       (SERIES defaults to 7.2; about 5 minutes once)
set -euo pipefail

series=${1:-7.2}
here=$(cd "$(dirname "$0")" && pwd)
cross=${CROSS_COMPILE:-aarch64-linux-gnu-}
jobs=${JOBS:-$(nproc)}
cache=${VTC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vtimer-cache}

log() { echo "debs.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

entry=$("$here/build.sh" "$series") || die "no kernel for $series"
release=$(cat "$entry/linux/include/config/kernel.release")
key=$(sha256sum < "$0" | cut -c1-16)
out=$entry/debs
if [ "$(cat "$out/key" 2>/dev/null)" = "$key" ] &&
	ls "$out"/linux-image-"$release"_*.deb "$out"/linux-headers-"$release"_*.deb >/dev/null 2>&1 &&
	[ -f "$out/Image" ]; then
	log "cached: $out"
	echo "$out"
	exit 0
fi
for t in dpkg-buildpackage dh_testdir; do
	command -v "$t" >/dev/null || die "$t not found (dpkg-dev, debhelper: make deps)"
done

work=$entry/.debs-work
rm -rf "$work"
mkdir -p "$work"
log "copying the $release tree (bindeb-pkg must not touch the cached one)"
cp -a "$entry/linux" "$work/linux"
rm -rf "$work/linux/debian"

# With CONFIG_MODULE_SIG the host programs the headers package rebuilds for
# arm64 include scripts/sign-file (what DKMS signs modules with), which
# links libcrypto. The cross compiler gets bookworm's arm64 libssl,
# extracted, never installed, through a wrapper that adds it to that
# program's commands only (the rest of the build sees the same compiler
# and the same command lines, so nothing else is rebuilt).
ccdir=$work/cc
if grep -q '^CONFIG_MODULE_SIG=y' "$entry/linux/.config"; then
	ssl=$cache/arm64-libssl
	if [ ! -f "$ssl/.done" ]; then
		log "fetching bookworm's arm64 libssl for sign-file"
		rm -rf "$ssl" "$ssl.dl"
		mkdir -p "$ssl.dl"
		"$here/apt-local.sh" update >&2
		(cd "$ssl.dl" && "$here/apt-local.sh" download libssl-dev:arm64/bookworm libssl3:arm64/bookworm >&2) ||
			die "cannot download libssl-dev:arm64 and libssl3:arm64"
		for d in "$ssl.dl"/*.deb; do dpkg-deb -x "$d" "$ssl"; done
		rm -rf "$ssl.dl"
		touch "$ssl/.done"
	fi
	real=$(command -v "${cross}gcc")
	mkdir -p "$ccdir"
	cat >"$ccdir/${cross}gcc" <<-EOF
	#!/bin/sh
	case " \$* " in
	*sign-file*) exec "$real" "\$@" -I"$ssl/usr/include" -I"$ssl/usr/include/aarch64-linux-gnu" -L"$ssl/usr/lib/aarch64-linux-gnu" ;;
	esac
	exec "$real" "\$@"
	EOF
	chmod +x "$ccdir/${cross}gcc"
fi

log "make bindeb-pkg for $release with $jobs jobs"
start=$SECONDS
if ! PATH=$ccdir:$PATH make -C "$work/linux" ARCH=arm64 CROSS_COMPILE="$cross" KDEB_COMPRESS=gzip DPKG_FLAGS=-d \
	-j"$jobs" bindeb-pkg >"$work/bindeb-pkg.log" 2>&1; then
	tail -n 30 "$work/bindeb-pkg.log" >&2
	die "bindeb-pkg failed, log: $work/bindeb-pkg.log"
fi
log "bindeb-pkg took $((SECONDS - start)) s"

mkdir -p "$work/debs"
for p in linux-image linux-headers; do
	deb=$(ls "$work"/"$p-$release"_*_arm64.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] || die "bindeb-pkg made no $p-$release package (log: $work/bindeb-pkg.log)"
	mv "$deb" "$work/debs/"
done
cp "$work/linux/arch/arm64/boot/Image" "$work/debs/Image"

# The headers' host programs must be arm64 executables.
chk=$work/chk
dpkg-deb -x "$work/debs/linux-headers-$release"_*.deb "$chk"
progs="scripts/basic/fixdep scripts/mod/modpost"
grep -q '^CONFIG_MODULE_SIG=y' "$entry/linux/.config" && progs="$progs scripts/sign-file"
for prog in $progs; do
	f=$(ls "$chk"/usr/src/linux-headers-"$release"/"$prog")
	file -b "$f" | grep -q 'ARM aarch64' ||
		die "$prog in linux-headers is not an arm64 program: $(file -b "$f")"
done
contents=$(dpkg-deb -c "$work/debs/linux-image-$release"_*.deb)
grep -q "boot/vmlinuz-$release\$" <<< "$contents" ||
	die "linux-image has no /boot/vmlinuz-$release"
echo "$key" > "$work/debs/key"

rm -rf "$out"
mv "$work/debs" "$out"
rm -rf "$work"
log "$(cd "$out" && ls)"
echo "$out"
