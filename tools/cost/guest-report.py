#!/usr/bin/env python3
"""The real Linux guest's table (make bench): stock against cached.

    guest-report.py --md FILE --csv FILE [--note TEXT]
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
With a PROFILE (CONFIG=GUEST_OUTPUT,WINDOWS_FILE,PROFILE: the plugin's
profile=FILE of the same boot), --system-map and --ko, a second table: the
host instructions of the timer's active-state machinery, attributed by
symbol (see MACHINERY below), per event: per vcpu load, per GIC write, per
LR fold, per host ack of the timer PPI; and all of it per load at the
run's own mix of those events.
Exit status 1 if a window is missing or a workload failed.
"""
import argparse
import csv
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import kv, num, read_windows  # noqa: E402 (the cost tool's own parsers)
import profile as prof  # noqa: E402 (tools/cost/profile.py)

PHASES = ["stock", "cached"]

# The timer's active-state machinery, by the event that runs it. A real
# guest's mix of events (exits, folds and host acks per load, and with the
# patch on, writes per load) changes from run to run, so each event's
# instructions are divided by that event's count: those unit costs hold
# still, a sum per load does not. Kernel code counts by the symbol its TB
# starts in and the plugin's category ("load": inside kvm_timer_vcpu_load;
# "other": outside it). Left out, in both phases: shared helpers (spin
# locks, counter reads, the hrtimer code of kvm_timer_unblocking() and
# kvm_timer_blocking()), the vgic's queueing of a timer interrupt whose
# level changed (vgic_queue_irq_unlock() and the kick and wake-up of the
# vcpu after it), the interrupts taken during a load, and with the patch
# off the module's counting fprobes (all "ftrace" instructions then, the
# module's probe handlers, and fprobe's rcu_is_watching() inside the
# load): a stock kernel runs none of them.
MACHINERY = {
    # per vcpu load (entries of kvm_timer_vcpu_load): the load path's own
    # functions inside the load, and the put path outside it
    "load": {
        "load": {"kvm_timer_vcpu_load", "kvm_timer_vcpu_load_gic", "get_timer_map",
                 "kvm_timer_pending", "kvm_timer_enabled", "timer_get_ctl", "timer_get_cval",
                 "kvm_timer_update_irq", "kvm_vgic_inject_irq", "kvm_vgic_map_is_active",
                 "vgic_get_vcpu_irq", "vgic_put_irq", "timer_restore_state", "set_cntvoff",
                 "set_cntpoff", "__kvm_timer_set_cntvoff"},
        "other": {"kvm_timer_vcpu_put", "timer_save_state", "timer_set_ctl", "timer_set_cval",
                  "set_cntvoff", "set_cntpoff"},
        "module": {"vtc_kvm_timer_vcpu_load", "kvm_timer_vcpu_load_gic",
                   "set_timer_irq_phys_active", "vtc_load_checked", "trace_vtc_skip"},
    },
    # per GIC active-state write (the plugin's writes to I[SC]ACTIVER; the
    # module's own writes go to the chip without irq_set_irqchip_state):
    # the irqchip path to gic_poke_irq, and irq_to_desc's maple tree lookup
    # (LOOKUP) inside the load, where nothing else calls it; outside the
    # load (a fold's resampling) others do, so there each write's lookup
    # counts at its cost inside the load
    "write": {
        "load": {"irq_set_irqchip_state", "__irq_set_irqchip_state", "__irq_get_desc_lock",
                 "__irq_put_desc_unlock", "irq_to_desc", "gic_irq_set_irqchip_state",
                 "gic_poke_irq"},
        "other": {"irq_set_irqchip_state", "__irq_set_irqchip_state", "__irq_get_desc_lock",
                  "__irq_put_desc_unlock", "gic_irq_set_irqchip_state", "gic_poke_irq"},
        "module": {"vtc_load_issue", "vtc_write_slow", "vtc_irq_set_irqchip_state",
                   "__irq_set_irqchip_state", "vtc_active_written", "trace_vtc_issue"},
    },
    # per list register folded (entries of vgic_v[23]_fold_lr)
    "fold": {
        "load": set(),
        "other": {"vgic_v3_fold_lr", "vgic_v2_fold_lr"},
        "module": {"vgic_v3_fold_lr", "vgic_v2_fold_lr", "__vtc_lr_folded"},
    },
    # per host ack of a timer PPI (entries of kvm_arch_timer_handler)
    "ack": {
        "load": set(),
        "other": {"kvm_arch_timer_handler"},
        "module": {"kvm_arch_timer_handler", "vtc_host_ack"},
    },
}
EVENTS = ["load", "write", "fold", "ack"]
LOOKUP = {"mtree_load", "__pi_memset_generic", "memset"}  # irq_to_desc's, its MA_STATE
# The module's counting fprobes (the patch off): not the machinery.
PROBES = {"vtc_load_entry", "vtc_write_entry", "vtc_count_stock_load", "vtc_count_stock_write",
          "vtc_state_owner"}


def event_counts(w):
    """The window's events, from the plugin's entry counts."""
    def e(k):
        return int(num(w.get("entry." + k)) or 0)
    writes = int(num(w.get("gic_active_w")) or 0)
    return {"load": e("kvm_timer_vcpu_load"), "write": writes or e("irq_set_irqchip_state"),
            "fold": e("vgic_v3_fold_lr") + e("vgic_v2_fold_lr"),
            "ack": e("kvm_arch_timer_handler"),
            # patched calls, each through ftrace and the klp handler once:
            # kvm_timer_vcpu_load() per load, irq_set_irqchip_state() per
            # write by another writer than the module
            "klp_load": e("kvm_timer_vcpu_load"),
            "klp_write": e("irq_set_irqchip_state")}


def attribute(rows, name, w, probes_on, write_entry):
    """Instructions of the machinery in one window, by event, from its
    profile rows; "unknown": module functions MACHINERY does not name.
    write_entry: the address of irq_set_irqchip_state, whose first TB runs
    once a call: its counts inside and outside the load split the writes."""
    n = event_counts(w)
    got = {ev: 0 for ev in EVENTS}
    unknown = {}
    ftrace = lookup = 0
    wl = wo = 0
    for pc, c in rows:
        load, module, ftr, other = c
        s = name(pc)
        ftrace += ftr
        if pc == write_entry:
            wl, wo = load, other
        if s in LOOKUP:
            lookup += load
        if s.startswith("[module]"):
            f = s[len("[module] "):]
            if not module or f in PROBES:
                continue
            for ev in EVENTS:
                if f in MACHINERY[ev]["module"]:
                    got[ev] += module
                    break
            else:
                unknown[f] = unknown.get(f, 0) + module
            continue
        for ev in EVENTS:
            m = MACHINERY[ev]
            got[ev] += (load if s in m["load"] else 0) + (other if s in m["other"] else 0)
    if not probes_on:
        # With the patch on, every ftrace instruction is a klp redirection
        # of a patched call (ftrace_caller, klp_ftrace_handler), the same
        # path for each: shared out by the calls.
        calls = {"load": n["klp_load"], "write": n["klp_write"], "fold": n["fold"], "ack": n["ack"]}
        total = sum(calls.values())
        for ev in EVENTS:
            got[ev] += ftrace * calls[ev] / total if total else 0
    # the lookups of the writes inside the load, scaled to all the writes
    got["write"] += lookup * (wl + wo) / wl if wl else lookup
    # nothing left out unseen: counted with the loads, and named in the table
    got["load"] += sum(unknown.values())
    return got, n, unknown


def ratio(a, b, fmt="%.3f"):
    a, b = num(a), num(b)
    return fmt % (a / b) if a is not None and b else "-"


def read(cfg, guest, windows, problems, profile=None, system_map=None, ko=None):
    wins = read_windows(windows, [], cfg)[0]
    profs, name, write_entry = {}, None, None
    if profile:
        text = None
        for line in open(guest, errors="replace"):
            if line.startswith("cost-info ") and "module_text=" in line:
                text = int(kv(line)["module_text"], 0)
        if not system_map or not ko or text is None:
            problems.append("%s: the profile needs --system-map, --ko and the guest log's module_text" % cfg)
        else:
            profs = prof.load(profile)
            name = prof.namer(system_map, ko, text)
            for line in open(system_map):
                p = line.split()
                if len(p) >= 3 and p[2] == "irq_set_irqchip_state":
                    write_entry = int(p[0], 16)
    rows = []
    for line in open(guest, errors="replace"):
        if not line.startswith("# linux-guest "):
            continue
        f = line.split()
        if len(f) < 4 or f[2] not in PHASES or "window=" not in line:
            continue
        d = kv(line)
        w = wins.get(int(d["window"]))
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
        if name:
            prows = profs.get(int(d["window"]))
            if prows is None:
                problems.append("%s %s %s: window %s not in the profile" % (cfg, f[2], f[3], d["window"]))
                continue
            got, n, unknown = attribute(prows, name, w, d.get("patch") != "enabled", write_entry)
            r = rows[-1]
            for ev in EVENTS:
                r["mach_per_" + ev] = ratio(got[ev], n[ev], "%.1f")
                r["n_" + ev] = n[ev]
            r["mach_all_per_load"] = ratio(sum(got.values()), n["load"], "%.1f")
            r["mach_unnamed"] = " ".join("%s:%d" % u for u in sorted(unknown.items()))
    if not rows:
        problems.append("%s: no labelled window in %s" % (cfg, guest))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--md", required=True)
    ap.add_argument("--csv", required=True)
    ap.add_argument("--note", default="")
    ap.add_argument("--system-map", help="the host kernel's System.map (with a PROFILE)")
    ap.add_argument("--ko", help="the module's .ko (with a PROFILE)")
    a = ap.parse_args()
    problems, rows = [], []
    for spec in a.inputs:
        cfg, files = spec.split("=", 1)
        guest, windows, profile = (files.split(",", 2) + [None])[:3]
        try:
            rows += read(cfg, guest, windows, problems, profile, a.system_map, a.ko)
        except OSError as e:
            problems.append("%s: %s" % (cfg, e))
    with open(a.csv, "w", newline="") as fh:
        fields = []
        for r in rows:
            fields += [f for f in r if f not in fields]
        wr = csv.DictWriter(fh, fieldnames=fields or ["config"], restval="-")
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
    if any("mach_per_load" in r for r in rows):
        md += machinery_table(keys, by)
    for p in problems:
        md.append("")
        md.append("PROBLEM: " + p)
    with open(a.md, "w") as fh:
        fh.write("\n".join(md) + "\n")
    for p in problems:
        print("guest-report: " + p, file=sys.stderr)
    return 1 if problems else 0


def machinery_table(keys, by):
    def diff(s, c):
        s, c = num(s), num(c)
        if s is None or c is None:
            return "-"
        return "%+.1f (%+.1f%%)" % (c - s, 100.0 * (c - s) / s if s else 0)

    md = ["",
          "The timer's active-state machinery, host instructions per event, stock / cached (difference): "
          "the unit costs hold still from run to run, the sum per load follows the run's mix of events.",
          "",
          "| config | workload | per load | per GIC write | per LR fold | per host ack | all per load, the run's mix | events per load: writes, folds, acks |",
          "|---|---|---|---|---|---|---|---|"]
    unnamed = []
    for k in keys:
        s, c = by.get(k + ("stock",), {}), by.get(k + ("cached",), {})
        cells = []
        for f in ["mach_per_" + ev for ev in EVENTS] + ["mach_all_per_load"]:
            cells.append("%s / %s (%s)" % (s.get(f, "-"), c.get(f, "-"), diff(s.get(f), c.get(f))))
        mix = " / ".join("%s, %s, %s" % tuple(ratio(r.get("n_" + ev), r.get("n_load"), "%.2f")
                                              for ev in ("write", "fold", "ack")) for r in (s, c))
        md.append("| %s | %s | %s | %s |" % (k[0], k[1], " | ".join(cells), mix))
        for r, ph in ((s, "stock"), (c, "cached")):
            if r.get("mach_unnamed"):
                unnamed.append("%s %s %s: %s" % (k[0], k[1], ph, r["mach_unnamed"]))
    md += ["",
           "Attributed by symbol from the plugin's profile (tools/cost/guest-report.py, MACHINERY), each event's "
           "instructions divided by its count (the plugin's entries): **per load** (kvm_timer_vcpu_load) the "
           "timer's and the vgic's own functions inside the load (kvm_timer_vcpu_load, kvm_timer_vcpu_load_gic, "
           "kvm_timer_update_irq, kvm_vgic_inject_irq, kvm_vgic_map_is_active, timer_restore_state and their "
           "timer helpers) and the put path (kvm_timer_vcpu_put, timer_save_state); **per GIC write** "
           "(irq_set_irqchip_state) the irqchip path to gic_poke_irq and irq_to_desc's maple tree lookup (as "
           "inside the load for the writes outside it, where other code shares mtree_load); "
           "**per LR fold** (vgic_v[23]_fold_lr) the fold; **per host ack** (kvm_arch_timer_handler) the "
           "handler. The module's functions go to the event whose path they are on; with the patch on, the "
           "ftrace and klp instructions are shared out by the patched calls (each is one ftrace_caller and "
           "klp_ftrace_handler pass). Left out, in both phases: shared helpers (spin locks, counter reads, "
           "hrtimers), the vgic's queueing and kick of a timer interrupt whose level changed, interrupts taken "
           "during a load, and in stock the module's counting fprobes (a stock kernel has none). **All per "
           "load** = the four together per vcpu load, at the run's own mix of writes, folds and acks per load "
           "(last column), which a real guest's timing changes from run to run."]
    for u in unnamed:
        md += ["", "Module functions MACHINERY does not name (counted per load): " + u]
    return md


if __name__ == "__main__":
    sys.exit(main())
