#!/bin/bash
# The upstream series in patches/ (the cache in KVM itself), checked as a
# maintainer would before applying it: it applies to Debian's 7.3 source
# without fuzz, checkpatch --strict finds nothing, arch/arm64/kvm builds
# with W=1 without a warning, and its KVM selftest builds. Prints KTAP
# (tests/ktap.sh); the selftest binary is left at
# WORKDIR/arch_timer_active for the boots that run it
# (tests/vm/kvm-selftest.sh).
#
# usage: tests/native-series.sh [--image debug|bench] [WORKDIR]
#   WORKDIR defaults to build/native (build/native-bench with --image bench)
#   --image: then build the whole kernel (the "native" kernel: about 15
#     minutes on 2 cores) with the test kernel's configuration (debug) or
#     without its debug.config and host.config (bench, as
#     tests/kernel/build.sh 7.3 bench), into WORKDIR/Image and
#     WORKDIR/System.map
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
image=''
if [ "${1:-}" = --image ]; then
	image=$2
	case $image in debug|bench) ;; *) echo "native-series: --image debug or bench" >&2; exit 2 ;; esac
	shift 2
fi
work=${1:-$top/build/native${image:+-$image}}
[ "$image" = debug ] && work=${1:-$top/build/native}
cache=${VTC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vtimer-cache}
cross=${CROSS_COMPILE:-aarch64-linux-gnu-}
mk=(make -s ARCH=arm64 CROSS_COMPILE="$cross" -j"$(nproc)")
# checkpatch's SPDX check needs Debian's python3 (ply, git), not another
# python3 first in PATH.
export PATH=/usr/bin:$PATH

# shellcheck source=tests/ktap.sh
. tests/ktap.sh
note() { sed 's/^/# /' "$1" | head -n "${2:-30}"; }

patches=()
for f in patches/[0-9][0-9][0-9][0-9]-*.patch; do
	case ${f##*/} in 0000-cover-letter.patch) ;; *) [ -f "$f" ] && patches+=("$f") ;; esac
done
ktap_header
ktap_plan 5
if [ ${#patches[@]} = 0 ]; then
	ktap_fail "patches/ has a series"
	exit 1
fi

deb=$(find "$cache/dl" -name 'linux-source-7.3_*_all.deb' 2>/dev/null | sort -V | tail -n 1)
if [ -z "$deb" ]; then
	# tests/kernel/build.sh 7.3 fetches it; make check has run it.
	tests/kernel/build.sh 7.3 >/dev/null 2>"$work.fetch.log" || true
	deb=$(find "$cache/dl" -name 'linux-source-7.3_*_all.deb' 2>/dev/null | sort -V | tail -n 1)
fi
[ -n "$deb" ] || { ktap_fail "linux-source-7.3 is in $cache/dl"; exit 1; }
version=$(dpkg-deb -f "$deb" Version)

rm -rf "$work"
mkdir -p "$work"
src=$work/linux
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" --wildcards './usr/src/linux-source-7.3.tar.xz'
tar -C "$work" -xf "$work/usr/src/linux-source-7.3.tar.xz"
mv "$work/linux-source-7.3" "$src"
rm -rf "${work:?}/usr"

applied=1
for f in "${patches[@]}"; do
	if ! patch -d "$src" -p1 --batch --fuzz=0 <"$f" >"$work/apply.log" 2>&1; then
		ktap_fail "$(basename "$f") applies to linux-source-7.3 $version without fuzz"
		note "$work/apply.log"
		applied=0
		break
	fi
	if grep -q 'offset' "$work/apply.log"; then
		echo "# $(basename "$f"): $(grep -c offset "$work/apply.log") hunk(s) at an offset"
	fi
done
[ $applied = 1 ] && ktap_pass "the ${#patches[@]} patches apply to linux-source-7.3 $version without fuzz"
[ $applied = 1 ] || exit 1

# checkpatch --strict: nothing but the notice it gives for every new file
# (MAINTAINERS), and then only for files a MAINTAINERS entry of KVM/arm64
# already covers.
bad=0
: >"$work/checkpatch.log"
for f in "${patches[@]}"; do
	(cd "$src" && ./scripts/checkpatch.pl --strict --show-types --ignore FILE_PATH_CHANGES "$top/$f") \
		>>"$work/checkpatch.log" 2>&1 || bad=1
	grep -q '^Traceback' "$work/checkpatch.log" && bad=1
	while read -r new; do
		sections=$(cd "$src" && ./scripts/get_maintainer.pl --no-git --no-rolestats --sections -f "$new" 2>/dev/null)
		if ! grep -q '^KERNEL VIRTUAL MACHINE FOR ARM64 (KVM/arm64)' <<<"$sections"; then
			echo "$f: $new: no KVM/arm64 MAINTAINERS entry covers it" >>"$work/checkpatch.log"
			bad=1
		fi
	done < <(awk '/^--- \/dev\/null/ { n = 1; next } n && /^\+\+\+ b\// { print substr($0, 7) } { n = 0 }' "$f")
done
if [ $bad = 0 ]; then
	ktap_pass "checkpatch --strict: no error, warning or check"
else
	ktap_fail "checkpatch --strict: no error, warning or check"
	grep -E '^(ERROR|WARNING|CHECK)|no KVM/arm64|Traceback' "$work/checkpatch.log" | sed 's/^/# /'
fi

# The test kernel's configuration: the fragments of tests/kernel/config
# (the bench kernel's: without debug.config and host.config).
for f in tests/kernel/config/*.config tests/kernel/config/7.3/*.config; do
	[ "$image" = bench ] && case ${f##*/} in debug.config|host.config) continue ;; esac
	cat "$f"
done >"$src/.vtc-fragment"
if (cd "$src" && "${mk[@]}" KCONFIG_ALLCONFIG=.vtc-fragment allnoconfig &&
	"${mk[@]}" W=1 arch/arm64/kvm/) >"$work/build.log" 2>&1; then
	if grep -q 'warning:' "$work/build.log"; then
		ktap_fail "arch/arm64/kvm builds with W=1 without a warning"
		grep 'warning:' "$work/build.log" | head -n 20 | sed 's/^/# /'
	else
		ktap_pass "arch/arm64/kvm builds with W=1 without a warning"
	fi
else
	ktap_fail "arch/arm64/kvm builds with W=1"
	grep -E 'error|Error' "$work/build.log" | head -n 20 | sed 's/^/# /'
fi

# The selftest: static, so that the rig's busybox initramfs runs it.
kst=$src/tools/testing/selftests/kvm
if (cd "$src" && "${mk[@]}" headers) >"$work/selftest.log" 2>&1 &&
	make -C "$kst" ARCH=arm64 CROSS_COMPILE="$cross" LDFLAGS=-static -j"$(nproc)" \
		OUTPUT="$work/kselftest" "$work/kselftest/arm64/arch_timer_active" >>"$work/selftest.log" 2>&1; then
	if grep -q 'warning:' "$work/selftest.log"; then
		ktap_fail "the selftest arm64/arch_timer_active builds without a warning"
		grep 'warning:' "$work/selftest.log" | head -n 20 | sed 's/^/# /'
	else
		cp "$work/kselftest/arm64/arch_timer_active" "$work/arch_timer_active"
		ktap_pass "the selftest arm64/arch_timer_active builds without a warning"
	fi
else
	ktap_fail "the selftest arm64/arch_timer_active builds"
	grep -E 'error|Error' "$work/selftest.log" | head -n 20 | sed 's/^/# /'
fi

# A KVM/arm64 series: nothing outside KVM's code, headers and selftests.
outside=$(sed -n 's|^+++ b/||p' "${patches[@]}" | sort -u |
	grep -vE '^(arch/arm64/kvm/|include/kvm/|tools/testing/selftests/kvm/)')
if [ -z "$outside" ]; then
	ktap_pass "it changes only arch/arm64/kvm, include/kvm and the KVM selftests"
else
	ktap_fail "it changes only arch/arm64/kvm, include/kvm and the KVM selftests"
	echo "$outside" | sed 's/^/# outside: /'
fi

if [ -n "$image" ] && [ "$KTAP_FAIL" = 0 ]; then
	echo "# building the native kernel ($image configuration)"
	if (cd "$src" && "${mk[@]}" Image) >"$work/image.log" 2>&1; then
		cp "$src/arch/arm64/boot/Image" "$src/System.map" "$work/"
		echo "# native kernel: $work/Image"
	else
		grep -E 'error|Error' "$work/image.log" | head -n 20 | sed 's/^/# /'
		ktap_bail "the native kernel ($image) builds"
	fi
fi
ktap_finish
