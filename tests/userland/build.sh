#!/bin/bash
# Build the arm64 Debian bookworm userland of the "running host" tests (DKMS,
# the Debian package, bpftrace) once, and print its cache entry on stdout.
#
# The entry is keyed by the suite, the mirror, the package list and this
# script, and holds:
#   root.cpio      the userland as an uncompressed newc archive: the rig
#                  (tests/rig/run.sh --rootfs) boots it as the initramfs, so
#                  every boot starts from this pristine copy in guest RAM
#   packages.txt   what was installed (name version arch)
#   key            what went into the key
# An entry is only ever created by rename(2) of a finished build directory.
#
# Needs mmdebstrap, qemu-user-static and binfmt-support (scripts/deps.sh) and
# runs arm64 maintainer scripts through binfmt_misc. The system's apt sources
# are never used: mmdebstrap gets its own mirror line.
#
# usage: build.sh            (about 8 minutes the first time)
set -euo pipefail

cache=${VTC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vtimer-cache}
suite=bookworm
mirror="deb http://deb.debian.org/debian $suite main"
# dkms builds the module (gcc 12, as the x86 cross compiler of the test
# kernels); kmod for modprobe; bpftrace for the tracing scripts; mount and
# util-linux for /init; systemd as PID 1 for the package's boot unit;
# openssl for the libcrypto of sign-file (DKMS signs modules) and keys;
# qemu-system-arm is the VMM that runs real Linux guests (tests/vm/linux-guest.sh);
# the rest for the tests' shell tools.
pkgs=(
	dkms gcc make libc6-dev kmod bpftrace
	mount util-linux procps mawk grep sed coreutils findutils
	xz-utils cpio systemd systemd-sysv openssl qemu-system-arm
)

log() { echo "userland: $*" >&2; }
die() { log "error: $*"; exit 1; }

keytext=$( {
	echo "suite $suite"
	echo "mirror $mirror"
	echo "packages ${pkgs[*]}"
	echo "script"; cat "$0"
} )
key=$suite-arm64-$(printf '%s' "$keytext" | sha256sum | cut -c1-16)
entry=$cache/userland/$key
if [ -s "$entry/root.cpio" ]; then
	log "cached: $entry"
	echo "$entry"
	exit 0
fi

[ "$(id -u)" = 0 ] || die "building the userland needs root (mmdebstrap in root mode)"
command -v mmdebstrap >/dev/null || die "mmdebstrap not found (make deps)"
[ -x /usr/bin/qemu-aarch64-static ] || die "qemu-user-static not installed (make deps)"

# arm64 maintainer scripts run through binfmt_misc and qemu-aarch64-static.
if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
	log "mounting binfmt_misc"
	mount -t binfmt_misc none /proc/sys/fs/binfmt_misc ||
		die "cannot mount binfmt_misc on /proc/sys/fs/binfmt_misc"
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
	command -v update-binfmts >/dev/null || die "update-binfmts not found (binfmt-support)"
	update-binfmts --enable qemu-aarch64 >&2 ||
		die "cannot register qemu-aarch64 with binfmt_misc"
fi
grep -qx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 ||
	die "binfmt_misc entry qemu-aarch64 is not enabled"

work=$cache/userland/.build-$key
rm -rf "$work"
mkdir -p "$work"
printf '%s\n' "$keytext" > "$work/key"

log "mmdebstrap $suite arm64: ${pkgs[*]} (about 8 minutes)"
start=$SECONDS
incl=$(IFS=,; echo "${pkgs[*]}")
if ! mmdebstrap --mode=root --arch=arm64 --variant=apt \
	--include="$incl" \
	--aptopt='Acquire::Check-Valid-Until "false"' \
	--aptopt='Acquire::Check-Date "false"' \
	--aptopt='APT::Install-Recommends "false"' \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/info/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-include=/usr/share/doc/*/copyright' \
	--customize-hook='echo vtc-host > "$1/etc/hostname"' \
	"$suite" "$work/root" "$mirror" >"$work/mmdebstrap.log" 2>&1; then
	tail -n 30 "$work/mmdebstrap.log" >&2
	die "mmdebstrap failed, log: $work/mmdebstrap.log"
fi
log "mmdebstrap took $((SECONDS - start)) s"

for p in "${pkgs[@]}"; do
	chroot "$work/root" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		die "package $p is not installed in the userland"
done
chroot "$work/root" dpkg-query -W -f='${Package} ${Version} ${Architecture}\n' > "$work/packages.txt"
[ -x "$work/root/usr/bin/aarch64-linux-gnu-gcc-12" ] || die "no arm64 gcc 12 in the userland"

(cd "$work/root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) > "$work/root.cpio"
rm -rf "$work/root"
log "root.cpio: $(du -h "$work/root.cpio" | cut -f1), $(wc -l < "$work/packages.txt") packages"

mkdir -p "$cache/userland"
rm -rf "$entry"
mv "$work" "$entry"
echo "$entry"
