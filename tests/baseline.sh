#!/bin/bash
# Stock baseline (no vtimer_cache module): how often the host writes the
# timer interrupts' active state, per vcpu load, and how many GIC MMIO
# writes QEMU sees, per exit, for every vtc-vmm workload on the four host
# configurations (GICv3/GICv2 x VHE/nVHE). One boot per configuration runs
# all workloads (tests/vm/guest/measure.sh).
#
#   tests/baseline.sh [--quick] [--iters N] [--md FILE] [--csv FILE]
#                     [--out DIR] [--configs v3-vhe,v3-nvhe,v2-vhe,v2-nvhe]
#
# Per workload:
#   loads        kvm_arch_vcpu_load calls (kprobe vtc_load)
#   writes/load  irq_set_irqchip_state(timer irq, IRQCHIP_STATE_ACTIVE, val)
#                calls (kprobe vtc_set, on the "kvm guest vtimer/ptimer"
#                host irqs) per load; writes (0/1) splits them by val
#   GIC MMIO     GIC register writes in QEMU's trace (gicv3_redist_write,
#                gicv3_dist_write, gic_dist_write, gic_cpu_write) inside
#                the workload's console window (tests/vm/gic-count.py),
#                per VMM exit ("/exit") or, where the VMM sees ~1 exit per
#                vcpu (hvc, timer, wfi), per iteration ("/iter"). The
#                window holds the whole vtc-vmm process: VM creation and
#                teardown, and on GICv2 every host interrupt (EOIR + DIR,
#                SGIR for IPIs) -- see the idle row for that background.
#   active       of these, writes to the active-state registers
#                (GICR_I[SC]ACTIVER0, GICD_I[SC]ACTIVER<n>)
#   idle         a 1 s window without a VM: the background rate of GIC
#                writes per second; the CSV's gic_bg_est is that rate times
#                each window's length (window_s)
#
# Output: the markdown table on stdout (and in --md FILE), a CSV with all
# the raw numbers (--csv FILE, default OUT/baseline.csv), logs in OUT
# (--out, default a new /tmp/vtc-baseline.*): per configuration
# guest.out (the measure.sh output), gic.txt (gic-count.py), trace.log,
# console.log. Timings go to stderr and the end of the markdown.
# Exit code: 0, 1 if anything failed (a boot, a VMM run not ok, missing or
# dropped data), 2 on usage errors.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

quick=0 iters='' md='' csv='' out='' configs=v3-vhe,v3-nvhe,v2-vhe,v2-nvhe
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1; shift ;;
	--iters) iters=$2; shift 2 ;;
	--md) md=$2; shift 2 ;;
	--csv) csv=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--configs) configs=$2; shift 2 ;;
	-h|--help) usage ;;
	*) echo "baseline.sh: unknown argument $1" >&2; usage ;;
	esac
done
[ $# -eq 0 ] || usage
if [ -z "$iters" ]; then
	if [ "$quick" = 1 ]; then iters=20; else iters=200; fi
fi
case "$iters" in ''|*[!0-9]*|0) echo "baseline.sh: bad --iters" >&2; exit 2 ;; esac
IFS=, read -r -a cfgs <<< "$configs"
for c in "${cfgs[@]}"; do
	case "$c" in v[23]-vhe|v[23]-nvhe) ;;
	*) echo "baseline.sh: bad config '$c'" >&2; exit 2 ;;
	esac
done
[ -n "$out" ] || out=$(mktemp -d "${TMPDIR:-/tmp}/vtc-baseline.XXXXXX")
mkdir -p "$out"
out=$(cd "$out" && pwd)
[ -n "$csv" ] || csv=$out/baseline.csv

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
log() { echo "baseline.sh: $*" >&2; }

t_all=$(now)
t=$(now)
make -s -C "$top/tests/vmm" >&2
log "vtc-vmm built ($(elapsed "$t") s)"

# The guest script: every workload, each in its own console window.
cat >"$out/guest.sh" <<'EOF'
. /vtc/lib.sh
. /vtc/measure.sh
iters=$1
vtm_setup
vtm_idle idle 1
vtm_run mmio-user --iters "$iters" mmio-user
vtm_run hvc --iters "$iters" hvc
vtm_run timer --iters "$iters" timer
vtm_run timer-mmio --iters "$iters" timer-mmio
vtm_run wfi --iters "$iters" wfi
vtm_run migrate --iters "$iters" migrate
vtm_run mmio-user-2vcpus --vcpus 2 --iters "$iters" mmio-user
vtm_teardown
echo "# vtm failed=$VTM_FAILED"
[ "$VTM_FAILED" = 0 ]
EOF

events=pl011_write,gicv3_dist_write,gicv3_redist_write,gic_dist_write,gic_cpu_write
timings=()
fail=0
for c in "${cfgs[@]}"; do
	gic=${c%%-*}
	mode=${c#*-}
	d=$out/$c
	mkdir -p "$d"
	t=$(now)
	log "$c: booting, $iters iterations per workload"
	if ! "$top/tests/vm/run.sh" --gic "${gic#v}" --mode "$mode" \
		--timeout 1500 --trace "$events" --out "$d" \
		"$out/guest.sh" "$iters" >"$d/guest.out" 2>"$d/run.err"; then
		log "$c: run.sh failed:"
		sed 's/^/  /' "$d/run.err" >&2
		fail=1
	fi
	t_run=$(elapsed "$t")
	t=$(now)
	if [ -s "$d/trace.log" ]; then
		"$here/vm/gic-count.py" "$d/trace.log" >"$d/gic.txt" ||
			{ log "$c: gic-count.py failed"; fail=1; }
	else
		log "$c: no trace.log"
		: >"$d/gic.txt"
		fail=1
	fi
	t_count=$(elapsed "$t")
	timings+=("$c $t_run $t_count $(wc -l <"$d/trace.log" 2>/dev/null || echo 0)")
	log "$c: boot + workloads ${t_run} s, gic-count ${t_count} s"
done

# Tables: markdown to stdout (and --md), CSV.
t=$(now)
rc=0
python3 - "$out" "$csv" "$iters" "$configs" "${timings[@]}" >"$out/baseline.md" <<'EOF' || rc=$?
import csv, os, sys

out, csv_path, iters, configs = sys.argv[1:5]
timings = [t.split() for t in sys.argv[5:]]
configs = configs.split(",")
labels = ["idle", "mmio-user", "hvc", "timer", "timer-mmio", "wfi",
          "migrate", "mmio-user-2vcpus"]
names = {"mmio-user-2vcpus": "mmio-user --vcpus 2"}
per_iter = {"hvc", "timer", "wfi"}      # ~1 exit per vcpu: per iteration
gic_keys = ["gicv3_redist_write", "gicv3_dist_write", "gic_dist_write",
            "gic_cpu_write", "total", "active", "isactiver", "icactiver",
            "vcpu_if"]
errors = []


def kv(line):
    return dict(f.split("=", 1) for f in line.split() if "=" in f)


def num(d, k):
    try:
        return float(d[k])
    except (KeyError, ValueError):
        return None


rows = []
for c in configs:
    gic, mode = c.split("-")
    d = os.path.join(out, c)
    vtm, win = {}, {}
    try:
        for line in open(os.path.join(d, "guest.out"), errors="replace"):
            if line.startswith("vtm "):
                x = kv(line)
                vtm[x.get("label")] = x
    except OSError as e:
        errors.append("%s: %s" % (c, e))
    try:
        for line in open(os.path.join(d, "gic.txt")):
            if line.startswith("window="):
                x = kv(line)
                win[x["window"]] = x
    except OSError as e:
        errors.append("%s: %s" % (c, e))
    for lab in labels:
        v, w = vtm.get(lab), win.get(lab)
        r = {"config": c, "gic": gic, "mode": mode,
             "workload": names.get(lab, lab), "label": lab}
        bad = []
        if v is None:
            bad.append("no measure.sh result")
            v = {}
        if w is None:
            bad.append("no GIC window")
            w = {}
        if v:
            if v.get("result") != "ok" or v.get("rc") != "0":
                bad.append("vtc-vmm rc=%s result=%s" % (v.get("rc"),
                                                       v.get("result")))
            if v.get("dropped") != "0":
                bad.append("kprobe events dropped=%s" % v.get("dropped"))
            if v.get("gic") != gic:
                bad.append("host gic %s" % v.get("gic"))
            if v.get("kvm_mode") != mode:
                bad.append("kvm mode %s" % v.get("kvm_mode"))
            if lab != "idle" and not num(v, "loads"):
                bad.append("no vcpu loads counted")
        for k in ("vcpus", "iters", "exits", "progress", "vmm_ns", "run_s",
                  "window_s", "loads", "sets", "set0", "set1", "other_sets", "dropped"):
            r[k] = v.get(k, "")
        for k in gic_keys:
            r["gic_" + k] = w.get(k, "")
        loads, sets = num(v, "loads"), num(v, "sets")
        exits, prog = num(v, "exits"), num(v, "progress")
        tot, act = num(w, "total"), num(w, "active")
        r["writes_per_load"] = ("%.3f" % (sets / loads)) if loads else ""
        for k, x in (("exit", exits), ("iter", prog)):
            r["gic_per_" + k] = ("%.3f" % (tot / x)) if x and tot is not None else ""
            r["active_per_" + k] = ("%.3f" % (act / x)) if x and act is not None else ""
        secs = num(v, "window_s")
        r["gic_per_s"] = ("%.1f" % (tot / secs)) if secs and tot is not None else ""
        if lab == "idle":
            r["unit"] = "s"
        else:
            r["unit"] = "iter" if lab in per_iter else "exit"
        r["error"] = "; ".join(bad)
        if bad:
            errors.append("%s %s: %s" % (c, lab, r["error"]))
        rows.append(r)
    # The background (idle rate) expected in each window, for GICv2.
    idle = [r for r in rows if r["config"] == c and r["label"] == "idle"]
    rate = num(idle[0], "gic_per_s") if idle else None
    for r in rows:
        secs = num(r, "window_s")
        if r["config"] == c and rate is not None and secs:
            r["gic_bg_est"] = "%.0f" % (rate * secs)

fields = ["config", "gic", "mode", "workload", "vcpus", "iters", "exits",
          "progress", "loads", "sets", "set0", "set1", "other_sets",
          "writes_per_load"] + ["gic_" + k for k in gic_keys] + [
          "gic_per_exit", "gic_per_iter", "active_per_exit",
          "active_per_iter", "gic_per_s", "gic_bg_est", "unit", "vmm_ns",
          "run_s", "window_s", "dropped", "error"]
with open(csv_path, "w", newline="") as f:
    wr = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
    wr.writeheader()
    wr.writerows(rows)


def cell(r, kind):
    u = r["unit"]
    if u == "s":
        if kind == "gic":
            return "%s/s" % r["gic_per_s"] if r["gic_per_s"] else "-"
        t, s = num(r, "gic_active"), num(r, "window_s")
        return "%.1f/s" % (t / s) if t is not None and s else "-"
    v = r[("gic" if kind == "gic" else "active") + "_per_" + u]
    return "%s/%s" % (v, u) if v else "-"


print("## Stock baseline (no module), %s iterations per vcpu\n" % iters)
print("| config | workload | exits | loads | writes/load | writes (0/1) "
      "| GIC MMIO writes | of which active-state |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for r in rows:
    if r["unit"] == "s":
        wl = "idle (%s s, no VM)" % r["window_s"]
        ld = wpl = w01 = "-"
    else:
        wl = r["workload"]
        ld, wpl = r["loads"] or "-", r["writes_per_load"] or "-"
        w01 = "%s/%s" % (r["set0"], r["set1"]) if r["sets"] != "" else "-"
    if r["error"]:
        wl += " **(%s)**" % r["error"]
    print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
        r["config"], wl, r["exits"] or "-", ld, wpl, w01, cell(r, "gic"),
        cell(r, "active")))
print()
print("writes/load: irq_set_irqchip_state(vtimer/ptimer host irq, ACTIVE) "
      "per kvm_arch_vcpu_load; writes (0/1): how many wrote inactive / "
      "active. GIC MMIO writes: QEMU trace events in the workload's "
      "window (whole vtc-vmm process), per VMM exit, or per iteration "
      "(/iter) for hvc, timer and wfi, which exit to the VMM ~once. "
      "Active-state: GICR_I[SC]ACTIVER0 / GICD_I[SC]ACTIVER writes. "
      "The idle row is the background rate per second (host timer ticks "
      "and IPIs: on GICv2 each host interrupt costs EOIR + DIR writes).")
print()
print("Timing (s): " + "; ".join(
    "%s boot+workloads %s, gic-count %s (%s trace lines)" % tuple(t)
    for t in timings))
if errors:
    print()
    print("**Errors:**")
    for e in errors:
        print("- " + e)
    sys.exit(1)
EOF
cat "$out/baseline.md"
[ -z "$md" ] || cp "$out/baseline.md" "$md"
log "tables ($(elapsed "$t") s): ${md:-$out/baseline.md}, $csv"
log "total $(elapsed "$t_all") s; logs in $out"
[ "$rc" = 0 ] || fail=1
exit "$fail"
