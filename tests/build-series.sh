#!/bin/bash
# Build vtimer_cache.ko and the two fault-injection modules for one kernel
# series into build/<series>/, each from its own copy of the sources.
#
# `make module` builds in the checkout itself, so a build for another
# series would overwrite vtimer_cache.ko (and reuse its objects). Here each
# series, and each fault variant, gets a private tree under build/<series>/
# holding only sources: an object left over from another series' headers
# can never be linked in.
#
# usage: tests/build-series.sh SERIES [KDIR]
#   KDIR: the kernel tree to build against (default: the test kernel of
#   SERIES, tests/kernel/build.sh). Its release must be of SERIES.
# Output: build/<series>/vtimer_cache.ko, vtimer_cache-skew.ko and
#   vtimer_cache-missing.ko (the last two must refuse to load, see
#   tests/guest/module-basic.sh).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
series=${1:?usage: tests/build-series.sh SERIES [KDIR]}
kdir=${2:-}
export ARCH=${ARCH:-arm64} CROSS_COMPILE=${CROSS_COMPILE:-aarch64-linux-gnu-}

die() { echo "build-series.sh: error: $*" >&2; exit 1; }

if [ -z "$kdir" ]; then
	kdir=$("$top/tests/kernel/build.sh" "$series")/linux
fi
kver=$(make -s -C "$kdir" kernelversion) || die "$kdir is not a kernel tree"
[ "$(echo "$kver" | cut -d. -f1,2)" = "$series" ] ||
	die "$kdir is Linux $kver, not of series $series"

out=$top/build/$series
mkdir -p "$out"
rm -f "$out"/vtimer_cache*.ko

for v in ":" "-skew:-DVTC_FAULT_SKEW=8" "-missing:-DVTC_FAULT_MISSING"; do
	suffix=${v%%:*}
	cflags=${v#*:}
	d=$out/tree$suffix
	rm -rf "$d"
	mkdir -p "$d"
	# Sources only: no objects, .cmd files or generated headers of the
	# checkout's own build (which may be of another series).
	(cd "$top" && tar -c --exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
		--exclude='*.mod.c' --exclude='.*.cmd' --exclude='*.a' \
		--exclude=modules.order --exclude=Module.symvers \
		Kbuild src include scripts) | tar -x -C "$d"
	make -s -C "$kdir" M="$d" VTC_CFLAGS="$cflags" modules
	cp "$d/vtimer_cache.ko" "$out/vtimer_cache$suffix.ko"
done
echo "build-series.sh: Linux $kver: $(cd "$top" && ls build/"$series"/vtimer_cache*.ko | tr '\n' ' ')"
