#!/bin/bash
# Debian's own kernel headers for the DKMS refusal tests
# (tests/vm/dkms-refused.sh), unpacked (dpkg -x, never installed) into a
# cached tree that the rig adds to the arm64 userland's /usr/src. Prints the
# tree's path on stdout; it holds usr/src/linux-headers-<release>/ for:
#   7.2.13+deb14-arm64   sid, the supported series, but no CONFIG_LIVEPATCH
#   7.2.13+deb14-amd64   sid, the supported series, but x86
#   6.1.0-50-arm64       bookworm, an unsupported series
# and releases.txt, one release a line.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${VTC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vtimer-cache}

releases=(7.2.13+deb14-arm64 7.2.13+deb14-amd64 6.1.0-50-arm64)
pkgs=(
	linux-headers-7.2.13+deb14-arm64:arm64 linux-headers-7.2.13+deb14-common
	linux-headers-7.2.13+deb14-amd64:amd64
	linux-headers-6.1.0-50-arm64:arm64 linux-headers-6.1.0-50-common
)

log() { echo "stock-headers: $*" >&2; }
die() { log "error: $*"; exit 1; }

key=$( { echo "${pkgs[*]}"; cat "$0"; } | sha256sum | cut -c1-16)
entry=$cache/stock-headers/$key
if [ -f "$entry/releases.txt" ]; then
	log "cached: $entry"
	echo "$entry"
	exit 0
fi

work=$cache/stock-headers/.build-$key
rm -rf "$work"
mkdir -p "$work/dl" "$work/root"
"$top/tests/kernel/apt-local.sh" update >&2 || die "apt-local.sh update failed"
(cd "$work/dl" && "$top/tests/kernel/apt-local.sh" download "${pkgs[@]}" >&2) ||
	die "cannot download ${pkgs[*]}"
for deb in "$work"/dl/*.deb; do
	dpkg-deb -x "$deb" "$work/root" || die "cannot unpack $deb"
done
for r in "${releases[@]}"; do
	[ -f "$work/root/usr/src/linux-headers-$r/.config" ] ||
		die "no .config in linux-headers-$r"
done
# Only /usr/src is used; the packages' /usr/lib/modules links are made in the guest.
rm -rf "$work/dl" "$work/root/usr/lib" "$work/root/usr/share"
printf '%s\n' "${releases[@]}" > "$work/releases.txt"
mkdir -p "$cache/stock-headers"
rm -rf "$entry"
mv "$work" "$entry"
echo "$entry"
