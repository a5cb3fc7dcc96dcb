#!/bin/bash
# The upstream KVM arm64 timer and vgic selftests of a test kernel's tree,
# built as static aarch64 binaries (the rig's busybox initramfs has no
# libc) for tests/vm/kvm-selftests-lp.sh, which runs them on stock and with
# the patch on. Prints the cache entry; its kst/ folder holds
#
#   arch_timer              (tools/testing/selftests/kvm/arch_timer.c and
#                            arm64/arch_timer.c: timer IRQs, vcpu migration)
#   arch_timer_edge_cases   vgic_irq   vgic_init   (arm64/*.c)
#
# stripped, and build.log beside it.
#
# The entry is keyed by the test kernel's entry (tests/kernel/build.sh
# SERIES: the source package's version, the config, the compiler), the
# cross compiler and this script; it is created by rename(2) of a finished
# build, so that a failed or interrupted one never looks valid, and a
# cached entry is printed without building anything.
#
# The kernel's cached tree is the KDIR of every module build: nothing is
# written into it. The selftests build from their own copy of the same
# linux-source package (its version is the one in the entry's key):
# "make headers" and the selftests' generated sysreg headers write into
# the source tree. The copy is deleted once the binaries are in the entry.
#
# usage: tests/kvm-selftests.sh SERIES
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
series=${1:?usage: tests/kvm-selftests.sh SERIES}
cache=${VTC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vtimer-cache}
cross=${CROSS_COMPILE:-aarch64-linux-gnu-}
tests=(arch_timer arm64/arch_timer_edge_cases arm64/vgic_irq arm64/vgic_init)

log() { echo "kvm-selftests.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

kentry=$("$top/tests/kernel/build.sh" "$series") || die "no test kernel $series (tests/kernel/build.sh $series)"
read -r pkg version < <(sed -n "s/^source //p" "$kentry/key")
[ -n "${version:-}" ] || die "no source version in $kentry/key"

key=$(basename "$kentry")-$( {
	echo "${tests[*]}"
	"${cross}gcc" --version | head -n 1
	cat "$0"
} | sha256sum | cut -c1-16)
entry=$cache/kselftests/$key
if [ -x "$entry/kst/vgic_init" ]; then
	log "cached: $entry"
	echo "$entry"
	exit 0
fi

deb=''
for d in "$cache/dl/${pkg}_"*_all.deb; do
	[ -f "$d" ] && [ "$(dpkg-deb -f "$d" Version)" = "$version" ] && deb=$d
done
[ -n "$deb" ] || die "no $pkg $version package in $cache/dl (tests/kernel/build.sh fetches it)"

work=$cache/kselftests/.build-$key
rm -rf "$work"
mkdir -p "$work/kst"
log "building the KVM selftests of $pkg $version"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" "./usr/src/$pkg.tar.xz"
tar -C "$work" -xf "$work/usr/src/$pkg.tar.xz"
rm -rf "${work:?}/usr"
src=$work/$pkg
out=$work/out
if ! { make -s -C "$src" ARCH=arm64 CROSS_COMPILE="$cross" headers &&
	make -C "$src/tools/testing/selftests/kvm" ARCH=arm64 CROSS_COMPILE="$cross" \
		LDFLAGS=-static -j"$(nproc)" OUTPUT="$out" "${tests[@]/#/$out/}"; } >"$work/build.log" 2>&1; then
	grep -E 'error|Error' "$work/build.log" | head -n 20 >&2
	die "build failed, log: $work/build.log"
fi
for t in "${tests[@]}"; do
	b=$out/$t
	"${cross}readelf" -h "$b" | grep -q 'Machine: *AArch64' || die "$t: not an aarch64 binary"
	! "${cross}readelf" -l "$b" | grep -q INTERP || die "$t: not static"
	"${cross}strip" -o "$work/kst/${t##*/}" "$b"
done
rm -rf "$src" "$out"
rm -rf "$entry"
mv "$work" "$entry"
log "built: $entry/kst ($(grep -c 'warning:' "$entry/build.log") compiler warnings in build.log)"
echo "$entry"
