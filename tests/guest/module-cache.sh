#!/bin/sh
# The cache, stock against cached in one boot.
# usage: module-cache.sh GIC STOCK_WRITES_PER_LOAD   (e.g. v3 2)
. /vtc/lib.sh
gic=$1
stock=$2
ITERS=${ITERS:-2000}
TITERS=${TITERS:-300}

vmm() { vtc_vmm --gic "$gic" "$@"; }

# vtc_run NAME ARGS...: run a workload; check that it is clean; print a
# summary line "# NAME mode=... writes/load=... skip=... lat=p50/p90/p99".
run() {
	name=$1
	shift
	echo reset >$VTC_DBG/stats
	if vmm "$@" >/tmp/vmm.out; then
		vtc_ok "$name: workload ok, every interrupt delivered ($(vtc_field "$VTC_TOTAL" irqs)/$(vtc_field "$VTC_TOTAL" irqs_expected))"
	else
		vtc_not_ok "$name: workload failed: $VTC_TOTAL"
	fi
	loads=$(vtc_stat loads)
	writes=$(vtc_stat writes)
	echo "# $name patch=$(vtc_stat patch) loads=$loads writes=$writes writes_per_load=$(vtc_stat writes_per_load) issued=$(vtc_stat issued) skipped=$(vtc_stat skipped) skip_ratio=$(vtc_stat skip_ratio) lost=$(vtc_field "$VTC_TOTAL" lost) lat_p50=$(vtc_field "$VTC_TOTAL" lat_p50) lat_p90=$(vtc_field "$VTC_TOTAL" lat_p90) lat_p99=$(vtc_field "$VTC_TOTAL" lat_p99) exits=$(vtc_field "$VTC_TOTAL" exits)"
}

vtc_check "insmod" vtc_load

# --- stock: the patch off, the probes still counting -----------------------
vtc_check "disable" vtc_disable
run "stock idle mmio-user" --iters "$ITERS" mmio-user
vtc_expect "stock: writes per load" "$(vtc_stat writes_per_load)" "==" "$stock"
vtc_expect "stock: no cached-path writes" "$(vtc_stat issued)" "==" 0
run "stock timer-mmio" --iters "$TITERS" timer-mmio
stock_irqs=$(vtc_field "$VTC_TOTAL" irqs)
run "stock migrate" --iters "$TITERS" migrate
run "stock wfi" --iters "$TITERS" wfi

# --- cached ----------------------------------------------------------------
vtc_check "enable" vtc_enable
run "cached idle mmio-user" --iters "$ITERS" mmio-user
vtc_expect "cached idle: skip ratio" "$(vtc_stat skip_ratio)" ">=" 0.998
vtc_expect "cached idle: issued writes per load" "$(vtc_stat issued_per_load)" "<=" 0.005
vtc_expect "cached idle: probe agrees with the cache's count" "$(vtc_stat writes)" "==" "$(vtc_stat issued)"
vtc_expect "cached idle: all writes are 'inactive'" "$(vtc_stat writes.vtimer.active)" "==" 0

run "cached timer-mmio" --iters "$TITERS" timer-mmio
vtc_expect "cached timer-mmio: as many interrupts as stock" "$(vtc_field "$VTC_TOTAL" irqs)" "==" "$stock_irqs"
vtc_expect "cached timer-mmio: host acks seen" "$(vtc_stat inval.host_ack)" ">" 0
run "cached migrate" --iters "$TITERS" migrate
vtc_expect "cached migrate: vcpu moved between CPUs" "$(vtc_field "$VTC_TOTAL" migrations)" ">" 0
run "cached wfi" --iters "$TITERS" wfi
run "cached timer-mmio 2 vcpus" --iters "$TITERS" --vcpus 2 timer-mmio
run "cached hvc" --iters "$ITERS" hvc
run "cached mmio-user 2 vcpus" --iters "$ITERS" --vcpus 2 mmio-user
vtc_expect "cached 2 vcpus: skip ratio" "$(vtc_stat skip_ratio)" ">=" 0.99

# --- the hot path: no BRK kprobe while enabled -------------------------------
n=$(wc -l </sys/kernel/debug/kprobes/list)
vtc_check "no kprobe (BRK) registered while enabled ($n)" test "$n" = 0
grep -E 'irq_set_irqchip_state|kvm_timer_vcpu_load|kvm_arch_vcpu_destroy' \
	/sys/kernel/tracing/enabled_functions | sed 's/^/# ftrace: /'

# --- the kernel's own tracepoint still fires with the patch on ---------------
ev=/sys/kernel/tracing/events/kvm/kvm_timer_update_irq
echo 1 >$ev/enable
echo >/sys/kernel/tracing/trace
vmm --iters 100 mmio-user >/dev/null
on=$(grep -c kvm_timer_update_irq /sys/kernel/tracing/trace)
vtc_disable
echo >/sys/kernel/tracing/trace
vmm --iters 100 mmio-user >/dev/null
off=$(grep -c kvm_timer_update_irq /sys/kernel/tracing/trace)
echo 0 >$ev/enable
echo "# kvm_timer_update_irq events: patch on $on, off $off"
vtc_expect "tracepoint kvm_timer_update_irq fires with the patch on" "$on" ">" 0
vtc_expect "tracepoint: same number of events on and off" "$on" "==" "$off"

# --- after disable: stock again ---------------------------------------------
run "stock again idle mmio-user" --iters "$ITERS" mmio-user
vtc_expect "disabled again: writes per load back to stock" "$(vtc_stat writes_per_load)" "==" "$stock"
vtc_check "rmmod" rmmod vtimer_cache
vtc_done
