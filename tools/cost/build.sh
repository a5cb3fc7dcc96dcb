#!/bin/bash
# Build the cost tool's QEMU plugin (tools/cost/vtc-cost.c) for the
# installed qemu-system-aarch64 and print the path of the .so; with
# --nested, for the QEMU of tests/rig/qemu-nv.sh (trixie's, FEAT_NV).
#
# The plugin API header, qemu-plugin.h, is in no Debian binary package: it
# comes from Debian's qemu source package of exactly the QEMU's version,
# cached under $VTC_CACHE/qemu-plugin/<version>/. For bookworm's QEMU 7.2
# the project-local apt configuration fetches it (tests/kernel/sources has
# the deb-src line; apt-local.sh source). For trixie's QEMU 10 it is
# fetched inside the qemu-nv root, with the trixie glib headers that
# version of the header includes (libgio-2.0-dev, extracted, not
# installed).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${VTC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vtimer-cache}
nested=0
[ "${1:-}" = --nested ] && nested=1

if [ $nested = 0 ]; then
	ver=$(dpkg-query -W -f='${source:Version}' qemu-system-arm 2>/dev/null || true)
	[ -n "$ver" ] || { echo "cost/build.sh: qemu-system-arm is not installed (scripts/deps.sh)" >&2; exit 2; }
else
	root=$(dirname "$("$top/tests/rig/qemu-nv.sh")")/root
	ver=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${source:Version}' qemu-system-arm)
fi
inc=$cache/qemu-plugin/${ver//:/_}
if [ ! -s "$inc/qemu-plugin.h" ]; then
	echo "cost/build.sh: fetching qemu-plugin.h from Debian's qemu $ver source package" >&2
	mkdir -p "$cache/qemu-plugin"
	work=$(mktemp -d "$cache/qemu-plugin/.tmp.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	if [ $nested = 0 ]; then
		tmp=$work/src
		mkdir -p "$tmp"
		if ! (cd "$tmp" && "$top/tests/kernel/apt-local.sh" source "qemu=$ver" >&2); then
			"$top/tests/kernel/apt-local.sh" update >&2
			(cd "$tmp" && "$top/tests/kernel/apt-local.sh" source "qemu=$ver" >&2)
		fi
		# Unpacked with Debian's patches applied, as the binary was built.
		(cd "$tmp" && dpkg-source --no-check -x ./*.dsc src >/dev/null)
		h=$tmp/src/include/qemu/qemu-plugin.h
	else
		dl=$(mktemp -d "$root/tmp/vtc-src.XXXXXX")
		suite=$(sed -n 's/^deb [^ ]* \([a-z]*\) .*/\1/p' "$root/etc/apt/sources.list" | head -n 1)
		mirror=$(sed -n 's/^deb \([^ ]*\) .*/\1/p' "$root/etc/apt/sources.list" | head -n 1)
		echo "deb-src $mirror $suite main" >"$root/etc/apt/sources.list.d/vtc-src.list"
		# (as root: the chroot's _apt cannot write the host-made directory)
		chroot "$root" sh -c "apt-get update -qq && cd /tmp/${dl##*/} &&
			apt-get -o APT::Sandbox::User=root source -qq --download-only qemu=$ver &&
			apt-get -o APT::Sandbox::User=root download -qq libgio-2.0-dev" >&2
		# The orig tarball carries the header; Debian's patches do not touch it.
		tar -xJf "$dl"/qemu_*.orig.tar.xz -C "$work" --wildcards '*/include/qemu/qemu-plugin.h'
		h=$(find "$work" -name qemu-plugin.h | head -n 1)
		dpkg -x "$dl"/libgio-2.0-dev_*.deb "$work/glib"
		rm -rf "$dl"
	fi
	[ -s "$h" ] || { echo "cost/build.sh: no include/qemu/qemu-plugin.h in qemu $ver" >&2; exit 1; }
	mkdir -p "$work/inc"
	cp "$h" "$work/inc/"
	[ -d "$work/glib" ] && mv "$work/glib" "$work/inc/glib"
	rm -rf "$inc"
	mv "$work/inc" "$inc"
fi
b=$top/build/cost
extra=''
if [ -d "$inc/glib" ]; then
	b=$top/build/cost/nested
	extra="-I$inc/glib/usr/include/glib-2.0 -I$inc/glib/usr/lib/x86_64-linux-gnu/glib-2.0/include"
fi
make -s -C "$here" QEMU_PLUGIN_INC="$inc" QEMU_PLUGIN_CFLAGS="$extra" B="$b" >&2
echo "$b/vtc-cost.so"
