#!/usr/bin/env python3
"""The cost tool's table: host kernel instructions per guest exit.

    report.py [--check] [--max-spread PCT] [--md FILE] [--csv FILE]
              [--runs-csv FILE] CONFIG=GUEST_OUTPUT,WINDOWS_FILE ...

GUEST_OUTPUT: what tests/vm/cost.sh printed (cost-window / cost-run
lines); WINDOWS_FILE: the vtc-cost plugin's output of the same boot. Each
labelled window is matched to the plugin's window of that number; runs of
several vcpus sum their windows.

Per configuration, workload and phase (stock: module never loaded; on:
patch enabled; off: patch disabled, module loaded; native: a kernel with
the series of patches/, no module, from a boot of its own), over the repeats
(rep >= 1; rep 0 is the warm-up):
  exits         KVM's exit count of the run (k_exits), the divisor
  thread        instructions of the vcpu thread itself, per exit: its
                kernel stack in use and no IRQ being handled (the figure
                that repeats to within 1%, tools/cost/README.md)
  all           every host kernel instruction on the vcpu's CPU in the
                window, per exit (IRQs and other tasks included)
  load module ftrace other   "all" split by address (vtc-cost.c)
  irq, others   in "all": IRQs taken while the vcpu thread ran, and other
                tasks (idle included) with their IRQs
  gic_w, gic_r  GIC MMIO writes / reads (GICD, GICC, GICR) per exit
  spread        (max - min) / mean over the repeats, in %

--check (make check's smoke): exit 1 unless every label has its window,
every count is positive, repeats agree within --max-spread (default 1%)
in "thread", and the load counts add up: kvm_timer_vcpu_load entries =
kvm_arch_vcpu_ioctl_run entries + kvm_sched_in entries, ioctl_run entries
= the VMM's KVM_RUN calls (exits + eintr), and with the patch on the
module's own load count = the plugin's (patch off: the same, or 0 from a
module that counts loads only in its klp copy).

--targets: also exit 1 unless the patch meets issue 9's targets (the
"Targets" section, printed either way): exits that never reach a load
(hvc) cost at most 1% more vcpu-thread instructions than stock, and exits
that load a vcpu (workloads with a load per exit or more) cost fewer.

    report.py --bench --csv FILE CONFIG=GUEST_OUTPUT[,WINDOWS_FILE] ...

make bench's CSV (tests/bench.sh): the "bench mode=M workload=W
key=value..." lines tests/vm/bench.sh printed, one row per run, with the
GIC writes of the plugin's windows (rig only).
"""
import argparse
import csv
import sys

PHASES = ["stock", "on", "off", "native"]
GIC_MAIN = ["gicd", "gicc", "gicr"]


def kv(line):
    d = {}
    for tok in line.split():
        if "=" in tok:
            k, v = tok.split("=", 1)
            d[k] = v
    return d


def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def window_ids(rng):
    """ "N" or "N..M" """
    lo, _, hi = rng.partition("..")
    return list(range(int(lo), int(hi or lo) + 1))


def read_windows(path, problems, cfg):
    wins = {}
    summary = None
    for line in open(path):
        if line.startswith("window="):
            d = kv(line)
            wins[int(d["window"])] = d
        elif line.startswith("error"):
            problems.append("%s: plugin: %s" % (cfg, line.strip()))
        elif line.startswith("summary"):
            summary = kv(line)
    if summary is None:
        problems.append("%s: plugin wrote no summary (QEMU did not exit cleanly?)" % cfg)
    return wins, summary


def read_runs(path, wins, problems, cfg):
    runs = []
    labels = 0
    for line in open(path, errors="replace"):
        if line.startswith("cost-error"):
            problems.append("%s: guest: %s" % (cfg, line.strip()))
        if not line.startswith("cost-run "):
            continue
        d = kv(line)
        labels += 1
        rng = d["window"]
        ids = window_ids(rng)
        missing = [i for i in ids if i not in wins]
        if missing:
            problems.append("%s: %s %s rep %s: no plugin window %s" %
                            (cfg, d["phase"], d["workload"], d["rep"], missing))
            continue
        bad = [i for i in ids if wins[i].get("state") != "closed"]
        if bad:
            problems.append("%s: window(s) %s not closed cleanly" % (cfg, bad))
        w = {}
        for i in ids:
            for k, v in wins[i].items():
                if k in ("window", "vcpu", "state"):
                    continue
                n = num(v)
                if n is not None:
                    w[k] = w.get(k, 0) + n
        run = {"config": cfg, "phase": d["phase"], "workload": d["workload"],
               "rep": int(d["rep"]), "window": rng, "rc": d.get("rc"),
               "vmm_exits": num(d.get("exits")), "eintr": num(d.get("eintr")),
               "exits": num(d.get("k_exits")), "mod_loads": num(d.get("mod_loads")),
               "mod_writes": num(d.get("mod_writes")), "result": d.get("result"),
               "vcpus": num(d.get("vcpus")), "w": w}
        if run["rc"] != "0" or run["result"] != "ok":
            problems.append("%s: %s %s rep %d: vtc-vmm rc=%s result=%s" %
                            (cfg, run["phase"], run["workload"], run["rep"], run["rc"], run["result"]))
        runs.append(run)
    return runs, labels


def metrics(r):
    w = r["w"]
    m = {
        "thread": w.get("thread", 0),
        "all": w.get("insns", 0),
        "load": w.get("load", 0), "module": w.get("module", 0),
        "ftrace": w.get("ftrace", 0), "other": w.get("other", 0),
        "irq": w.get("thread_irq", 0), "others": w.get("others", 0),
        "gic_w": sum(w.get(g + "_w", 0) for g in GIC_MAIN),
        "gic_r": sum(w.get(g + "_r", 0) for g in GIC_MAIN),
        "loads": w.get("entry.kvm_timer_vcpu_load", 0),
        "puts": w.get("entry.kvm_timer_vcpu_put", 0),
        "set_state": w.get("entry.irq_set_irqchip_state", 0),
        "handle_exit": w.get("entry.handle_exit", 0),
    }
    e = r["exits"] or 0
    return {k: (v / e if e else None) for k, v in m.items()}


def mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


def spread(xs):
    xs = [x for x in xs if x is not None]
    if len(xs) < 2 or not mean(xs):
        return None
    return 100.0 * (max(xs) - min(xs)) / mean(xs)


def f(x, nd=0):
    if x is None:
        return "-"
    return "{:,.{}f}".format(x, nd)


def checks(runs, max_spread, groups, problems):
    for r in runs:
        w = r["w"]
        tag = "%s %s %s rep %d" % (r["config"], r["phase"], r["workload"], r["rep"])
        for k in ("insns", "thread", "entry.handle_exit", "entry.kvm_timer_vcpu_load"):
            if not w.get(k, 0) > 0:
                problems.append("%s: %s is %s, not > 0" % (tag, k, w.get(k)))
        if w.get("segments", 1) != (r["vcpus"] or 1):
            continue  # --migrate: loads on arrival are outside the window
        loads = w.get("entry.kvm_timer_vcpu_load", 0)
        runs_in = w.get("entry.kvm_arch_vcpu_ioctl_run", 0)
        sched_in = w.get("entry.kvm_sched_in", 0)
        if loads != runs_in + sched_in:
            problems.append("%s: %d loads != %d KVM_RUN + %d sched-in" % (tag, loads, runs_in, sched_in))
        want = (r["vmm_exits"] or 0) + (r["eintr"] or 0)
        if runs_in != want:
            problems.append("%s: %d kvm_arch_vcpu_ioctl_run entries, the VMM made %d KVM_RUN calls"
                            % (tag, runs_in, want))
        # patch off: a module whose load counter lives in its klp copy
        # counts nothing then
        if r["mod_loads"] is not None and r["mod_loads"] != loads and \
                not (r["phase"] == "off" and r["mod_loads"] == 0):
            problems.append("%s: the module counted %d loads, the plugin %d" % (tag, r["mod_loads"], loads))
    for key, g in groups.items():
        s = g.get("thread_spread")
        if s is not None and s > max_spread:
            problems.append("%s %s %s: repeats differ by %.2f%% (> %.2f%%) in vcpu-thread instructions per exit"
                            % (key[0], key[1], key[2], s, max_spread))


BENCH_HEAD = ("config timing mode workload vcpus gic_mmio_writes gic_active_writes exits loads writes issued "
              "skipped needed wrong_skips irqs irqs_expected lost lat_p50 lat_p90 lat_p99 ns_per_exit "
              "ticks_per_exit cnt_ns_per_exit pmu_cycles_per_exit cntfrq result").split()


def bench_rows(cfg, guest, windows, problems):
    """One boot's CSV rows: its "bench" lines, with the GIC writes of the
    plugin's windows (WINDOWS) matched in order to the guest's
    "bench-windows" lines; "-" for a run with a window missing or not
    closed, for all if the counts differ. A failed run (rc, result) or a
    "bench-error" line is a problem."""
    try:
        wins, summary = read_windows(windows, [], cfg) if windows else ({}, None)
    except OSError:
        wins, summary = {}, None
    gic, bad, n, nbad, rows = {}, set(), 0, 0, []
    for line in open(guest, errors="replace"):
        d = kv(line)
        key = (d.get("mode"), d.get("workload"))
        if line.startswith("bench-error"):
            problems.append("%s: %s" % (cfg, line.strip()))
        elif windows and line.startswith("bench-windows "):
            for n in range(n + 1, n + 1 + int(d["vcpus"])):
                w = wins.get(n, {})
                if w.get("state") == "closed":
                    g = gic.setdefault(key, [0, 0])
                    g[0] += sum(int(num(w.get(r + "_w")) or 0) for r in ("gicd", "gicr", "gicc"))
                    g[1] += int(num(w.get("gic_active_w")) or 0)
                else:
                    bad.add(key)
                    nbad += 1
        elif line.startswith("bench mode="):
            if d.get("rc", "0") != "0" or d.get("result", "ok") != "ok":
                problems.append("%s: bench-error mode=%s workload=%s rc=%s result=%s"
                                % (cfg, key[0], key[1], d.get("rc"), d.get("result")))
            rows.append([cfg, d.get("timing", "-"), key[0], key[1], d.get("vcpus", "-"), key]
                        + [d.get(f, "-") for f in BENCH_HEAD[7:]])
    opened = summary.get("windows", "-") if summary else None
    for r in rows:
        k = r[5]
        r[5:6] = gic[k] if (not windows or opened == str(n)) and k in gic and k not in bad else ["-", "-"]
    err = None
    if rows and windows and opened is None:
        err = "the plugin wrote no summary (QEMU did not exit cleanly?)"
    elif rows and windows and opened != str(n):
        err = "the plugin opened %s windows, the guest labelled %d" % (opened, n)
    elif rows and nbad:
        err = "%d window(s) missing or not closed" % nbad
    if err:
        problems.append("%s: %s: no GIC counts for the runs concerned" % (cfg, err))
    return rows


def bench(a):
    problems, rows = [], []
    for spec in a.inputs:
        cfg, files = spec.split("=", 1)
        try:
            rows += bench_rows(cfg, *files.partition(",")[::2], problems)
        except OSError as e:
            problems.append("%s: %s" % (cfg, e))
    with open(a.csv, "w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([BENCH_HEAD] + rows)
    for p in problems:
        print("bench: %s" % p, file=sys.stderr)
    return 1 if problems else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("inputs", nargs="+", help="CONFIG=GUEST_OUTPUT,WINDOWS_FILE")
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--targets", action="store_true")
    ap.add_argument("--max-spread", type=float, default=1.0)
    ap.add_argument("--md")
    ap.add_argument("--csv")
    ap.add_argument("--runs-csv")
    ap.add_argument("--note", default="")
    a = ap.parse_args()
    if a.bench:
        sys.exit(bench(a))

    problems = []
    runs = []
    for spec in a.inputs:
        cfg, files = spec.split("=", 1)
        guest, windows = files.split(",", 1)
        try:
            wins, summary = read_windows(windows, problems, cfg)
            rs, labels = read_runs(guest, wins, problems, cfg)
        except OSError as e:
            problems.append("%s: %s" % (cfg, e))
            continue
        if not labels:
            problems.append("%s: no labelled window in %s" % (cfg, guest))
        if summary and int(summary.get("windows", -1)) != sum(len(window_ids(r["window"])) for r in rs):
            problems.append("%s: the plugin opened %s windows, the guest labelled %d"
                            % (cfg, summary.get("windows"), len(rs)))
        runs.extend(rs)

    for r in runs:
        r["m"] = metrics(r)
    groups = {}
    order = []
    for r in runs:
        if r["rep"] < 1:
            continue
        key = (r["config"], r["workload"], r["phase"])
        if key not in groups:
            groups[key] = {"runs": []}
            order.append(key)
        groups[key]["runs"].append(r)
    mkeys = list(runs[0]["m"].keys()) if runs else []
    for key, g in groups.items():
        rs = g["runs"]
        g["reps"] = len(rs)
        g["exits"] = mean([r["exits"] for r in rs])
        for k in mkeys:
            g[k] = mean([r["m"][k] for r in rs])
        g["thread_spread"] = spread([r["m"]["thread"] for r in rs])
        g["all_spread"] = spread([r["m"]["all"] for r in rs])
        g["mod_writes"] = mean([r["mod_writes"] / r["exits"] if r["mod_writes"] is not None and r["exits"] else None
                                for r in rs])

    if a.check:
        checks(runs, a.max_spread, groups, problems)

    rows = []
    seen = []
    for key in order:
        ck = (key[0], key[1])
        if ck not in seen:
            seen.append(ck)
    md = []
    md.append("Host kernel instructions per guest exit (exact counts, QEMU TCG plugin; %s)." % a.note if a.note
              else "Host kernel instructions per guest exit (exact counts, QEMU TCG plugin).")
    md.append("")
    md.append("| config | workload | exits | vcpu thread insns/exit stock / on / off | on - stock | off - stock "
              "| spread % (max) | all insns/exit stock / on / off | spread % (max) "
              "| GIC writes/exit stock / on / off | break-even insns per GIC write |")
    md.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for ck in seen:
        g = {p: groups.get((ck[0], ck[1], p)) for p in PHASES}
        st, on, off = g["stock"], g["on"], g["off"]

        def v(p, k):
            return p[k] if p else None

        def delta(p):
            if not p or not st or p["thread"] is None or st["thread"] is None:
                return "-"
            d = p["thread"] - st["thread"]
            return "%+.0f (%+.1f%%)" % (d, 100.0 * d / st["thread"])
        sp = [v(p, "thread_spread") for p in (st, on, off) if v(p, "thread_spread") is not None]
        spa = [v(p, "all_spread") for p in (st, on, off) if v(p, "all_spread") is not None]
        be = "-"
        if st and on and st["gic_w"] is not None and on["gic_w"] is not None:
            removed = st["gic_w"] - on["gic_w"]
            added = on["thread"] - st["thread"]
            if removed > 0.01:
                be = f(added / removed) if added > 0 else "always (%s)" % f(added / removed)
        exits = v(st, "exits") or v(on, "exits") or v(off, "exits")
        md.append("| %s | %s | %s | %s / %s / %s | %s | %s | %s | %s / %s / %s | %s | %s / %s / %s | %s |" % (
            ck[0], ck[1], f(exits), f(v(st, "thread")), f(v(on, "thread")), f(v(off, "thread")),
            delta(on), delta(off), f(max(sp), 2) if sp else "-",
            f(v(st, "all")), f(v(on, "all")), f(v(off, "all")), f(max(spa), 2) if spa else "-",
            f(v(st, "gic_w"), 3), f(v(on, "gic_w"), 3), f(v(off, "gic_w"), 3), be))
    md.append("")
    md.append("Targets (vcpu thread instructions per exit, patch on against stock):")
    md.append("")
    for ck in seen:
        st, on = groups.get((ck[0], ck[1], "stock")), groups.get((ck[0], ck[1], "on"))
        if not st or not on or not st["thread"]:
            continue
        d = on["thread"] - st["thread"]
        pct = 100.0 * d / st["thread"]
        if ck[1] == "hvc":
            ok = pct <= 1.0
            what = "exits handled in the kernel, no load: at most +1%"
        elif (st.get("loads") or 0) >= 0.5:
            ok = d < 0
            what = "exits that load a vcpu: below stock"
        else:
            continue
        md.append("- %s %s: %s: %+.0f (%+.2f%%): %s" % (ck[0], ck[1], what, d, pct, "met" if ok else "MISSED"))
        if not ok and a.targets:
            problems.append("%s %s: target missed: %s (%+.2f%%)" % (ck[0], ck[1], what, pct))
    md.append("")
    if any(k[2] == "native" for k in order):
        md.append("Stock / livepatch / native (vcpu thread instructions and GIC MMIO writes per exit; "
                  "native: the cache in KVM itself, patches/):")
        md.append("")
        md.append("| config | workload | insns/exit stock / livepatch / native | livepatch - native "
                  "| native - stock | GIC writes/exit stock / livepatch / native |")
        md.append("|---|---|---|---|---|---|")
        for ck in seen:
            st, on, nat = (groups.get((ck[0], ck[1], p)) for p in ("stock", "on", "native"))
            if not nat:
                continue

            def th(p):
                return p["thread"] if p and p["thread"] is not None else None

            def dd(x, y):
                if x is None or y is None or not y:
                    return "-"
                return "%+.0f (%+.1f%%)" % (x - y, 100.0 * (x - y) / y)
            md.append("| %s | %s | %s / %s / %s | %s | %s | %s / %s / %s |" % (
                ck[0], ck[1], f(th(st)), f(th(on)), f(th(nat)), dd(th(on), th(nat)), dd(th(nat), th(st)),
                f(st["gic_w"] if st else None, 3), f(on["gic_w"] if on else None, 3), f(nat["gic_w"], 3)))
        md.append("")
    md.append("Per phase, \"all\" split by where the instructions are (per exit):")
    md.append("")
    md.append("| config | workload | phase | reps | exits | thread | spread % | all | spread % | load | module "
              "| ftrace | other | IRQs in thread | other tasks | GIC w / r | timer loads | irq_set_irqchip_state "
              "| module: writes |")
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for key in sorted(order, key=lambda k: (seen.index((k[0], k[1])), PHASES.index(k[2]) if k[2] in PHASES else 9)):
        g = groups[key]
        md.append("| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s | %s | %s |" % (
            key[0], key[1], key[2], g["reps"], f(g["exits"]), f(g["thread"]), f(g["thread_spread"], 2),
            f(g["all"]), f(g["all_spread"], 2), f(g["load"]), f(g["module"]), f(g["ftrace"]), f(g["other"]),
            f(g["irq"]), f(g["others"]), f(g["gic_w"], 3), f(g["gic_r"], 3), f(g["loads"], 3),
            f(g["set_state"], 3), f(g["mod_writes"], 3)))
        row = {"config": key[0], "workload": key[1], "phase": key[2], "reps": g["reps"],
               "exits": g["exits"], "thread_spread_pct": g["thread_spread"], "all_spread_pct": g["all_spread"],
               "module_writes": g["mod_writes"]}
        for k in mkeys:
            row[k + "_per_exit"] = g[k]
        rows.append(row)
    md.append("")
    md.append(
        "thread: instructions of the vcpu thread itself (its kernel stack in use, no IRQ being handled); "
        "all: every host kernel instruction on the vcpu's CPU between the VMM's markers, IRQs and other "
        "tasks included; both divided by KVM's exit count of the run. on - stock, off - stock: in thread "
        "instructions. spread: (max - min) / mean over the repeats of each phase, the largest of the three "
        "phases. load: between entry to and return from kvm_timer_vcpu_load (module and ftrace code "
        "excluded); module: the module region; ftrace: ftrace/fgraph/fprobe/klp trampolines and handlers "
        "(their own instructions); other: the rest. GIC writes: MMIO writes to GICD, GICC and GICR by host "
        "kernel code on that CPU (nVHE hyp code is not seen). break-even: (on - stock) thread instructions "
        "per GIC write removed (stock - on): the cost of one GIC MMIO write, in instructions, above which "
        "the patch pays off; \"always\" when it also saves instructions.")
    text = "\n".join(md) + "\n"
    if a.md:
        open(a.md, "w").write(text)
    sys.stdout.write(text)
    if a.csv and rows:
        with open(a.csv, "w", newline="") as fh:
            wr = csv.DictWriter(fh, fieldnames=list(rows[0].keys()))
            wr.writeheader()
            wr.writerows(rows)
    if a.runs_csv and runs:
        fields = ["config", "workload", "phase", "rep", "window", "exits", "vmm_exits", "eintr", "mod_loads",
                  "mod_writes"] + ["w." + k for k in sorted(runs[0]["w"].keys())]
        with open(a.runs_csv, "w", newline="") as fh:
            wr = csv.writer(fh)
            wr.writerow(fields)
            for r in runs:
                wr.writerow([r.get(k) if not k.startswith("w.") else r["w"].get(k[2:]) for k in fields])
    if problems:
        for p in problems:
            print("cost: %s" % p, file=sys.stderr)
        if a.check or a.targets or any("plugin" in p or "no plugin window" in p or "labelled" in p for p in problems):
            sys.exit(1)


if __name__ == "__main__":
    main()
