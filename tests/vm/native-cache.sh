#!/bin/sh
# Guest test: module-cache.sh's workloads on the native kernel (the series
# of patches/ applied; the module does not load on it), with the
# active-state writes and the vcpu loads counted by kprobes:
#   - every workload clean, every timer interrupt delivered;
#   - idle-timer guests (mmio-user, hvc, mmio-user-2vcpu) write at most
#     0.01 times per load (stock: 2.0 on VHE, 1.0 on nVHE);
#   - timer-busy guests at most 0.15 per load (stock: 2.05 / 1.05; the
#     livepatch's verified floor on the same workloads is 0.05-0.09);
#   - wfi at most 1.05 per load (stock 2.0): the timer fires during every
#     block, and about one write per load is needed (the livepatch's
#     verify pass: 194 needed for 196 loads).
#
#   native-cache.sh GIC   (v3 or v2)
. /vtc/lib.sh
gic=$1
ITERS=${ITERS:-2000}
TITERS=${TITERS:-300}

has=$(vtc_host_kind)
vtc_check "the host kernel is native ($(uname -r): $has)" test "$has" = native
echo "# KVM: $(vtc_kvm_mode)"

vtc_kprobes_on
# (a here-document, not a pipe: the checks must not run in a subshell)
while read -r name args; do
	echo >$TRACING/trace
	# shellcheck disable=SC2086 # the workload's arguments, split
	if vtc_vmm --gic "$gic" --timeout 60 $args >/dev/null; then
		vtc_ok "$name: workload ok, every interrupt delivered ($(vtc_field "$VTC_TOTAL" irqs)/$(vtc_field "$VTC_TOTAL" irqs_expected))"
	else
		vtc_not_ok "$name: workload failed: $VTC_TOTAL"
	fi
	loads=$(grep -c ' vtc_load:' $TRACING/trace)
	writes=$(grep -c ' vtc_set:' $TRACING/trace)
	lost=$(awk '/entries-in-buffer/ { split($3, n, "/"); print (n[1] == n[2]) ? 0 : 1 }' $TRACING/trace)
	vtc_expect "$name: no trace event lost" "${lost:-1}" "==" 0
	wpl=$(awk -v w="$writes" -v l="$loads" 'BEGIN { printf "%.3f", l ? w / l : 99 }')
	echo "# $name native loads=$loads writes=$writes writes_per_load=$wpl exits=$(vtc_field "$VTC_TOTAL" exits)"
	case $name in
	mmio-user*|hvc) max=0.01 ;;
	wfi) max=1.05 ;;
	*) max=0.15 ;;
	esac
	vtc_check "$name: $wpl writes per load <= $max" \
		awk -v a="$wpl" -v b="$max" -v l="$loads" 'BEGIN { exit !(l > 0 && a <= b) }'
done <<EOF
$(vtc_workloads "$ITERS" "$TITERS")
EOF
vtc_kprobes_off
vtc_done
