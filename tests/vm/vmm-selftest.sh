#!/bin/sh
# Self-test of vtc-vmm, run inside the test host by tests/rig/run.sh:
#
#   make -C tools/vmm
#   tests/rig/run.sh [--gic 2|3] [--mode vhe|nvhe] tests/vm/vmm-selftest.sh [ITERS]
#
# Every workload must pass with 1 and 2 vcpus on the host's GIC model
# (ipi with 2 and 4, lpi with 1 and only on GICv3), a deliberately broken
# guest must be reported as an error, and bad usage must exit 2.
# shellcheck source=lib.sh
. /vtc/lib.sh

iters=${1:-200}
if grep -q 'GICv3' /proc/interrupts; then gic=v3; else gic=v2; fi
echo "# host gic=$gic iters=$iters"

# kv KEY LINE: the value of KEY in a key=value line.
kv() {
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# run NAME EXPECT_RC ARGS...: run vtc-vmm, check its exit code, keep
# its total line in $total.
run() {
	name=$1 want=$2
	shift 2
	out=$(vtc-vmm --gic "$gic" --quiet "$@" 2>/tmp/vmm-selftest.err)
	rc=$?
	echo "$out" | sed 's/^/# /'
	# A crash report or an error says where; keep it in the transcript.
	head -n 20 /tmp/vmm-selftest.err | sed 's/^/# stderr: /'
	total=$(echo "$out" | grep '^vtc-vmm total ')
	vtc_check "$name: exit code $rc = $want" [ "$rc" = "$want" ]
}

for vcpus in 1 2; do
	for w in mmio-user hvc timer-mmio wfi migrate; do
		run "$w vcpus=$vcpus" 0 --vcpus "$vcpus" --iters "$iters" "$w"
		vtc_check "$w vcpus=$vcpus: result=ok" \
			[ "$(kv result "$total")" = ok ]
		case $w in
		timer-mmio|wfi|migrate)
			vtc_check "$w vcpus=$vcpus: all irqs" \
				[ "$(kv irqs "$total")" = $((iters * vcpus)) ]
			;;
		esac
		[ $w$vcpus = wfi1 ] && vtc_check "wfi: the host trapped WFIs" \
			[ "$(kv k_wfi "$total")" -gt 0 ]
		case $w in
		mmio-user) per=1 ;;
		timer-mmio|migrate) per=20 ;;
		*) per=0 ;;
		esac
		vtc_check "$w vcpus=$vcpus: exits" [ "$(kv exits "$total")" = \
			$(((iters * per + 1) * vcpus)) ]
	done
done

# ipi and lpi: one interrupt per iteration and vcpu, delivered in the
# kernel: the only exit to the VMM is each vcpu's last, and every SGI sent
# or doorbell written is at least one host exit (KVM's exits counter).
for wv in "ipi 2" "ipi 4" "lpi 1"; do
	w=${wv% *} vcpus=${wv#* }
	[ "$w" = lpi ] && [ $gic = v2 ] && continue
	run "$w vcpus=$vcpus" 0 --vcpus "$vcpus" --iters "$iters" "$w"
	vtc_check "$w vcpus=$vcpus: result=ok" [ "$(kv result "$total")" = ok ]
	vtc_check "$w vcpus=$vcpus: irqs = iters per vcpu" \
		[ "$(kv irqs "$total")" = $((iters * vcpus)) ]
	vtc_check "$w vcpus=$vcpus: none lost, duplicated or spurious" \
		[ "$(kv lost "$total")/$(kv dup "$total")/$(kv spurious "$total")" = 0/0/0 ]
	vtc_check "$w vcpus=$vcpus: exits" [ "$(kv exits "$total")" = "$vcpus" ]
	k=$(kv k_exits "$total")
	vtc_expect "$w vcpus=$vcpus: host exits, at least 1 per irq" \
		"${k:-0}" ">=" $((iters * vcpus))
	vtc_expect "$w vcpus=$vcpus: host exits, at most 4 per irq" \
		"${k:-0}" "<=" $((iters * vcpus * 4))
	[ "$w$vcpus" = ipi2 ] && vtc_check "ipi: the host trapped WFIs" \
		[ "$(kv k_wfi "$total")" -gt 0 ]
done

run "broken: no-eoi timer-mmio" 1 --iters 20 --break no-eoi timer-mmio
vtc_check "no-eoi: stuck reported" [ "$(kv stuck "$total")" -gt 0 ]
vtc_check "no-eoi: lost reported" [ "$(kv lost "$total")" -gt 0 ]
run "broken: no-eoi wfi" 1 --iters 20 --timeout 3 --break no-eoi wfi
vtc_check "no-eoi wfi: lost reported" [ "$(kv lost "$total")" -gt 0 ]
run "broken: no-disable" 1 --iters 20 --break no-disable timer-mmio
vtc_check "no-disable: dup reported" [ "$(kv dup "$total")" -gt 0 ]
run "broken: no-enable" 1 --iters 20 --break no-enable timer-mmio
vtc_check "no-enable: lost reported" [ "$(kv lost "$total")" -gt 0 ]
run "broken: no-enable ipi" 1 --vcpus 2 --iters 20 --timeout 3 \
	--break no-enable ipi
vtc_check "no-enable ipi: lost reported" [ "$(kv lost "$total")" -gt 0 ]
if [ $gic = v3 ]; then
	run "broken: no-eoi lpi" 1 --iters 20 --break no-eoi lpi
	vtc_check "no-eoi lpi: lost reported" [ "$(kv lost "$total")" -gt 0 ]
fi

for args in "" "--bogus hvc" "nope" "--iters 0 hvc" "--gic v4 hvc" \
	    "hvc wfi" "--iters" "--vcpus 2x hvc" "ipi" "--vcpus 3 ipi" \
	    "--gic v2 lpi" "--vcpus 2 lpi"; do
	# shellcheck disable=SC2086
	vtc-vmm $args >/dev/null 2>&1
	rc=$?
	vtc_check "usage '$args' exits 2" [ "$rc" = 2 ]
done

vtc_done
