#!/bin/bash
# make bench: stock against cached, in one boot per host configuration,
# through the klp toggle. Counts are exact; times in the rig are emulated.
#
#   tests/bench.sh [--quick] [--configs v3-vhe,v3-nvhe,v2-vhe,v2-nvhe]
#                  [--out DIR]      (default build/bench)
#   tests/bench.sh --host [--quick] [--kdir DIR] [--out DIR]
#   --iters N --titers N   iterations (default 1000 / 200, --quick 300 / 60)
#   --module KO            use this vtimer_cache.ko instead of building one
#   --report CSV           run nothing: the markdown and the chart from CSV
#                          (rows of several runs joined), into --out
#   --no-cost              rig mode: leave out the cost tool's table
#
# Rig mode (default): the cost tool (tools/cost/run.sh --bench) boots the
# emulated arm64 KVM host once per configuration, one at a time, under its
# QEMU plugin (tools/cost/vtc-cost.c, single-threaded TCG) and runs
# tests/vm/bench.sh --cost-marks there; not under -icount as the cost tool
# otherwise is: with virtual time from the instruction count, KVM's halt
# polling catches the wfi workload's timer and its vcpu hardly ever blocks.
# Host mode (--host): on a real arm64 KVM host, as root, builds the module
# against KDIR (default the running kernel's /lib/modules/$(uname -r)/build)
# and vtc-vmm natively, and runs the same tests/vm/bench.sh here: no QEMU,
# so no GIC MMIO counts, and the times per exit are real (the VMM's
# CNTVCT_EL0 ticks scaled by CNTFRQ_EL0, and PMU cycles when the host has a
# PMU driver).
#
# Writes DIR/bench.csv (tools/cost/report.py --bench), DIR/bench.md and
# DIR/bench.png (tools/cost/chart.sh), and the per-configuration logs. In
# rig mode it then runs the cost tool (tools/cost/run.sh, make cost) on the
# same configurations: host kernel instructions per guest exit, stock /
# patch on / patch off, exact counts from a QEMU TCG plugin, into DIR/cost/
# (cost.md, cost.csv), then once more on 7.3 with a third boot per
# configuration on the kernel with the upstream series of patches/ (stock /
# livepatch / native, into DIR/cost-native/), once on a nested-
# virtualization host (the *-el2 workloads under a guest hypervisor,
# DIR/cost-nested/), and once with a real Linux guest on QEMU/KVM in the
# emulated host (DIR/cost-guest/: guest.md, guest.png), and prints the
# tables last. Per workload and mode:
#   writes/load   active-state writes to the timer PPIs per vcpu load (fprobe)
#   writes/exit   the same per VMM exit
#   skip ratio    skipped / (skipped + issued) of the cached path
#   GIC MMIO/exit GIC register writes (GICD, GICR, GICC) by the host kernel
#                 on each vcpu's CPU while its thread was in its KVM_RUN
#                 loop (the plugin's windows), per exit; in parentheses
#                 those to the active-state registers (rig only)
#   floor         writes that were needed: the GIC bit differed from the
#                 value written (verify=1 pass); cached issued vs that floor
#   ns/exit       time per exit from the counter (emulated in the rig)
#   latency       timer interrupt latency p50/p90/p99 in counter ticks
#   lost          lost interrupts (must be 0)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
quick=0 host=0 kdir='' module='' iters='' titers='' report='' cost=1
configs=v3-vhe,v3-nvhe,v2-vhe,v2-nvhe
out=$top/build/bench
usage() { echo "usage:" >&2; sed -n '/^#   tests\/bench.sh /,/^#$/s/^# \{0,1\}//p' "$0" >&2; exit 2; } # the header's
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1; shift ;;
	--host) host=1; shift ;;
	--kdir) kdir=$2; shift 2 ;;
	--iters) iters=$2; shift 2 ;;
	--titers) titers=$2; shift 2 ;;
	--module) module=$(realpath "$2"); shift 2 ;;
	--report) report=$(realpath "$2"); shift 2 ;;
	--configs) configs=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--no-cost) cost=0; shift ;;
	*) usage ;;
	esac
done
if [ $quick = 1 ]; then mname=quick; else mname=full; fi
[ -n "$iters$titers" ] && mname=custom
if [ $quick = 1 ]; then
	iters=${iters:-300} titers=${titers:-60}
else
	iters=${iters:-1000} titers=${titers:-200}
fi
mkdir -p "$out"
csv=$out/bench.csv
rc=0

if [ -n "$report" ]; then
	[ "$report" -ef "$csv" ] || cp "$report" "$csv"
	if grep -q ',hardware,' "$csv"; then
		host=1
		where="on a real host; ns/exit from CNTVCT_EL0"
	else
		where="in the rig (QEMU $(qemu-system-aarch64 --version | head -n 1 | cut -d' ' -f4) TCG, -smp 2), kernel 7.2.13; ns/exit is EMULATED time"
	fi
elif [ $host = 1 ]; then
	[ "$(uname -m)" = aarch64 ] || { echo "bench --host: this is $(uname -m), not an arm64 host (the rig mode needs no --host)" >&2; exit 2; }
	[ -e /dev/kvm ] || { echo "bench --host: no /dev/kvm" >&2; exit 2; }
	[ "$(id -u)" = 0 ] || { echo "bench --host: run as root (insmod, debugfs)" >&2; exit 2; }
	[ -n "$kdir" ] || kdir=/lib/modules/$(uname -r)/build
	[ -n "$module" ] || { make -s module KDIR="$kdir"; module=$top/vtimer_cache.ko; }
	make -s -C tools/vmm CROSS_COMPILE=
	if grep -q GICv3 /proc/interrupts; then gic=v3; else gic=v2; fi
	case "$(dmesg 2>/dev/null | grep -o '[A-Za-z ]*VHE mode initialized' | head -n 1)" in
	*Protected*) mode=pkvm ;; *nVHE*) mode=nvhe ;; *hVHE*) mode=hvhe ;; *VHE*) mode=vhe ;; *) mode=unknown ;;
	esac
	cfg=host-$gic-$mode
	echo "bench: $cfg ($(uname -r))" >&2
	tests/vm/bench.sh --module "$module" --cli "$top/scripts/vtimer-cache" \
		--vmm "$top/tools/vmm/build/vtc-vmm" "$gic" "$iters" "$titers" >"$out/$cfg.guest" || rc=1
	python3 tools/cost/report.py --bench --csv "$csv" "$cfg=$out/$cfg.guest" || rc=1
	where="on $(uname -n), kernel $(uname -r), $(nproc) CPUs; real hardware: ns/exit from CNTVCT_EL0"
	configs=$cfg
else
	scripts/deps.sh
	command -v gnuplot >/dev/null || {
		[ "$(id -u)" = 0 ] && apt-get install -y -q --no-install-recommends gnuplot-nox >&2
	}
	# The cost tool's boots, on make check's (debug) 7.2 kernel; the CSV with
	# the GIC writes of its plugin's windows per vcpu run.
	tools/cost/run.sh --bench --kernel debug --jobs 1 --configs "$configs" --out "$out" \
		--iters "$iters" --titers "$titers" ${module:+--module "$module"} || rc=1
	inputs=()
	IFS=, read -r -a cfgs <<<"$configs"
	for cfg in "${cfgs[@]}"; do inputs+=("$cfg=$out/$cfg.guest,$out/$cfg/windows.txt"); done
	python3 tools/cost/report.py --bench --csv "$csv" "${inputs[@]}" || rc=1
	where="in the rig (QEMU $(qemu-system-aarch64 --version | head -n 1 | cut -d' ' -f4) TCG single-threaded, -smp 2), kernel 7.2.13; ns/exit is EMULATED time"
fi

# The markdown table: one row per configuration and workload.
md=$out/bench.md
{
	echo "Measured $(date -u +%Y-%m-%d) $where; workloads ${iters}/${titers} iterations ($mname mode)."
	echo "Counts are exact. Stock and cached ran in the same boot, toggled through klp; the floor columns come from a second pass with \`verify=1\`."
	echo
	echo "| config | workload | loads stock / cached | writes/load stock | writes/load cached | writes/exit stock | writes/exit cached | skip ratio | GIC MMIO writes/exit stock (active-state) | cached (active-state) | needed writes (floor) stock / cached | cached issued vs floor | ns/exit stock / cached ($([ $host = 1 ] && echo CNTVCT || echo emulated)) | PMU cycles/exit stock / cached | latency p50/p90/p99 ticks stock | cached | lost stock / cached |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	awk -F, '
	NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{ k = $1 "|" $4; if (!(k in seen)) { seen[k] = 1; order[++n] = k }
	  for (i = 1; i <= NF; i++) v[k, $3, i] = $i }
	function g(k, m, f) { return v[k, m, c[f]] }
	function r(a, b) { return (a != "-" && a != "" && b > 0) ? sprintf("%.3f", a / b) : "-" }
	function d(a) { return (a == "" ? "-" : a) }
	function gm(k, m,   t) { t = r(g(k, m, "gic_mmio_writes"), g(k, m, "exits")); return t == "-" ? t : t " (" r(g(k, m, "gic_active_writes"), g(k, m, "exits")) ")" }
	END {
		for (j = 1; j <= n; j++) {
			k = order[j]; split(k, p, "|")
			sk = g(k, "cached", "skipped"); is = g(k, "cached", "issued")
			fl = g(k, "floor-cached", "needed"); fi = g(k, "floor-cached", "issued")
			vs = (fl == "" || fl == "-") ? "-" : (fl > 0 ? sprintf("%.2fx", fi / fl) : (fi == 0 ? "0 = 0" : fi " vs 0"))
			printf "| %s | %s | %s / %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s | %s / %s | %s / %s | %s/%s/%s | %s/%s/%s | %s / %s |\n",
				p[1], p[2], g(k, "stock", "loads"), g(k, "cached", "loads"),
				r(g(k, "stock", "writes"), g(k, "stock", "loads")), r(g(k, "cached", "writes"), g(k, "cached", "loads")),
				r(g(k, "stock", "writes"), g(k, "stock", "exits")), r(g(k, "cached", "writes"), g(k, "cached", "exits")),
				(sk + is > 0) ? sprintf("%.3f", sk / (sk + is)) : "-",
				gm(k, "stock"), gm(k, "cached"),
				d(g(k, "floor-stock", "needed")), d(fl), vs,
				g(k, "stock", "cnt_ns_per_exit"), g(k, "cached", "cnt_ns_per_exit"),
				g(k, "stock", "pmu_cycles_per_exit"), g(k, "cached", "pmu_cycles_per_exit"),
				g(k, "stock", "lat_p50"), g(k, "stock", "lat_p90"), g(k, "stock", "lat_p99"),
				g(k, "cached", "lat_p50"), g(k, "cached", "lat_p90"), g(k, "cached", "lat_p99"),
				g(k, "stock", "lost"), g(k, "cached", "lost")
		}
	}' "$csv"
	echo
	echo "writes: active-state writes to the timer PPIs (irq_set_irqchip_state, counted by the module: by its fprobe with the patch off, by its copy of irq_set_irqchip_state with the patch on). *needed writes (floor)*: writes that found the GIC bit different from the value written (verify=1 pass; idle-timer workloads need none and are not run); *cached issued vs floor*: the cached path's issued writes in that pass over the needed ones. GIC MMIO writes: the GIC register writes (GICD, GICR, GICC) the host kernel made on each vcpu's CPU while that vcpu's thread was in its KVM_RUN loop (rig only: the cost tool's QEMU plugin, one window per vcpu; VM setup and nVHE hyp code not included), per VMM exit; in parentheses those to the active-state registers (GICR_I[SC]ACTIVER0, GICD_I[SC]ACTIVERn). On GICv2 the total also has the host's own EOIR/DIR writes for the host interrupts taken on that CPU. ns/exit: the VMM's CNTVCT_EL0 ticks over the run, scaled by CNTFRQ_EL0, per exit; in the rig that is emulated time on a shared machine, slowed down by the counting plugin. Latency: CNTVCT at the guest's IAR minus the timer deadline, in ticks of CNTFRQ ($(awk -F, 'NR == 2 { for (i = 1; i <= NF; i++) if (h[i] == "cntfrq") print $i } NR == 1 { for (i = 1; i <= NF; i++) h[i] = $i }' "$csv") Hz)."
} >"$md"
cat "$md"

# The chart: active-state writes per load, stock / cached, and the floor.
if [ $host = 1 ]; then what="real host $(uname -r)"; else what="QEMU TCG rig, kernel 7.2.13"; fi
tools/cost/chart.sh bench "$csv" "$out/bench.png" \
	"$what, $(date -u +%Y-%m-%d), $iters/$titers iterations, $mname mode" || rc=1
echo "bench: $csv, $md" >&2

# The cost tool: host kernel instructions per guest exit, stock / patch on
# / patch off, on the same configurations, with the module of this tree
# built for the bench kernel (tools/cost/run.sh).
# cost_run NAME WHAT [run.sh options]: one cost tool run into DIR/NAME, its
# table (cost.md, or guest.md for --linux-guest) printed.
cost_run() {
	local name=$1 what=$2 args
	shift 2
	args=(--configs "$configs" --out "$out/$name" "$@")
	[ $quick = 1 ] && args+=(--iters 1000 --titers 100 --hiters 8000)
	echo "bench: cost tool, $what: run.sh ${args[*]}" >&2
	if tools/cost/run.sh "${args[@]}" >"$out/$name.log" 2>"$out/$name.err"; then
		echo
		cat "$out/$name/cost.md" 2>/dev/null || cat "$out/$name/guest.md"
	else
		echo "bench: the cost tool ($what) failed:" >&2
		tail -n 20 "$out/$name.err" >&2
		rc=1
	fi
}
if [ $host = 0 ] && [ -z "$report" ] && [ $cost = 1 ]; then
	# The cost tool builds its own module for the bench kernel (no debug
	# options): the rig module is for the debug kernel.
	cost_run cost "host instructions per guest exit"
	# Stock / livepatch / native: the same tool on 7.3, with one more boot
	# per configuration on the kernel with the upstream series (patches/).
	cost_run cost-native "7.3: stock / livepatch / native" --series 7.3 --native
	# Nested virtualization: a GICv3 host in kvm-arm.mode=nested under
	# trixie's QEMU; the *-el2 workloads run under vtc-vmm's guest
	# hypervisor, so an hvc-el2 exit is one nested world switch.
	cost_run cost-nested "nested virtualization" --configs v3-nested \
		--workloads mmio-user,hvc,timer-mmio,hvc-el2,timer-mmio-el2,wfi-el2
	# A real Linux guest on QEMU/KVM in the emulated host (GICv3 VHE and
	# nVHE): its own table and chart (guest.md, guest.png).
	cost_run cost-guest "real Linux guest" --linux-guest --configs v3-vhe,v3-nvhe
fi
exit $rc
