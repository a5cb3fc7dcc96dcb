#!/bin/sh
# scripts/vtimer-cache, error paths included (module files: the shipped one,
# and vtimer_cache-skew.ko, another build the kernel refuses: @variants).
. /vtc/lib.sh
C=/vtc/vtimer-cache

rc() { "$@" >/tmp/cli.out 2>&1; echo $?; }

vtc_expect "status before load: not loaded (3)" "$(rc $C status)" "==" 3
vtc_expect "stats before load: not loaded (3)" "$(rc $C stats)" "==" 3
vtc_expect "unload before load: not loaded (3)" "$(rc $C unload)" "==" 3
vtc_expect "unknown command: usage (2)" "$(rc $C frob)" "==" 2
vtc_expect "no command: usage (2)" "$(rc $C)" "==" 2
# bench --list needs no module: the tests' workloads (lib.sh) come from it
vtc_expect "bench --list, not loaded" "$(rc $C bench --list --iters 7)" "==" 0
vtc_expect "bench --list: 9 workloads on a GICv3 host" "$(wc -l </tmp/cli.out)" "==" 9
vtc_check "bench --list: name, then vtc-vmm's arguments" grep -qx 'mmio-user-2vcpu --iters 7 --vcpus 2 mmio-user' /tmp/cli.out
vtc_check "bench --list: ipi on two vcpus" grep -qx 'ipi --iters 7 --vcpus 2 ipi' /tmp/cli.out
vtc_check "bench --list: lpi, the GICv3-only marker not passed on" grep -qx 'lpi --iters 7 lpi' /tmp/cli.out
vtc_expect "bench --list --gic v2" "$(rc $C bench --list --gic v2)" "==" 0
vtc_check "bench --list --gic v2: no lpi" sh -c "! grep -q '^lpi ' /tmp/cli.out"
vtc_expect "bench --list --el2" "$(rc $C bench --list --el2 --titers 3)" "==" 0
vtc_check "bench --list --el2: the nested workloads too" grep -qx 'wfi-el2 --el2 --iters 3 wfi' /tmp/cli.out
vtc_expect "bench --only hvc-el2 without --el2: usage (2)" "$(rc $C bench --list --only hvc-el2)" "==" 2
vtc_check "bench --only hvc-el2: says to add --el2" grep -q 'add --el2' /tmp/cli.out
vtc_expect "bad timeout: usage (2)" "$(rc $C enable -t x)" "==" 2
vtc_expect "load of a missing file: usage (2)" "$(rc $C load /nonexistent.ko)" "==" 2
vtc_expect "info of a file that is not a module: usage (2)" "$(rc $C info /vtc/lib.sh)" "==" 2
vtc_check "info says it is not a kernel module" grep -q 'is not a kernel module' /tmp/cli.out
# load keeps insmod's errors in no file at a guessable name: a link planted
# at the old /tmp/vtc-load.PID (the PID is the one exec keeps) is not
# followed, even with fs.protected_symlinks=0.
sysctl -w fs.protected_symlinks=0 >/dev/null
echo precious >/tmp/victim
sh -c 'ln -s /tmp/victim "/tmp/vtc-load.$$"; exec sh /vtc/vtimer-cache load /vtc/vtimer_cache-skew.ko' >/tmp/cli.out 2>&1
vtc_expect "load of a module the kernel refuses: failed (1)" "$?" "==" 1
sed 's/^/# /' /tmp/cli.out
vtc_check "load: the kernel's refusal is printed" grep -q 'insmod' /tmp/cli.out
vtc_check "load wrote nothing through a planted /tmp/vtc-load.PID link" [ "$(cat /tmp/victim)" = precious ]
rm -f /tmp/victim /tmp/vtc-load.*
sysctl -w fs.protected_symlinks=1 >/dev/null
vtc_expect "bench before load: not loaded (3)" "$(rc $C bench --iters 5)" "==" 3
vtc_expect "bench --iters 0: usage (2)" "$(rc $C bench --iters 0)" "==" 2
vtc_expect "bench --titers x: usage (2)" "$(rc $C bench --titers x)" "==" 2
vtc_expect "bench --gic v4: usage (2)" "$(rc $C bench --gic v4)" "==" 2
vtc_expect "bench --only nope: usage (2)" "$(rc $C bench --only nope)" "==" 2
vtc_expect "bench --frob: usage (2)" "$(rc $C bench --frob)" "==" 2
vtc_expect "load" "$(rc $C load /vtc/vtimer_cache.ko)" "==" 0
vtc_expect "load twice: ok (idempotent, as kpatch load)" "$(rc $C load /vtc/vtimer_cache.ko)" "==" 0
vtc_check "load twice says it was loaded already" grep -q 'already loaded and enabled' /tmp/cli.out
# another build of vtimer_cache (another srcversion) is not silently ignored
bid() { od -An -tx1 -v "$1" | tr -d ' \n' | grep -o '040000001400000003000000474e5500[0-9a-f]\{40\}' | head -n 1 | cut -c33-; }
lid=$(bid /sys/module/vtimer_cache/notes/.note.gnu.build-id)
skew_id=$(bid /vtc/vtimer_cache-skew.ko)
vtc_expect "load of another build while one is loaded: refused (5)" "$(rc $C load /vtc/vtimer_cache-skew.ko)" "==" 5
sed 's/^/# /' /tmp/cli.out
vtc_check "load names both builds ($lid, ${skew_id:-?}), and how to replace the loaded one" \
	sh -c "[ -n '$lid' ] && [ '$lid' != '$skew_id' ] && grep -q 'build-id $lid' /tmp/cli.out && grep -q 'build-id $skew_id' /tmp/cli.out && grep -q 'vtimer-cache unload' /tmp/cli.out"
vtc_check "the loaded build is still the same, enabled" \
	[ "$(bid /sys/module/vtimer_cache/notes/.note.gnu.build-id)/$(cat /sys/kernel/livepatch/vtimer_cache/enabled)" = "$lid/1" ]
vtc_expect "disable --signal -t 5 (options in any order)" "$(rc $C disable --signal -t 5)" "==" 0
vtc_expect "load -t 30 --no-revert FILE: enabled again" "$(rc $C load -t 30 --no-revert /vtc/vtimer_cache.ko)" "==" 0
vtc_expect "status -t 5: usage (2), -t is no option of status" "$(rc $C status -t 5)" "==" 2
vtc_expect "load -t 0: usage (2)" "$(rc $C load -t 0)" "==" 2
vtc_expect "list" "$(rc $C list)" "==" 0
vtc_check "list: the module, its version, enabled" grep -qE '^vtimer_cache [0-9]+\.[0-9]+\.[0-9]+ enabled=1 transition=0$' /tmp/cli.out
vtc_expect "info" "$(rc $C info)" "==" 0
sed 's/^/# /' /tmp/cli.out
vtc_check "info: the mirrored release is the running kernel's" \
	grep -qx "mirror of: Linux $(uname -r | sed 's/^\([0-9]*\.[0-9]*\.[0-9]*\).*/\1/')" /tmp/cli.out
vtc_check "info: srcversion of the loaded module" \
	grep -qx "srcversion: $(cat /sys/module/vtimer_cache/srcversion)" /tmp/cli.out
vtc_check "info: lists the patched functions" grep -qx '  kvm_timer_vcpu_load,1' /tmp/cli.out
vtc_check "info: the taint, explained" grep -qE '^taint: [A-Z]*K[A-Z]* \(K: livepatch' /tmp/cli.out
vtc_expect "info of a missing file: usage (2)" "$(rc $C info /nonexistent.ko)" "==" 2
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

# Lockdown closes debugfs: with debugfs unmounted the CLI works from the
# read-only sysfs counters and says what it cannot do.
umount /sys/kernel/debug
vtc_expect "no debugfs: status" "$(rc $C status)" "==" 0
vtc_check "no debugfs: status says what is unavailable" grep -q '^debugfs: not readable' /tmp/cli.out
vtc_expect "no debugfs: stats from sysfs" "$(rc $C stats)" "==" 0
vtc_check "no debugfs: stats has skipped and patch" sh -c "grep -qE '^skipped [0-9]+$' /tmp/cli.out && grep -qx 'patch enabled' /tmp/cli.out"
vtc_expect "no debugfs: stats --json" "$(rc $C stats --json)" "==" 0
vtc_check "no debugfs: json" grep -qE '^\{.*"patch": "enabled", .*"skipped": [0-9]+' /tmp/cli.out
vtc_expect "no debugfs: vcpus fails (1)" "$(rc $C vcpus)" "==" 1
vtc_check "no debugfs: vcpus says why" grep -q 'debugfs not mounted' /tmp/cli.out
vtc_expect "no debugfs: disable still works" "$(rc $C disable)" "==" 0
vtc_expect "no debugfs: enable after a disable fails (1)" "$(rc $C enable)" "==" 1
vtc_check "no debugfs: enable says it needs debugfs" grep -q 'enable after a disable needs it' /tmp/cli.out
mount -t debugfs none /sys/kernel/debug
vtc_expect "debugfs back: enable" "$(rc $C enable)" "==" 0

# A vcpu thread that never leaves the kernel (in-kernel hvc exits only),
# alone on CPU 0 while this script runs on CPU 1, does not block a
# transition: klp switches it at the cond_resched() of KVM's run loop. (No
# task sleeps in the replaced function either, so nothing here blocks one
# for long: the timeout, revert and --no-revert paths have no test.)
taskset 1 vtc-vmm --quiet --until-signal hvc >/dev/null 2>&1 &
wrapper=$!
taskset -p 2 $$ >/dev/null
vtc_until 10 sh -c "grep -qx vcpu0 /proc/[0-9]*/task/*/comm" ||
	vtc_not_ok "vtc-vmm's vcpu thread did not start"
vtc_expect "disable with a busy vcpu thread: done (0)" "$(rc $C disable -t 30)" "==" 0
sed 's/^/# /' /tmp/cli.out
vtc_check "the patch is gone" [ ! -d /sys/kernel/livepatch/vtimer_cache ]
vtc_expect "enable with a busy vcpu thread: done (0)" "$(rc $C enable -t 30)" "==" 0
kill $wrapper
wait $wrapper
taskset -p 3 $$ >/dev/null
vtc_expect "disable again" "$(rc $C disable)" "==" 0
vtc_expect "enable after that" "$(rc $C enable)" "==" 0

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
vtc_check "bench table: hvc failed in both runs (result error/error)" grep -qE '^hvc .* error/error$' /tmp/cli.out
vtc_check "bench passes on vtc-vmm's reason" grep -q 'reason=vcpu0-lost' /tmp/cli.out
$C disable >/dev/null
vtc_expect "bench --el2 on a host without nested virtualization: failed (6)" \
	"$(rc $C bench --el2 --only hvc-el2 --iters 5)" "==" 6
vtc_check "bench --el2: vtc-vmm says why" grep -q 'no KVM_CAP_ARM_EL2' /tmp/cli.out
vtc_expect "bench with the patch disabled" "$(rc $C bench --iters 10 --titers 5 --only mmio-user)" "==" 0
vtc_check "bench left the patch disabled" sh -c "$C status | grep -qx 'enabled: 0'"
vtc_expect "enable after bench" "$(rc $C enable)" "==" 0
vtc_expect "reset" "$(rc $C reset)" "==" 0
vtc_expect "vcpus" "$(rc $C vcpus)" "==" 0
vtc_expect "disable --signal" "$(rc $C disable --signal)" "==" 0
vtc_expect "unload" "$(rc $C unload)" "==" 0
vtc_expect "status after unload: not loaded (3)" "$(rc $C status)" "==" 3

# The kill switch's module side (package-killswitch, in check-slow, boots
# with vtimer_cache.enable=0 on the kernel command line).
vtc_check "insmod enable=0: loaded, the patch off" sh -c \
	"insmod /vtc/vtimer_cache.ko enable=0 && [ \"\$(cat /sys/module/vtimer_cache/parameters/enable)\" = N ] && [ ! -d /sys/kernel/livepatch/vtimer_cache ]"
vtc_expect "load leaves it off" "$(rc $C load /vtc/vtimer_cache.ko)" "==" 0
vtc_check "load says enable=0" grep -q 'enable=0' /tmp/cli.out
vtc_expect "enable turns it on" "$(rc $C enable)" "==" 0
vtc_check "the patch is enabled" [ "$(cat /sys/kernel/livepatch/vtimer_cache/enabled 2>/dev/null)" = 1 ]
vtc_expect "disable" "$(rc $C disable)" "==" 0
vtc_expect "unload" "$(rc $C unload)" "==" 0
vtc_done
