#!/bin/sh
# The cache, stock against cached in one boot.
# usage: module-cache.sh GIC STOCK_WRITES_PER_LOAD   (e.g. v3 2)
. /vtc/lib.sh
gic=$1
stock=$2
ITERS=${ITERS:-2000}
TITERS=${TITERS:-300}

# A generous watchdog: a vcpu thread can starve for seconds on a busy
# 2-core machine running TCG.
vmm() { vtc_vmm --gic "$gic" --timeout 60 "$@"; }

# run NAME ARGS...: run a workload; check that it is clean; print a
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
	echo "# $name patch=$(vtc_stat patch) loads=$loads writes=$writes writes_per_load=$(vtc_stat writes_per_load) issued=$(vtc_stat issued) skipped=$(vtc_stat skipped) skip_ratio=$(vtc_stat skip_ratio) lost=$(vtc_field "$VTC_TOTAL" lost) lat_p50=$(vtc_field "$VTC_TOTAL" lat_p50) lat_p90=$(vtc_field "$VTC_TOTAL" lat_p90) lat_p99=$(vtc_field "$VTC_TOTAL" lat_p99) exits=$(vtc_field "$VTC_TOTAL" exits) ns_per_exit=$(vtc_field "$VTC_TOTAL" ns_per_exit) needed=$(vtc_stat verify.needed) wrong_skips=$(vtc_stat verify.wrong_skips)"
	case "$name" in
	cached*)
		vtc_expect "$name: every skip verified against the GIC (wrong skips)" "$(vtc_stat verify.wrong_skips)" "==" 0
		vtc_expect "$name: skips were checked" "$(vtc_stat verify.checked)" ">" 0
		;;
	esac
}

# verify=1: the module reads the GIC's active bit back before each decision
# and counts skips over a bit that differs (must be 0) and needed writes.
vtc_check "insmod verify=1" vtc_load verify=1

# --- stock against cached: the CLI's bench, every workload -------------------
# With the patch off (stock, the probes still counting), then on (cached),
# each run between counter resets; verify stays 1 throughout. On a nested
# host also the *-el2 workloads. vtc-vmm through a wrapper with the
# generous watchdog.
printf '#!/bin/sh\nexec vtc-vmm --timeout 60 "$@"\n' >/tmp/vmm60
chmod +x /tmp/vmm60
# shellcheck disable=SC2046 # a list of options
sh $VTC_CLI bench --raw --gic "$gic" $(vtc_bench_opts "$ITERS" "$TITERS") \
	--vmm /tmp/vmm60 >/tmp/bench.raw 2>/tmp/bench.err
vtc_expect "vtimer-cache bench --raw: exit status" "$?" "==" 0
sed 's/^/# /' /tmp/bench.err /tmp/bench.raw
vtc_check "the bench left the patch on" test "$(vtc_stat patch)" = enabled
# run_ok MODE WORKLOAD LINE: the run of LINE (bench --raw) was clean.
run_ok() {
	vtc_check "$1 $2: workload ok, every interrupt delivered ($(vtc_field "$3" irqs)/$(vtc_field "$3" irqs_expected))" \
		test "$(vtc_field "$3" rc)" = 0 -a "$(vtc_field "$3" result)" = ok -a "$(vtc_field "$3" lost)" = 0
}
nw=0
# (loops read here-documents, not pipes: a pipe would run the checks in a
# subshell and lose their failure count)
while read -r w _; do
	nw=$((nw + 1))
	st=$(grep "^bench mode=stock workload=$w " /tmp/bench.raw)
	ca=$(grep "^bench mode=cached workload=$w " /tmp/bench.raw)
	run_ok stock "$w" "$st"
	run_ok cached "$w" "$ca"
	vtc_expect "cached $w: every skip verified against the GIC (wrong skips)" "$(vtc_field "$ca" wrong_skips)" "==" 0
	vtc_expect "cached $w: skips were checked" "$(vtc_field "$ca" checked)" ">" 0
	vtc_expect "$w: as many interrupts cached as stock" "$(vtc_field "$ca" irqs)" "==" "$(vtc_field "$st" irqs)"
done <<EOF
$(vtc_workloads "$ITERS" "$TITERS")
EOF
vtc_expect "bench: a stock and a cached run of each of the $nw workloads" \
	"$(grep -c '^bench mode=' /tmp/bench.raw)" "==" $((2 * nw))

# The idle-timer targets, on a fresh count.
run "cached idle mmio-user" --iters "$ITERS" mmio-user
vtc_expect "cached idle: skip ratio" "$(vtc_stat skip_ratio)" ">=" 0.998
vtc_expect "cached idle: issued writes per load" "$(vtc_stat issued_per_load)" "<=" 0.005
vtc_expect "cached idle: probe agrees with the cache's count" "$(vtc_stat writes)" "==" "$(vtc_stat issued)"
vtc_expect "cached idle: all writes are 'inactive'" "$(vtc_stat writes.vtimer.active)" "==" 0
run "cached timer-mmio again" --iters "$TITERS" timer-mmio
vtc_expect "cached timer-mmio: host acks learnt (bit known 1)" "$(vtc_stat learnt.vtimer.host_ack)" ">" 0
vtc_expect "cached timer-mmio: guest deactivations learnt from the LRs (bit known 0)" \
	"$(vtc_stat learnt.vtimer.guest_deactivate)" ">" 0
# Stock writes "active" on every load while the interrupt is pending or
# active in the vgic, about twice per interrupt here; with the bit known
# to be 1 after the host's ack, at most once.
vtc_expect "cached timer-mmio: at most one write of 1 per interrupt" \
	"$(vtc_stat writes.vtimer.active)" "<=" "$(vtc_field "$VTC_TOTAL" irqs)"
# The floor: verify counts the decisions where the bit differed from the
# value to write, i.e. the writes any cache must issue. The cache may
# exceed it only by its priming writes (one per CPU and timer after the
# stats reset at most, since nothing was known on a CPU that had not
# written yet) and the target: 5%.
floor=$(vtc_stat verify.needed)
issued=$(vtc_stat issued)
echo "# timer-mmio: cached issued $issued, floor (needed) $floor"
vtc_expect "cached timer-mmio: issued writes within 5% of the floor (+4 priming)" \
	"$issued" "<=" "$(awk -v f="$floor" 'BEGIN { printf "%d", f * 1.05 + 4 }')"
run "cached migrate again" --iters "$TITERS" migrate
vtc_expect "cached migrate: vcpu moved between CPUs" "$(vtc_field "$VTC_TOTAL" migrations)" ">" 0

# --- foreign writes: the guest sets and clears the PPI's active state --------
# KVM writes the physical bit for it (vgic_hw_irq_change_active()), on the
# CPU the vcpu thread runs on. Two vcpus, whose threads move to the next
# CPU every 7 exits: a load on a CPU may come from the vcpu that wrote its
# bit, wanting that value, or from the other one, wanting the other value.
run "cached active-mmio" --iters "$TITERS" --vcpus 2 --migrate 7 active-mmio
vtc_expect "cached active-mmio: KVM's writes of 1 for the guest seen" "$(vtc_stat foreign.vtimer.active)" ">" 0
vtc_expect "cached active-mmio: and of 0" "$(vtc_stat foreign.vtimer.inactive)" ">" 0
vtc_expect "cached active-mmio: loads after them skip (the bit learnt from KVM's write)" "$(vtc_stat skipped.vtimer)" ">" 0
vtc_expect "cached active-mmio: vcpu moved between CPUs" "$(vtc_field "$VTC_TOTAL" migrations)" ">" 0

# --- the hot path: nothing but the klp redirects while enabled ---------------
n=$(wc -l </sys/kernel/debug/kprobes/list)
vtc_check "no kprobe (BRK) registered while enabled ($n)" test "$n" = 0
ef=/sys/kernel/tracing/enabled_functions
sed 's/^/# ftrace: /' $ef
# Every exit runs these. The module hooks none (it replaces
# kvm_timer_vcpu_load(), once per load: klp's redirect, checked below).
for f in kvm_vgic_sync_hwstate vgic_v3_fold_lr_state \
	vgic_v2_fold_lr_state kvm_vgic_flush_hwstate; do
	vtc_check "enabled: nothing hooked on $f" sh -c "! grep -q '^$f ' $ef"
done
# The patched functions (klp's sysfs lists them): one ftrace ops each,
# the klp redirect, and no other.
nf=0
for d in "$VTC_LP"/vmlinux/*,*; do
	f=${d##*/}
	f=${f%,*}
	nf=$((nf + 1))
	vtc_check "enabled: $f has one ftrace ops, klp's" grep -q "^$f (1) .*klp_ftrace_handler" $ef
done
vtc_expect "patched functions listed by klp" "$nf" ">=" 5

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
echo "# kvm_timer_update_irq events: patch on $on, off $off (100 MMIO exits each)"
vtc_expect "tracepoint kvm_timer_update_irq fires with the patch on" "$on" ">" 0
# One event per direct timer per load either way; the loads of two runs
# differ by a few (VMM start-up), hence the 10% margin.
vtc_expect "tracepoint: as many events on as off (within 10%)" \
	"$(awk -v a="$on" -v b="$off" 'BEGIN { d = a - b; if (d < 0) d = -d; print d / b }')" "<=" 0.1

# --- after disable: stock again, and only the counting probes ----------------
vtc_check "disabled: the counting probe on kvm_timer_vcpu_load" grep -q "^kvm_timer_vcpu_load (1) " $ef
vtc_check "disabled: no klp redirect left" sh -c "! grep -q klp_ftrace_handler $ef"
run "stock again idle mmio-user" --iters "$ITERS" mmio-user
vtc_expect "disabled again: writes per load back to stock" "$(vtc_stat writes_per_load)" "==" "$stock"
vtc_check "rmmod" rmmod vtimer_cache
vtc_done
