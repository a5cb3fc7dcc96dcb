#!/bin/sh
# Guest test (tests/rig/run.sh --append kvm-arm.mode=protected):
# under protected KVM the module must refuse to load, say why, and leave
# nothing behind. The host must really be in protected mode, or the check
# would pass for any load failure.
. /vtc/lib.sh

mode=$(dmesg | grep -oE 'Protected [nh]VHE[^ ]* mode initialized successfully' | head -n 1)
echo "# kvm: ${mode:-not protected}"
vtc_check "KVM runs in protected mode" test -n "$mode"

dmesg -c >/dev/null
if insmod /vtc/vtimer_cache.ko 2>/tmp/err; then
	vtc_not_ok "insmod refused under protected KVM"
	vtc_disable
	rmmod vtimer_cache
else
	vtc_ok "insmod refused under protected KVM ($(cat /tmp/err))"
fi
msg=$(dmesg | grep 'vtimer_cache: protected KVM (kvm-arm.mode=protected) is not supported' | head -n 1)
echo "# message: $msg"
vtc_check "the refusal says why" test -n "$msg"
vtc_check "nothing left behind" vtc_gone
vtc_done
