#!/bin/bash
# The charts of make bench and the cost tool, each from its CSV. Needs
# gnuplot (make bench installs gnuplot-nox).
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
command -v gnuplot >/dev/null || { echo "chart.sh: no gnuplot" >&2; exit 1; }
dat=$(mktemp)
trap 'rm -f "$dat"' EXIT
# The data, one row per configuration and workload; first a "# " line: the
# cost phases the CSV has, or the bench chart's y range and configurations.
python3 - "$kind" "$csv" >"$dat" <<'PY'
import csv, sys
kind, path = sys.argv[1:3]
rows = list(csv.DictReader(open(path)))
mode = "mode" if kind == "bench" else "phase"
keys, by = [], {}
for r in rows:
    k = (r["config"], r["workload"])
    if kind == "bench":  # runs with vcpu loads only, as writes per load
        try:
            loads = float(r["loads"])
        except ValueError:
            continue
        if not loads > 0:
            continue
    if k not in keys:
        keys.append(k)
    by[k + (r[mode],)] = r
if kind == "cost":
    phases = [p for p in ("stock", "on", "off", "native") if any(r["phase"] == p for r in rows)]
    print("# " + " ".join(phases))
    for k in keys:
        print('"%s %s" %s' % (k + (" ".join((by.get(k + (p,), {}).get("thread_per_exit") or "?") for p in phases),)))
elif kind == "guest":
    print("# writes/load stock cached, insns/exit stock cached")
    for k in keys:
        v = [by.get(k + (p,), {}).get(f, "0") for f in ("writes_per_load", "insns_per_exit") for p in ("stock", "cached")]
        print('"%s %s" %s' % (k + (" ".join(x if x != "-" else "0" for x in v),)))
else:
    def per_load(k, m, f):  # "-" counts 0, as in awk
        r = by.get(k + (m,))
        try:
            return float(r[f]) / float(r["loads"]) if r else 0
        except ValueError:
            return 0
    # rounded as printed: the y range is the largest bar's
    out = [[float("%.4f" % per_load(k, m, f)) for m, f in (("stock", "writes"), ("cached", "writes"),
                                                           ("floor-cached", "issued"), ("floor-cached", "needed"))]
           for k in keys]
    present = []
    for k in keys:
        if k[0] not in present:
            present.append(k[0])
    print("# %.1f %s" % (max([0] + [x for v in out for x in v]) * 1.7 + 0.1, " ".join(present)))
    for k, v in zip(keys, out):
        print("%s %s %.4f %.4f %.4f %.4f" % (k + tuple(v)))
PY
[ "$(wc -l <"$dat")" -gt 1 ] || { echo "chart.sh: no rows in $csv" >&2; exit 1; }
read -r _ head <"$dat"
if [ "$kind" = cost ]; then
	# shellcheck disable=SC2206 # the phase names are single words
	phases=($head)
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
	gnuplot <<-GP
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
elif [ "$kind" = guest ]; then
	gnuplot <<-GP
	set terminal pngcairo size 1400,900 font ",10" noenhanced
	set output "$png"
	set multiplot layout 2,1 title "Real Linux guest on QEMU/KVM in the emulated host: stock vs vtimer-cache ($note)"
	set style data histograms
	set style histogram clustered gap 1
	set style fill solid 0.85 border -1
	set xtics rotate by -25 nomirror
	set grid ytics
	set key top right
	set title "timer PPI active-state writes per vcpu load"
	set yrange [0:*]
	plot "$dat" using 2:xtic(1) title "stock" lc rgb "#c0392b", "" using 3 title "cached" lc rgb "#2471a3"
	set title "host kernel instructions per guest exit (CPU of the guest's QEMU)"
	plot "$dat" using 4:xtic(1) title "stock" lc rgb "#c0392b", "" using 5 title "cached" lc rgb "#2471a3"
	unset multiplot
	GP
else
	ymax=${head%% *} present=${head#* }
	rows=$(echo "$present" | wc -w)
	gnuplot <<-EOF
	set terminal pngcairo size 1500,$((430 * rows + 90)) font ",11" noenhanced
	set output "$png"
	set multiplot layout $rows,1 title "Timer PPI active-state writes per vcpu load: stock 7.2 vs vtimer-cache ($note)\nexact counts from the module's fprobe. Left pair: every active-state write (KVM's own vgic writes included), stock run and cached run. Right pair, timer-busy\nworkloads only, from one more cached run with verify=1: the writes the cache issued on vcpu load, and the floor (those that changed the GIC bit). Idle-timer workloads need 0." font ",12"
	set style data histograms
	set style histogram clustered gap 1
	set style fill solid 0.85 border -1
	set boxwidth 1
	set yrange [0:$ymax]
	set ylabel "active-state writes per vcpu load"
	set xlabel "vtc-vmm workload"
	set xtics rotate by -25 nomirror
	set key top right font ",10"
	set grid ytics
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
	unset multiplot
	EOF
fi
echo "chart.sh: $png" >&2
