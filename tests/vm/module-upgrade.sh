#!/bin/sh
# Upgrade in place: a newer build (vtimer_cache_v2, tests/build-modules.sh)
# stacks its (non-cumulative) patch on the loaded vtimer_cache while VMs
# run, and the superseded build disables its own patch underneath.
# The cache, the counters and the per-vcpu shadows carry over, skipping
# goes on with no wrong skip, every timer interrupt arrives, the stock
# kvm_timer_vcpu_load() never runs in between (a kprobe inside its
# body counts it; it must fire on a stock kernel and when the patch is
# swapped with a gap), and unloading the old module frees nothing the new
# one uses. A build with another state version is refused cleanly.
# usage: module-upgrade.sh GIC (v2|v3)
. /vtc/lib.sh
gic=${1:-v3}
V1=vtimer_cache
V2=vtimer_cache_v2
BAD=vtimer_cache_v9
LP=/sys/kernel/livepatch
KP=vtc_stock_gic

# The lib.sh helpers (vtc_load, vtc_stat, vtc_wait_patch, ...) act on the
# module named here.
use() {
	VTC_LP=$LP/$1
	VTC_DBG=/sys/kernel/debug/$1
}

# load NAME [PARAMS]: insmod /vtc/NAME.ko, wait for the patch, use NAME.
load() {
	use "$1"
	m=$1
	shift
	insmod "/vtc/$m.ko" "$@" && vtc_wait_patch enabled
}

has() { # has TEXT PATTERN
	echo "$1" | grep -q "$2"
}

[ -w /sys/kernel/debug/kmemleak ] && echo clear >/sys/kernel/debug/kmemleak

# kvm_timer_vcpu_load+12 is past the ftrace site (two NOPs) and the
# frame setup: it runs only when the stock body runs, never when klp has
# redirected the call to a patched copy.
echo "p:$KP kvm_timer_vcpu_load+12" >>$TRACING/kprobe_events
echo 1 >$TRACING/events/kprobes/$KP/enable
stock_hits() {
	awk -v e="$KP" '$1 == e { print $2 }' $TRACING/kprobe_profile
}
if [ -z "$(stock_hits)" ]; then
	vtc_not_ok "kprobe $KP on kvm_timer_vcpu_load+12"
	vtc_done
	exit 1
fi

# The counting fprobes (patch off) attach to kvm_timer_vcpu_load(), which
# the patch replaces: its enabled_functions line counts the ftrace ops on
# it, klp's one (shared by every build's patch) while any build's patch is
# enabled, and the counting probes. The ops that are not klp's:
counting_probes() {
	_n=$(awk '$1 == "kvm_timer_vcpu_load" { sub(/^\(/, "", $2); print $2 + 0 }' \
		$TRACING/enabled_functions)
	_klp=0
	for _e in /sys/kernel/livepatch/vtimer_cache*/enabled; do
		[ "$(cat "$_e" 2>/dev/null)" = 1 ] && _klp=1
	done
	echo $((${_n:-0} - _klp))
}
counting() { [ "$(counting_probes)" -gt 0 ]; }
not_counting() { [ "$(counting_probes)" = 0 ]; }

# pid vcpu issued skipped ... lines of the vcpus file, without the header.
vcpus() {
	grep -v '^#' "$VTC_DBG/vcpus"
}

# Wait until klp has removed a replaced or disabled patch's directory.
gone() {
	vtc_until 10 test ! -d "$LP/$1"
}

# listed N: at least N running VMMs (vtc-vmm.bin) have vcpus in the
# module's vcpus file, i.e. they are running and have loaded a vcpu.
listed() {
	_ls_n=0
	for _ls_p in $(pidof vtc-vmm.bin); do
		vcpus | awk -v p="$_ls_p" '$1 == p { f = 1 } END { exit !f }' &&
			_ls_n=$((_ls_n + 1))
	done
	[ $_ls_n -ge "$1" ]
}

vm_ok() { # vm_ok NAME PID OUT
	if wait "$2"; then
		vtc_ok "$1: VM ok ($(grep total "$3" | tr ' ' '\n' | grep -E '^(iters|exits|irqs|irqs_expected|lost|dup|stuck)=' | tr '\n' ' '))"
	else
		vtc_not_ok "$1: VM failed: $(grep total "$3") $(tail -n 2 "$3.err")"
	fi
}

h=$(stock_hits)
vtc_vmm --gic "$gic" --iters 50 mmio-user >/dev/null
vtc_expect "stock kernel: the probe in the stock body fires" "$(($(stock_hits) - h))" ">" 0

# --- v1 ------------------------------------------------------------------
vtc_check "load $V1 (verify=1)" load $V1 verify=1 diag=1
vtc_check "$V1: patch is not cumulative (replace 0)" grep -qx 0 $VTC_LP/replace
h=$(stock_hits)
vtc_check "$V1: mmio-user VM" vtc_vmm --gic "$gic" --iters 300 mmio-user
vtc_check "$V1: timer-mmio VM" vtc_vmm --gic "$gic" --iters 100 timer-mmio
vtc_expect "$V1: the stock body never runs while patched" "$(($(stock_hits) - h))" "==" 0
vtc_expect "$V1: skips" "$(vtc_stat skipped)" ">" 0

# A VM that is stopped across the upgrade keeps its shadow untouched: its
# vcpus line must come out identical. Idle timer, so the stop loses no
# interrupt. It runs until told to stop (SIGTERM), and is stopped once the
# module lists it.
vtc-vmm --gic "$gic" --timeout 120 --until-signal mmio-user >/tmp/c.out 2>/tmp/c.out.err &
vmc=$!
vtc_check "$V1: a VM running, its vcpu listed" vtc_until 60 listed 1
cpid=$(pidof vtc-vmm.bin | head -n 1)
[ -n "$cpid" ] && kill -STOP "$cpid"
stopped=$(vcpus | awk -v p="$cpid" '$1 == p')
vtc_check "$V1: a VM stopped with its shadow ($stopped)" test -n "$stopped"

# Two VMs run through the upgrade: idle timer and timer interrupts. They
# run until told to stop, after the upgrade; the upgrade starts once both
# have loaded a vcpu under $V1.
vtc-vmm --gic "$gic" --timeout 60 --until-signal mmio-user >/tmp/a.out 2>/tmp/a.out.err &
vma=$!
vtc-vmm --gic "$gic" --timeout 60 --until-signal timer-mmio >/tmp/b.out 2>/tmp/b.out.err &
vmb=$!
vtc_check "$V1: two more VMs running, their vcpus listed" vtc_until 60 listed 3

# --- upgrade -------------------------------------------------------------
loads0=$(vtc_stat loads)
skipped0=$(vtc_stat skipped)
issued0=$(vtc_stat issued)
vcpus0=$(vtc_stat shadow.vcpus)
h=$(stock_hits)
dmesg -c >/dev/null
t0=$(date +%s)
vtc_check "insmod $V2 (verify=1) while $V1 is enabled; transition complete" load $V2 verify=1 diag=1
t1=$(date +%s)
hits=$(($(stock_hits) - h))
echo "# upgrade took about $((t1 - t0)) s; dmesg:"
dmesg | grep -E 'vtimer_cache|livepatch' | sed 's/^/#   /'
vtc_expect "no window: the stock body never ran during the upgrade" "$hits" "==" 0
# Otherwise the checks below would not be about VMs running through it.
vtc_check "both VMs still running after the upgrade" kill -0 $vma $vmb
vtc_check "$V1's patch gone from $LP" gone $V1
vtc_check "only $V2 in $LP ($(vtc_patches))" test "$(vtc_patches)" = "$V2=1 "
vtc_check "$V2: replace=0, transition=0" sh -c "grep -qx 0 $VTC_LP/replace && grep -qx 0 $VTC_LP/transition"
vtc_check "$V2: stats say enabled, trusted" test "$(vtc_stat patch) $(vtc_stat trusted)" = "enabled 1"
vtc_check "$V2 owns the state, 2 modules attached, version 3" test "$(vtc_stat state.owner) $(vtc_stat state.modules) $(vtc_stat state.version)" = "$V2 2 3"
vtc_expect "counters continued: loads" "$(vtc_stat loads)" ">" "$loads0"
vtc_expect "counters continued: skipped" "$(vtc_stat skipped)" ">=" "$skipped0"
vtc_expect "counters continued: issued" "$(vtc_stat issued)" ">=" "$issued0"
vtc_expect "shadows survived: shadow.vcpus" "$(vtc_stat shadow.vcpus)" ">=" "$vcpus0"
after=$(vcpus | awk -v p="$cpid" '$1 == p')
vtc_check "the stopped VM's shadow is unchanged ($after)" test "$stopped" = "$after"
vtc_check "$V1 says replaced" test "$(VTC_DBG=/sys/kernel/debug/$V1 vtc_stat patch)" = replaced
vtc_check "$V1 shows the same shared counters" test "$(VTC_DBG=/sys/kernel/debug/$V1 vtc_stat state.owner)" = $V2
if echo enable >/sys/kernel/debug/$V1/control 2>/dev/null; then
	vtc_not_ok "$V1 refuses to enable once replaced"
else
	vtc_ok "$V1 refuses to enable once replaced"
fi

# Skipping goes on right away, and is right.
s=$(vtc_stat skipped)
vtc_check "$V2: mmio-user VM" vtc_vmm --gic "$gic" --iters 300 mmio-user
vtc_expect "$V2: skips right after the upgrade" "$(($(vtc_stat skipped) - s))" ">" 0

# rmmod of the old module: it must free nothing the new one uses. klp
# drops the replaced patch's module reference from a work item.
n=$(vtc_stat shadow.vcpus)
vtc_until 10 rmmod $V1 2>/dev/null
vtc_check "rmmod $V1" sh -c "! grep -q '^$V1 ' /proc/modules"
vtc_check "$V1's debugfs gone" test ! -d /sys/kernel/debug/$V1
vtc_check "$V2 still enabled" test "$(vtc_stat patch)" = enabled
vtc_check "1 module attached" test "$(vtc_stat state.modules)" = 1
vtc_expect "shadows kept after rmmod $V1" "$(vtc_stat shadow.vcpus)" "==" "$n"
after=$(vcpus | awk -v p="$cpid" '$1 == p')
vtc_check "the stopped VM's shadow still unchanged" test "$stopped" = "$after"
s=$(vtc_stat skipped)
vtc_check "$V2 after rmmod $V1: timer-mmio VM" vtc_vmm --gic "$gic" --iters 100 timer-mmio
vtc_check "$V2 after rmmod $V1: mmio-user VM" vtc_vmm --gic "$gic" --iters 300 mmio-user
vtc_expect "$V2: skips after rmmod $V1" "$(($(vtc_stat skipped) - s))" ">" 0

kill -TERM $vma $vmb
vm_ok "through the upgrade: mmio-user" $vma /tmp/a.out
vm_ok "through the upgrade: timer-mmio" $vmb /tmp/b.out
[ -n "$cpid" ] && kill -CONT "$cpid"
kill -TERM $vmc
vm_ok "stopped across the upgrade: mmio-user" $vmc /tmp/c.out
resumed=$(vcpus | awk -v p="$cpid" '$1 == p')
echo "# stopped VM: $stopped -> $resumed (gone once the VM exits)"
vtc_expect "verify: no wrong skip" "$(vtc_stat verify.wrong_skips)" "==" 0
vtc_expect "verify: decisions checked" "$(vtc_stat verify.checked)" ">" 0
vtc_expect "no probe missed" "$(vtc_stat probe_missed)" "==" 0

vtc_check "disable $V2" vtc_disable
vtc_check "0 shadows after disabling $V2" test "$(vtc_stat shadow.vcpus)" = 0
dmesg -c >/dev/null
vtc_check "rmmod $V2" rmmod $V2
vtc_check "the last module freed the state" sh -c "dmesg | grep -q '$V2: state: freed'"

# --- a gap is seen: disable, then load --------------------------------
vtc_check "load $V1 again: fresh state" load $V1 diag=1
vtc_check "$V1 fresh: counters from 0, 1 module" test "$(vtc_stat state.modules) $(vtc_stat state.takeovers)" = "1 1"
vtc-vmm --gic "$gic" --timeout 60 --until-signal mmio-user >/tmp/a.out 2>/tmp/a.out.err &
vma=$!
vtc_check "a VM running under $V1" vtc_until 60 listed 1
h=$(stock_hits)
vtc_check "disable $V1" vtc_disable
# The VM goes on loading its vcpu: in the gap the stock body runs.
stock_ran() { [ "$(stock_hits)" -gt "$h" ]; }
vtc_check "with a gap the stock body runs (the check can fail)" vtc_until 30 stock_ran
vtc_check "with $V1 disabled, its counting probes are on" counting
vtc_check "then load $V2" load $V2 diag=1
vtc_check "$V1, disabled but loaded, was told it was replaced" test "$(VTC_DBG=/sys/kernel/debug/$V1 vtc_stat patch)" = replaced
vtc_check "$V2 owns the state it took from the disabled $V1" test "$(vtc_stat state.owner) $(vtc_stat state.modules)" = "$V2 2"
vtc_check "with $V2's patch live, no counting probe is left ($(counting_probes))" not_counting
kill -TERM $vma
vm_ok "through the gap: mmio-user" $vma /tmp/a.out
vtc_check "disable $V2" vtc_disable
vtc_check "rmmod $V1 $V2" rmmod $V1 $V2

# --- a build loaded with enable=0 beside an enabled one -------------------
vtc_check "load $V1" load $V1
vtc_check "$V1 enabled: no counting probe" not_counting
use $V2
vtc_check "insmod $V2 enable=0 beside it" insmod /vtc/$V2.ko enable=0
vtc_check "$V2 loaded with its patch off" test "$(vtc_stat patch)" = disabled
vtc_check "still no counting probe while $V1's patch is live ($(counting_probes))" not_counting
vtc_check "rmmod $V2" rmmod $V2
use $V1
disable_counted() { vtc_disable && counting; }
vtc_check "disable $V1: the stock code is counted again" disable_counted
vtc_check "rmmod $V1" rmmod $V1

# --- incompatible state version --------------------------------------
vtc_check "load $V1" load $V1
vtc_check "$V1: mmio-user VM" vtc_vmm --gic "$gic" --iters 100 mmio-user
before=$(vtc_stat loads)
vtc_expect "shadows before the refused load" "$(vtc_stat shadow.vcpus)" "==" 0
dmesg -c >/dev/null
if insmod /vtc/$BAD.ko 2>/dev/null; then
	vtc_not_ok "$BAD (state version 4) refused on top of version 3"
else
	vtc_ok "$BAD (state version 4) refused on top of version 3"
fi
msg=$(dmesg | grep "$BAD:" | grep refusing)
echo "# $msg"
vtc_check "clear message" has "$msg" "state has version 3.*this build has version 4.*refusing to load"
vtc_check "nothing of $BAD left" sh -c "! grep -q '^$BAD ' /proc/modules && test ! -d $LP/$BAD && test ! -d /sys/kernel/debug/$BAD"
vtc_check "$V1 untouched: enabled, trusted, 1 module" test "$(vtc_stat patch) $(vtc_stat trusted) $(vtc_stat state.modules)" = "enabled 1 1"
vtc_expect "$V1 counters kept" "$(vtc_stat loads)" ">=" "$before"
vtc_check "$V1 still skips" vtc_vmm --gic "$gic" --iters 100 mmio-user
vtc_check "disable $V1" vtc_disable
vtc_check "rmmod $V1" rmmod $V1
# The other way round: version 4 loaded alone starts fresh; the version 3
# build is then refused by the state check.
vtc_check "$BAD alone loads, fresh state" load $BAD
vtc_check "$BAD: state.version 4" test "$(vtc_stat state.version)" = 4
dmesg -c >/dev/null
if insmod /vtc/$V1.ko 2>/dev/null; then
	vtc_not_ok "$V1 (version 3) refused on top of version 4"
	use $V1
	vtc_disable
	rmmod $V1
	use $BAD
else
	vtc_ok "$V1 (version 3) refused on top of version 4"
fi
msg=$(dmesg | grep "$V1:" | grep refusing)
echo "# $msg"
vtc_check "clear message" has "$msg" "state has version 4.*this build has version 3.*refusing to load"
vtc_check "$BAD still enabled" test "$(vtc_stat patch)" = enabled
vtc_check "disable $BAD" vtc_disable
vtc_check "rmmod $BAD" rmmod $BAD
vtc_check "no vtimer_cache module left" sh -c "! grep -q '^vtimer_cache' /proc/modules"

echo 0 >$TRACING/events/kprobes/$KP/enable
echo "-:$KP" >>$TRACING/kprobe_events
vtc_kmemleak_check
vtc_done
