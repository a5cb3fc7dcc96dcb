#!/bin/bash
# The cost tool's chart: vcpu-thread host instructions per guest exit,
# stock / patch on / patch off, per configuration and workload, from
# report.py's CSV. Needs gnuplot (make bench installs gnuplot-nox).
# usage: tests/cost/chart.sh COST_CSV OUT_PNG
set -euo pipefail
csv=${1:?usage: chart.sh COST_CSV OUT_PNG}
png=${2:?usage: chart.sh COST_CSV OUT_PNG}
command -v gnuplot >/dev/null || { echo "chart.sh: no gnuplot" >&2; exit 1; }
dat=$(mktemp)
trap 'rm -f "$dat"' EXIT
# One row per configuration and workload: label, stock, on, off.
python3 - "$csv" >"$dat" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
keys, val = [], {}
for r in rows:
    k = (r["config"], r["workload"])
    if k not in keys:
        keys.append(k)
    val[k + (r["phase"],)] = r.get("thread_per_exit") or "?"
for k in keys:
    print('"%s %s" %s' % (k[0], k[1], " ".join(val.get(k + (p,), "?") for p in ("stock", "on", "off"))))
PY
n=$(wc -l <"$dat")
gnuplot <<GP
set terminal pngcairo size $((160 + 80 * n)),900 font ",10" noenhanced
set output "$png"
set multiplot layout 2,1 title "Host kernel instructions per guest exit, vcpu thread (exact counts, QEMU TCG plugin)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key outside top center horizontal
set datafile missing "?"
set xtics rotate by -35 scale 0
set ylabel "instructions per exit"
set yrange [0:*]
plot "$dat" using 2:xtic(1) title "stock (no module)", '' using 3 title "patch on", '' using 4 title "patch off (counting probes)"
set ylabel "change against stock, %"
set yrange [*:*]
set xzeroaxis lt -1
plot "$dat" using (100.0 * (\$3 - \$2) / \$2):xtic(1) title "patch on" lc 2, '' using (100.0 * (\$4 - \$2) / \$2) title "patch off" lc 3
unset multiplot
GP
echo "chart.sh: $png" >&2
