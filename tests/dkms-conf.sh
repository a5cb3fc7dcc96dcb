#!/bin/bash
# tests/dkms-conf.sh: make check's smoke of dkms-refused (check-slow, which
# runs dkms itself on Debian's stock headers in the arm64 userland). On the
# build host, it sources dkms.conf as dkms does, for the kernels
# dkms-refused covers and for the supported ones, each with a .config made
# here, and checks what dkms would decide from BUILD_EXCLUSIVE_KERNEL,
# _ARCH and _CONFIG (its 3.0 rules: the kernel and arch regexes, each
# config option =y or =m) and the reason dkms.conf prints. KTAP
# (tests/ktap.sh); exit 1 if any check failed.
#
# VTC_DKMS_CONF replaces dkms.conf (with the src/mirror/releases next to
# it), to run the checks against a broken copy and see them fail.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
conf=${VTC_DKMS_CONF:-$top/dkms.conf}
# shellcheck source=tests/ktap.sh
. "$top/tests/ktap.sh"
ktap_header

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dkms-conf.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# A kernel tree with only a .config: "arm64" has every option the module
# needs; "nolp" is sid's stock arm64 kernel (no CONFIG_LIVEPATCH); "amd64"
# an x86 one.
for k in arm64 nolp amd64; do
	mkdir -p "$tmp/$k"
	{
		case $k in
		amd64) echo CONFIG_X86_64=y ;;
		*) echo CONFIG_ARM64=y ;;
		esac
		echo CONFIG_KVM=y
		[ $k = nolp ] || echo CONFIG_LIVEPATCH=y
		echo CONFIG_DEBUG_FS=y
		echo CONFIG_KPROBES=y
		echo CONFIG_FPROBE=y
		echo CONFIG_KALLSYMS_ALL=y
	} >"$tmp/$k/.config"
done

# decide KERNELVER ARCH TREE ACTION: source dkms.conf as dkms would and
# print "build" or "excluded", then dkms.conf's own lines (stderr).
decide() {
	# shellcheck disable=SC2034 # dkms's variables, read by dkms.conf
	(
		kernelver=$1 arch=$2 kernel_source_dir=$tmp/$3 action=$4
		dkms_tree=/var/lib/dkms
		# shellcheck source=/dev/null
		. "$conf" 2>&1
		v=build
		[[ $kernelver =~ $BUILD_EXCLUSIVE_KERNEL ]] || v=excluded
		[[ $arch =~ $BUILD_EXCLUSIVE_ARCH ]] || v=excluded
		for c in $BUILD_EXCLUSIVE_CONFIG; do
			grep -q -E "^$c=[ym]" "$kernel_source_dir/.config" || v=excluded
		done
		echo "$v"
	)
}

# case KERNELVER ARCH TREE VERDICT [REASON]: dkms's verdict, and on a
# build action the one reason dkms.conf gives (none for a build).
case_() {
	local out want_lines=0
	out=$(decide "$1" "$2" "$3" build)
	ktap_result "$1 ($2, $3): $4" [ "$(tail -n 1 <<<"$out")" = "$4" ]
	if [ -n "${5-}" ]; then
		want_lines=1
		ktap_result "$1: says why: $5" grep -qF "vtimer-cache: not building for kernel $1 ($2): $5" <<<"$out"
	fi
	ktap_result "$1: $want_lines line(s) from dkms.conf" [ "$(grep -c '^vtimer-cache:' <<<"$out")" = $want_lines ]
}

rel=$(awk '!/^#/ && NF { printf "%s%s", s, $1; s = " " }' "$top/src/mirror/releases")
ktap_msg "dkms.conf: $conf; mirrored releases: $rel"
for r in $rel; do
	case_ "$r-arm64" aarch64 arm64 build
	case_ "$r" aarch64 arm64 build
done
case_ 7.2.13+deb14-arm64 aarch64 nolp excluded "the kernel has no CONFIG_LIVEPATCH"
case_ 7.2.13+deb14-amd64 aarch64 amd64 excluded "the kernel is built for X86_64, not arm64 (no CONFIG_ARM64)"
case_ 6.1.0-50-arm64 aarch64 arm64 excluded "Linux 6.1.0 is not a release the module mirrors (supported: $rel;"
case_ 7.2.99-vtc aarch64 arm64 excluded "Linux 7.2.99 is not a release the module mirrors"
# A release that only starts like a mirrored one.
case_ 7.2.130-arm64 aarch64 arm64 excluded "Linux 7.2.130 is not a release the module mirrors"
case_ 7.2.13-arm64 x86_64 arm64 excluded "architecture x86_64 is not arm64"
# dkms sources dkms.conf for every command: only a build says why.
ktap_result "dkms status: dkms.conf says nothing" \
	[ "$(decide 6.1.0-50-arm64 aarch64 arm64 status)" = excluded ]

ktap_finish
