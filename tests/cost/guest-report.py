#!/usr/bin/env python3
"""The real Linux guest's table (make bench): stock against cached.

    guest-report.py --md FILE --csv FILE [--png FILE] [--note TEXT]
                    CONFIG=GUEST_OUTPUT,WINDOWS_FILE ...

GUEST_OUTPUT: what tests/vm/linux-guest.sh --cost-marks printed (lines
"# linux-guest PHASE WORKLOAD window=N key=value ..."); WINDOWS_FILE: the
vtc-cost plugin's output of the same boot. Window N holds every host
kernel instruction and GIC MMIO access on CPU 1, where the guest's QEMU
ran pinned, while the workload ran. Per configuration, workload and phase:
  exits         the plugin's count of handle_exit entries on CPU 1 (the
                guest's exits; the divisor)
  loads, writes per load, skip ratio    the module's counters
  GIC MMIO writes per exit   GICD/GICR/GICC writes; in parentheses those
                to the active-state registers
  host instructions per exit every host kernel instruction on CPU 1 (QEMU's
                own threads, the host's interrupts and idle included)
  guest         timer interrupts per guest second; cyclictest's cycles and
                worst latency
Exit status 1 if a window is missing or a workload failed.
"""
import argparse
import csv
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import kv, num  # noqa: E402 (the cost tool's own parsers)

PHASES = ["stock", "cached"]


def ratio(a, b, fmt="%.3f"):
    a, b = num(a), num(b)
    return fmt % (a / b) if a is not None and b else "-"


def read(cfg, guest, windows, problems):
    wins = {}
    for line in open(windows):
        if line.startswith("window="):
            d = kv(line)
            wins[d["window"]] = d
    rows = []
    for line in open(guest, errors="replace"):
        if not line.startswith("# linux-guest "):
            continue
        f = line.split()
        if len(f) < 4 or f[2] not in PHASES or "window=" not in line:
            continue
        d = kv(line)
        w = wins.get(d["window"])
        if w is None or w.get("state") != "closed":
            problems.append("%s %s %s: plugin window %s missing or not closed" % (cfg, f[2], f[3], d["window"]))
            continue
        exits = num(w.get("entry.handle_exit"))
        gic_w = sum(num(w.get(k + "_w")) or 0 for k in ("gicd", "gicr", "gicc"))
        rows.append({
            "config": cfg, "phase": f[2], "workload": f[3],
            "exits": int(exits or 0), "kvm_exits": d.get("exits"),
            "loads": d.get("loads"), "writes": d.get("writes"),
            "writes_per_load": ratio(d.get("writes"), d.get("loads")),
            "skip_ratio": d.get("skip_ratio", "-"),
            "gic_mmio_w_per_exit": ratio(gic_w, exits),
            "gic_active_w_per_exit": ratio(w.get("gic_active_w"), exits),
            "insns_per_exit": ratio(w.get("insns"), exits, "%.0f"),
            "timer_irqs_per_s": ratio(num(d.get("timer_irqs")) * 100 if d.get("timer_irqs") else None,
                                      d.get("guest_cs"), "%.1f"),
            "cycles": d.get("cycles", "-"), "max_us": d.get("max_us", "-"),
        })
    if not rows:
        problems.append("%s: no labelled window in %s" % (cfg, guest))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--md", required=True)
    ap.add_argument("--csv", required=True)
    ap.add_argument("--png")
    ap.add_argument("--note", default="")
    a = ap.parse_args()
    problems, rows = [], []
    for spec in a.inputs:
        cfg, files = spec.split("=", 1)
        guest, windows = files.split(",", 1)
        try:
            rows += read(cfg, guest, windows, problems)
        except OSError as e:
            problems.append("%s: %s" % (cfg, e))
    with open(a.csv, "w", newline="") as fh:
        fields = list(rows[0].keys()) if rows else ["config"]
        wr = csv.DictWriter(fh, fieldnames=fields)
        wr.writeheader()
        wr.writerows(rows)
    by = {(r["config"], r["workload"], r["phase"]): r for r in rows}
    keys = []
    for r in rows:
        if (r["config"], r["workload"]) not in keys:
            keys.append((r["config"], r["workload"]))

    def pair(k, f):
        s, c = by.get(k + ("stock",), {}), by.get(k + ("cached",), {})
        return "%s / %s" % (s.get(f, "-"), c.get(f, "-"))

    md = ["A real Linux guest (Debian's arm64 kernel) on QEMU/KVM in the emulated host, stock / cached (%s)." % a.note,
          "",
          "| config | workload | exits | loads | writes/load | skip ratio | GIC MMIO writes/exit (active-state) | host instructions/exit | guest timer irqs/s | cyclictest cycles | worst latency us |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
    for k in keys:
        s, c = by.get(k + ("stock",), {}), by.get(k + ("cached",), {})
        gm = "%s (%s) / %s (%s)" % (s.get("gic_mmio_w_per_exit", "-"), s.get("gic_active_w_per_exit", "-"),
                                    c.get("gic_mmio_w_per_exit", "-"), c.get("gic_active_w_per_exit", "-"))
        md.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            k[0], k[1], pair(k, "exits"), pair(k, "loads"), pair(k, "writes_per_load"), c.get("skip_ratio", "-"), gm,
            pair(k, "insns_per_exit"), pair(k, "timer_irqs_per_s"), pair(k, "cycles"), pair(k, "max_us")))
    md.append("")
    md.append("exits: the guest's exits on the host CPU that ran its QEMU (handle_exit entries, the plugin's window); "
              "writes/load: the module's counters; GIC MMIO writes: by the host kernel on that CPU; host instructions: "
              "every host kernel instruction on that CPU in the window (QEMU's threads, the host's interrupts and idle "
              "included), per exit. Guest figures from the guest: timer interrupts per guest second, cyclictest (1 kHz).")
    for p in problems:
        md.append("")
        md.append("PROBLEM: " + p)
    with open(a.md, "w") as fh:
        fh.write("\n".join(md) + "\n")
    if a.png and rows:
        chart(rows, keys, by, a.png, a.note)
    for p in problems:
        print("guest-report: " + p, file=sys.stderr)
    return 1 if problems else 0


def chart(rows, keys, by, png, note):
    dat = png + ".dat"
    with open(dat, "w") as fh:
        for k in keys:
            v = [by.get(k + (p,), {}).get(f, "0") for f in ("writes_per_load", "insns_per_exit") for p in PHASES]
            fh.write('"%s %s" %s\n' % (k[0], k[1], " ".join(x if x != "-" else "0" for x in v)))
    script = """
set terminal pngcairo size 1400,900 font ",10" noenhanced
set output "%s"
set multiplot layout 2,1 title "Real Linux guest on QEMU/KVM in the emulated host: stock vs vtimer-cache (%s)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set xtics rotate by -25 nomirror
set grid ytics
set key top right
set title "timer PPI active-state writes per vcpu load"
set yrange [0:*]
plot "%s" using 2:xtic(1) title "stock" lc rgb "#c0392b", "" using 3 title "cached" lc rgb "#2471a3"
set title "host kernel instructions per guest exit (CPU of the guest's QEMU)"
plot "%s" using 4:xtic(1) title "stock" lc rgb "#c0392b", "" using 5 title "cached" lc rgb "#2471a3"
unset multiplot
""" % (png, note, dat, dat)
    try:
        subprocess.run(["gnuplot"], input=script.encode(), check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print("guest-report: no chart: %s" % e, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
