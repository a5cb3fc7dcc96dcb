#!/bin/sh
# A deliberately broken guest script: tests/check.sh requires the rig to FAIL it
# and to say why. $1 selects the way it breaks.
. /vtc/lib.sh
case "$1" in
check)
	vtc_check "this check is meant to fail" false
	vtc_done
	;;
noverdict)
	echo "powering off before any verdict"
	poweroff -f
	;;
hang)
	echo "hanging"
	while :; do sleep 1; done
	;;
warn)
	# A WARN that only the console keeps: with dmesg cleared, /init's own
	# check passes the boot, and run.sh's console checker must fail it.
	vtc_check "insmod vtc_fault.ko (WARNs on load)" insmod /vtc/vtc_fault.ko
	dmesg -c >/dev/null
	vtc_done
	;;
leak)
	# A leak just made: vtc_kmemleak_check must wait until kmemleak
	# reports it, and fail.
	echo clear >/sys/kernel/debug/kmemleak
	vtc_check "insmod vtc_fault.ko leak=1" insmod /vtc/vtc_fault.ko leak=1
	vtc_kmemleak_check
	vtc_done
	;;
esac
