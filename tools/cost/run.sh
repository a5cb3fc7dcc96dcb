#!/bin/bash
# The cost tool (make cost): host kernel instructions per guest exit, for
# the stock kernel, the patch on and the patch off, in one boot per host
# configuration, counted exactly by a QEMU TCG plugin (tools/cost/README.md).
#
#   tools/cost/run.sh [--configs v3-vhe,v3-nvhe,v2-vhe,v2-nvhe,v3-nested] [--out DIR]
#       [--iters N] [--titers N] [--hiters N] [--repeats R] [--warmup N]
#       [--workloads LIST] [--phases LIST] [--module KO] [--jobs J]
#       [--kernel bench|debug] [--series 7.2|7.3] [--native] [--profile]
#       [--smoke] [--linux-guest] [--bench]
#
# --iters/--titers/--hiters: iterations of the idle-timer, timer and
#   in-kernel (hvc) workloads (default 2000 / 200 / 15000)
# --repeats: measured runs per workload and phase (default 2), after
#   --warmup unmeasured ones (default 1)
# --workloads: names from vtc_workloads (tests/vm/lib.sh), or
#   "default" (all of them with one vcpu); --phases: stock,on,off
# --jobs: boots at a time (default: the number of CPUs; each QEMU runs
#   single-threaded)
# --kernel: the 7.2 kernel variant (tests/kernel/build.sh): bench (the
#   default: no lockdep or other debug options, the instructions a
#   production kernel runs) or debug (make check's test kernel); the
#   module is built against it in a private tree unless --module names
#   one built for it
# --series: the kernel series (default 7.2)
# --native: with --series 7.3, one more boot per configuration on the
#   kernel with the upstream series of patches/ applied (tests/native-
#   series.sh --image, in the same configuration as --kernel), phase
#   "native": stock / livepatch / native side by side in the table
# --configs: v3-nested is a GICv3 host in kvm-arm.mode=nested, under
#   trixie's QEMU 10 (tests/rig/qemu-nv.sh) with the plugin built for it
#   (build.sh --nested); its workloads include the *-el2 ones (vtc-vmm
#   --el2: per exit, one nested world switch for hvc-el2)
# --profile: also a per-symbol profile of every window (CFG/profile.txt,
#   tools/cost/profile.py)
# --linux-guest: instead of vtc-vmm's workloads, a real Linux guest on
#   QEMU/KVM in the emulated host (tests/vm/linux-guest.sh full
#   --cost-marks; the arm64 userland and tests/userland/guest.sh), stock
#   and cached, one window per workload on the CPU its QEMU is pinned to;
#   not under -icount (virtual time from the instruction count would let
#   halt polling catch the guest's timers: an idle guest would hardly ever
#   block); writes DIR/guest.md, DIR/guest.csv, DIR/guest.png
#   (tools/cost/guest-report.py), with the profile always on: the
#   instructions of the timer's active-state machinery per load, per GIC
#   write, per fold and per host ack. Default configurations v3-vhe,v3-nvhe
# --bench: make bench's boots (tests/bench.sh): tests/vm/bench.sh
#   --cost-marks ITERS TITERS in each configuration, not under -icount
#   (tests/bench.sh says why); the guest outputs and windows only
# --smoke: make check's short run: GICv3 VHE, mmio-user and hvc, few
#   iterations, stock and on, on the debug kernel; then report.py --check
#
# Writes DIR/cost.md, DIR/cost.csv (per configuration, workload, phase),
# DIR/cost.png (tools/cost/chart.sh, with gnuplot),
# DIR/cost-runs.csv (per run) and per configuration DIR/CFG.guest (the
# guest's output), DIR/CFG/windows.txt (the plugin's), DIR/CFG.err.
# Exit status: 0, or 1 if a boot failed or the windows did not match.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
configs=v3-vhe,v3-nvhe,v2-vhe,v2-nvhe
out=$top/build/cost/results
iters=2000 titers=200 hiters=15000 repeats=2 warmup=1
workloads=default phases=stock,on,off
module='' jobs=$(nproc) profile=0 smoke=0 check='' variant=bench
series=7.2 native=0 guest=0 guest_entry='' bench=0
usage() {
	sed -n '2,/^set -e/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--configs) configs=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--iters) iters=$2; shift 2 ;;
	--titers) titers=$2; shift 2 ;;
	--hiters) hiters=$2; shift 2 ;;
	--repeats) repeats=$2; shift 2 ;;
	--warmup) warmup=$2; shift 2 ;;
	--workloads) workloads=$2; shift 2 ;;
	--phases) phases=$2; shift 2 ;;
	--module) module=$(realpath "$2"); shift 2 ;;
	--kernel) variant=$2; shift 2 ;;
	--series) series=$2; shift 2 ;;
	--native) native=1; shift ;;
	--jobs) jobs=$2; shift 2 ;;
	--profile) profile=1; shift ;;
	--linux-guest) guest=1; shift ;;
	--bench) bench=1; shift ;;
	--smoke)
		smoke=1 check='--check --targets' configs=v3-vhe workloads=mmio-user,hvc phases=stock,on
		iters=800 hiters=5000 repeats=2 warmup=1 variant=debug
		shift ;;
	*) usage ;;
	esac
done
if [ $guest = 1 ]; then
	[ "$configs" = v3-vhe,v3-nvhe,v2-vhe,v2-nvhe ] && configs=v3-vhe,v3-nvhe
	profile=1 # guest-report.py attributes the instructions by symbol
	guest_entry=$(tests/userland/guest.sh) && tests/userland/build.sh >/dev/null ||
		{ echo "cost: no Linux guest or arm64 userland" >&2; exit 1; }
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
case "$out" in *,*) echo "cost: the output directory must not contain a comma (QEMU plugin arguments): $out" >&2; exit 2 ;; esac

case $variant in bench|debug) ;; *) echo "cost: --kernel must be bench or debug" >&2; exit 2 ;; esac
if [ $native = 1 ] && [ "$series" != 7.3 ]; then
	echo "cost: --native needs --series 7.3 (the series in patches/ is against 7.3)" >&2
	exit 2
fi
so=$(tools/cost/build.sh)
so_nested=''
case ",$configs," in *-nested,*) so_nested=$(tools/cost/build.sh --nested) ;; esac
kentry=$(tests/kernel/build.sh "$series" "$variant")
ndir=''
if [ $native = 1 ]; then
	ndir=$out/native-kernel
	[ -f "$ndir/Image" ] || tests/native-series.sh --image "$variant" "$ndir" >&2 || {
		echo "cost: the native kernel did not build ($ndir)" >&2
		exit 1
	}
fi
sysmap=$kentry/linux/System.map
if [ -z "$module" ]; then
	# A private tree: the checkout's objects are for the debug kernel.
	rm -rf "$out/module"
	mkdir -p "$out/module"
	tar -c --exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' \
		--exclude='.*.cmd' --exclude=gen dkms.conf Kbuild src include scripts | tar -x -C "$out/module"
	make -s -C "$kentry/linux" ARCH=arm64 CROSS_COMPILE="${CROSS_COMPILE:-aarch64-linux-gnu-}" \
		M="$out/module" modules >&2
	module=$out/module/vtimer_cache.ko
fi
[ "$module" -ef "$out/vtimer_cache.ko" ] || cp "$module" "$out/vtimer_cache.ko"
make -s -C tools/vmm >&2
python3 tools/cost/addrmap.py "$sysmap" >"$out/addr.map"
[ -n "$ndir" ] && python3 tools/cost/addrmap.py "$ndir/System.map" >"$out/addr-native.map"

# boot CFG [native]: one configuration, guest output in CFG.guest (or
# CFG-native.guest, on the native kernel)
boot() {
	local cfg=$1 gic=${1%%-*} mode=${1#*-} d=$out/$1 args
	local map=$out/addr.map image=$kentry/linux/arch/arm64/boot/Image ph=$phases
	local name=$cfg
	if [ "${2:-}" = native ]; then
		name=$cfg-native d=$out/$cfg-native map=$out/addr-native.map
		image=$ndir/Image ph=native
	fi
	local smp=2
	args=$so,map=$map,out=$d/windows.txt
	# QEMU 10.0 crashes in translated code when the plugin's per-vCPU
	# inline counters (plugin API 2 and later) run with two vCPUs: the
	# nested host gets one.
	[ "$mode" = nested ] && args=$so_nested,map=$map,out=$d/windows.txt smp=1
	[ $profile = 1 ] && args=$args,profile=$d/profile.txt
	mkdir -p "$d"
	rm -f "$d/windows.txt" "$d/profile.txt"
	local rig=(--gic "${gic#v}" --mode "$mode" --out "$d" --kernel "$image" --plugin "$args"
		--add "$out/vtimer_cache.ko") script
	if [ $guest = 1 ]; then
		rig+=(--rootfs --timeout 7200 --add "$guest_entry/Image:/vtc/l2/"
			--add "$guest_entry/initrd.cpio.gz:/vtc/l2/")
		script=(tests/vm/linux-guest.sh full --cost-marks)
	elif [ $bench = 1 ]; then
		rig+=(--timeout 2400)
		script=(tests/vm/bench.sh --cost-marks "$gic" "$iters" "$titers")
	else
		rig+=(--smp "$smp" --timeout 3600 --icount "shift=0,sleep=off")
		script=(tests/vm/cost.sh --warmup "$warmup" "$gic" "$iters" "$titers" "$hiters"
			"$repeats" "$workloads" "$ph")
	fi
	local t0=$SECONDS
	if tests/rig/run.sh "${rig[@]}" "${script[@]}" >"$out/$name.guest" 2>"$out/$name.err"; then
		echo "cost: $name: $((SECONDS - t0)) s" >&2
		return 0
	fi
	echo "cost: $name failed after $((SECONDS - t0)) s:" >&2
	tail -n 20 "$out/$name.err" >&2
	return 1
}

IFS=, read -r -a cfgs <<<"$configs"
rc=0
pids=()
how="icount shift=0"
[ $guest = 1 ] && how="real Linux guest"
[ $bench = 1 ] && how="make bench"
for cfg in "${cfgs[@]}"; do
	case $cfg in v[23]-vhe|v[23]-nvhe|v3-nested) ;; *) echo "cost: unknown configuration $cfg" >&2; exit 2 ;; esac
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
	echo "cost: $cfg ($how, single-threaded TCG, plugin vtc-cost)" >&2
	boot "$cfg" &
	pids+=($!)
	if [ $native = 1 ]; then
		while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
		echo "cost: $cfg-native (the kernel with patches/)" >&2
		boot "$cfg" native &
		pids+=($!)
	fi
done
for p in "${pids[@]}"; do wait "$p" || rc=1; done
[ $bench = 1 ] && exit $rc # tests/bench.sh makes the CSV (report.py --bench)

inputs=()
for cfg in "${cfgs[@]}"; do
	if [ $guest = 1 ]; then
		inputs+=("$cfg=$out/$cfg.guest,$out/$cfg/windows.txt,$out/$cfg/profile.txt")
		continue
	fi
	inputs+=("$cfg=$out/$cfg.guest,$out/$cfg/windows.txt")
	[ $native = 1 ] && inputs+=("$cfg=$out/$cfg-native.guest,$out/$cfg-native/windows.txt")
done
if [ $guest = 1 ]; then
	note="kernel $series $variant config, QEMU $(qemu-system-aarch64 --version | head -n 1 | cut -d' ' -f4) TCG with the plugin, guest $(basename "$guest_entry")"
	python3 tools/cost/guest-report.py --md "$out/guest.md" --csv "$out/guest.csv" \
		--system-map "$sysmap" --ko "$out/vtimer_cache.ko" --note "$note" "${inputs[@]}" || rc=1
	tools/cost/chart.sh guest "$out/guest.csv" "$out/guest.png" "$note" || rc=1
	echo "cost: $out/guest.md, $out/guest.csv" >&2
	exit $rc
fi
kver=$(sed -n 's/^cost-info .*kernel=\([^ ]*\).*/\1/p' "$out/${cfgs[0]}.guest" 2>/dev/null | head -n 1)
case $variant in
bench) kdesc="bench config: the test kernel's without debug.config" ;;
*) kdesc="debug config: lockdep, irqflags tracing" ;;
esac
[ $native = 1 ] && kdesc="$kdesc; native: the same with patches/ applied"
qemu="QEMU $(qemu-system-aarch64 --version | head -n 1 | cut -d' ' -f4)"
[ -n "$so_nested" ] && qemu="$qemu (v3-nested: $("$(tests/rig/qemu-nv.sh)/qemu-system-aarch64" --version | head -n 1 | cut -d' ' -f4))"
note="kernel ${kver:-$series} ($kdesc), $qemu TCG -icount shift=0; iterations $iters / $titers / hvc $hiters, $repeats repeats after $warmup warm-up"
# shellcheck disable=SC2086 # check is empty or a list of flags
python3 tools/cost/report.py $check --md "$out/cost.md" --csv "$out/cost.csv" \
	--runs-csv "$out/cost-runs.csv" --note "$note" "${inputs[@]}" || rc=1
[ $smoke = 1 ] && [ $rc = 0 ] && echo "cost: smoke passed" >&2
if [ $smoke = 0 ] && [ -s "$out/cost.csv" ]; then
	tools/cost/chart.sh cost "$out/cost.csv" "$out/cost.png" || rc=1
fi
echo "cost: $out/cost.md, $out/cost.csv, $out/cost-runs.csv" >&2
exit $rc
