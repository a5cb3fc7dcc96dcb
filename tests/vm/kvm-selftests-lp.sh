#!/bin/sh
# Guest test: the kernel's own KVM arm64 timer and vgic selftests
# (tests/kvm-selftests.sh builds them from the test kernel's tree; the rig
# puts them in /vtc/kst/), each run on stock and then with the patch on,
# in the same boot, with the same options. For each selftest:
#
#   - stock: the module not loaded, nothing of it left; the selftest runs;
#   - insmod vtimer_cache.ko verify=1, the klp transition over and the
#     patch enabled (vtc_wait_patch); the selftest runs again;
#   - a selftest that passes on stock must pass with the patch on, with
#     verify.wrong_skips 0 (verify=1 reads the GIC's active bit back before
#     each decision), the stats saying the patch is enabled and vcpu loads
#     counted (the selftest's vcpus ran through the patched code: the
#     rig's idle VM has no vcpus, so every load is the selftest's);
#   - the patch disabled and the module removed, for the next stock run.
#
# A selftest that fails or skips on stock (one that needs vgic-v3 on a
# GICv2 host; arch_timer_edge_cases at vEL2, below) is compared with
# nothing: it is reported "ok N NAME # SKIP the reason", never as a pass,
# and does not run with the patch on. At least one selftest must be
# compared.
#
# No GICv2 host runs this (tests/check.sh): there the selftests do not
# reach the patch. arch_timer, arch_timer_edge_cases and vgic_irq require
# vgic-v3 (TEST_REQUIRE(kvm_supports_vgic_v3()): exit 4), and vgic_init's
# GICv2 tests run no vcpu (their KVM_RUNs fail before the vcpu is loaded,
# by design): it passes on stock and with the patch on, with 0 loads,
# which fails the loads check (7.2, v2 VHE).
#
# Each run is bounded (timeout=): a hang fails the check (or, on stock,
# makes it a SKIP), it does not stall the boot. The selftests' own output
# follows each run as "# " lines, its first and last lines if it is long.
#
# Options (the same for stock and patch on): the defaults below give the
# timing-sensitive selftests the margin their own options offer under two
# levels of emulation (an L1 host under QEMU TCG, on a machine that may be
# running another emulator, running L2 vcpus):
#   arch_timer: 2 vcpus (the host has 2 CPUs), 5 iterations per stage,
#     vcpus migrated every 2 ms (-m, the selftest's default) and 500 ms for
#     each timer interrupt to arrive (-e; default 100 us). With 50 ms, 1
#     of 10 stock runs missed an interrupt on a loaded machine; with 500
#     ms none of 10 (stock and patch on), 14 s a run;
#   arch_timer_edge_cases: 1 iteration (default 5) and a 200 ms base wait
#     (-w; default 10 ms): its sanity checks program a timer wait_ms ahead
#     and assert the counter has not passed it by the time they read it
#     back, across a migration too; with 10 ms the stock run failed at once
#     (arm64/arch_timer_edge_cases.c:562), with 100 ms 6 of 6 runs passed.
#     Its other tests wait for the interrupt with no bound;
#   vgic_irq, vgic_init: their defaults (every combination; no timing).
#
# On a nested host (kvm-arm.mode=nested), the 7.2 selftest library gives
# every vcpu of a VM with its default vgic EL2 when KVM has
# KVM_CAP_ARM_EL2 (lib/arm64/processor.c: vm_supports_el2(); NV=0 turns
# that off): arch_timer and arch_timer_edge_cases then run at vEL2, with
# the EL2 timers (hvtimer/hptimer). arch_timer_edge_cases fails there on
# stock (7.2 under QEMU 10's FEAT_NV: arm64/arch_timer_edge_cases.c:570,
# the first check after it sets the counter to 1 ms; likely because the
# counter offset it writes does not apply at vEL2 with E2H and TGE set),
# so it is a SKIP there. vgic_init gives the vcpu of its
# sysreg test EL2 too, to check the ICH_*_EL2 registers through the vgic
# device (that vcpu never runs). vgic_irq creates its own vgic
# (test_disable_default_vgic()) and runs at vEL1. No other timer or vgic
# selftest of the tree runs at vEL2 (hello_el2 and at test neither).
#
#   kvm-selftests-lp.sh [ko=MODULE] [timeout=SECONDS] SPEC...
#     MODULE: the module to load (default /vtc/vtimer_cache.ko)
#     SECONDS: how long one selftest run may take (default 300)
#     SPEC:   NAME, with the defaults above, or NAME:OPT,OPT,... with the
#             selftest's options separated by commas (/init splits this
#             script's arguments at white space), e.g. arch_timer:-n,4
. /vtc/lib.sh

KST=/vtc/kst
KO=/vtc/vtimer_cache.ko
KST_TIMEOUT=300
while :; do
	case ${1:-} in
	ko=*) KO=${1#ko=} ;;
	timeout=*) KST_TIMEOUT=${1#timeout=} ;;
	*) break ;;
	esac
	shift
done
[ $# -gt 0 ] || { echo "usage: kvm-selftests-lp.sh [ko=MODULE] [timeout=SECONDS] SPEC..."; exit 2; }

kst_defaults() {
	case $1 in
	arch_timer) echo "-n 2 -i 5 -m 2 -e 500000" ;;
	arch_timer_edge_cases) echo "-i 1 -w 200" ;;
	*) echo "" ;;
	esac
}

# kst_run LABEL NAME ARGS...: run the selftest, its output as comments;
# KST_RC is its exit status (124, 137, 143: timeout), KST_LAST its last
# line.
kst_run() {
	_run_label=$1 _run_name=$2
	shift 2
	_run_t0=$(date +%s)
	timeout "$KST_TIMEOUT" "$KST/$_run_name" "$@" >/tmp/kst.out 2>&1
	KST_RC=$?
	_run_lines=$(wc -l </tmp/kst.out)
	echo "# --- $_run_name $* ($_run_label): exit $KST_RC, $(($(date +%s) - _run_t0)) s, $_run_lines lines of output"
	if [ "$_run_lines" -le 40 ]; then
		cut -c1-160 /tmp/kst.out | sed 's/^/#   /'
	else
		head -n 20 /tmp/kst.out | cut -c1-160 | sed 's/^/#   /'
		echo "#   [... $((_run_lines - 35)) lines ...]"
		tail -n 15 /tmp/kst.out | cut -c1-160 | sed 's/^/#   /'
	fi
	KST_LAST=$(grep -v '^[[:space:]]*$' /tmp/kst.out | tail -n 1 | cut -c1-120)
}

kst_patch_gone() {
	vtc_disable && rmmod vtimer_cache
}

echo "# KVM: $(vtc_kvm_mode); $(uname -r); CPUs $(cat /sys/devices/system/cpu/online); selftest timeout ${KST_TIMEOUT} s"
vtc_nested_host && echo "# nested host: arch_timer and arch_timer_edge_cases run their vcpus at vEL2"
compared=0
for spec in "$@"; do
	name=${spec%%:*}
	if [ "$name" = "$spec" ]; then
		args=$(kst_defaults "$name")
	else
		args=$(echo "${spec#*:}" | tr ',' ' ')
	fi
	what="$name${args:+ $args}"
	if [ ! -x "$KST/$name" ]; then
		vtc_not_ok "$what: $KST/$name is there (tests/kvm-selftests.sh)"
		continue
	fi

	# Stock: nothing of the module loaded.
	if ! vtc_gone; then
		vtc_not_ok "$what: stock run with vtimer_cache not loaded"
		continue
	fi
	# shellcheck disable=SC2086 # args is a list of options
	kst_run stock "$name" $args
	case $KST_RC in
	0) vtc_ok "$what: passes on stock" ;;
	4)
		ktap_skip "$what" "skipped on stock: $KST_LAST"
		continue ;;
	124|137|143)
		ktap_skip "$what" "fails on stock: no exit after ${KST_TIMEOUT} s"
		continue ;;
	*)
		ktap_skip "$what" "fails on stock (exit $KST_RC): $KST_LAST"
		continue ;;
	esac

	# The patch on, the same selftest, the same options.
	if ! insmod "$KO" verify=1 >/tmp/kst-insmod.out 2>&1; then
		sed 's/^/# /' /tmp/kst-insmod.out
		dmesg | tail -n 3 | sed 's/^/# dmesg: /'
		vtc_not_ok "$what: insmod ${KO##*/} verify=1"
		continue
	fi
	if ! vtc_wait_patch enabled; then
		vtc_not_ok "$what: patch enabled, transition 0"
		continue
	fi
	vtc_ok "$what: insmod ${KO##*/} verify=1, patch enabled, transition 0"
	# shellcheck disable=SC2086 # args is a list of options
	kst_run "patch on" "$name" $args
	case $KST_RC in
	0) vtc_ok "$what: passes with the patch on" ;;
	124|137|143) vtc_not_ok "$what: passes with the patch on (no exit after ${KST_TIMEOUT} s)" ;;
	*) vtc_not_ok "$what: passes with the patch on (exit $KST_RC: $KST_LAST)" ;;
	esac
	echo "# $name stats: patch=$(vtc_stat patch) loads=$(vtc_stat loads) issued=$(vtc_stat issued) skipped=$(vtc_stat skipped) verify.checked=$(vtc_stat verify.checked) verify.needed=$(vtc_stat verify.needed) wrong_skips=$(vtc_stat verify.wrong_skips)"
	vtc_expect "$what: verify.wrong_skips" "$(vtc_stat verify.wrong_skips)" "==" 0
	vtc_check "$what: stats say the patch is enabled" test "$(vtc_stat patch)" = enabled
	vtc_expect "$what: vcpu loads through the patched code" "$(vtc_stat loads)" ">" 0
	vtc_check "$what: patch disabled, module removed" kst_patch_gone
	compared=$((compared + 1))
done
vtc_expect "selftests compared, stock and patch on" "$compared" ">" 0
vtc_done
