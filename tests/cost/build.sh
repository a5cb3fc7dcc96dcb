#!/bin/bash
# Build the cost tool's QEMU plugin (tests/cost/vtc-cost.c) for the
# installed qemu-system-aarch64 and print the path of the .so.
#
# The plugin API header, qemu-plugin.h, is not in any bookworm binary
# package: it comes from Debian's qemu source package of exactly the
# installed version, fetched through the project-local apt configuration
# (tests/kernel/sources has the deb-src line; apt-local.sh source), and is
# cached under $VTC_CACHE/qemu-plugin/<version>/.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${VTC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vtimer-cache}

ver=$(dpkg-query -W -f='${source:Version}' qemu-system-arm 2>/dev/null || true)
[ -n "$ver" ] || { echo "cost/build.sh: qemu-system-arm is not installed (scripts/deps.sh)" >&2; exit 2; }
inc=$cache/qemu-plugin/${ver//:/_}
if [ ! -s "$inc/qemu-plugin.h" ]; then
	echo "cost/build.sh: fetching qemu-plugin.h from Debian's qemu $ver source package" >&2
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/vtc-qemu-src.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	if ! (cd "$tmp" && "$top/tests/kernel/apt-local.sh" source "qemu=$ver" >&2); then
		"$top/tests/kernel/apt-local.sh" update >&2
		(cd "$tmp" && "$top/tests/kernel/apt-local.sh" source "qemu=$ver" >&2)
	fi
	# Unpacked with Debian's patches applied, as the binary was built.
	(cd "$tmp" && dpkg-source --no-check -x ./*.dsc src >/dev/null)
	h=$tmp/src/include/qemu/qemu-plugin.h
	[ -s "$h" ] || { echo "cost/build.sh: no include/qemu/qemu-plugin.h in qemu $ver" >&2; exit 1; }
	mkdir -p "$inc.tmp"
	cp "$h" "$inc.tmp/"
	rm -rf "$inc"
	mv "$inc.tmp" "$inc"
fi
make -s -C "$here" QEMU_PLUGIN_INC="$inc" B="$top/build/cost" >&2
echo "$top/build/cost/vtc-cost.so"
