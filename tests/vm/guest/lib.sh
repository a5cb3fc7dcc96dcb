#!/bin/sh
# Helpers for guest test scripts (sourced from /vtc/test.sh).
# Checks print TAP-style "ok N - name" / "not ok N - name" lines that the
# host counts; vtc_done exits non-zero if any check failed.

VTC_N=0
VTC_FAILED=0
TRACING=/sys/kernel/tracing

vtc_ok() {
	VTC_N=$((VTC_N + 1))
	echo "ok $VTC_N - $*"
}

vtc_not_ok() {
	VTC_N=$((VTC_N + 1))
	VTC_FAILED=$((VTC_FAILED + 1))
	echo "not ok $VTC_N - $*"
}

# vtc_check NAME CMD...: run CMD, ok if it exits 0.
vtc_check() {
	name=$1
	shift
	if "$@"; then vtc_ok "$name"; else vtc_not_ok "$name"; fi
}

# vtc_expect NAME VALUE OP BOUND: numeric comparison with awk (floats).
vtc_expect() {
	name=$1 val=$2 op=$3 bound=$4
	if awk -v v="$val" -v b="$bound" "BEGIN { exit !(v $op b) }"; then
		vtc_ok "$name ($val $op $bound)"
	else
		vtc_not_ok "$name ($val $op $bound is false)"
	fi
}

vtc_done() {
	echo "# $VTC_N checks, $VTC_FAILED failed"
	[ "$VTC_FAILED" = 0 ]
}

# Mark a measurement window in QEMU's pl011_write trace: the host-side
# tests/vm/gic-count.py counts GIC MMIO writes between two marks.
vtc_mark() {
	echo "@@VTC-MARK $1@@" >/dev/ttyAMA0
}

# Kprobe events on irq_set_irqchip_state(irq, IRQCHIP_STATE_ACTIVE = 1, val)
# and on kvm_arch_vcpu_load, counted through the trace buffer.
vtc_kprobes_on() {
	echo 'p:vtc_set irq_set_irqchip_state irq=%x0:u32 which=%x1:u32 val=%x2:u8' >>$TRACING/kprobe_events
	echo 'p:vtc_load kvm_arch_vcpu_load' >>$TRACING/kprobe_events
	echo 'which == 1' >$TRACING/events/kprobes/vtc_set/filter
	echo 1 >$TRACING/events/kprobes/vtc_set/enable
	echo 1 >$TRACING/events/kprobes/vtc_load/enable
	echo 16384 >$TRACING/buffer_size_kb
	echo >$TRACING/trace
}

vtc_kprobes_off() {
	echo 0 >$TRACING/events/kprobes/vtc_set/enable
	echo 0 >$TRACING/events/kprobes/vtc_load/enable
	echo >$TRACING/kprobe_events
}

# The host IRQ numbers of the timer PPIs, from /proc/interrupts.
vtc_timer_irqs() {
	awk '/kvm guest [vp]timer/ { sub(":", "", $1); printf "%s ", $1 }' /proc/interrupts
}
