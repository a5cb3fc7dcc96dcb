#!/bin/sh
# Guest test: the upstream series' KVM selftest (arm64/arch_timer_active,
# built by tests/native-series.sh) on this host kernel, which must be the
# kind named: "native" (the series of patches/ applied: its per-CPU cache
# is in kallsyms) or "stock".
#
#   kvm-selftest.sh native|stock [SELFTEST ARGS]
. /vtc/lib.sh

want=$1
shift
has=$(vtc_host_kind)
vtc_check "the host kernel is $want ($(uname -r): $has)" test "$has" = "$want"
echo "# KVM: $(vtc_kvm_mode)"

/vtc/arch_timer_active "$@" >/tmp/kst.out 2>&1
rc=$?
sed 's/^/# /' /tmp/kst.out
vtc_check "arch_timer_active $* exits 0 (exit status $rc)" test "$rc" = 0
n=$(grep -c '^ok [0-9]' /tmp/kst.out)
vtc_check "both timers pass ($n of 2)" test "$n" = 2
vtc_done
