#!/bin/bash
# Build every module the tests load, for one kernel series, into
# build/<series>/, each from its own copy of the sources (an object left
# over from another series' or variant's build can never be linked in):
#
#   vtimer_cache.ko          the module, as shipped
#   vtimer_cache-skew.ko     expects every replaced function 8 bytes longer
#                            than the kernel's: must refuse to load
#   vtimer_cache-missing.ko  resolves a symbol vmlinux does not have: must
#                            refuse to load
#   vtimer_cache_v2.ko       the module under another name: "the newer
#                            build" of an upgrade in place
#   vtimer_cache_v9.ko       another shared-state layout version: must be
#                            refused next to the shipped one, both ways
#
# and the foreign livepatches the module must live beside
# (tests/vm/module-coexist.sh), each in its own copy too:
#
#   test_klp_livepatch.ko    the kernel's livepatch selftest module (KDIR's
#                            tools/testing/selftests/livepatch/test_modules):
#                            a non-cumulative patch of cmdline_proc_show
#   test_klp_atomic_replace.ko  the same directory's; with replace=1 a
#                            cumulative patch (of meminfo_proc_show)
#   klp_foreign_ack.ko       tests/modules/: a non-cumulative patch of a
#                            function vtimer_cache replaces,
#                            kvm_arch_timer_handler, with the stock code
#   klp_foreign_gic.ko       tests/modules/: a non-cumulative patch of a
#                            function vtimer_cache carries in a copy,
#                            kvm_timer_vcpu_load_gic, with the stock code
#                            and its calls counted (parameter "calls")
#
# and vtc_fault.ko (tests/modules/), which WARNs (or with leak=1 leaks)
# when it loads: the rig must fail its boot (tests/vm/rig-fails.sh).
#
# The test variants are the shipped sources changed in their private copy
# by the edits below, each checked to apply: the shipped module carries no
# test-only code.
#
# usage: tests/build-modules.sh SERIES [KDIR]
#   KDIR: the kernel tree to build against (default: the test kernel of
#   SERIES, tests/kernel/build.sh). Its release must be of SERIES.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
series=${1:?usage: tests/build-modules.sh SERIES [KDIR]}
kdir=${2:-}
export ARCH=${ARCH:-arm64} CROSS_COMPILE=${CROSS_COMPILE:-aarch64-linux-gnu-}

die() { echo "build-modules.sh: error: $*" >&2; exit 1; }

if [ -z "$kdir" ]; then
	kdir=$("$top/tests/kernel/build.sh" "$series")/linux
fi
kver=$(make -s -C "$kdir" kernelversion) || die "$kdir is not a kernel tree"
[ "$(echo "$kver" | cut -d. -f1,2)" = "$series" ] ||
	die "$kdir is Linux $kver, not of series $series"

out=$top/build/$series
mkdir -p "$out"
rm -f "$out"/vtimer_cache*.ko "$out"/test_klp_*.ko "$out"/klp_foreign_ack.ko "$out"/klp_foreign_gic.ko "$out"/vtc_fault.ko

# edit FILE SED_EXPR PATTERN: apply SED_EXPR to FILE in the copy, which
# must contain PATTERN (a test variant that silently built the shipped
# module would pass for the wrong reason).
edit() {
	grep -q -- "$3" "$d/$1" || die "$1 has no '$3': update the $name variant"
	sed -i -e "$2" "$d/$1"
}

# build NAME [MODULE_NAME]: build the copy in $d into $out/NAME.ko.
build() {
	make -s -C "$kdir" M="$d" ${2:+VTC_NAME=$2} modules
	cp "$d/${2:-vtimer_cache}.ko" "$out/$1.ko"
}

# The foreign livepatches' directories build with a Kbuild of their own
# (the selftests' Makefile would build all fourteen of its modules).
selftests=$kdir/tools/testing/selftests/livepatch/test_modules
for name in vtimer_cache vtimer_cache-skew vtimer_cache-missing vtimer_cache_v2 vtimer_cache_v9 \
	test_klp_livepatch test_klp_atomic_replace klp_foreign_ack klp_foreign_gic vtc_fault; do
	d=$out/tree-$name
	rm -rf "$d"
	mkdir -p "$d"
	case $name in
	vtimer_cache*)
		# Sources only: no objects, .cmd files or generated headers.
		(cd "$top" && tar -c --exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
			--exclude='*.mod.c' --exclude='.*.cmd' --exclude='*.a' --exclude=gen \
			--exclude=modules.order --exclude=Module.symvers \
			dkms.conf Kbuild src include scripts/gen-expect.sh) | tar -x -C "$d" ;;
	test_klp_*)
		[ -f "$selftests/$name.c" ] || die "no $selftests/$name.c"
		cp "$selftests/$name.c" "$d/"
		echo "obj-m := $name.o" >"$d/Kbuild" ;;
	klp_foreign_*)
		cp "$top/tests/modules/$name.c" "$top/tests/modules/klp_foreign.h" "$d/"
		echo "obj-m := $name.o" >"$d/Kbuild" ;;
	*)
		cp "$top/tests/modules/$name.c" "$d/"
		echo "obj-m := $name.o" >"$d/Kbuild" ;;
	esac
	case $name in
	vtimer_cache)
		build "$name" ;;
	vtimer_cache-skew)
		edit scripts/gen-expect.sh 's/0x\$2 - 0x\$1 }/0x$2 - 0x$1 + 8 }/' '0x$2 - 0x$1 }'
		build "$name" ;;
	vtimer_cache-missing)
		edit src/mirror/arch_timer.c 's/{ "kvm_timer_pending",/{ "vtc_no_such_symbol",/' '{ "kvm_timer_pending",'
		build "$name" ;;
	vtimer_cache_v2)
		build "$name" vtimer_cache_v2 ;;
	vtimer_cache_v9)
		edit include/vtc_state.h 's/^#define VTC_STATE_VERSION\t3$/#define VTC_STATE_VERSION\t4/' \
			"$(printf '^#define VTC_STATE_VERSION\t3$')"
		build "$name" vtimer_cache_v9 ;;
	*)
		make -s -C "$kdir" M="$d" modules
		cp "$d/$name.ko" "$out/$name.ko" ;;
	esac
done
echo "build-modules.sh: Linux $kver: $(cd "$top" && ls build/"$series"/vtimer_cache*.ko \
	build/"$series"/test_klp_*.ko build/"$series"/klp_foreign_ack.ko build/"$series"/klp_foreign_gic.ko build/"$series"/vtc_fault.ko | tr '\n' ' ')"
