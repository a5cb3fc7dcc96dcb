#!/bin/bash
# Build the real Linux guest that QEMU runs inside the emulated host
# (tests/vm/linux-guest.sh) once, and print its cache entry on stdout:
#   Image          Debian bookworm's arm64 kernel, as a distribution guest runs
#   initrd.cpio.gz busybox, cyclictest and the virtio modules, with
#                  tools/vmm/linux-init as /init
#   key            what went into the key
# Everything comes from Debian's arm64 packages, unpacked with dpkg -x
# (no maintainer script runs): nothing is built, nothing is installed on
# the system. Packages come through the project-local apt configuration.
#
# usage: guest.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${VTC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vtimer-cache}
apt=$top/tests/kernel/apt-local.sh
init=$top/tools/vmm/linux-init

log() { echo "guest: $*" >&2; }
die() { log "error: $*"; exit 1; }

# The guest's kernel is bookworm's current arm64 flavour; its version
# goes into the key, so a point release builds a new entry.
mkdir -p "$cache"
"$apt" update >/dev/null 2>&1 || log "apt update failed, using the lists there are"
kpkg=$("$apt" show linux-image-arm64:arm64/bookworm 2>/dev/null |
	sed -n 's/^Depends: .*\(linux-image-[0-9][^ ]*-arm64\) .*/\1/p' | head -n 1)
[ -n "$kpkg" ] || die "no linux-image-arm64 in bookworm (tests/kernel/sources)"
kver=${kpkg#linux-image-}
pkgs=("$kpkg:arm64" busybox-static:arm64/bookworm rt-tests:arm64/bookworm
	libnuma1:arm64/bookworm libc6:arm64/bookworm)
# Modules in load order: virtio-mmio transport, then the devices.
mods=(drivers/virtio/virtio_mmio.ko net/core/failover.ko
	drivers/net/net_failover.ko drivers/net/virtio_net.ko
	drivers/block/virtio_blk.ko)

keytext=$( {
	echo "packages ${pkgs[*]}"
	echo "modules ${mods[*]}"
	echo "script"; cat "$0"
	echo "init"; cat "$init"
} )
key=$kver-$(printf '%s' "$keytext" | sha256sum | cut -c1-16)
entry=$cache/guest/$key
if [ -s "$entry/initrd.cpio.gz" ]; then
	log "cached: $entry"
	echo "$entry"
	exit 0
fi

work=$cache/guest/.build-$key
rm -rf "$work"
mkdir -p "$work/debs" "$work/x" "$work/root"
printf '%s\n' "$keytext" >"$work/key"
log "downloading ${pkgs[*]}"
(cd "$work/debs" && "$apt" download "${pkgs[@]}" >"$work/download.log" 2>&1) ||
	die "download failed, log: $work/download.log"
for d in "$work"/debs/*.deb; do
	dpkg -x "$d" "$work/x"
done

r=$work/root
x=$work/x
mkdir -p "$r"/{bin,dev,proc,sys,tmp,lib/aarch64-linux-gnu,lib/modules}
cp "$x/boot/vmlinuz-$kver" "$work/Image"
cp "$x/bin/busybox" "$r/bin/busybox"
cp "$x/usr/bin/cyclictest" "$r/bin/cyclictest"
# the dynamic loader and cyclictest's libraries, wherever the packages keep them
for l in ld-linux-aarch64.so.1 aarch64-linux-gnu/{libc.so.6,librt.so.1,libpthread.so.0,libnuma.so.1}; do
	f=$(find "$x" -name "${l##*/}" | head -n 1)
	[ -n "$f" ] || die "no ${l##*/} in the packages"
	cp -L "$f" "$r/lib/$l"
done
for m in "${mods[@]}"; do
	f=$x/lib/modules/$kver/kernel/$m
	[ -f "$f" ] || die "no module $m in $kpkg"
	cp "$f" "$r/lib/modules/"
done
printf '%s\n' "${mods[@]##*/}" >"$r/lib/modules/order"
install -m 0755 "$init" "$r/init"
(cd "$r" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) |
	gzip -9 >"$work/initrd.cpio.gz"
rm -rf "$work/x" "$work/root" "$work/debs"
log "$kpkg, initrd $(du -h "$work/initrd.cpio.gz" | cut -f1)"

mkdir -p "$cache/guest"
rm -rf "$entry"
mv "$work" "$entry"
echo "$entry"
