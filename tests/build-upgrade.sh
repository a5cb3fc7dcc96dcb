#!/bin/bash
# Build the modules of the upgrade-in-place test (tests/guest/module-upgrade.sh)
# from this tree, each under its own module name, into build/:
#   vtimer_cache_v2.ko   the same code as vtimer_cache.ko: "the newer build"
#   vtimer_cache_v9.ko   another state layout version (2): must be refused
#                        on top of version 1, and refuse version 1 itself
#   legacy/vtimer_cache.ko  the last commit before the shared state, if git
#                        has it: a newer build must refuse to load next to it
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
build vtimer_cache_v9 "-DVTC_TEST_STATE_VERSION=2"

rm -rf build/legacy build/upgrade-legacy
first=$(git log --diff-filter=A --format=%H -- src/vtc_state.c 2>/dev/null | tail -n 1)
if [ -n "$first" ] && git cat-file -e "$first^" 2>/dev/null; then
	mkdir -p build/upgrade-legacy build/legacy
	git archive "$first^" Kbuild src include scripts | tar -x -C build/upgrade-legacy
	make -s -C "$kdir" M="$top/build/upgrade-legacy" modules
	cp build/upgrade-legacy/vtimer_cache.ko build/legacy/
else
	echo "build-upgrade.sh: no git history before the shared state: no legacy module" >&2
fi
