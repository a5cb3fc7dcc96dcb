#!/bin/sh
# Toggle the patch CYCLES times, then 20 times more, and hotplug a CPU 10
# times, while two VMs take timer interrupts. Every toggle and hotplug
# step must succeed, every interrupt arrive; dmesg must stay clean (the init
# checks for WARN, BUG, lockdep and kmemleak reports; this is the debug
# kernel with PROVE_LOCKING, DEBUG_ATOMIC_SLEEP and DEBUG_KMEMLEAK).
# usage: module-stress.sh GIC [CYCLES]
. /vtc/lib.sh
gic=$1
cycles=${2:-100}

[ -w /sys/kernel/debug/kmemleak ] && echo clear >/sys/kernel/debug/kmemleak
vm1='' vm2='' pid=''

vtc_check "insmod" vtc_load

# Two VMs, each with its own timer, running until check_vms stops them.
start_vms() {
	l0=$(vtc_stat loads)
	for i in 1 2; do
		vtc-vmm --gic "$gic" --timeout 60 --until-signal timer-mmio >/tmp/vm$i.out 2>/tmp/vm$i.err &
		eval "vm$i=\$!"
	done
	vtc_until 60 loaded_more "$l0"
}

# loaded_more N: the module has counted more than N vcpu loads since.
loaded_more() {
	[ "$(vtc_stat loads)" -gt "$1" ]
}

# Both VMs still running: stop them (they end their current iteration),
# then every interrupt must have arrived.
check_vms() {
	vtc_check "$1: both VMs still running" kill -0 "$vm1" "$vm2"
	kill -TERM "$vm1" "$vm2" 2>/dev/null
	for i in 1 2; do
		eval "pid=\$vm$i"
		if wait "$pid"; then
			vtc_ok "$1: VM $i: every interrupt arrived ($(grep total /tmp/vm$i.out | tr ' ' '\n' | grep -E '^(irqs|irqs_expected|lost|dup|stuck)=' | tr '\n' ' '))"
		else
			vtc_not_ok "$1: VM $i failed: $(grep total /tmp/vm$i.out) $(tail -n 2 /tmp/vm$i.err)"
		fi
	done
}


# 100 cycles while two VMs take timer interrupts. A VM that finishes is
# checked (every interrupt arrived) and restarted, so every completed run
# during the cycles is verified; the last two are stopped at the end.
vm_start() { # vm_start I
	vtc-vmm --gic "$gic" --timeout 60 --iters 1000 timer-mmio >/tmp/vm$1.out 2>/tmp/vm$1.err &
	eval "vm$1=\$!"
}
vm_reap() { # vm_reap I: if VM I finished, check it and start another
	eval "pid=\$vm$1"
	kill -0 "$pid" 2>/dev/null && return 0
	runs=$((runs + 1))
	if wait "$pid" && grep -q 'result=ok' /tmp/vm$1.out; then
		good=$((good + 1))
	else
		echo "# VM run failed: $(grep total /tmp/vm$1.out) $(tail -n 2 /tmp/vm$1.err)"
	fi
	vm_start "$1"
}
runs=0
good=0
l0=$(vtc_stat loads)
vm_start 1
vm_start 2
vtc_until 60 loaded_more "$l0"
ok=0
n=0
while [ $n -lt "$cycles" ]; do
	n=$((n + 1))
	vtc_disable || break
	vm_reap 1
	vtc_enable || break
	vm_reap 2
	ok=$((ok + 1))
done
echo "# $ok enable/disable cycles; $runs VM runs completed during them, $good clean; skipped=$(vtc_stat skipped) issued=$(vtc_stat issued) inval.transition=$(vtc_stat inval.transition)"
vtc_expect "enable/disable cycles completed with VMs running" "$ok" "==" "$cycles"
vtc_expect "VM runs completed during the cycles" "$runs" ">" 0
vtc_expect "every completed VM run got all its interrupts" "$good" "==" "$runs"
kill -TERM "$vm1" "$vm2" 2>/dev/null
wait "$vm1" "$vm2" 2>/dev/null

# The VMs must finish cleanly: two VMs that run until stopped while the
# patch flips underneath 20 times, then every interrupt is checked.
start_vms
i=0
ok=0
while [ $i -lt 20 ]; do
	vtc_disable && vtc_enable && ok=$((ok + 1))
	i=$((i + 1))
done
vtc_expect "toggling: the patch disabled and enabled each time" "$ok" "==" 20
check_vms "toggling"

# CPU hotplug while the VMs run.
if [ -w /sys/devices/system/cpu/cpu1/online ]; then
	start_vms
	i=0
	hp=0
	# Between steps the VMs load their vcpus again (on the CPU left).
	while [ $i -lt 10 ]; do
		l0=$(vtc_stat loads)
		echo 0 >/sys/devices/system/cpu/cpu1/online && vtc_until 30 loaded_more "$l0" &&
			l0=$(vtc_stat loads) && echo 1 >/sys/devices/system/cpu/cpu1/online &&
			vtc_until 30 loaded_more "$l0" && hp=$((hp + 1))
		i=$((i + 1))
	done
	check_vms "cpu hotplug"
	vtc_expect "cpu1 offline and online, vcpus loaded after each step" "$hp" "==" 10
	vtc_expect "hotplug invalidations counted" "$(vtc_stat inval.cpu_hotplug)" ">" 0
	vtc_check "cpu1 back online" grep -qx 1 /sys/devices/system/cpu/cpu1/online
else
	vtc_not_ok "cpu1 cannot be hotplugged"
fi

vtc_check "disable" vtc_disable
vtc_check "shadow state freed at patch removal" test "$(vtc_stat shadow.vcpus)" = 0
vtc_check "rmmod" rmmod vtimer_cache
vtc_kmemleak_check
vtc_done
