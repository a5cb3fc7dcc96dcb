#!/bin/sh
# Guest-side measurement helpers (sourced after /vtc/lib.sh), used by
# tests/baseline.sh:
#
#   . /vtc/lib.sh
#   . /vtc/measure.sh
#   vtm_setup                  # kprobes on, timer irqs, host gic / kvm mode
#   vtm_idle idle 1            # a window with nothing running, 1 s
#   vtm_run mmio-user --iters 200 mmio-user
#   vtm_teardown
#
# vtm_run LABEL VMM-ARGS... runs vtc-vmm once inside a console window
# "LABEL" (QEMU's pl011_write trace, counted on the host by
# tests/vm/gic-count.py) and counts, from the kprobe events of lib.sh's
# vtc_kprobes_on, the vcpu loads (vtc_load: kvm_arch_vcpu_load) and the
# active-state writes to the timer interrupts (vtc_set:
# irq_set_irqchip_state(irq, IRQCHIP_STATE_ACTIVE, val) for the "kvm guest
# vtimer/ptimer" host irqs), split by the value written. It prints
#
#   vtm label=L workload=W vcpus=N iters=N gic=vX kvm_mode=M rc=N \
#       result=ok exits=N progress=N vmm_ns=N run_s=S window_s=S \
#       loads=N sets=N set0=N set1=N other_sets=N dropped=N
#
# after the VMM's own output as "# vtc-vmm ..." comment lines. run_s:
# guest uptime around the VMM run, window_s: between the two marks (10 ms
# resolution; the marks' sleeps add ~0.2 s); other_sets: active-state
# writes to other irqs; dropped: trace events lost to a full buffer (must
# be 0). vtm_run returns non-zero if the VMM failed, its total line is
# missing or trace events were dropped.
#
# Names start with vtm_ / VTM_ so as not to clash with lib.sh.

VTM_TRACING=${TRACING:-/sys/kernel/tracing}
VTM_CONSOLE=/dev/ttyAMA0
VTM_FAILED=0

# vtm_mark NAME: write "@@VTC-MARK NAME@@" to the PL011 console in one
# write(2), which the tty layer keeps in one piece against other writers
# (the script's own output reaches the console through init's tee). The
# sleeps let output queued before the mark, and then the mark itself,
# drain out of the UART so that the window boundary is where the trace
# shows it.
vtm_mark() {
	sleep 0.1
	echo "@@VTC-MARK $1@@" >$VTM_CONSOLE
	VTM_T=$(vtm_uptime)
	sleep 0.1
}

# vtm_uptime: seconds since boot, 10 ms resolution.
vtm_uptime() {
	read -r up _ </proc/uptime
	echo "$up"
}

vtm_sub() {
	awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'
}

# vtm_kv KEY LINE: the value of KEY in a key=value line.
vtm_kv() {
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1
}

vtm_setup() {
	if grep -q GICv3 /proc/interrupts; then VTM_GIC=v3; else VTM_GIC=v2; fi
	# arch/arm64/kvm/arm.c: "kvm [1]: VHE mode initialized successfully",
	# "Hyp nVHE mode ...", "Hyp hVHE mode ...", "Protected nVHE mode ...".
	VTM_KVM=$(dmesg | grep -o '[A-Za-z ]*VHE mode initialized' | head -n 1)
	case "$VTM_KVM" in
	*Protected*) VTM_MODE=protected ;;
	*nVHE*) VTM_MODE=nvhe ;;
	*hVHE*) VTM_MODE=hvhe ;;
	*VHE*) VTM_MODE=vhe ;;
	*) VTM_MODE=unknown ;;
	esac
	VTM_IRQS=$(vtc_timer_irqs)
	echo "# vtm gic=$VTM_GIC kvm_mode=$VTM_MODE ($VTM_KVM)" \
		"timer_irqs=$VTM_IRQS"
	if [ -z "$VTM_IRQS" ]; then
		echo "# vtm: no 'kvm guest vtimer/ptimer' in /proc/interrupts"
		VTM_FAILED=$((VTM_FAILED + 1))
	fi
	vtc_kprobes_on
}

vtm_teardown() {
	vtc_kprobes_off
}

# vtm_counts: "loads=N sets=N set0=N set1=N other_sets=N dropped=N" from
# the trace buffer.
vtm_counts() {
	awk -v irqs="$VTM_IRQS" '
	BEGIN { n = split(irqs, a, " "); for (i = 1; i <= n; i++) t[a[i]] = 1 }
	/^# entries-in-buffer\/entries-written:/ {
		split($3, e, "/"); dropped = e[2] - e[1]
	}
	/^#/ { next }
	/ vtc_load: / { loads++ }
	/ vtc_set: / {
		irq = ""; val = ""
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^irq=/) irq = substr($i, 5)
			if ($i ~ /^val=/) val = substr($i, 5)
		}
		if (!(irq in t)) { other++; next }
		sets++
		if (val == 0) s0++; else s1++
	}
	END {
		printf "loads=%d sets=%d set0=%d set1=%d other_sets=%d dropped=%d\n",
		    loads, sets, s0, s1, other, dropped
	}' "$VTM_TRACING/trace"
}

# vtm_run LABEL VMM-ARGS...: one measured vtc-vmm run (see the top).
vtm_run() {
	label=$1
	shift
	echo >"$VTM_TRACING/trace"
	vtm_mark "$label-begin"
	w0=$VTM_T
	t0=$(vtm_uptime)
	out=$(vtc-vmm --gic "$VTM_GIC" --quiet "$@" 2>/tmp/vtm.err)
	rc=$?
	t1=$(vtm_uptime)
	vtm_mark "$label-end"
	counts=$(vtm_counts)
	w1=$VTM_T
	echo "$out" | sed 's/^/# /'
	sed 's/^/# stderr: /' /tmp/vtm.err
	total=$(echo "$out" | grep '^vtc-vmm total ')
	res=$(vtm_kv result "$total")
	echo "vtm label=$label workload=$(vtm_kv workload "$total")" \
		"vcpus=$(vtm_kv vcpus "$total") iters=$(vtm_kv iters "$total")" \
		"gic=$VTM_GIC kvm_mode=$VTM_MODE rc=$rc result=${res:-none}" \
		"exits=$(vtm_kv exits "$total")" \
		"progress=$(vtm_kv progress "$total")" \
		"vmm_ns=$(vtm_kv ns "$total")" \
		"run_s=$(vtm_sub "$t0" "$t1") window_s=$(vtm_sub "$w0" "$w1")" \
		"$counts"
	if [ "$rc" != 0 ] || [ "$res" != ok ] ||
	   [ "$(vtm_kv dropped "$counts")" != 0 ]; then
		VTM_FAILED=$((VTM_FAILED + 1))
		return 1
	fi
	return 0
}

# vtm_idle LABEL SECONDS: a window with no VM, for the background rate of
# GIC writes (host timer ticks, IPIs: GICv2 EOIR/DIR and SGIR writes).
vtm_idle() {
	echo >"$VTM_TRACING/trace"
	vtm_mark "$1-begin"
	w0=$VTM_T
	t0=$(vtm_uptime)
	sleep "$2"
	t1=$(vtm_uptime)
	vtm_mark "$1-end"
	w1=$VTM_T
	echo "vtm label=$1 workload=idle vcpus=0 iters=0 gic=$VTM_GIC" \
		"kvm_mode=$VTM_MODE rc=0 result=ok exits=0 progress=0" \
		"vmm_ns=0 run_s=$(vtm_sub "$t0" "$t1")" \
		"window_s=$(vtm_sub "$w0" "$w1") $(vtm_counts)"
}
