#!/bin/sh
# Module life cycle: load, toggle, bad input, refusals. kpatch-style: the
# patch's effect is absent before load, present while loaded, absent after.
. /vtc/lib.sh

vtc_check "no vtimer_cache before insmod" test ! -d $VTC_LP
vtc_check "insmod, patch enabled, transition done" vtc_load
vtc_check "livepatch sysfs enabled=1" grep -qx 1 $VTC_LP/enabled
vtc_check "stats say enabled" test "$(vtc_stat patch)" = enabled
vtc_check "cache trusted after post_patch" test "$(vtc_stat trusted)" = 1
vtc_check "debugfs stats is root-only (0600)" test "$(stat -c %a $VTC_DBG/stats)" = 600
vtc_check "debugfs vcpus is root-only (0400)" test "$(stat -c %a $VTC_DBG/vcpus)" = 400
vtc_check "debugfs control is root-only (0200)" test "$(stat -c %a $VTC_DBG/control)" = 200
vtc_check "timer irqs found" test "$(vtc_stat irq.vtimer)" -gt 0
vtc_check "diagnostics off by default" test "$(vtc_stat diag)" = 0
vtc_vmm --iters 50 mmio-user >/dev/null
vtc_check "no per-vcpu shadow without diag" test "$(vtc_stat shadow.vcpus)" = 0
echo 1 >/sys/module/vtimer_cache/parameters/diag
vtc-vmm --until-signal mmio-user >/dev/null 2>&1 &
vm=$!
one_listed() { [ "$(grep -vc '^#' $VTC_DBG/vcpus)" = 1 ]; }
vtc_check "diag=1 at run time: a running VM's vcpu is listed" vtc_until 60 one_listed
kill -TERM $vm
vtc_check "that VM ends cleanly" wait $vm
vtc_check "its shadow goes with it" test "$(vtc_stat shadow.vcpus)" = 0
echo 0 >/sys/module/vtimer_cache/parameters/diag

# Bad input: -EINVAL and nothing changed.
vtc_vmm --iters 50 mmio-user >/dev/null
before=$(cat $VTC_DBG/stats)
for bad in bogus 1 "reset now" " "; do
	if printf '%s' "$bad" >$VTC_DBG/stats 2>/dev/null; then
		vtc_not_ok "stats rejects '$bad'"
	else
		vtc_ok "stats rejects '$bad'"
	fi
done
vtc_check "rejected input changed nothing" test "$before" = "$(cat $VTC_DBG/stats)"
if echo frobnicate >$VTC_DBG/control 2>/dev/null; then
	vtc_not_ok "control rejects unknown command"
else
	vtc_ok "control rejects unknown command"
fi
if echo enable >$VTC_DBG/control 2>/dev/null; then
	vtc_not_ok "control enable refused while enabled"
else
	vtc_ok "control enable refused while enabled"
fi
vtc_check "stats reset with 'reset'" sh -c "echo reset > $VTC_DBG/stats"
vtc_check "counters are zero after reset" test "$(vtc_stat loads)" = 0
vtc_check "stats reset with '0'" sh -c "echo 0 > $VTC_DBG/stats"

# rmmod while enabled, double insmod: clear errors, nothing changed.
if rmmod vtimer_cache 2>/tmp/err; then
	vtc_not_ok "rmmod refused while enabled"
else
	vtc_ok "rmmod refused while enabled ($(cat /tmp/err))"
fi
vtc_check "still enabled after refused rmmod" grep -qx 1 $VTC_LP/enabled
if insmod /vtc/vtimer_cache.ko 2>/tmp/err; then
	vtc_not_ok "double insmod refused"
else
	vtc_ok "double insmod refused ($(cat /tmp/err))"
fi
vtc_check "still enabled after refused insmod" grep -qx 1 $VTC_LP/enabled
vtc_check "still one module" test "$(grep -c '^vtimer_cache ' /proc/modules)" = 1

# Toggle: off, on again (through control), off, rmmod, insmod.
vtc_check "disable: transition completes, patch removed" vtc_disable
vtc_check "stats say disabled" test "$(vtc_stat patch)" = disabled
vtc_check "cache not trusted while disabled" test "$(vtc_stat trusted)" = 0
vtc_check "re-enable through control" vtc_enable
vtc_check "stats say enabled again" test "$(vtc_stat patch)" = enabled
vtc_check "disable again" vtc_disable
vtc_check "rmmod once disabled" rmmod vtimer_cache
vtc_check "module gone" sh -c "! grep -q '^vtimer_cache ' /proc/modules"
vtc_check "debugfs gone" test ! -d $VTC_DBG
vtc_check "insmod again after rmmod" vtc_load
vtc_check "disable for the refusal tests" vtc_disable
vtc_check "rmmod" rmmod vtimer_cache

# Refusals: a module whose expectations do not match this kernel must not
# load, must say why, and must leave nothing behind.
for v in skew missing; do
	f=/vtc/vtimer_cache-$v.ko
	[ -f $f ] || { vtc_not_ok "fault module $v present"; continue; }
	dmesg -c >/dev/null
	if insmod $f 2>/dev/null; then
		vtc_not_ok "refuses to load: $v"
		vtc_disable; rmmod vtimer_cache
		continue
	fi
	msg=$(dmesg | grep 'vtimer_cache:' | grep -E 'refusing|not found' | head -n 1)
	echo "# $v: $msg"
	case $v in
	skew) pat="function [a-z0-9_]* is .* bytes.*refusing to load" ;;
	missing) pat="symbol 'vtc_no_such_symbol' not found" ;;
	esac
	if echo "$msg" | grep -q "$pat"; then
		vtc_ok "refuses to load with a clear message: $v"
	else
		vtc_not_ok "refuses to load with a clear message: $v"
	fi
	vtc_check "nothing left behind: $v" vtc_gone
done
vtc_done
