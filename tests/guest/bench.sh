#!/bin/sh
# make bench, inside the emulated host: every workload with the patch off
# (stock) and on (cached) in one boot, each in a console window that
# tests/vm/gic-count.py matches against QEMU's GIC write trace.
# Then a verify=1 pass for the necessary-write floor.
# usage: bench.sh GIC ITERS TITERS
. /vtc/lib.sh
. /vtc/measure.sh
gic=$1
ITERS=${2:-1000}
TITERS=${3:-200}

WORKLOADS=$(vtc_workloads "$ITERS" "$TITERS")

# one MODE WORKLOAD ARGS...: a measured run; prints one "bench" line.
one() {
	mode=$1 w=$2
	shift 2
	echo reset >$VTC_DBG/stats
	vtm_mark "$mode.$w-begin"
	out=$(vtc-vmm --gic "$gic" "$@")
	rc=$?
	vtm_mark "$mode.$w-end"
	t=$(echo "$out" | grep '^vtc-vmm total')
	f() { vtc_field "$t" "$1"; }
	s() { vtc_stat "$1"; }
	echo "bench mode=$mode workload=$w rc=$rc result=$(f result) exits=$(f exits) iters=$(f iters) vcpus=$(f vcpus) loads=$(s loads) writes=$(s writes) issued=$(s issued) skipped=$(s skipped) needed=$(s verify.needed) wrong_skips=$(s verify.wrong_skips) verify=$(s verify) irqs=$(f irqs) irqs_expected=$(f irqs_expected) lost=$(f lost) dup=$(f dup) stuck=$(f stuck) lat_p50=$(f lat_p50) lat_p90=$(f lat_p90) lat_p99=$(f lat_p99) ns_per_exit=$(f ns_per_exit) cntfrq=$(f cntfrq)"
	[ "$rc" = 0 ]
}

each() { # each MODE [WORKLOAD-FILTER]
	while IFS='|' read -r w args; do
		if [ -n "$2" ]; then
			case " $2 " in *" $w "*) ;; *) continue ;; esac
		fi
		# shellcheck disable=SC2086
		one "$1" "$w" $args || echo "bench-error mode=$1 workload=$w"
	done <<-EOF
	$WORKLOADS
	EOF
}

vtc_load || { echo "bench-error insmod"; exit 1; }
vtc_disable
each stock
vtc_enable
each cached

# The floor: with verify=1 the module reads the bit back before every write
# (extra GIC reads, so outside the GIC-count windows' purpose).
echo 1 >/sys/module/vtimer_cache/parameters/verify
# Idle workloads need no write at all (floor 0); the timer-busy ones are
# where the floor matters.
vtc_disable
each floor-stock "timer-mmio wfi migrate timer-mmio-2vcpu"
vtc_enable
each floor-cached "timer-mmio wfi migrate timer-mmio-2vcpu"
echo 0 >/sys/module/vtimer_cache/parameters/verify
vtc_disable
rmmod vtimer_cache
echo "bench-done"
