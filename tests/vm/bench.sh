#!/bin/sh
# make bench, on the (emulated or real) KVM host: every vtc-vmm workload
# with the patch off (stock) and on (cached) in one boot, then a verify=1
# pass for the necessary-write floor, through `vtimer-cache bench --raw`.
# One "bench mode=M workload=W key=value..." line per run.
#
#   bench.sh [--cost-marks] [--module KO] [--cli PATH] [--vmm PATH] GIC ITERS TITERS
#
# In the rig (tests/bench.sh, through tools/cost/run.sh --bench) it runs
# as /vtc/test.sh with --cost-marks, under the cost tool's QEMU plugin
# (tools/cost/vtc-cost.c): each vcpu of each run is one plugin window, and
# "bench-windows" lines say which (the vtc-vmm binary itself, not the
# retrying wrapper: one run, one window set). On a real arm64 KVM host it
# runs unchanged from the repository (tests/bench.sh --host), as root,
# without --cost-marks: the module is loaded from KO (default:
# vtimer_cache.ko beside the script or at the top of the repository)
# unless it is loaded already, and unloaded again at the end only if this
# script loaded it.
# Exit code: that of vtimer-cache bench (0 ok, 6 a workload failed, ...).
here=$(cd "$(dirname "$0")" && pwd)
marks=0 module='' cli='' vmm=''
while [ $# -gt 0 ]; do
	case $1 in
	--cost-marks) marks=1; shift ;;
	--module) module=$2; shift 2 ;;
	--cli) cli=$2; shift 2 ;;
	--vmm) vmm=$2; shift 2 ;;
	*) break ;;
	esac
done
if [ $# != 3 ]; then
	echo "usage: $0 [--cost-marks] [--module KO] [--cli PATH] [--vmm PATH] GIC ITERS TITERS" >&2
	exit 2
fi
gic=$1 iters=$2 titers=$3

pick() { # the first existing file
	for f in "$@"; do
		[ -e "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}
[ -n "$cli" ] || cli=$(pick "$here/vtimer-cache" "$here/../../scripts/vtimer-cache")
[ -n "$module" ] || module=$(pick "$here/vtimer_cache.ko" "$here/../../vtimer_cache.ko")
[ -n "$cli" ] || { echo "bench-error no vtimer-cache CLI"; exit 1; }

loaded_here=0
if ! grep -q '^vtimer_cache ' /proc/modules; then
	sh "$cli" load "$module" >&2 || { echo "bench-error insmod"; exit 1; }
	loaded_here=1
fi

set -- --raw --floor --gic "$gic" --iters "$iters" --titers "$titers"
[ $marks = 1 ] && set -- "$@" --cost-marks
[ -z "$vmm" ] && [ $marks = 1 ] && [ -x /vtc/bin/vtc-vmm.bin ] && vmm=/vtc/bin/vtc-vmm.bin
[ -n "$vmm" ] && set -- "$@" --vmm "$vmm"
# (a failed run's rc= and result= fields: tools/cost/report.py --bench)
sh "$cli" bench "$@"
rc=$?

if [ $loaded_here = 1 ]; then
	sh "$cli" disable >&2
	sh "$cli" unload >&2 || rc=1
fi
echo "bench-done rc=$rc"
exit $rc
