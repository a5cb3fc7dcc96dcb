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
esac
