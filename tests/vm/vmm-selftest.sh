#!/bin/sh
# Self-test of vtc-vmm, run inside the test host by tests/rig/run.sh:
#
#   make -C tests/vmm
#   tests/rig/run.sh [--gic 2|3] [--mode vhe|nvhe] tests/vm/vmm-selftest.sh [ITERS]
#
# Every workload must pass with 1 and 2 vcpus on the host's GIC model, a
# deliberately broken guest must be reported as an error, and bad usage
# must exit 2.
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

run "broken: no-eoi timer-mmio" 1 --iters 20 --break no-eoi timer-mmio
vtc_check "no-eoi: stuck reported" [ "$(kv stuck "$total")" -gt 0 ]
vtc_check "no-eoi: lost reported" [ "$(kv lost "$total")" -gt 0 ]
run "broken: no-eoi wfi" 1 --iters 20 --timeout 3 --break no-eoi wfi
vtc_check "no-eoi wfi: lost reported" [ "$(kv lost "$total")" -gt 0 ]
run "broken: no-disable" 1 --iters 20 --break no-disable timer-mmio
vtc_check "no-disable: dup reported" [ "$(kv dup "$total")" -gt 0 ]
run "broken: no-enable" 1 --iters 20 --break no-enable timer-mmio
vtc_check "no-enable: lost reported" [ "$(kv lost "$total")" -gt 0 ]

for args in "" "--bogus hvc" "nope" "--iters 0 hvc" "--gic v4 hvc" \
	    "hvc wfi" "--iters" "--vcpus 2x hvc"; do
	# shellcheck disable=SC2086
	vtc-vmm $args >/dev/null 2>&1
	rc=$?
	vtc_check "usage '$args' exits 2" [ "$rc" = 2 ]
done

vtc_done
