#!/bin/bash
# The cost tool's chart: vcpu-thread host instructions per guest exit,
# stock / patch on / patch off / native (the phases the CSV has), per
# configuration and workload, from report.py's CSV. Needs gnuplot (make
# bench installs gnuplot-nox).
# usage: tests/cost/chart.sh COST_CSV OUT_PNG
set -euo pipefail
csv=${1:?usage: chart.sh COST_CSV OUT_PNG}
png=${2:?usage: chart.sh COST_CSV OUT_PNG}
command -v gnuplot >/dev/null || { echo "chart.sh: no gnuplot" >&2; exit 1; }
dat=$(mktemp)
trap 'rm -f "$dat"' EXIT
# One row per configuration and workload: label, then stock and each other
# phase the CSV has; the phases, in that order, on the first line.
python3 - "$csv" >"$dat" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
keys, val = [], {}
for r in rows:
    k = (r["config"], r["workload"])
    if k not in keys:
        keys.append(k)
    val[k + (r["phase"],)] = r.get("thread_per_exit") or "?"
phases = [p for p in ("stock", "on", "off", "native") if any(r["phase"] == p for r in rows)]
print("# " + " ".join(phases))
for k in keys:
    print('"%s %s" %s' % (k[0], k[1], " ".join(val.get(k + (p,), "?") for p in phases)))
PY
read -r _ phases <"$dat"
# shellcheck disable=SC2206 # the phase names are single words
phases=($phases)
[ "${phases[0]:-}" = stock ] || { echo "chart.sh: no stock phase in $csv" >&2; exit 1; }
n=$(($(wc -l <"$dat") - 1))
declare -A title=([stock]="stock (no module)" [on]="patch on" [off]="patch off (counting probes)"
	[native]="native (patches/)")
abs='' rel=''
for i in "${!phases[@]}"; do
	c=$((i + 2))
	abs+="${abs:+, }'' using $c title \"${title[${phases[$i]}]}\" lc $((i + 1))"
	[ "$i" = 0 ] && continue
	rel+="${rel:+, }'' using (100.0 * (\$$c - \$2) / \$2) title \"${title[${phases[$i]}]}\" lc $((i + 1))"
done
abs=${abs/\'\'/\"$dat\"}
abs=${abs/using 2 /using 2:xtic(1) }
rel=${rel/\'\'/\"$dat\"}
rel=${rel/) title/):xtic(1) title}
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
plot $abs
set ylabel "change against stock, %"
set yrange [*:*]
set xzeroaxis lt -1
plot $rel
unset multiplot
GP
echo "chart.sh: $png" >&2
