#!/bin/bash
# make check: build what is missing, run every test, print
# "N passed, N failed" last. Exit status 0 only if nothing failed.
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

say "test kernel (first build: about 8-20 minutes)"
kentry=$(tests/kernel/build.sh 7.2) || { echo "kernel build failed"; echo "0 passed, 1 failed"; exit 1; }
echo "$kentry"

say "module, fault-injection modules, VMM, model test"
build_ok=1
make -s module fault-modules KDIR="$kentry/linux" >"$out/build.log" 2>&1 || build_ok=0
make -s -C tests/vmm >>"$out/build.log" 2>&1 || build_ok=0
make -s -C tests/unit build >>"$out/build.log" 2>&1 || build_ok=0
if [ $build_ok = 1 ]; then
	record ok "build: vtimer_cache.ko, fault modules, vtc-vmm, model test"
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
		scripts/*.sh .ci/run tests/vmm/selftest.sh >"$out/shellcheck.log" 2>&1 &&
	shellcheck -S warning -s sh tests/guest/*.sh tests/vm/init tests/rig/*.sh \
		tests/vm/guest/*.sh >>"$out/shellcheck.log" 2>&1; then
	record ok "shellcheck (warnings and errors) clean"
else
	cat "$out/shellcheck.log"
	record fail "shellcheck clean"
fi

say "klp-diff prints the delta of every mirrored function"
if scripts/klp-diff.sh "$kentry/linux" >"$out/klp-diff.log" 2>&1; then
	record ok "klp-diff ($(grep -c '^=== ' "$out/klp-diff.log") functions)"
else
	cat "$out/klp-diff.log"
	record fail "klp-diff"
fi

mods=()
expect_vm_fail check "test.sh exited 1" tests/rig/broken.sh check
expect_vm_fail noverdict "no verdict" tests/rig/broken.sh noverdict
expect_vm_fail hang "timeout" --timeout 40 tests/rig/broken.sh hang

# The VMM on stock 7.2, all four configurations: every interrupt arrives.
vm vmm-v3-vhe --gic 3 --mode vhe tests/vmm/selftest.sh 200
vm vmm-v3-nvhe --gic 3 --mode nvhe tests/vmm/selftest.sh 100
vm vmm-v2-vhe --gic 2 --mode vhe tests/vmm/selftest.sh 100
vm vmm-v2-nvhe --gic 2 --mode nvhe tests/vmm/selftest.sh 100

mods=(--add vtimer_cache.ko --add build/vtimer_cache-skew.ko --add build/vtimer_cache-missing.ko)
vm module-basic --gic 3 --mode vhe tests/guest/module-basic.sh
mods+=(--add scripts/vtimer-cache)
vm cli --gic 3 --mode vhe tests/guest/cli.sh
vm module-cache-v3-vhe --gic 3 --mode vhe tests/guest/module-cache.sh v3 2
vm module-cache-v3-nvhe --gic 3 --mode nvhe tests/guest/module-cache.sh v3 1
vm module-cache-v2-vhe --gic 2 --mode vhe tests/guest/module-cache.sh v2 2
vm module-cache-v2-nvhe --gic 2 --mode nvhe tests/guest/module-cache.sh v2 1
vm module-stress --gic 3 --mode vhe --timeout 900 tests/guest/module-stress.sh v3 100
vm module-leak --gic 3 --mode vhe --timeout 600 tests/guest/module-leak.sh v3 1000

say "done"
if [ $failed != 0 ]; then
	echo "failures:"
	printf '  %s\n' "${failures[@]}"
fi
echo "logs: $out"
echo "VMs retried after the stock KVM_BUG_ON in kvm_vcpu_load_debug: $retries"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
