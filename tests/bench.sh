#!/bin/bash
# make bench: stock against cached, in one boot per host configuration,
# through the klp toggle. Counts are exact; times are emulated (QEMU TCG).
#
#   tests/bench.sh [--quick] [--configs v3-vhe,v3-nvhe,v2-vhe,v2-nvhe]
#                  [--out DIR]      (default build/bench)
#
# Writes DIR/bench.csv, DIR/bench.md and DIR/bench.png (gnuplot), and the
# per-configuration logs. Per workload and mode:
#   writes/load   active-state writes to the timer PPIs per vcpu load (fprobe)
#   writes/exit   the same per VMM exit
#   skip ratio    skipped / (skipped + issued) of the cached path
#   GIC MMIO/exit GIC register writes QEMU traced in the run's window, per
#                 exit (the whole vtc-vmm process, VM setup included)
#   floor         writes that were needed: the GIC bit differed from the
#                 value written (verify=1 pass); cached issued vs that floor
#   ns/exit       emulated wall time per exit (not a hardware number)
#   latency       timer interrupt latency p50/p90/p99 in counter ticks
#   lost          lost interrupts (must be 0)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
quick=0
configs=v3-vhe,v3-nvhe,v2-vhe,v2-nvhe
out=$top/build/bench
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1; shift ;;
	--configs) configs=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) echo "usage: $0 [--quick] [--configs LIST] [--out DIR]" >&2; exit 2 ;;
	esac
done
iters=1000 titers=200
[ $quick = 1 ] && iters=300 titers=60

scripts/deps.sh
command -v gnuplot >/dev/null || {
	[ "$(id -u)" = 0 ] && apt-get install -y -q --no-install-recommends gnuplot-nox >&2
}
kentry=$(tests/kernel/build.sh 7.2)
make -s module KDIR="$kentry/linux"
make -s -C tests/vmm
mkdir -p "$out"
csv=$out/bench.csv
echo "config,mode,workload,vcpus,exits,loads,writes,issued,skipped,needed,wrong_skips,gic_mmio_writes,gic_active_writes,irqs,irqs_expected,lost,lat_p50,lat_p90,lat_p99,ns_per_exit,result" >"$csv"

rc=0
IFS=, read -r -a cfgs <<<"$configs"
for cfg in "${cfgs[@]}"; do
	gic=${cfg%%-*}
	mode=${cfg#*-}
	d=$out/$cfg
	echo "bench: $cfg" >&2
	if ! tests/vm/run.sh --gic "${gic#v}" --mode "$mode" --timeout 1200 --out "$d" \
		--trace pl011_write,gicv3_dist_write,gicv3_redist_write,gic_dist_write,gic_cpu_write \
		--add vtimer_cache.ko tests/guest/bench.sh "$gic" "$iters" "$titers" >"$d.guest" 2>"$d.err"; then
		echo "bench: $cfg failed:" >&2
		tail -n 20 "$d.err" >&2
		rc=1
		continue
	fi
	grep -q '^bench-error' "$d.guest" && { grep '^bench-error' "$d.guest" >&2; rc=1; }
	python3 tests/vm/gic-count.py "$d/trace.log" >"$d.gic" || rc=1
	awk -v cfg="$cfg" '
	function kv(line, k,   n, i, a, b) {
		n = split(line, a, " ")
		for (i = 1; i <= n; i++) { split(a[i], b, "="); if (b[1] == k) return b[2] }
		return ""
	}
	FNR == NR { w = kv($0, "window"); gic[w] = kv($0, "total"); act[w] = kv($0, "active"); next }
	/^bench mode=/ {
		m = kv($0, "mode"); w = kv($0, "workload"); key = m "." w
		printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n",
			cfg, m, w, kv($0, "vcpus"), kv($0, "exits"), kv($0, "loads"),
			kv($0, "writes"), kv($0, "issued"), kv($0, "skipped"),
			kv($0, "needed"), kv($0, "wrong_skips"), gic[key], act[key],
			kv($0, "irqs"), kv($0, "irqs_expected"), kv($0, "lost"),
			kv($0, "lat_p50"), kv($0, "lat_p90"), kv($0, "lat_p99"),
			kv($0, "ns_per_exit"), kv($0, "result")
	}' "$d.gic" "$d.guest" >>"$csv"
done

# The markdown table: one row per configuration and workload.
md=$out/bench.md
{
	echo "Measured $(date -u +%Y-%m-%d) in the rig (QEMU TCG, $(qemu-system-aarch64 --version | head -n 1 | cut -d' ' -f4), -smp 2), kernel 7.2.13, workloads ${iters}/${titers} iterations."
	echo "Counts are exact; ns/exit is emulated time."
	echo
	echo "| config | workload | writes/load stock | writes/load cached | skip ratio | GIC MMIO writes/exit stock | cached | needed writes (floor) stock / cached | cached issued vs floor | ns/exit stock / cached | latency p50/p90/p99 stock | cached | lost |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	awk -F, '
	NR == 1 { next }
	{ k = $1 "|" $3; if (!(k in seen)) { seen[k] = 1; order[++n] = k }
	  for (i = 1; i <= NF; i++) v[k, $2, i] = $i }
	function r(a, b) { return (b > 0) ? sprintf("%.3f", a / b) : "-" }
	END {
		for (j = 1; j <= n; j++) {
			k = order[j]; split(k, p, "|")
			sk = v[k, "cached", 9]; is = v[k, "cached", 8]
			fl = v[k, "floor-cached", 10]; fi = v[k, "floor-cached", 8]
			printf "| %s | %s | %s | %s | %s | %s | %s | %s / %s | %s | %s / %s | %s/%s/%s | %s/%s/%s | %s / %s |\n",
				p[1], p[2],
				r(v[k, "stock", 7], v[k, "stock", 6]), r(v[k, "cached", 7], v[k, "cached", 6]),
				r(sk, sk + is),
				r(v[k, "stock", 12], v[k, "stock", 5]), r(v[k, "cached", 12], v[k, "cached", 5]),
				v[k, "floor-stock", 10], fl, (fl > 0 ? sprintf("%.2fx", fi / fl) : (fi == 0 ? "0 = 0" : fi " vs 0")),
				v[k, "stock", 20], v[k, "cached", 20],
				v[k, "stock", 17], v[k, "stock", 18], v[k, "stock", 19],
				v[k, "cached", 17], v[k, "cached", 18], v[k, "cached", 19],
				v[k, "stock", 16] + 0, v[k, "cached", 16] + 0
		}
	}' "$csv"
} >"$md"
cat "$md"

# The chart: active-state writes per load, stock against cached, per
# workload, one panel per configuration.
if command -v gnuplot >/dev/null; then
	dat=$out/bench.dat
	awk -F, 'NR > 1 && ($2 == "stock" || $2 == "cached") && $6 > 0 {
		k = $1 " " $3; if (!(k in s)) { o[++n] = k; s[k] = 1 }
		val[k, $2] = $7 / $6 }
		END { for (i = 1; i <= n; i++) { split(o[i], p, " ");
			printf "%s %s %.4f %.4f\n", p[1], p[2], val[o[i], "stock"], val[o[i], "cached"] } }' "$csv" >"$dat"
	present=$(awk '{ if (!($1 in s)) { s[$1] = 1; printf "%s ", $1 } }' "$dat")
	n=$(echo "$present" | wc -w)
	rows=$(((n + 1) / 2))
	cols=2
	[ "$n" = 1 ] && cols=1
	gnuplot <<-EOF
	set terminal pngcairo size 1400,900 font ",11" noenhanced
	set output "$out/bench.png"
	set multiplot layout $rows,$cols title "Timer PPI active-state writes per vcpu load: stock 7.2 vs vtimer-cache (QEMU TCG rig, counts)"
	set style data histograms
	set style histogram clustered gap 1
	set style fill solid 0.8 border -1
	set yrange [0:2.4]
	set ylabel "writes per load"
	set xtics rotate by -30
	set key top right
	set grid ytics
	do for [c in "$present"] {
		set title "GICv".substr(c,2,2)." ".(strstrt(c,"nvhe") ? "nVHE" : "VHE")
		plot "< grep '^".c." ' $dat" using 3:xtic(2) title "stock" lc rgb "#c0392b", \
		     "" using 4 title "cached" lc rgb "#2471a3"
	}
	unset multiplot
	EOF
	echo "bench: chart $out/bench.png" >&2
fi
echo "bench: $csv, $md" >&2
exit $rc
