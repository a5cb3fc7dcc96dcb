#!/bin/bash
# The charts of make bench and the cost tool, each from its CSV; none
# without gnuplot (make bench installs gnuplot-nox).
#
#   chart.sh cost COST_CSV PNG        (run.sh, report.py's CSV) vcpu-thread
#       host instructions per guest exit, stock / patch on / patch off /
#       native (the phases the CSV has), per configuration and workload,
#       and each phase's change against stock
#   chart.sh guest GUEST_CSV PNG NOTE (run.sh --linux-guest, guest-report.py's
#       CSV) a real Linux guest, stock / cached: active-state writes per
#       vcpu load, host kernel instructions per guest exit
#   chart.sh bench BENCH_CSV PNG WHAT (tests/bench.sh) active-state writes
#       per vcpu load, stock / cached, and from the verify=1 pass cached
#       issued / needed (floor), per workload, one panel per
#       configuration; WHAT: the title's where, when and how many
set -euo pipefail
usage="usage: chart.sh cost|guest|bench CSV PNG [TITLE]"
kind=${1:?$usage} csv=${2:?$usage} png=${3:?$usage} note=${4:-}
case $kind in cost|guest|bench) ;; *) echo "$usage" >&2; exit 2 ;; esac
command -v gnuplot >/dev/null || { echo "chart.sh: no gnuplot, no chart" >&2; exit 0; }
dat=$(mktemp)
trap 'rm -f "$dat"' EXIT
# The data, one row per configuration and workload, after a "# " line:
# the cost phases the CSV has, or the bench chart's y range and configurations.
python3 - "$kind" "$csv" "$(dirname "$0")" >"$dat" <<'PY'
import csv, sys
kind, path = sys.argv[1:3]
sys.path.insert(0, sys.argv[3])
from report import num  # noqa: E402 (the cost tool's)
rows = list(csv.DictReader(open(path)))
if kind == "bench":  # per vcpu load, of the runs with loads
    rows = [r for r in rows if (num(r["loads"]) or 0) > 0]
keys, by = [], {}
for r in rows:
    k = (r["config"], r["workload"])
    keys += [] if k in keys else [k]
    by[k + (r["mode" if kind == "bench" else "phase"],)] = r
if kind == "cost":
    phases = [p for p in ("stock", "on", "off", "native") if any(r["phase"] == p for r in rows)]
    cols, head = [(p, "thread_per_exit") for p in phases], " ".join(phases)
elif kind == "guest":
    cols, head = [(p, f) for f in ("writes_per_load", "insns_per_exit") for p in ("stock", "cached")], ""
else:
    cols = [("stock", "writes"), ("cached", "writes"), ("floor-cached", "issued"), ("floor-cached", "needed")]


def cell(k, p, f):
    v = by.get(k + (p,), {}).get(f)
    if kind == "cost":
        return v or "?"
    if kind == "guest":
        return "0" if v in (None, "-") else v
    return "%.4f" % ((num(v) or 0) / num(by[k + (p,)]["loads"]) if v is not None else 0)  # "-" is 0, as in awk


lines = [[cell(k, p, f) for p, f in cols] for k in keys]
if kind == "bench":  # the y range from the largest bar, as printed
    head = "%.1f %s" % (max([0] + [float(x) for v in lines for x in v]) * 1.7 + 0.1,
                        " ".join(dict.fromkeys(k[0] for k in keys)))
print("# " + head)
for k, v in zip(keys, lines):
    print(("%s %s %s" if kind == "bench" else '"%s %s" %s') % (k + (" ".join(v),)))
PY
[ "$(wc -l <"$dat")" -gt 1 ] || { echo "chart.sh: no rows in $csv" >&2; exit 1; }
read -r _ head <"$dat"
# Each chart: its size, font, panels and title, and what it plots in them.
if [ "$kind" = cost ]; then
	# shellcheck disable=SC2206 # the phase names are single words
	phases=($head)
	[ "${phases[0]:-}" = stock ] || { echo "chart.sh: no stock phase in $csv" >&2; exit 1; }
	declare -A name=([stock]="stock (no module)" [on]="patch on" [off]="patch off (counting probes)"
		[native]="native (patches/)")
	abs='' rel=''
	for i in "${!phases[@]}"; do
		c=$((i + 2))
		abs+="${abs:+, }'' using $c title \"${name[${phases[$i]}]}\" lc $((i + 1))"
		[ "$i" = 0 ] && continue
		rel+="${rel:+, }'' using (100.0 * (\$$c - \$2) / \$2) title \"${name[${phases[$i]}]}\" lc $((i + 1))"
	done
	abs=${abs/\'\'/\"$dat\"}
	abs=${abs/using 2 /using 2:xtic(1) }
	rel=${rel/\'\'/\"$dat\"}
	rel=${rel/) title/):xtic(1) title}
	size="$((160 + 80 * ($(wc -l <"$dat") - 1))),900" font=",10" panels=2
	title='"Host kernel instructions per guest exit, vcpu thread (exact counts, QEMU TCG plugin)"'
	plots=$(cat <<-GP
	set style fill solid 0.8 border -1
	set boxwidth 0.9
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
	GP
	)
elif [ "$kind" = guest ]; then
	size=1400,900 font=",10" panels=2
	title="\"Real Linux guest on QEMU/KVM in the emulated host: stock vs vtimer-cache ($note)\""
	plots=$(cat <<-GP
	set style fill solid 0.85 border -1
	set xtics rotate by -25 nomirror
	set key top right
	set title "timer PPI active-state writes per vcpu load"
	set yrange [0:*]
	plot "$dat" using 2:xtic(1) title "stock" lc rgb "#c0392b", "" using 3 title "cached" lc rgb "#2471a3"
	set title "host kernel instructions per guest exit (CPU of the guest's QEMU)"
	plot "$dat" using 4:xtic(1) title "stock" lc rgb "#c0392b", "" using 5 title "cached" lc rgb "#2471a3"
	GP
	)
else
	ymax=${head%% *} present=${head#* }
	panels=$(echo "$present" | wc -w)
	size="1500,$((430 * panels + 90))" font=",11"
	title="\"Timer PPI active-state writes per vcpu load: stock 7.2 vs vtimer-cache ($note)\nexact counts from the module's fprobe. Left pair: every active-state write (KVM's own vgic writes included), stock run and cached run. Right pair, timer-busy\nworkloads only, from one more cached run with verify=1: the writes the cache issued on vcpu load, and the floor (those that changed the GIC bit). Idle-timer workloads need 0.\" font \",12\""
	plots=$(cat <<-EOF
	set style fill solid 0.85 border -1
	set boxwidth 1
	set yrange [0:$ymax]
	set ylabel "active-state writes per vcpu load"
	set xlabel "vtc-vmm workload"
	set xtics rotate by -25 nomirror
	set key top right font ",10"
	do for [c in "$present "] {
		set title sprintf("%s: GIC%s, %s host", c, substr(c, strstrt(c, "v"), strstrt(c, "v") + 1), (strstrt(c, "nvhe") ? "nVHE" : "VHE")) font ",12"
		plot "< grep '^".c." ' $dat" using 3:xtic(2) title "stock (patch off): all writes" lc rgb "#c0392b", \
		     "" using 4 title "cached (patch on): all writes" lc rgb "#2471a3", \
		     "" using 5 title "cached, verify=1 run: issued on load" lc rgb "#85c1e9", \
		     "" using 6 title "same run: needed (floor)" lc rgb "#7f8c8d", \
		     "" using (\$0 - 0.3):(\$3):(sprintf("%.2f", \$3)) with labels offset 0,0.7 font ",8" notitle, \
		     "" using (\$0 - 0.1):(\$4):(sprintf("%.2f", \$4)) with labels offset 0,0.7 font ",8" notitle, \
		     "" using (\$0 + 0.1):(\$5):(\$5 > 0 ? sprintf("%.2f", \$5) : "") with labels offset 0,0.7 font ",8" notitle, \
		     "" using (\$0 + 0.3):(\$6):(\$6 > 0 ? sprintf("%.2f", \$6) : "") with labels offset 0,0.7 font ",8" notitle
	}
	EOF
	)
fi
gnuplot <<-GP
set terminal pngcairo size $size font "$font" noenhanced
set output "$png"
set multiplot layout $panels,1 title $title
set style data histograms
set style histogram clustered gap 1
set grid ytics
$plots
unset multiplot
GP
echo "chart.sh: $png" >&2
