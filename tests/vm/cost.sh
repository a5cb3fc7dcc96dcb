#!/bin/sh
# The cost tool's guest side (runs as /vtc/test.sh in the emulated host,
# booted by tools/cost/run.sh with the vtc-cost QEMU plugin): every
# workload, REPEATS times, in each phase, in one boot:
#   stock  vtimer_cache never loaded
#   on     insmod /vtc/vtimer_cache.ko (patch enabled), or re-enabled
#   off    patch disabled through /sys/kernel/livepatch (module loaded,
#          its fprobes still counting)
#   native the kernel has the cache itself (the series in patches/), no
#          module: booted on its own (tools/cost/run.sh --native)
#
#   cost.sh [--warmup N] GIC ITERS TITERS HITERS REPEATS [WORKLOADS [PHASES]]
#
# ITERS / TITERS: iterations of the idle-timer and the timer workloads (as
# in vtc_workloads); HITERS: of the in-kernel one, hvc, whose exits are
# about 7 times cheaper, so that its windows are as long and a host tick
# or a context switch more or less weighs as little.
# WORKLOADS: comma-separated names from vtc_workloads (lib.sh), or
# "default": all of them with one vcpu, and ipi (two vcpus: an SGI each
# way per iteration). PHASES default: stock,on,off.
#
# Before the REPEATS measured runs of a workload in a phase, N (default 1)
# warm-up runs, reported as rep 0 and left out of the table: the first run
# of a code path in a boot pays for lockdep learning its lock chains.
#
# KVM's halt polling is off (kvm.halt_poll_ns=0): a polling vcpu spins
# until its timer fires, so its instructions would measure time, not cost.
#
# Each vtc-vmm run gets --cost-marks, so the plugin opens one counting
# window per vcpu. Windows are numbered in the order they open; this
# script counts them the same way and says which is which:
#   cost-window N = PHASE WORKLOAD REP          (N..M for several vcpus)
#   cost-run window=N phase=P workload=W rep=R rc=RC mod_loads=L
#       mod_writes=W <the vtc-vmm total line's key=value fields>
# mod_loads / mod_writes: the module's own counters (fprobes on
# kvm_timer_vcpu_load and irq_set_irqchip_state) over the run, "-" in the
# stock phase.
. /vtc/lib.sh

warmup=1
if [ "${1:-}" = --warmup ]; then
	warmup=$2
	shift 2
fi
if [ $# -lt 5 ]; then
	echo "usage: $0 GIC ITERS TITERS HITERS REPEATS [WORKLOADS [PHASES]]" >&2
	exit 2
fi
gic=$1 iters=$2 titers=$3 hiters=$4 reps=$5 wls=${6:-default} phases=${7:-stock,on,off}
vmm=/vtc/bin/vtc-vmm.bin	# not the retrying wrapper: one run, one window set
[ -x $vmm ] || vmm=/vtc/bin/vtc-vmm
poll=/sys/module/kvm/parameters/halt_poll_ns
[ -w $poll ] && echo 0 >$poll
win=0
rc_all=0

# The workloads: "name|vtc-vmm arguments" lines.
vtc_workloads "$iters" "$titers" | while read -r name args; do
	if [ "$wls" = default ]; then
		[ "$name" = ipi ] || case " $args " in *" --vcpus "*) continue ;; esac
	else
		case ",$wls," in *",$name,"*) ;; *) continue ;; esac
	fi
	[ "$name" = hvc ] && args=$(echo "$args" | sed "s/--iters [0-9]*/--iters $hiters/")
	echo "$name|$args"
done >/tmp/cost-workloads
[ -s /tmp/cost-workloads ] || { echo "cost-error no workload matches '$wls'"; exit 1; }

modstat() { # modstat NAME: a module counter, "-" without the module
	if [ -r $VTC_DBG/stats ]; then vtc_stat "$1"; else echo -; fi
}

# measure PHASE NAME ARGS REP
measure() {
	nv=1
	case " $3 " in *" --vcpus "*) nv=$(echo "$3" | sed 's/.*--vcpus \([0-9]*\).*/\1/') ;; esac
	l0=$(modstat loads)
	w0=$(modstat writes)
	# shellcheck disable=SC2086 # ARGS is a list
	out=$($vmm --gic "$gic" --cost-marks $3)
	rc=$?
	l1=$(modstat loads)
	w1=$(modstat writes)
	first=$((win + 1))
	win=$((win + nv))
	if [ "$nv" = 1 ]; then range=$first; else range=$first..$win; fi
	echo "cost-window $range = $1 $2 $4"
	dl=-
	dw=-
	[ "$l0" != - ] && [ "$l1" != - ] && dl=$((l1 - l0)) && dw=$((w1 - w0))
	# (without the VMM's own workload=: hvc-el2 runs its "hvc")
	total=$(echo "$out" | grep '^vtc-vmm total' | sed -e 's/^vtc-vmm total //' -e 's/workload=[^ ]* //')
	echo "cost-run window=$range phase=$1 workload=$2 rep=$4 rc=$rc mod_loads=$dl mod_writes=$dw $total"
	if [ "$rc" != 0 ]; then
		echo "cost-error phase=$1 workload=$2 rep=$4 rc=$rc"
		echo "$out" | sed 's/^/# /'
		rc_all=1
	fi
}

echo "cost-info gic=$gic iters=$iters titers=$titers hiters=$hiters repeats=$reps warmup=$warmup kernel=$(uname -r)"
echo "cost-info halt_poll_ns=$(cat $poll 2>/dev/null) cmdline=$(cat /proc/cmdline)"
for phase in $(echo "$phases" | tr , ' '); do
	case $phase in
	stock|native)
		if grep -q '^vtimer_cache ' /proc/modules; then
			echo "cost-error phase $phase: vtimer_cache is loaded"
			exit 1
		fi
		# The series' per-CPU state names the kernel that has it.
		if grep -qw timer_phys_active /proc/kallsyms; then has=native; else has=stock; fi
		if [ "$has" != "$phase" ]; then
			echo "cost-error phase $phase on a $has kernel ($(uname -r))"
			exit 1
		fi
		;;
	on)
		if ! grep -q '^vtimer_cache ' /proc/modules; then
			vtc_load || { echo "cost-error insmod /vtc/vtimer_cache.ko"; dmesg | tail -n 5; exit 1; }
			echo "cost-info module_text=$(cat /sys/module/vtimer_cache/sections/.text)"
		else
			vtc_enable || { echo "cost-error enable"; exit 1; }
		fi
		;;
	off)
		vtc_disable || { echo "cost-error disable"; exit 1; }
		;;
	*)
		echo "cost-error unknown phase $phase"
		exit 1
		;;
	esac
	echo "cost-phase $phase patch=$(modstat patch)"
	while IFS='|' read -r name args; do
		r=$((1 - warmup))
		while [ $r -le "$reps" ]; do
			measure "$phase" "$name" "$args" "$r"
			r=$((r + 1))
		done
	done </tmp/cost-workloads
done
echo "cost-done windows=$win rc=$rc_all"
exit $rc_all
