#!/bin/sh
# The demo, inside the emulated arm64 KVM host: a guest runs, the module is
# loaded, and its stats are shown with the patch on, off and on again.
# It stops, failing, at the first step that fails (a VM included).
# usage: demo.sh GIC [ITERS [VTC-VMM OPTION...]]: the options go to every
# VM (rig-fails-demo: --break no-eoi, a VM that must fail the demo).
. /vtc/lib.sh
gic=$1
ITERS=${2:-3000}
shift
[ $# = 0 ] || shift

phase() {
	echo
	echo "=================================================================="
	echo "$*"
	echo "=================================================================="
}

summary() {
	echo "-> $(vtc_stat loads) vcpu loads; active-state writes to the GIC:" \
		"$(vtc_stat writes) ($(vtc_stat writes_per_load) per load);" \
		"skipped by the cache: $(vtc_stat skipped) (skip ratio $(vtc_stat skip_ratio))"
}

# vm ARGS...: one VM, its total line shortened; the demo fails with it.
vm() {
	vtc_vmm --gic "$gic" "$@" >/tmp/demo.vm || { echo "demo: vtc-vmm $* failed: $VTC_OUT"; exit 1; }
	cut -c1-160 /tmp/demo.vm
}

workload() {
	echo reset >$VTC_DBG/stats
	echo "guest: $ITERS MMIO exits to the VMM (each is a vcpu put + load), timer idle"
	vm --iters "$ITERS" "$@" mmio-user
	echo "guest: 200 timer interrupts mixed with MMIO exits"
	vm --iters 200 "$@" timer-mmio
}

phase "1. load vtimer_cache.ko (klp patch enabled on load)"
vtc_load || exit 1
dmesg | grep vtimer_cache | tail -n 3
grep -H . $VTC_LP/enabled $VTC_LP/transition

phase "2. patch ON: /sys/kernel/debug/vtimer_cache/stats"
workload "$@"
cat $VTC_DBG/stats | grep -vE '^cpu[0-9]+\.'
summary

phase "3. echo 0 > $VTC_LP/enabled  (patch OFF, stock kernel code; the probes still count)"
vtc_disable || exit 1
workload "$@"
grep -E '^(patch|loads|writes|writes_per_load|issued|skipped|writes\.)' $VTC_DBG/stats
summary

phase "4. echo enable > $VTC_DBG/control  (patch ON again)"
vtc_enable || exit 1
workload "$@"
grep -E '^(patch|loads|writes|writes_per_load|issued|skipped|skip_ratio|learnt\.|inval\.)' $VTC_DBG/stats
summary

phase "5. per-vcpu counts of a running VM (diag=1, $VTC_DBG/vcpus)"
echo 1 >/sys/module/vtimer_cache/parameters/diag
vtc-vmm --gic "$gic" --until-signal --vcpus 2 "$@" mmio-user >/dev/null 2>&1 &
pid=$!
vtc_until 60 vtc_stat_is shadow.vcpus 2 || exit 1
cat $VTC_DBG/vcpus
kill -TERM $pid
wait $pid || { echo "demo: the VM failed"; exit 1; }

phase "6. disable and remove the module"
vtc_disable && rmmod vtimer_cache && echo "removed"
