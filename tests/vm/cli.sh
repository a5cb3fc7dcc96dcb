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
vtc_expect "bench before load: not loaded (3)" "$(rc $C bench --iters 5)" "==" 3
vtc_expect "bench --iters 0: usage (2)" "$(rc $C bench --iters 0)" "==" 2
vtc_expect "bench --titers x: usage (2)" "$(rc $C bench --titers x)" "==" 2
vtc_expect "bench --gic v4: usage (2)" "$(rc $C bench --gic v4)" "==" 2
vtc_expect "bench --only nope: usage (2)" "$(rc $C bench --only nope)" "==" 2
vtc_expect "bench --frob: usage (2)" "$(rc $C bench --frob)" "==" 2
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
	grep -qE '^\{"version": [0-9]+, "patch": "enabled", .*"skipped": [0-9]+' /tmp/cli.out
vtc_expect "stats --bogus: usage (2)" "$(rc $C stats --bogus)" "==" 2
vtc_expect "enable when enabled: ok" "$(rc $C enable)" "==" 0
vtc_expect "signal with no transition: refused (5)" "$(rc $C signal)" "==" 5
vtc_expect "disable" "$(rc $C disable -t 30)" "==" 0
vtc_check "status says disabled" sh -c "$C status | grep -qx 'enabled: 0'"
vtc_expect "disable when disabled: ok" "$(rc $C disable)" "==" 0
vtc_expect "enable again" "$(rc $C enable)" "==" 0

# bench: the in-host bench (stock, then cached through the toggle).
# field LINE KEY
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }
vtc_expect "bench --vmm /nonexistent: failed (1)" "$(rc $C bench --vmm /nonexistent)" "==" 1
vtc_expect "bench (table)" "$(rc $C bench --iters 30 --titers 10)" "==" 0
sed 's/^/# /' /tmp/cli.out
vtc_check "bench table labels the times as emulated" grep -q 'EMULATED' /tmp/cli.out
for w in mmio-user hvc timer-mmio wfi migrate mmio-user-2vcpu timer-mmio-2vcpu; do
	vtc_check "bench table has $w" grep -q "^$w " /tmp/cli.out
done
vtc_check "bench table: mmio-user stock 2.000 writes/load, lost 0" \
	grep -qE '^mmio-user +[0-9]+/[0-9]+ +2\.000->0\.[0-9]+ .* 0 ok/ok$' /tmp/cli.out
vtc_check "bench left the patch enabled" sh -c "$C status | grep -qx 'enabled: 1'"
$C bench --raw --floor --cost-marks --iters 30 --titers 10 --only mmio-user,timer-mmio >/tmp/raw.out 2>/tmp/raw.err
vtc_expect "bench --raw --floor --cost-marks --only" "$?" "==" 0
sed 's/^/# /' /tmp/raw.out
vtc_expect "bench --raw: 6 runs (2 stock, 2 cached, 1+1 floor)" "$(grep -c '^bench mode=' /tmp/raw.out)" "==" 6
# --cost-marks: each run's plugin windows, said right before it
vtc_check "bench --cost-marks: a bench-windows line right before each run, same mode and workload" \
	awk '$1 == "bench-windows" { if (w != "") bad = 1; w = $2 " " $3; next }
		$1 == "bench" { if (w != $2 " " $3) bad = 1; w = ""; n++ }
		END { exit bad || n != 6 || w != "" }' /tmp/raw.out
vtc_expect "bench --cost-marks: one window per run (1 vcpu)" "$(grep -c '^bench-windows .* vcpus=1$' /tmp/raw.out)" "==" 6
st=$(grep '^bench mode=stock workload=mmio-user ' /tmp/raw.out)
ca=$(grep '^bench mode=cached workload=mmio-user ' /tmp/raw.out)
fl=$(grep '^bench mode=floor-cached workload=timer-mmio ' /tmp/raw.out)
vtc_expect "stock mmio-user: writes = 2 per load (VHE)" "$(field "$st" writes)" "==" "$((2 * $(field "$st" loads)))"
vtc_expect "stock mmio-user: nothing skipped" "$(field "$st" skipped)" "==" 0
vtc_expect "cached mmio-user: skipped > 0" "$(field "$ca" skipped)" ">" 0
vtc_expect "cached mmio-user: writes < loads / 10" "$(field "$ca" writes)" "<" "$(($(field "$ca" loads) / 10))"
vtc_expect "cached mmio-user: counter ticks per exit > 0" "$(field "$ca" ticks_per_exit)" ">" 0
vtc_check "rig has no PMU: pmu_cycles_per_exit=-" [ "$(field "$ca" pmu_cycles_per_exit)" = - ]
vtc_check "timing=emulated in the rig" [ "$(field "$ca" timing)" = emulated ]
vtc_check "floor pass ran with verify=1" [ "$(field "$fl" verify)" = 1 ]
vtc_expect "floor pass: no wrong skip" "$(field "$fl" wrong_skips)" "==" 0
vtc_expect "floor pass: lost 0" "$(field "$fl" lost)" "==" 0
vtc_check "verify back to 0 after --floor" [ "$(cat /sys/module/vtimer_cache/parameters/verify)" = N ]
# a failing workload (a VMM that reports a lost interrupt) exits 6
cat >/tmp/bad-vmm <<-'EOF'
	#!/bin/sh
	echo "vtc-vmm total workload=x gic=v3 vcpus=1 iters=1 exits=1 lost=1 result=error reason=vcpu0-lost"
	exit 1
	EOF
chmod +x /tmp/bad-vmm
vtc_expect "bench with a failing VMM: workload failed (6)" "$(rc $C bench --vmm /tmp/bad-vmm --only hvc)" "==" 6
vtc_check "bench says which run failed" grep -q 'result' /tmp/cli.out
$C disable >/dev/null
vtc_expect "bench with the patch disabled" "$(rc $C bench --iters 10 --titers 5 --only mmio-user)" "==" 0
vtc_check "bench left the patch disabled" sh -c "$C status | grep -qx 'enabled: 0'"
vtc_expect "enable after bench" "$(rc $C enable)" "==" 0
vtc_expect "reset" "$(rc $C reset)" "==" 0
vtc_expect "vcpus" "$(rc $C vcpus)" "==" 0
vtc_expect "disable --signal" "$(rc $C disable --signal)" "==" 0
vtc_expect "unload" "$(rc $C unload)" "==" 0
vtc_expect "status after unload: not loaded (3)" "$(rc $C status)" "==" 3
vtc_done
