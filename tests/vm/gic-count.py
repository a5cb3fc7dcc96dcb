#!/usr/bin/env python3
"""Count QEMU GIC MMIO write trace events inside marked windows.

The test host marks measurement windows on its console (the PL011 at
/dev/ttyAMA0) with lines "@@VTC-MARK <name>@@" (lib.sh's vtc_mark,
measure.sh's vtm_mark).  With QEMU's trace events pl011_write and the GIC
write events enabled (tests/vm/run.sh --trace), every console character
and every GIC register write is one line of OUT/trace.log, in order.  This
script rebuilds the console text from the writes to the PL011 data
register, finds the marks, and counts the GIC writes between
"<name>-begin" and "<name>-end":

    tests/vm/run.sh --trace pl011_write,gicv3_dist_write,gicv3_redist_write,\\
        gic_dist_write,gic_cpu_write --out OUT SCRIPT
    tests/vm/gic-count.py OUT/trace.log

One line per window, in the order the windows begin:

    window=NAME gicv3_redist_write=N gicv3_dist_write=N gic_dist_write=N \\
        gic_cpu_write=N total=N active=N isactiver=N icactiver=N vcpu_if=N

  total       the sum of the counted kinds (--events)
  active      of these, writes to the active-state registers: GICD_I[SC]
              ACTIVER<n> (GICv2 and GICv3 distributor), GICR_I[SC]ACTIVER0
              in the GICv3 redistributor's SGI frame (the banked PPIs)
  isactiver   of these, set-active writes (GIC[DR]_ISACTIVER*)
  icactiver   of these, clear-active writes (GIC[DR]_ICACTIVER*)
  vcpu_if     gic_cpu_write events from the GICv2 virtual CPU interface
              (GICV: accesses of a nested guest, not of the host)

A window is counted from the last character of its begin mark to the
first character of its end mark.  The PL011 sends the mark after the
write(2) that queued it returned, so the caller should let the UART
drain (a short sleep) after each mark; measure.sh does.

Kernel messages may be printed in the middle of a mark (the console
driver interleaves with the tty's transmit chunks): printk lines
("[ seconds] text\\n") are cut out of the text before marks are matched.

Log format: QEMU's "log" trace backend, "EVENT args" per line, optionally
prefixed with "PID@SECONDS:" (-msg timestamp=on).

Exit code: 0, 1 if a window has no end (or --window names one that is
missing, or there are no marks), 2 on usage errors.
"""
import argparse
import re
import sys

DEFAULT_EVENTS = ("gicv3_redist_write", "gicv3_dist_write", "gic_dist_write",
                  "gic_cpu_write")

LINE_RE = re.compile(r"^(?:\d+@\d+\.\d+:)?([a-z0-9_]+) (.*)$")
PL011_RE = re.compile(r"addr 0x([0-9a-fA-F]+) value 0x([0-9a-fA-F]+)")
# Per event: (regex, group of the register offset, group of the data,
# group of the cpu).
ARGS_RE = {
    "gicv3_dist_write": (re.compile(
        r"offset 0x([0-9a-f]+) data 0x([0-9a-f]+) size (\d+)"), 1, 2, None),
    "gicv3_redist_write": (re.compile(
        r"redistributor 0x([0-9a-f]+) write: offset 0x([0-9a-f]+) "
        r"data 0x([0-9a-f]+) size (\d+)"), 2, 3, 1),
    "gic_dist_write": (re.compile(
        r"dist write at 0x([0-9a-f]+) size (\d+): 0x([0-9a-f]+)"), 1, 3,
        None),
    "gic_cpu_write": (re.compile(
        r"(v?cpu) (\d+) iface write at 0x([0-9a-f]+) 0x([0-9a-f]+)"), 3, 4,
        2),
    "gic_hyp_write": (re.compile(
        r"(?:(v?cpu) (\d+) )?hyp write at 0x([0-9a-f]+):? 0x([0-9a-f]+)"),
        3, 4, None),
}
UARTDR = 0x000
MARK_RE = re.compile(r"@@VTC-MARK ([A-Za-z0-9_.:+=,/-]+)@@")
# A kernel console message: "[    5.123456] text" up to its end of line.
PRINTK_RE = re.compile(r"\[ *\d+\.\d+\][^\n]*\n")


def active_kind(event, off):
    """'set'/'clear' for a write to an active-state register, else None."""
    if event == "gicv3_redist_write":
        if off == 0x10300:
            return "set"
        if off == 0x10380:
            return "clear"
    elif event in ("gicv3_dist_write", "gic_dist_write"):
        if 0x300 <= off < 0x380:
            return "set"
        if 0x380 <= off < 0x400:
            return "clear"
    return None


def parse(path, events):
    """Return (text, pos, gic): console characters, the index of each
    character's trace record, and the GIC writes as (index, event, offset,
    data, vcpu_if, cpu)."""
    text, pos, gic = [], [], []
    want = set(events)
    with open(path, "r", errors="replace") as f:
        for i, line in enumerate(f):
            m = LINE_RE.match(line)
            if not m:
                continue
            ev, args = m.group(1), m.group(2)
            if ev == "pl011_write":
                a = PL011_RE.search(args)
                if a and int(a.group(1), 16) == UARTDR:
                    text.append(chr(int(a.group(2), 16) & 0xff))
                    pos.append(i)
            elif ev in want:
                off = data = cpu = None
                vif = False
                spec = ARGS_RE.get(ev)
                a = spec[0].search(args) if spec else None
                if a:
                    off = int(a.group(spec[1]), 16)
                    data = int(a.group(spec[2]), 16)
                    if spec[3]:
                        cpu = int(a.group(spec[3]), 16)
                    if ev == "gic_cpu_write" and a.group(1) == "vcpu":
                        vif = True
                gic.append((i, ev, off, data, vif, cpu))
    return "".join(text), pos, gic


def strip_printk(text, pos):
    """Cut printk lines out of the console text, keeping positions."""
    out, opos, last = [], [], 0
    for m in PRINTK_RE.finditer(text):
        out.append(text[last:m.start()])
        opos.extend(pos[last:m.start()])
        last = m.end()
    out.append(text[last:])
    opos.extend(pos[last:])
    return "".join(out), opos


def find_marks(text, pos):
    """[(name, first_record, last_record)] in console order."""
    text, pos = strip_printk(text, pos)
    return [(m.group(1), pos[m.start()], pos[m.end() - 1])
            for m in MARK_RE.finditer(text)]


def windows(marks):
    """[(name, begin_record, end_record)]; raise ValueError if unpaired."""
    open_, out = {}, []
    for name, first, last in marks:
        if name.endswith("-begin"):
            base = name[:-len("-begin")]
            if base in open_:
                raise ValueError("window %s begins twice" % base)
            open_[base] = (len(out), last)
            out.append([base, last, None])
        elif name.endswith("-end"):
            base = name[:-len("-end")]
            if base not in open_:
                raise ValueError("window %s ends without a begin" % base)
            idx, _ = open_.pop(base)
            out[idx][2] = first
    if open_:
        raise ValueError("window(s) without an end: %s" %
                         " ".join(sorted(open_)))
    return [tuple(w) for w in out]


def count(gic, begin, end, events):
    """Counts of the GIC writes with begin < record < end."""
    c = {ev: 0 for ev in events}
    c.update(active=0, isactiver=0, icactiver=0, vcpu_if=0)
    detail = {}
    # gic is sorted by record: bisect would do, a scan is fast enough.
    for i, ev, off, data, vif, cpu in gic:
        if i <= begin:
            continue
        if i >= end:
            break
        c[ev] += 1
        k = active_kind(ev, off) if off is not None else None
        if k:
            c["active"] += 1
            c["isactiver" if k == "set" else "icactiver"] += 1
        if vif:
            c["vcpu_if"] += 1
        key = (ev, "vcpu" if vif else cpu, off, data if k else None)
        detail[key] = detail.get(key, 0) + 1
    c["total"] = sum(c[ev] for ev in events)
    return c, detail


def main():
    ap = argparse.ArgumentParser(
        description="Count QEMU GIC MMIO write trace events between "
        "@@VTC-MARK NAME-begin@@ and NAME-end@@ console marks.")
    ap.add_argument("trace", help="QEMU trace log (run.sh --out DIR: "
                    "DIR/trace.log)")
    ap.add_argument("--events", default=",".join(DEFAULT_EVENTS),
                    help="comma-separated trace events to count "
                    "(default %(default)s)")
    ap.add_argument("--window", action="append", default=[],
                    help="only this window (repeatable); missing is an "
                    "error")
    ap.add_argument("--detail", action="store_true",
                    help="also print '# NAME EVENT cpu=C off=0x.. [data=..] "
                    "N' per register")
    ap.add_argument("--text", action="store_true",
                    help="print the rebuilt console text and exit")
    ap.add_argument("--marks", action="store_true",
                    help="print the marks found (name, trace lines) and "
                    "exit")
    args = ap.parse_args()
    events = [e for e in args.events.split(",") if e]
    if not events:
        ap.error("--events is empty")

    try:
        text, pos, gic = parse(args.trace, events)
    except OSError as e:
        print("gic-count: %s" % e, file=sys.stderr)
        return 1
    if args.text:
        sys.stdout.write(text.replace("\r", ""))
        return 0
    marks = find_marks(text, pos)
    if args.marks:
        for name, first, last in marks:
            print("mark=%s first_line=%d last_line=%d" %
                  (name, first + 1, last + 1))
        return 0
    if not marks:
        print("gic-count: no @@VTC-MARK ...@@ in the pl011_write trace of "
              "%s (was pl011_write traced?)" % args.trace, file=sys.stderr)
        return 1
    try:
        wins = windows(marks)
    except ValueError as e:
        print("gic-count: %s" % e, file=sys.stderr)
        return 1
    if args.window:
        names = {w[0] for w in wins}
        missing = [n for n in args.window if n not in names]
        if missing:
            print("gic-count: no window %s" % " ".join(missing),
                  file=sys.stderr)
            return 1
        wins = [w for w in wins if w[0] in args.window]

    for name, begin, end in wins:
        c, detail = count(gic, begin, end, events)
        keys = events + ["total", "active", "isactiver", "icactiver",
                         "vcpu_if"]
        print("window=%s %s" % (name, " ".join("%s=%d" % (k, c[k])
                                                for k in keys)))
        if args.detail:
            for (ev, cpu, off, data), n in sorted(
                    detail.items(), key=lambda kv: (-kv[1], str(kv[0]))):
                print("# %s %s cpu=%s off=%s%s %d" % (
                    name, ev, cpu, "-" if off is None else "%#x" % off,
                    "" if data is None else " data=%#x" % data, n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
