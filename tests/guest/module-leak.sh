#!/bin/sh
# Per-vcpu shadow state does not leak: 1,000 VM create/destroy cycles with
# the patch on, then the shadow count is 0 and kmemleak finds nothing; the
# state of a running VM is freed when the patch is removed.
# usage: module-leak.sh GIC [CYCLES]
. /vtc/lib.sh
gic=$1
cycles=${2:-1000}

[ -w /sys/kernel/debug/kmemleak ] && echo clear >/sys/kernel/debug/kmemleak
vtc_check "insmod" vtc_load

# One VM per process. Stock 7.2 (with or without this module) sometimes
# trips KVM_BUG_ON(SYSREGS_ON_CPU) in kvm_vcpu_load_debug() when short-lived
# VMs are created back to back: about once in several hundred VMs here. It
# kills that VM (its vtc-vmm fails). run-all.sh boots this test with
# --allow-warn kvm_vcpu_load_debug; a failed VM is excused only if it
# matches one such WARN, and any other WARN still fails the boot.
i=0
bad=0
while [ $i -lt "$cycles" ]; do
	if ! vtc-vmm --gic "$gic" --iters 5 mmio-user >/tmp/leak.out 2>/tmp/leak.err; then
		bad=$((bad + 1))
		echo "# VM $i failed: $(tail -n 1 /tmp/leak.out | cut -c1-200) $(tail -n 2 /tmp/leak.err)"
	fi
	i=$((i + 1))
done
known=$(dmesg | grep -c 'WARNING: at kvm_vcpu_load_debug+')
echo "# $cycles VMs, $bad failed; stock KVM_BUG_ON in kvm_vcpu_load_debug: $known"
vtc_expect "$cycles VM create/destroy cycles: every failure is the known stock KVM_BUG_ON" "$bad" "<=" "$known"
vtc_expect "loads seen over the cycles" "$(vtc_stat loads)" ">=" "$((cycles * 5))"
vtc_expect "skips over the cycles" "$(vtc_stat skipped)" ">" 0
vtc_expect "no shadow state left after the VMs are gone" "$(vtc_stat shadow.vcpus)" "==" 0
vtc_expect "no shadow allocation failed" "$(vtc_stat shadow.alloc_failed)" "==" 0

# A VM that is still running when the patch is removed.
vtc-vmm --gic "$gic" --iters 100000 --vcpus 2 mmio-user >/dev/null 2>&1 &
vm=$!
sleep 3
n=$(vtc_stat shadow.vcpus)
vtc_expect "a running VM's vcpus have shadow state" "$n" "==" 2
cat $VTC_DBG/vcpus | sed 's/^/# /'
vtc_check "disable with the VM running" vtc_disable
vtc_expect "shadow state freed at patch removal" "$(vtc_stat shadow.vcpus)" "==" 0
vtc_check "re-enable with the VM running" vtc_enable
sleep 1
vtc_expect "shadow state comes back for the running VM" "$(vtc_stat shadow.vcpus)" "==" 2
kill -TERM $vm
wait $vm 2>/dev/null
vtc_expect "and goes with the VM" "$(vtc_stat shadow.vcpus)" "==" 0
vtc_check "disable" vtc_disable
vtc_check "rmmod" rmmod vtimer_cache

if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	sleep 1
	echo scan >/sys/kernel/debug/kmemleak
	leaks=$(grep -c unreferenced /sys/kernel/debug/kmemleak)
	[ "$leaks" = 0 ] || head -n 40 /sys/kernel/debug/kmemleak | sed 's/^/# /'
	vtc_expect "kmemleak: no leaks" "$leaks" "==" 0
else
	vtc_not_ok "kmemleak available"
fi
vtc_done
