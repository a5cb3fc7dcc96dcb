#!/bin/bash
# make check: build what is missing, run the tests, print one KTAP stream
# (tests/ktap.sh: "KTAP version 1", a plan, "ok N name", "# SKIP reason",
# each test's own checks as an indented subtest) and last "N passed, N
# failed, N skipped", N counting every check (a SKIP is not a pass). Exit
# status 0 only if nothing failed.
#
#   make check [T=NAME] [GIC=v2|v3] [MODE=vhe|nvhe|nested] [SERIES=7.2|7.3]
#
# T=NAME runs the test NAME and its configurations: the tests named NAME
# followed by any of -v2 -v3 -vhe -nvhe -nested -7.2 -7.3 (T=module-cache:
# module-cache-v3-vhe, ...; T=dkms: dkms and dkms-7.3, not dkms-refused).
# The 7.3 copies named 7.3-NAME... run only with SERIES=7.3. T=package runs
# the package stages, T=package-STAGE the install (whose disk the others
# boot) and STAGE. GIC, MODE and SERIES narrow the selection; the builds it
# needs run too. A narrowed run keeps its logs in build/check-only/ and
# leaves a full run's build/check/ alone. VTC_LIST=1 prints the selection
# and the log directory, and runs nothing. VTC_SLOW=1 (make check-slow) adds the @slow lines of the table
# below: what does not fit CI's time on 2 cores. Each test script's header
# says what it checks.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
# shellcheck source=tests/ktap.sh
. tests/ktap.sh
only=${T:-} want_gic=${GIC:-} want_mode=${MODE:-} want_series=${SERIES:-}
spec=$only${want_series:+-$want_series}${want_gic:+-$want_gic}${want_mode:+-$want_mode}
out=${VTC_OUT:-$top/build/check${spec:+-only/${spec#-}}}
slow=${VTC_SLOW:-0}
t0=$SECONDS
retries=0
failures=()

# The tests: NAME SERIES GIC MODE [run.sh options] -- SCRIPT [ARGS]. A
# series, GIC or mode of "-" means the test does not boot one (host tests
# run the function test_NAME). Modules are under build/SERIES/.
tests() {
	cat <<-'EOF'
	build - - -
	unit - - -
	select - - -
	checkpatch - - -
	shellcheck - - -
	cli-docs - - -
	version - - -
	deb - - -
	dkms-conf - - -
	klp-diff-7.2 7.2 - -
	klp-diff-7.3 7.3 - -
	calls-7.2 7.2 - -
	calls-7.3 7.3 - -
	add-release 7.2 - -
	native-series - - -
	rig-fails-check 7.2 v3 vhe -- tests/vm/rig-fails.sh check
	rig-fails-noverdict 7.2 v3 vhe -- tests/vm/rig-fails.sh noverdict
	rig-fails-hang 7.2 v3 vhe --timeout 40 -- tests/vm/rig-fails.sh hang
	rig-fails-warn 7.2 v3 vhe --add build/7.2/vtc_fault.ko -- tests/vm/rig-fails.sh warn
	rig-fails-leak 7.2 v3 vhe --add build/7.2/vtc_fault.ko -- tests/vm/rig-fails.sh leak
	rig-fails-demo 7.2 v3 vhe --add build/7.2/vtimer_cache.ko -- tests/vm/demo.sh v3 50 --break no-eoi
	vmm-selftest-v3-vhe 7.2 v3 vhe -- tests/vm/vmm-selftest.sh 200
	vmm-selftest-v3-nvhe 7.2 v3 nvhe @slow -- tests/vm/vmm-selftest.sh 100
	vmm-selftest-v2-vhe 7.2 v2 vhe @slow -- tests/vm/vmm-selftest.sh 100
	vmm-selftest-v2-nvhe 7.2 v2 nvhe @slow -- tests/vm/vmm-selftest.sh 100
	cost-smoke 7.2 v3 vhe
	demo 7.2 v3 vhe
	module-basic 7.2 v3 vhe @variants -- tests/vm/module-basic.sh
	cli 7.2 v3 vhe --timeout 600 @variants -- tests/vm/cli.sh
	bench 7.2 v3 vhe --timeout 600 -- tests/vm/bench.sh v3 30 10
	module-cache-v3-vhe 7.2 v3 vhe --timeout 600 -- tests/vm/module-cache.sh v3 2
	module-cache-v3-nvhe 7.2 v3 nvhe --timeout 600 -- tests/vm/module-cache.sh v3 1
	module-cache-v2-vhe 7.2 v2 vhe --timeout 600 @slow -- tests/vm/module-cache.sh v2 2
	module-cache-v2-nvhe 7.2 v2 nvhe --timeout 600 -- tests/vm/module-cache.sh v2 1
	module-stress 7.2 v3 vhe --timeout 900 -- tests/vm/module-stress.sh v3 @count:20:100
	module-leak 7.2 v3 vhe --timeout 600 -- tests/vm/module-leak.sh v3 @count:200:1000
	module-upgrade-v3-vhe 7.2 v3 vhe --timeout 600 @upgrade -- tests/vm/module-upgrade.sh v3
	module-upgrade-v2-nvhe 7.2 v2 nvhe --timeout 600 @slow @upgrade -- tests/vm/module-upgrade.sh v2
	module-cache-v3-nested 7.2 v3 nested --timeout 600 -- tests/vm/module-cache.sh v3 2
	module-coexist 7.2 v3 vhe --timeout 900 --tcg-single @foreign -- tests/vm/module-coexist.sh
	7.3-module-basic 7.3 v3 vhe @variants -- tests/vm/module-basic.sh
	7.3-module-cache-v3-vhe 7.3 v3 vhe --timeout 600 -- tests/vm/module-cache.sh v3 2
	7.3-module-cache-v2-nvhe 7.3 v2 nvhe --timeout 600 @slow -- tests/vm/module-cache.sh v2 1
	7.3-module-cache-v3-nvhe 7.3 v3 nvhe --timeout 600 @slow -- tests/vm/module-cache.sh v3 1
	7.3-module-cache-v2-vhe 7.3 v2 vhe --timeout 600 @slow -- tests/vm/module-cache.sh v2 2
	7.3-module-coexist 7.3 v3 vhe --timeout 900 --tcg-single @slow @foreign -- tests/vm/module-coexist.sh
	other-series-refused-7.3 7.3 v3 vhe @other -- tests/vm/other-series-refused.sh /vtc/other
	other-series-refused-7.2 7.2 v3 vhe @other -- tests/vm/other-series-refused.sh /vtc/other
	pkvm-refused-7.2 7.2 v3 vhe --append kvm-arm.mode=protected -- tests/vm/pkvm-refused.sh
	pkvm-refused-7.3 7.3 v3 vhe --append kvm-arm.mode=protected -- tests/vm/pkvm-refused.sh
	kvm-selftest-7.3 7.3 v3 vhe @kst -- tests/vm/kvm-selftest.sh stock -i 5
	kst-lp-v3-vhe 7.2 v3 vhe --timeout 600 @kselftests -- tests/vm/kvm-selftests-lp.sh arch_timer vgic_irq
	kst-lp-more-v3-vhe 7.2 v3 vhe --timeout 900 @slow @kselftests -- tests/vm/kvm-selftests-lp.sh arch_timer_edge_cases vgic_init
	kst-lp-v3-nvhe 7.2 v3 nvhe --timeout 1200 @slow @kselftests -- tests/vm/kvm-selftests-lp.sh arch_timer arch_timer_edge_cases vgic_irq vgic_init
	kst-lp-v3-nested 7.2 v3 nested --timeout 1800 @slow @kselftests -- tests/vm/kvm-selftests-lp.sh timeout=600 arch_timer arch_timer_edge_cases vgic_irq vgic_init
	7.3-kst-lp-v3-vhe 7.3 v3 vhe --timeout 1200 @slow @kselftests -- tests/vm/kvm-selftests-lp.sh arch_timer arch_timer_edge_cases vgic_irq vgic_init
	native-selftest-v3-vhe 7.3 v3 vhe @slow @kst @native -- tests/vm/kvm-selftest.sh native -i 10
	native-selftest-v3-nvhe 7.3 v3 nvhe @slow @kst @native -- tests/vm/kvm-selftest.sh native -i 10
	native-cache-v3-vhe 7.3 v3 vhe --timeout 600 @slow @native -- tests/vm/native-cache.sh v3
	native-cache-v3-nvhe 7.3 v3 nvhe --timeout 600 @slow @native -- tests/vm/native-cache.sh v3
	native-cache-v2-nvhe 7.3 v2 nvhe --timeout 600 @slow @native -- tests/vm/native-cache.sh v2
	bpftrace 7.2 v3 vhe --rootfs --timeout 900 @bt -- tests/vm/bpftrace.sh 300
	linux-guest-smoke 7.2 v3 vhe --rootfs --timeout 1200 @guest -- tests/vm/linux-guest.sh smoke
	linux-guest-v3-vhe 7.2 v3 vhe --rootfs --timeout 3600 @slow @guest -- tests/vm/linux-guest.sh full
	linux-guest-v3-nvhe 7.2 v3 nvhe --rootfs --timeout 3600 @slow @guest -- tests/vm/linux-guest.sh full
	dkms 7.2 v3 vhe --rootfs --timeout 2400 @slow @dkms -- tests/vm/dkms.sh checkout @package
	dkms-refused 7.2 v3 vhe --rootfs --timeout 1200 @slow @refusal -- tests/vm/dkms-refused.sh
	dkms-7.3 7.3 v3 vhe --rootfs --timeout 2400 @slow @dkms -- tests/vm/dkms.sh checkout package
	package-install 7.2 v3 vhe --systemd --timeout 2400 @pkg -- tests/vm/package.sh install
	package-boot 7.2 v3 vhe --systemd --timeout 1800 @slow @pkg -- tests/vm/package.sh boot
	package-killswitch 7.2 v3 vhe --systemd --timeout 900 @slow @pkg --append vtimer_cache.enable=0 -- tests/vm/package.sh killswitch
	package-secure 7.2 v3 vhe --systemd --timeout 900 @slow @pkg --append module.sig_enforce=1 --append lockdown=integrity -- tests/vm/package.sh secure
	package-nomodule 7.3 v3 vhe --systemd --timeout 900 @slow @pkg -- tests/vm/package.sh nomodule
	EOF
}

# selected NAME SERIES GIC MODE: is this test part of this run? The
# build always is: every other test needs it.
selected() {
	[ "$1" = build ] && return 0
	if [ -n "$only" ]; then
		local w rest=${1#"$want_series"-}
		# The package stages boot the state disk package-install
		# writes: T=package runs them all, T=package-STAGE install and
		# STAGE.
		case $only:$1 in
		package:package-* | package-*:package-install) ;;
		*)
			case $rest in "$only"|"$only"-*) ;; *) return 1 ;; esac
			for w in $(tr - ' ' <<<"${rest#"$only"}"); do
				case $w in v2|v3|vhe|nvhe|nested|7.2|7.3) ;; *) return 1 ;; esac
			done ;;
		esac
	fi
	[ -z "$want_series" ] || [ "$2" = - ] || [ "$2" = "$want_series" ] || return 1
	[ -z "$want_gic" ] || [ "$3" = - ] || [ "$3" = "$want_gic" ] || return 1
	[ -z "$want_mode" ] || [ "$4" = - ] || [ "$4" = "$want_mode" ] || return 1
}

# result ok|fail NAME [DIRECTIVE]: a top-level result.
result() {
	case $1:${3:-} in
	ok:SKIP*) ktap_skip "$2" "${3#SKIP }" ;;
	ok:*) ktap_pass "$2" ;;
	*) ktap_fail "$2"; failures+=("$2") ;;
	esac
}

# nest NAME FILE: FILE's KTAP as NAME's subtest, its results counted;
# fails if any failed.
nest() {
	local l rc=0
	ktap_nest "$2" >"$2.nest" || rc=1
	cat "$2.nest"
	while IFS= read -r l; do failures+=("$1: ${l#  not ok }"); done < <(grep -a '^  not ok ' "$2.nest")
	return $rc
}

# nested NAME CMD...: CMD's KTAP output (in $out/NAME.tap) as NAME's
# subtest; fails if CMD or any of its checks failed. A function as CMD
# runs in a subshell, with its own counts.
nested() {
	local name=$1 rc
	shift
	("$@") >"$out/$name.tap" 2>&1
	rc=$?
	nest "$name" "$out/$name.tap" || rc=1
	return $rc
}

# --- the plan ---------------------------------------------------------------
sel=()
declare -A need
while read -r name series gic mode rest; do
	selected "$name" "$series" "$gic" "$mode" || continue
	sel+=("$name")
	# the test kernels (and modules) the selection needs
	case $name:$series:" $rest " in
	build:*) [ "$only" != build ] || need=([7.2]=1 [7.3]=1) ;;
	*" @other "*) need[7.2]=1 need[7.3]=1 ;;
	checkpatch:* | version:*) need[7.2]=1 ;;
	*:7.*) need[$series]=1 ;;
	esac
done < <(tests)
if [ "${VTC_LIST:-0}" = 1 ]; then
	printf '%s\n' "${sel[@]}" "logs: $out" "kernels: ${!need[*]}"
	exit 0
fi
rm -rf "$out"
mkdir -p "$out"
ktap_header
[ ${#sel[@]} -gt 1 ] || [ "$only" = build ] || ktap_bail "no test matches T=$only GIC=$want_gic MODE=$want_mode SERIES=$want_series"
ktap_plan ${#sel[@]}

# --- setup: packages, test kernels ------------------------------------------
scripts/deps.sh >"$out/deps.log" 2>&1 || { cat "$out/deps.log"; ktap_bail "dependencies missing"; }
declare -A kentry
for s in $(printf '%s\n' "${!need[@]}" | sort); do
	echo "# test kernel $s (first build: about 5-20 minutes)"
	kentry[$s]=$(tests/kernel/build.sh "$s" 2>"$out/kernel-$s.log") ||
		{ tail -n 20 "$out/kernel-$s.log"; ktap_bail "kernel $s build failed"; }
done

# --- host tests ---------------------------------------------------------------
# The modules of the series this run needs, vtc-vmm and the unit model.
build_all() {
	local s
	for s in "${!kentry[@]}"; do
		tests/build-modules.sh "$s" "${kentry[$s]}/linux" || return 1
	done
	make -s -C tools/vmm && make -s -C tests/unit build
}

build_checks() {
	local s
	ktap_header
	if grep 'warning:' "$out/build.log"; then
		ktap_fail "built without warnings"
	else
		ktap_pass "built without warnings"
	fi
	# The tracepoints scripts/vtc-cache.bt attaches to.
	for s in "${!kentry[@]}"; do
		if aarch64-linux-gnu-nm "build/$s/vtimer_cache.ko" >"$out/build-$s.nm" &&
			[ "$(grep -cE ' __tracepoint_vtc_(skip|issue|invalidate)$' "$out/build-$s.nm")" = 3 ]; then
			ktap_pass "$s: the module defines its three tracepoints"
		else
			ktap_fail "$s: the module defines its three tracepoints"
		fi
	done
	ktap_finish
}

test_build() {
	build_all >"$out/build.log" 2>&1 || { sed 's/^/# /' "$out/build.log"; return 1; }
	nested build build_checks
}

# make check T=NAME as tests/README.md says: NAME's configurations only,
# the 7.3 copies with SERIES=7.3, the kernels they need, logs apart.
test_select() {
	local l
	ktap_header
	list() { env -u VTC_OUT VTC_LIST=1 "$@" tests/check.sh | tr '\n' ' '; }
	l=$(list T=module-cache)
	ktap_result "T=module-cache: its configurations, logs apart, kernel 7.2 ($l)" grep -qxE \
		'build( module-cache(-(v2|v3|vhe|nvhe|nested))+)+ logs: .*/build/check-only/module-cache kernels: 7\.2 ' <<<"$l"
	l=$(list T=module-cache SERIES=7.3)
	ktap_result "T=module-cache SERIES=7.3: the 7.3 copies, kernel 7.3 ($l)" grep -qxE \
		'build( 7\.3-module-cache(-(v2|v3|vhe|nvhe|nested))+)+ logs: .*/build/check-only/module-cache-7\.3 kernels: 7\.3 ' <<<"$l"
	l=$(list T=dkms)
	ktap_result "T=dkms: dkms and dkms-7.3, not dkms-refused ($l)" grep -qE '^build dkms dkms-7\.3 logs: ' <<<"$l"
	l=$(list T=package-boot)
	ktap_result "T=package-boot: the install, whose disk it boots, then boot ($l)" \
		grep -qE '^build package-install package-boot logs: ' <<<"$l"
	ktap_finish
}

test_checkpatch() {
	make -s checkpatch KDIR="${kentry[7.2]}/linux" >"$out/checkpatch.log" 2>&1 &&
		grep -qx 'checkpatch: clean' "$out/checkpatch.log" && return 0
	sed 's/^/# /' "$out/checkpatch.log"
	return 1
}

test_shellcheck() {
	local f sh=()
	command -v shellcheck >/dev/null || { echo "# shellcheck not installed (scripts/deps.sh)"; return 1; }
	# tests/vm's scripts are POSIX sh, but for linux-guest.sh (bash)
	for f in tests/vm/*.sh; do [ "$f" = tests/vm/linux-guest.sh ] || sh+=("$f"); done
	{
		shellcheck -S warning -x tests/*.sh tests/rig/*.sh tests/kernel/*.sh \
			tests/userland/*.sh tools/cost/*.sh scripts/*.sh .ci/run \
			tests/vm/linux-guest.sh &&
			shellcheck -S warning -s bash dkms.conf &&
			shellcheck -S warning -s sh "${sh[@]}" \
				tests/vm/init tests/vm/vtc-vmm-wrapper tools/vmm/linux-init \
				scripts/vtimer-cache
	} >"$out/shellcheck.log" 2>&1 && return 0
	sed 's/^/# /' "$out/shellcheck.log"
	return 1
}

# scripts/check-calls.sh: on the test kernel, no function the series'
# mirrors replace is inlined into a caller; and the check catches one that
# is (synchronize_irq, inlined into disable_irq).
test_calls() { # SERIES
	local k=${kentry[$1]}/linux rc
	nested "calls-$1" scripts/check-calls.sh "$k"
	rc=$?
	CHECK_CALLS_EXTRA=kernel/irq/manage.c:synchronize_irq \
		scripts/check-calls.sh "$k" >"$out/calls-$1-planted.tap" 2>&1
	if [ $? != 1 ] || ! grep -q '^not ok [0-9]* synchronize_irq: .*, 1 inlined$' \
		"$out/calls-$1-planted.tap"; then
		echo "# calls-$1: synchronize_irq, inlined into disable_irq, passed the check ($out/calls-$1-planted.tap)"
		return 1
	fi
	return $rc
}

test_klp_diff() { # SERIES
	scripts/klp-diff.sh "${kentry[$1]}/linux" "$1" >"$out/klp-diff-$1.log" 2>&1 || {
		sed 's/^/# /' "$out/klp-diff-$1.log"
		return 1
	}
	echo "# klp-diff $1: $(grep -c '^=== ' "$out/klp-diff-$1.log") functions, delta in $out/klp-diff-$1.log"
}

# One version: dkms.conf's (Kbuild, MODULE_VERSION) is debian/changelog's
# and the built module's.
test_version() {
	local v c m
	v=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)
	c=$(dpkg-parsechangelog -l debian/changelog -SVersion)
	m=$(modinfo -F version build/7.2/vtimer_cache.ko 2>/dev/null)
	ktap_header
	ktap_plan 2
	ktap_result "debian/changelog ($c) is at dkms.conf's version ($v)" [ "${v:-none}" = "$c" ]
	ktap_result "modinfo: the module's version ($m) is $v" [ "$m" = "$v" ]
	ktap_finish
}

# make deb: the binary and the source package build, the binary ships what
# README uses, and lintian finds no error or warning (its remaining info
# tags are listed), run on the .changes, which names only files beside it;
# the unit is not stopped on upgrade (preinst); a site's rebuild at a
# local version (0.2.0+site1) builds.
test_deb() {
	local d v tags f s missing=()
	ktap_header
	ktap_plan 7
	if ! d=$(make -s deb 2>"$out/deb.err" | tail -n 1) || [ ! -f "$d" ]; then
		sed 's/^/# /' "$out/deb.err"
		ktap_fail "make deb"
		return
	fi
	ktap_pass "make deb: $d"
	v=$(dpkg-deb -f "$d" Version)
	ktap_result "the source package: build/vtimer-cache_$v.dsc, .tar.xz" \
		test -f "build/vtimer-cache_$v.dsc" -a -f "build/vtimer-cache_$v.tar.xz"
	local want=(./usr/sbin/vtimer-cache ./usr/share/man/man8/vtimer-cache.8.gz
		./usr/share/bash-completion/completions/vtimer-cache
		./lib/systemd/system/vtimer-cache.service ./usr/share/vtimer-cache/vtc-cache.bt
		./usr/share/vtimer-cache/vtc-cache_example.txt
		"./usr/src/vtimer-cache-$v/dkms.conf")
	dpkg-deb -c "$d" | awk '{ print $6 }' >"$out/deb.contents"
	for f in "${want[@]}"; do grep -qxF "$f" "$out/deb.contents" || missing+=("$f"); done
	ktap_result "ships the command, manual, completion, unit, tools, source${missing[*]:+ (missing: ${missing[*]})}" \
		[ ${#missing[@]} = 0 ]
	# every file the .changes names is beside it, or lintian skips it
	missing=()
	for f in $(awk '/^Files:/ { on = 1; next } /^[^ ]/ { on = 0 } on { print $5 }' build/*.changes); do
		[ -f "build/$f" ] || missing+=("$f")
	done
	ktap_result "build/*.changes names only files beside it${missing[*]:+ (not: ${missing[*]})}" \
		[ -n "$(ls build/*.changes 2>/dev/null)" -a ${#missing[@]} = 0 ]
	if ! command -v lintian >/dev/null; then
		ktap_fail "lintian: not installed (scripts/deps.sh)"
		return
	fi
	lintian -I --no-tag-display-limit build/*.changes >"$out/lintian.log" 2>&1 ||
		echo "E: lintian exited $?: $(grep -v '^[IP]: ' "$out/lintian.log" | head -n 3)" >>"$out/lintian.log"
	tags=$(grep -E '^[EW]: ' "$out/lintian.log")
	sed -n 's/^[IP]: /# lintian info: /p' "$out/lintian.log"
	[ -z "$tags" ] || echo "$tags" | sed 's/^/# /'
	ktap_result "lintian build/*.changes: no error or warning" [ -z "$tags" ]
	# An upgrade leaves the unit alone (the patch runs on: the unit must
	# not show inactive).
	rm -rf "$out/deb.control"
	dpkg-deb -e "$d" "$out/deb.control"
	grep -s -B2 "stop 'vtimer-cache.service'" "$out/deb.control/preinst" "$out/deb.control/prerm" | sed 's/^/# /'
	ktap_result "the maintainer scripts do not stop vtimer-cache.service" \
		sh -c "! grep -qs \"stop 'vtimer-cache.service'\" '$out/deb.control/preinst' '$out/deb.control/prerm'"
	# A site's rebuild: a local changelog entry, make deb in a copy.
	s=$out/deb-site
	rm -rf "$s"
	mkdir -p "$s"
	tar -c Makefile dkms.conf Kbuild src include scripts debian | tar -x -C "$s"
	{ printf 'vtimer-cache (%s+site1) unstable; urgency=medium\n\n  * A site rebuild.\n\n -- %s  %s\n\n' \
		"$v" "$(sed -n 's/^Maintainer: //p' debian/control)" "$(date -R)"; cat debian/changelog; } >"$s/debian/changelog"
	# (the listing into a file: grep -q ending first would make
	# dpkg-deb die of SIGPIPE, a failure under pipefail)
	if (cd "$s" && make -s deb) >"$out/deb-site.log" 2>&1 &&
		dpkg-deb -c "$s/build/vtimer-cache-dkms_${v}+site1_all.deb" >"$out/deb-site.contents" 2>&1 &&
		grep -q " ./usr/src/vtimer-cache-$v/Kbuild$" "$out/deb-site.contents"; then
		ktap_pass "a site rebuild at $v+site1: DKMS's source in /usr/src/vtimer-cache-$v"
	else
		tail -n 5 "$out/deb-site.log" | sed 's/^/# /'
		ktap_fail "a site rebuild at $v+site1"
	fi
	ktap_finish
}

# scripts/add-release.sh on a 7.2.14 made of the 7.2 tree's Makefile and
# mirrored files: the same text is added, a changed copy is not.
test_add_release() {
	local k=${kentry[7.2]}/linux f=$out/add-release rel=$out/add-release/releases
	rm -rf "$f"
	mkdir -p "$f/new"
	sed 's/^SUBLEVEL = 13$/SUBLEVEL = 14/' "$k/Makefile" >"$f/new/Makefile"
	for s in arch/arm64/kvm/arch_timer.c arch/arm64/kvm/vgic/vgic-v3.c \
		arch/arm64/kvm/vgic/vgic-v2.c kernel/irq/manage.c kernel/irq/internals.h; do
		mkdir -p "$f/new/$(dirname "$s")"
		cp "$k/$s" "$f/new/$s"
	done
	cp src/mirror/releases "$rel"
	ktap_header
	ktap_plan 3
	if VTC_RELEASES=$rel scripts/add-release.sh "$f/new" "$k" >"$f/same.log" 2>&1 &&
		grep -q '^7\.2\.14 *arch_timer.c timer-traps-7.2.h vgic-v3.c vgic-v2.c irq-7.2.c$' "$rel"; then
		ktap_pass "the same text: 7.2.14 added with 7.2.13's mirror files"
	else
		ktap_fail "the same text: 7.2.14 added"
	fi
	if VTC_RELEASES=$rel scripts/add-release.sh "$f/new" "$k" >>"$f/same.log" 2>&1 &&
		[ "$(grep -c '^7\.2\.14 ' "$rel")" = 1 ]; then
		ktap_pass "added once"
	else
		ktap_fail "added once"
	fi
	cp src/mirror/releases "$rel"
	sed -i 's/irq->on_lr = false;/irq->on_lr = 0;/' "$f/new/arch/arm64/kvm/vgic/vgic-v2.c"
	VTC_RELEASES=$rel scripts/add-release.sh "$f/new" "$k" >"$f/changed.log" 2>&1
	if [ $? = 1 ] && cmp -s src/mirror/releases "$rel" &&
		grep -q 'vgic_v2_fold_lr: changed' "$f/changed.log"; then
		ktap_pass "a changed copied function: named, nothing added (exit 1)"
	else
		ktap_fail "a changed copied function: named, nothing added"
	fi
	ktap_finish
}

# The cost tool (tools/cost): one short boot under its QEMU plugin, GICv3
# VHE, stock and patch on, on the debug kernel; its targets must be met.
test_cost_smoke() {
	tools/cost/run.sh --smoke --out "$out/cost-smoke" >"$out/cost-smoke.log" 2>&1 && return 0
	tail -n 40 "$out/cost-smoke.log" | sed 's/^/# /'
	return 1
}

# make demo, as README says, with fewer iterations.
test_demo() {
	DEMO_ITERS=300 tests/demo.sh >"$out/demo.log" 2>&1 && return 0
	tail -n 30 "$out/demo.log" | sed 's/^/# /'
	return 1
}

# --- boots ------------------------------------------------------------------
# The userland tests' payload (DKMS tree, package, kernel packages; in
# check-slow also Debian's stock headers and the 7.3 payload), staged once,
# when the first of them runs.
payload='' payload73='' stockh='' userland_ok=''
userland() {
	[ -n "$userland_ok" ] && { [ "$userland_ok" = yes ]; return; }
	local what="arm64 userland, kernel packages, vtimer-cache-dkms"
	[ "$slow" = 0 ] || what+=", stock headers, the 7.3 payload"
	echo "# $what (first run: about 15 minutes)"
	if tests/userland/build.sh >"$out/userland.log" 2>&1 &&
		payload=$(tests/userland/payload.sh "$out/dkms-payload" 7.2 2>>"$out/userland.log") &&
		{ [ "$slow" = 0 ] || {
			stockh=$(tests/userland/stock-headers.sh 2>>"$out/userland.log") &&
				payload73=$(tests/userland/payload.sh "$out/dkms-payload-7.3" 7.3 2>>"$out/userland.log"); }; }; then
		userland_ok=yes
	else
		tail -n 30 "$out/userland.log" | sed 's/^/# /'
		userland_ok=no
	fi
	[ "$userland_ok" = yes ]
}

# The upstream series' selftest binary (tests/native-series.sh builds it),
# and the kernel with the series applied (check-slow only: a third build).
kst() {
	[ -x build/native/arch_timer_active ] ||
		tests/native-series.sh >"$out/native-series-for-boot.tap" 2>&1
	[ -x build/native/arch_timer_active ] || { echo "# no selftest binary: $out/native-series-for-boot.tap"; return 1; }
}
native_image() {
	if [ ! -f build/native/Image ]; then
		echo "# the native kernel: 7.3 with patches/ (about 15 minutes)" >&2
		tests/native-series.sh --image debug >"$out/kernel-native.log" 2>&1 ||
			{ tail -n 20 "$out/kernel-native.log" >&2; return 1; }
	fi
	echo build/native/Image
}

# boot NAME SERIES [OPTIONS] -- SCRIPT [ARGS]: one boot; the verdict is the
# result, the script's checks its subtest. @WORD options expand to the
# modules and payloads the test needs.
boot() {
	local name=$1 series=$2 m=build/$2 opts=() args=() rc
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		case $1 in
		@variants) opts+=(--add "$m/vtimer_cache-skew.ko" --add "$m/vtimer_cache-missing.ko") ;;
		@upgrade) opts+=(--add "$m/vtimer_cache_v2.ko" --add "$m/vtimer_cache_v9.ko") ;;
		@foreign) opts+=(--add "$m/test_klp_livepatch.ko" --add "$m/test_klp_atomic_replace.ko"
			--add "$m/klp_foreign_ack.ko" --add "$m/klp_foreign_gic.ko") ;;
		@other)
			local o=7.3
			[ "$series" = 7.3 ] && o=7.2
			opts+=(--add "build/$o/vtimer_cache.ko:/vtc/other/") ;;
		@bt) opts+=(--add scripts/vtc-writes.bt --add scripts/vtc-load-lat.bt --add scripts/vtc-cache.bt) ;;
		@dkms)
			local p=$payload
			[ "$series" = 7.3 ] && p=$payload73
			opts+=(--kernel "$p/Image" --add "$p/src:/vtc/" --add "$p/pkg:/vtc/" --add "$p/debs:/vtc/") ;;
		@refusal) opts+=(--add "$payload/src:/vtc/" --add "$stockh/root/usr/src:/usr/") ;;
		@pkg)
			# one state disk through the boots, from a blank one; the
			# kernel the install's DKMS built for, but on a 7.3 line the
			# 7.3 test kernel: an update DKMS built nothing for
			[ "$name" = package-install ] && rm -f "$out/package-state.img"
			local k=$payload/Image
			[ "$series" = 7.3 ] && k=${kentry[7.3]}/linux/arch/arm64/boot/Image
			opts+=(--kernel "$k" --add "$payload/pkg:/vtc/" --add "$payload/debs:/vtc/"
				--add "$payload/mok:/vtc/" --disk "$out/package-state.img") ;;
		@guest)
			local g
			g=$(tests/userland/guest.sh 2>>"$out/userland.log") || { echo "# no Linux guest (tests/userland/guest.sh)"; return 1; }
			opts+=(--add "$g/Image:/vtc/l2/" --add "$g/initrd.cpio.gz:/vtc/l2/") ;;
		@kst) kst || return 1; opts+=(--add build/native/arch_timer_active) ;;
		@kselftests)
			# the kernel's own timer and vgic selftests, from SERIES' tree
			local kd
			kd=$(tests/kvm-selftests.sh "$series" 2>"$out/kvm-selftests-$series.log") ||
				{ echo "# no KVM selftests of $series: $out/kvm-selftests-$series.log"; return 1; }
			opts+=(--add "$kd/kst") ;;
		@native)
			local img
			img=$(native_image) || return 1
			opts+=(--kernel "$img") ;;
		@slow) ;;
		*) opts+=("$1") ;;
		esac
		shift
	done
	shift
	for a in "$@"; do
		case $a in
		@package) [ "$slow" = 1 ] && args+=(package) ;;
		@count:*) # @count:N:M: N in make check, M in check-slow
			a=${a#@count:}
			if [ "$slow" = 1 ]; then args+=("${a#*:}"); else args+=("${a%%:*}"); fi ;;
		*) args+=("$a") ;;
		esac
	done
	case " ${opts[*]} " in
	*" --rootfs "*|*" --systemd "*) ;;
	*) opts+=(--series "$series") ;;
	esac
	echo "# $name: tests/rig/run.sh ${opts[*]} ${args[*]}"
	tests/rig/run.sh --out "$out/$name" --add "$m/vtimer_cache.ko" "${opts[@]}" "${args[@]}" \
		>"$out/$name.log" 2>"$out/$name.err"
	rc=$?
	nest "$name" "$out/$name.log" || rc=1
	r=$(sed -n 's/^# vtc-vmm retries after the stock KVM_BUG_ON: //p' "$out/$name.log" | tail -n 1)
	[ "${r:-0}" = 0 ] || { retries=$((retries + r)); echo "# $name: $r VM(s) retried after the stock KVM_BUG_ON"; }
	[ $rc = 0 ] && return 0
	sed 's/^/# /' "$out/$name.err"
	return 1
}

# rig_fails NAME PATTERN [OPTIONS] -- SCRIPT ARGS: the rig must fail this
# boot, and say why (PATTERN in its message).
rig_fails() {
	local name=$1 pat=$2 a args=()
	shift 2
	for a in "$@"; do [ "$a" = -- ] || args+=("$a"); done
	if tests/rig/run.sh --out "$out/$name" "${args[@]}" >"$out/$name.log" 2>"$out/$name.err"; then
		echo "# the rig passed a broken guest"
		return 1
	fi
	grep 'run.sh: FAIL' "$out/$name.err" | sed 's/^/# /'
	grep -q "run.sh: FAIL.*$pat" "$out/$name.err"
}

# --- run --------------------------------------------------------------------
while read -r name series gic mode rest; do
	selected "$name" "$series" "$gic" "$mode" || continue
	echo "# --- $name ($((SECONDS - t0)) s)"
	case " $rest " in
	*" @slow "*)
		if [ "$slow" != 1 ]; then
			result ok "$name" "SKIP make check-slow"
			continue
		fi ;;
	esac
	# shellcheck disable=SC2086 # rest is a list of words, below
	case $name in
	build) test_build ;;
	unit) nested unit make -s -C tests/unit run ;;
	checkpatch) test_checkpatch ;;
	shellcheck) test_shellcheck ;;
	cli-docs | dkms-conf | native-series) nested "$name" tests/"$name".sh ;;
	select | version | deb | add-release) nested "$name" "test_${name/-/_}" ;;
	klp-diff-*) test_klp_diff "$series" ;;
	calls-*) test_calls "$series" ;;
	cost-smoke) test_cost_smoke ;;
	demo) test_demo ;;
	rig-fails-*)
		case $name in
		*-check | *-demo | *-leak) pat="test.sh exited 1" ;;
		*-noverdict) pat="no verdict" ;;
		*-warn) pat="kernel: .*WARNING" ;;
		*) pat=timeout ;;
		esac
		rig_fails "$name" "$pat" $rest ;;
	bpftrace|dkms*|package-*|linux-guest*)
		if userland; then
				boot "$name" "$series" --gic "${gic#v}" --mode "$mode" $rest
		else
			echo "# userland prerequisites failed (log: $out/userland.log)"
			false
		fi ;;
	*)
		boot "$name" "$series" --gic "${gic#v}" --mode "$mode" $rest ;;
	esac
	rc=$?
	if [ $rc = 0 ]; then result ok "$name"; else result fail "$name"; fi
	# The build is every other test's prerequisite.
	[ "$name" = build ] && [ $rc != 0 ] && ktap_bail "build failed"
done < <(tests)

echo "# logs: $out; $((SECONDS - t0)) s"
echo "# VMs retried after the stock KVM_BUG_ON in kvm_vcpu_load_debug: $retries"
if [ ${#failures[@]} != 0 ]; then
	echo "# failures:"
	printf '#   %s\n' "${failures[@]}"
fi
ktap_finish
