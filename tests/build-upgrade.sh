#!/bin/bash
# Build the modules of the upgrade-in-place test (tests/guest/module-upgrade.sh)
# from this tree, each under its own module name, into build/:
#   vtimer_cache_v2.ko   the same code as vtimer_cache.ko: "the newer build"
#   vtimer_cache_v9.ko   another state layout version (3): must be refused
#                        on top of version 2, and refuse version 2 itself
# A real newer release is built the same way: VTC_NAME gives the module
# name, which must differ from the loaded one's (README: upgrade in place).
# usage: tests/build-upgrade.sh KDIR
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kdir=${1:?usage: $0 KDIR}
cd "$top"

build() { # build NAME VTC_CFLAGS
	local d=build/upgrade-$1
	rm -rf "$d"
	mkdir -p "$d"
	cp -r Kbuild src include scripts "$d/"
	find "$d" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' \) -delete
	make -s -C "$kdir" M="$top/$d" VTC_NAME="$1" VTC_CFLAGS="$2" modules
	cp "$d/$1.ko" "build/$1.ko"
}

build vtimer_cache_v2 ""
build vtimer_cache_v9 "-DVTC_TEST_STATE_VERSION=3"
