#!/bin/bash
# make check: build what is missing, run every test, print
# "N passed, N failed" last. Exit status 0 only if nothing failed.
#
# VTC_SLOW=1 (make check-slow) adds what does not fit CI's 90 minutes on 2
# cores: the DKMS package phase (a second DKMS build under TCG) and the
# remaining 7.3 cache configurations.
#
# Every VM boot's checks ("ok"/"not ok" lines) count one each, and so does
# the boot's own verdict (a hang, panic, WARN or missing verdict fails it).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
out=${VTC_OUT:-$top/build/check}
rm -rf "$out"
mkdir -p "$out"
passed=0
failed=0
retries=0
failures=()
t0=$SECONDS

say() { printf '\n=== %s (%ds)\n' "$*" $((SECONDS - t0)); }

record() { # record ok|fail NAME
	if [ "$1" = ok ]; then
		passed=$((passed + 1))
		echo "ok - $2"
	else
		failed=$((failed + 1))
		failures+=("$2")
		echo "not ok - $2"
	fi
}

# count_tap FILE PREFIX: add the file's ok / not ok lines to the totals.
count_tap() {
	local ok nok
	ok=$(grep -cE '^ok [0-9]+' "$1")
	nok=$(grep -cE '^not ok [0-9]+' "$1")
	passed=$((passed + ok))
	failed=$((failed + nok))
	while IFS= read -r l; do failures+=("$2: ${l#not ok }"); done < <(grep -E '^not ok [0-9]+' "$1")
}

# vm NAME [run.sh options] SCRIPT [ARGS]: one boot.
vm() {
	local name=$1
	shift
	say "vm: $name"
	if tests/vm/run.sh --out "$out/$name" "${mods[@]}" "$@" >"$out/$name.log" 2>"$out/$name.err"; then
		rc=0
	else
		rc=1
	fi
	cat "$out/$name.log"
	count_tap "$out/$name.log" "$name"
	r=$(sed -n 's/^# vtc-vmm retries after the stock KVM_BUG_ON: //p' "$out/$name.log" | tail -n 1)
	[ "${r:-0}" = 0 ] || { retries=$((retries + r)); echo "# $name: $r VM(s) retried after the stock KVM_BUG_ON"; }
	if [ $rc = 0 ]; then
		record ok "$name: VM verdict"
	else
		cat "$out/$name.err"
		record fail "$name: VM verdict ($(grep 'run.sh: FAIL' "$out/$name.err" | head -n 1))"
	fi
}

# expect_vm_fail NAME PATTERN SCRIPT ARGS: the rig must fail this boot, and
# say why (PATTERN in its message).
expect_vm_fail() {
	local name=$1 pat=$2
	shift 2
	say "rig must fail: $name"
	if tests/vm/run.sh --out "$out/$name" "$@" >"$out/$name.log" 2>"$out/$name.err"; then
		record fail "rig fails a broken guest ($name): it passed"
		return
	fi
	grep 'run.sh: FAIL' "$out/$name.err"
	if grep -q "run.sh: FAIL.*$pat" "$out/$name.err"; then
		record ok "rig fails a broken guest ($name) with a readable reason"
	else
		record fail "rig fails a broken guest ($name) but the reason lacks '$pat'"
	fi
}

say "dependencies"
scripts/deps.sh || { echo "dependencies missing"; echo "0 passed, 1 failed"; exit 1; }

slow=${VTC_SLOW:-0}

say "test kernels 7.2 and 7.3 (first build: about 8-20 minutes each)"
kentry=$(tests/kernel/build.sh 7.2) || { echo "kernel build failed"; echo "0 passed, 1 failed"; exit 1; }
echo "$kentry"
kentry73=$(tests/kernel/build.sh 7.3) || { echo "7.3 kernel build failed"; echo "0 passed, 1 failed"; exit 1; }
echo "$kentry73"

say "module (7.2, 7.3), fault-injection and upgrade modules, VMM, model test"
build_ok=1
make -s module fault-modules upgrade-modules KDIR="$kentry/linux" >"$out/build.log" 2>&1 || build_ok=0
tests/build-series.sh 7.2 "$kentry/linux" >>"$out/build.log" 2>&1 || build_ok=0
tests/build-series.sh 7.3 "$kentry73/linux" >>"$out/build.log" 2>&1 || build_ok=0
make -s -C tests/vmm >>"$out/build.log" 2>&1 || build_ok=0
make -s -C tests/unit build >>"$out/build.log" 2>&1 || build_ok=0
if [ $build_ok = 1 ]; then
	record ok "build: vtimer_cache.ko for 7.2 and 7.3, fault and upgrade modules, vtc-vmm, model test"
else
	cat "$out/build.log"
	record fail "build"
	echo "$passed passed, $failed failed"
	exit 1
fi
if grep -E 'warning:' "$out/build.log"; then
	record fail "build without warnings"
else
	record ok "build without warnings"
fi
# The bpftrace hooks must be the symbols the call sites call (no .constprop
# clones), or a probe on them never fires.
if aarch64-linux-gnu-nm vtimer_cache.ko | grep -E ' vtc_hook_[a-z]+\.'; then
	record fail "bpftrace hooks called by their own symbols (no clones)"
else
	record ok "bpftrace hooks called by their own symbols (no clones)"
fi

say "unit: model test of the cache rule"
make -s -C tests/unit run >"$out/unit.log" 2>&1
cat "$out/unit.log"
count_tap "$out/unit.log" unit

say "style: checkpatch on src/ and include/"
if make -s checkpatch KDIR="$kentry/linux" >"$out/checkpatch.log" 2>&1 &&
	grep -qx 'checkpatch: clean' "$out/checkpatch.log"; then
	record ok "checkpatch clean"
else
	cat "$out/checkpatch.log"
	record fail "checkpatch clean"
fi

say "style: shellcheck"
if ! command -v shellcheck >/dev/null; then
	record fail "shellcheck installed (scripts/deps.sh)"
elif shellcheck -S warning -x tests/vm/run.sh tests/kernel/*.sh tests/*.sh \
		tests/userland/*.sh scripts/*.sh .ci/run tests/vmm/selftest.sh \
		tests/cost/run.sh tests/cost/build.sh \
		>"$out/shellcheck.log" 2>&1 &&
	shellcheck -S warning -s bash dkms.conf >>"$out/shellcheck.log" 2>&1 &&
	shellcheck -S warning -s sh tests/guest/*.sh tests/vm/init tests/rig/*.sh \
		tests/vm/guest/*.sh scripts/vtimer-cache tests/cost/guest.sh >>"$out/shellcheck.log" 2>&1; then
	record ok "shellcheck (warnings and errors) clean"
else
	cat "$out/shellcheck.log"
	record fail "shellcheck clean"
fi

say "klp-diff prints the delta of every mirrored function"
for k in "7.2 $kentry" "7.3 $kentry73"; do
	set -- $k
	if scripts/klp-diff.sh "$2/linux" "$1" >"$out/klp-diff-$1.log" 2>&1; then
		record ok "klp-diff $1 ($(grep -c '^=== ' "$out/klp-diff-$1.log") functions)"
	else
		cat "$out/klp-diff-$1.log"
		record fail "klp-diff $1"
	fi
done

mods=()
expect_vm_fail check "test.sh exited 1" tests/rig/broken.sh check
expect_vm_fail noverdict "no verdict" tests/rig/broken.sh noverdict
expect_vm_fail hang "timeout" --timeout 40 tests/rig/broken.sh hang

# The VMM on stock 7.2, all four configurations: every interrupt arrives.
vm vmm-v3-vhe --gic 3 --mode vhe tests/vmm/selftest.sh 200
vm vmm-v3-nvhe --gic 3 --mode nvhe tests/vmm/selftest.sh 100
vm vmm-v2-vhe --gic 2 --mode vhe tests/vmm/selftest.sh 100
vm vmm-v2-nvhe --gic 2 --mode nvhe tests/vmm/selftest.sh 100

# The cost tool (tests/cost): one short boot under its QEMU plugin, GICv3
# VHE, mmio-user and hvc, stock and patch on, two repeats each: every
# window found and matched to its label, counts > 0, repeats within 1%,
# the plugin's kvm_timer_vcpu_load entries = KVM_RUN calls + sched-ins, and
# = the module's own count.
say "cost tool smoke (make cost)"
t1=$SECONDS
if tests/cost/run.sh --smoke --module vtimer_cache.ko --out "$out/cost-smoke" \
	>"$out/cost-smoke.log" 2>&1; then
	record ok "cost tool smoke: per-exit instruction counts, windows matched, repeats within 1% ($((SECONDS - t1)) s)"
else
	tail -n 40 "$out/cost-smoke.log"
	record fail "cost tool smoke (log: $out/cost-smoke.log)"
fi

mods=(--add vtimer_cache.ko --add build/vtimer_cache-skew.ko --add build/vtimer_cache-missing.ko)
vm module-basic --gic 3 --mode vhe tests/guest/module-basic.sh
mods+=(--add scripts/vtimer-cache)
vm cli --gic 3 --mode vhe --timeout 600 tests/guest/cli.sh
vm bench-host-mode --gic 3 --mode vhe --timeout 600 tests/guest/bench.sh v3 30 10
vm module-cache-v3-vhe --gic 3 --mode vhe --timeout 600 tests/guest/module-cache.sh v3 2
vm module-cache-v3-nvhe --gic 3 --mode nvhe --timeout 600 tests/guest/module-cache.sh v3 1
vm module-cache-v2-vhe --gic 2 --mode vhe --timeout 600 tests/guest/module-cache.sh v2 2
vm module-cache-v2-nvhe --gic 2 --mode nvhe --timeout 600 tests/guest/module-cache.sh v2 1
vm module-stress --gic 3 --mode vhe --timeout 900 tests/guest/module-stress.sh v3 100
vm module-leak --gic 3 --mode vhe --timeout 600 tests/guest/module-leak.sh v3 1000

# Upgrade in place: klp atomic replace by a newer build, with VMs running.
mods=(--add vtimer_cache.ko --add build/vtimer_cache_v2.ko --add build/vtimer_cache_v9.ko)
vm module-upgrade-v3-vhe --gic 3 --mode vhe --timeout 600 tests/guest/module-upgrade.sh v3
vm module-upgrade-v2-nvhe --gic 2 --mode nvhe --timeout 600 tests/guest/module-upgrade.sh v2

# The second series: its own module, the same tests on the 7.3 kernel, and
# each series' module refused by the other's kernel.
mods=(--add build/7.3/vtimer_cache.ko --add build/7.3/vtimer_cache-skew.ko
	--add build/7.3/vtimer_cache-missing.ko)
vm 7.3-module-basic --series 7.3 --gic 3 --mode vhe tests/guest/module-basic.sh
vm 7.3-module-cache-v3-vhe --series 7.3 --gic 3 --mode vhe --timeout 600 tests/guest/module-cache.sh v3 2
vm 7.3-module-cache-v2-nvhe --series 7.3 --gic 2 --mode nvhe --timeout 600 tests/guest/module-cache.sh v2 1
if [ "$slow" = 1 ]; then
	vm 7.3-module-cache-v3-nvhe --series 7.3 --gic 3 --mode nvhe --timeout 600 tests/guest/module-cache.sh v3 1
	vm 7.3-module-cache-v2-vhe --series 7.3 --gic 2 --mode vhe --timeout 600 tests/guest/module-cache.sh v2 2
fi
mods=(--add build/7.3/vtimer_cache.ko --add build/7.2/vtimer_cache.ko:/vtc/other/)
vm 7.3-refuses-7.2 --series 7.3 --gic 3 --mode vhe tests/refuse-other-series.sh /vtc/other
mods=(--add build/7.2/vtimer_cache.ko --add build/7.3/vtimer_cache.ko:/vtc/other/)
vm 7.2-refuses-7.3 --series 7.2 --gic 3 --mode vhe tests/refuse-other-series.sh /vtc/other
# Protected KVM: refused at load on both series (the host's list-register
# copy that the fold hook reads is not trusted there).
for s in 7.2 7.3; do
	mods=(--add "build/$s/vtimer_cache.ko")
	vm "$s-refuses-pkvm" --series "$s" --append kvm-arm.mode=protected tests/guest/refuse-pkvm.sh
done

# bpftrace scripts, for real, in the arm64 userland (its bpftrace 0.17).
# DKMS on a running arm64 host: the cached arm64 bookworm userland as root
# file system, the test kernel installed from its own Debian packages.
say "arm64 userland, kernel packages, vtimer-cache-dkms, stock headers (first run: about 15 minutes)"
mods=()
if tests/userland/build.sh >"$out/dkms-prep.log" 2>&1 &&
	payload=$(tests/userland/payload.sh "$out/dkms-payload" 7.2 2>>"$out/dkms-prep.log") &&
	stockh=$(tests/userland/stock-headers.sh 2>>"$out/dkms-prep.log"); then
	record ok "userland prerequisites: arm64 userland, linux-image/-headers packages, vtimer-cache-dkms, stock headers"
	mods=(--add vtimer_cache.ko --add scripts/vtc-writes.bt --add scripts/vtc-load-lat.bt --add scripts/vtc-cache.bt)
	vm bpftrace --rootfs --gic 3 --mode vhe --timeout 900 tests/guest/bpftrace.sh 300
	mods=()
	phases=checkout
	[ "$slow" = 1 ] && phases="checkout package"
	# shellcheck disable=SC2086 # phases is a list
	vm dkms --rootfs --kernel "$payload/Image" --timeout 2400 \
		--add "$payload/src:/vtc/" --add "$payload/pkg:/vtc/" --add "$payload/debs:/vtc/" \
		tests/guest/dkms.sh $phases
	vm dkms-refusal --rootfs --timeout 1200 --add "$payload/src:/vtc/" \
		--add "$stockh/root/usr/src:/usr/" tests/guest/dkms-refusal.sh
	# The same on the 7.3 kernel, from its own packages (make check-slow).
	if [ "$slow" = 1 ]; then
		if payload73=$(tests/userland/payload.sh "$out/dkms-payload-7.3" 7.3 2>>"$out/dkms-prep.log"); then
			vm dkms-7.3 --rootfs --kernel "$payload73/Image" --timeout 2400 \
				--add "$payload73/src:/vtc/" --add "$payload73/pkg:/vtc/" \
				--add "$payload73/debs:/vtc/" tests/guest/dkms.sh checkout package
		else
			record fail "7.3 kernel packages for DKMS (log: $out/dkms-prep.log)"
		fi
	fi
else
	tail -n 30 "$out/dkms-prep.log"
	record fail "userland prerequisites (log: $out/dkms-prep.log)"
fi

say "done"
if [ $failed != 0 ]; then
	echo "failures:"
	printf '  %s\n' "${failures[@]}"
fi
echo "logs: $out"
echo "VMs retried after the stock KVM_BUG_ON in kvm_vcpu_load_debug: $retries"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
