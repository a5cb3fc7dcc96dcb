#!/bin/sh
# Guest test (run through tests/rig/run.sh): a vtimer_cache.ko built for
# another kernel series must not load on this kernel, must say why naming
# both releases, and must leave nothing behind. This series' own module must
# then load and report a mirror of this release, so that the refusal is
# shown to be about the series and not any load failure.
#
# usage (guest): refuse-other-series.sh DIR
#   DIR holds the other series' vtimer_cache.ko (run.sh --add KO:DIR);
#   /vtc/vtimer_cache.ko is this series' module.
. /vtc/lib.sh

other=${1:?usage: refuse-other-series.sh DIR}/vtimer_cache.ko
running=$(uname -r)

if [ ! -f "$other" ]; then
	vtc_not_ok "other series' module present ($other)"
	vtc_done
	exit 1
fi
# The release it was built for, from its .modinfo (no modinfo needed).
built=$(tr '\0' '\n' <"$other" | sed -n 's/^vermagic=\([^ ]*\).*/\1/p' | head -n 1)
echo "# running $running, other module built for ${built:-?}"
differs=no
[ -n "$built" ] && [ "$built" != "$running" ] && differs=yes
vtc_check "other module is of another release" test $differs = yes

dmesg -c >/dev/null
if insmod "$other" 2>/tmp/err; then
	vtc_not_ok "module built for $built refused on $running"
	vtc_disable
	rmmod vtimer_cache
else
	vtc_ok "module built for $built refused on $running ($(cat /tmp/err))"
fi
# The kernel's vermagic check ("version magic '...' should be '...'") or the
# module's own ("built for kernel ..., running ..."): either names both.
msg=$(dmesg | grep 'vtimer_cache' | grep -F "$built" | grep -F "$running" | head -n 1)
echo "# message: $msg"
vtc_check "the refusal names both releases" test -n "$msg"
vtc_check "nothing left behind" vtc_gone

dmesg -c >/dev/null
vtc_check "this series' module loads" vtc_load
mirror=$(dmesg | sed -n 's/.*vtimer_cache: loaded: .*, mirror of [^ ]* \([^ ]*\)$/\1/p' | head -n 1)
echo "# loaded mirror of Linux ${mirror:-?}"
if [ -n "$mirror" ] && [ "${running#"$mirror"}" != "$running" ]; then
	vtc_ok "its mirror ($mirror) is of this release"
else
	vtc_not_ok "its mirror (${mirror:-none}) is of this release"
fi
vtc_check "disable" vtc_disable
vtc_check "rmmod" rmmod vtimer_cache
vtc_done
