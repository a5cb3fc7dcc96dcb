#!/bin/sh
# scripts/vtimer-cache, error paths included.
. /vtc/lib.sh
C=/vtc/vtimer-cache

rc() { "$@" >/tmp/cli.out 2>&1; echo $?; }

vtc_expect "status before load: not loaded (3)" "$(rc $C status)" "==" 3
vtc_expect "stats before load: not loaded (3)" "$(rc $C stats)" "==" 3
vtc_expect "unload before load: not loaded (3)" "$(rc $C unload)" "==" 3
vtc_expect "unknown command: usage (2)" "$(rc $C frob)" "==" 2
vtc_expect "no command: usage (2)" "$(rc $C)" "==" 2
vtc_expect "bad timeout: usage (2)" "$(rc $C enable -t x)" "==" 2
vtc_expect "load of a missing file: usage (2)" "$(rc $C load /nonexistent.ko)" "==" 2
vtc_expect "load" "$(rc $C load /vtc/vtimer_cache.ko)" "==" 0
vtc_expect "load twice: refused (5)" "$(rc $C load /vtc/vtimer_cache.ko)" "==" 5
vtc_expect "status" "$(rc $C status)" "==" 0
vtc_check "status says enabled" grep -qx 'enabled: 1' /tmp/cli.out
vtc_expect "unload while enabled: refused (5)" "$(rc $C unload)" "==" 5
vtc_check "still loaded after refused unload" grep -q '^vtimer_cache ' /proc/modules
vtc-vmm --iters 200 mmio-user >/dev/null
vtc_expect "stats" "$(rc $C stats)" "==" 0
vtc_check "stats has skipped" grep -q '^skipped ' /tmp/cli.out
vtc_expect "stats --json" "$(rc $C stats --json)" "==" 0
vtc_check "json looks like an object with numbers and strings" \
	grep -qE '^\{"version": 1, "patch": "enabled", .*"skipped": [0-9]+' /tmp/cli.out
vtc_expect "stats --bogus: usage (2)" "$(rc $C stats --bogus)" "==" 2
vtc_expect "enable when enabled: ok" "$(rc $C enable)" "==" 0
vtc_expect "signal with no transition: refused (5)" "$(rc $C signal)" "==" 5
vtc_expect "disable" "$(rc $C disable -t 30)" "==" 0
vtc_check "status says disabled" sh -c "$C status | grep -qx 'enabled: 0'"
vtc_expect "disable when disabled: ok" "$(rc $C disable)" "==" 0
vtc_expect "enable again" "$(rc $C enable)" "==" 0
vtc_expect "reset" "$(rc $C reset)" "==" 0
vtc_expect "vcpus" "$(rc $C vcpus)" "==" 0
vtc_expect "disable --signal" "$(rc $C disable --signal)" "==" 0
vtc_expect "unload" "$(rc $C unload)" "==" 0
vtc_expect "status after unload: not loaded (3)" "$(rc $C status)" "==" 3
vtc_done
