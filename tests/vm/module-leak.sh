#!/bin/sh
# Per-vcpu shadow state (diag=1) does not leak: 1,000 VM create/destroy
# cycles with the patch on, then the shadow count is 0 and kmemleak finds
# nothing; the state of a running VM is freed when the patch is removed.
# usage: module-leak.sh GIC [CYCLES]
. /vtc/lib.sh
gic=$1
cycles=${2:-1000}

[ -w /sys/kernel/debug/kmemleak ] && echo clear >/sys/kernel/debug/kmemleak
vtc_check "insmod diag=1" vtc_load diag=1

# One VM per process. /vtc/bin/vtc-vmm retries a VM killed by the stock
# KVM_BUG_ON in kvm_vcpu_load_debug() (README: known issues).
i=0
bad=0
while [ $i -lt "$cycles" ]; do
	if ! vtc-vmm --gic "$gic" --iters 5 mmio-user >/tmp/leak.out 2>/tmp/leak.err; then
		bad=$((bad + 1))
		echo "# VM $i failed: $(tail -n 1 /tmp/leak.out | cut -c1-200)"
		sed 's/^/# stderr: /' /tmp/leak.err
		# The kernel's note on an unhandled signal is below the console's
		# loglevel.
		dmesg | grep -a 'unhandled' | tail -n 3 | sed 's/^/# dmesg: /'
	fi
	i=$((i + 1))
done
echo "# $cycles VMs, $bad failed, $(cat /tmp/vtc-vmm-retries 2>/dev/null | wc -l) retried after the stock KVM_BUG_ON"
vtc_expect "$cycles VM create/destroy cycles, all clean" "$bad" "==" 0
vtc_expect "loads seen over the cycles" "$(vtc_stat loads)" ">=" "$((cycles * 5))"
vtc_expect "skips over the cycles" "$(vtc_stat skipped)" ">" 0
vtc_expect "no shadow state left after the VMs are gone" "$(vtc_stat shadow.vcpus)" "==" 0
vtc_expect "no shadow allocation failed" "$(vtc_stat shadow.alloc_failed)" "==" 0

# A VM that is still running when the patch is removed.
vtc-vmm --gic "$gic" --until-signal --vcpus 2 mmio-user >/dev/null 2>&1 &
vm=$!
vtc_until 60 vtc_stat_is shadow.vcpus 2
n=$(vtc_stat shadow.vcpus)
vtc_expect "a running VM's vcpus have shadow state" "$n" "==" 2
cat $VTC_DBG/vcpus | sed 's/^/# /'
vtc_check "disable with the VM running" vtc_disable
vtc_expect "shadow state freed at patch removal" "$(vtc_stat shadow.vcpus)" "==" 0
vtc_check "re-enable with the VM running" vtc_enable
vtc_until 30 vtc_stat_is shadow.vcpus 2
vtc_expect "shadow state comes back for the running VM" "$(vtc_stat shadow.vcpus)" "==" 2
vtc_check "the VM was still running" kill -0 $vm
kill -TERM $vm
vtc_check "the VM ends cleanly when told to" wait $vm
vtc_expect "and goes with the VM" "$(vtc_stat shadow.vcpus)" "==" 0
vtc_check "disable" vtc_disable
vtc_check "rmmod" rmmod vtimer_cache

vtc_kmemleak_check
vtc_done
