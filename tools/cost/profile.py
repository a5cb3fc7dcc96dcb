#!/usr/bin/env python3
"""Name the cost plugin's profile (vtc-cost.so profile=FILE) with System.map.

    profile.py PROFILE SYSTEM_MAP [--windows N,M..] [--per X] [--top N]
    profile.py PROFILE SYSTEM_MAP --diff A B [--top N]
    ... [--ko MODULE.ko --ko-text ADDR]

The profile has, per window and TB start address, the instructions
counted, by category (load module ftrace other). A TB is named after the
text symbol it starts in (module code: "[module]"). --windows sums those
windows (default all); --per divides by X (say, the exits of those
windows); --diff lists the symbols whose instructions differ most between
windows A and B (where two repeats' counts part). --ko and --ko-text (the
"cost-info module_text=" line of the run's guest log) name the module's
TBs after its own functions ("[module] NAME").
"""
import argparse
import bisect
import subprocess

MODULES = (0xFFFF800000000000, 0xFFFF800080000000)
CATS = ["load", "module", "ftrace", "other"]


def load(path):
    wins = {}
    cur = None
    for line in open(path):
        if line.startswith("#"):
            continue
        p = line.split()
        if p[0] == "window":
            cur = wins.setdefault(int(p[1]), [])
            continue
        cur.append((int(p[0], 16), [int(x) for x in p[1:5]]))
    return wins


def ko_syms(ko, text):
    """The .text functions of module @ko, at their addresses once loaded."""
    out = subprocess.run(["nm", "--defined-only", ko], capture_output=True, text=True,
                         check=True).stdout
    syms = []
    for line in out.splitlines():
        p = line.split()
        if len(p) == 3 and p[1] in "tT":
            syms.append((text + int(p[0], 16), p[2]))
    return sorted(syms)


def namer(system_map, ko=None, ko_text=0):
    msyms = ko_syms(ko, ko_text) if ko else []
    maddrs = [s[0] for s in msyms]
    syms = []
    for line in open(system_map):
        p = line.split()
        if len(p) >= 3 and p[1] in "tTwW":
            syms.append((int(p[0], 16), p[2]))
    syms.sort()
    addrs = [s[0] for s in syms]

    def name(pc):
        if MODULES[0] <= pc < MODULES[1]:
            i = bisect.bisect_right(maddrs, pc) - 1
            return "[module] " + msyms[i][1] if i >= 0 else "[module]"
        i = bisect.bisect_right(addrs, pc) - 1
        return syms[i][1] if i >= 0 else "?"
    return name


def by_symbol(rows, name):
    tot = {}
    for pc, n in rows:
        t = tot.setdefault(name(pc), [0, 0, 0, 0])
        for k in range(4):
            t[k] += n[k]
    return tot


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("profile")
    ap.add_argument("system_map")
    ap.add_argument("--windows")
    ap.add_argument("--diff", nargs=2, type=int)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--per", type=float, default=1.0)
    ap.add_argument("--ko")
    ap.add_argument("--ko-text", type=lambda x: int(x, 0), default=0)
    a = ap.parse_args()
    wins = load(a.profile)
    name = namer(a.system_map, a.ko, a.ko_text)
    if a.diff:
        x = by_symbol(wins[a.diff[0]], name)
        y = by_symbol(wins[a.diff[1]], name)
        keys = set(x) | set(y)
        d = sorted(keys, key=lambda k: -abs(sum(y.get(k, [0] * 4)) - sum(x.get(k, [0] * 4))))
        sx = sum(sum(v) for v in x.values())
        sy = sum(sum(v) for v in y.values())
        print("window %d: %d, window %d: %d, difference %d (%.3f%%)" %
              (a.diff[0], sx, a.diff[1], sy, sy - sx, 100.0 * (sy - sx) / sx if sx else 0))
        print("%-48s %12s %12s %10s" % ("symbol", "A", "B", "B-A"))
        for k in d[: a.top]:
            p, q = sum(x.get(k, [0] * 4)), sum(y.get(k, [0] * 4))
            print("%-48s %12d %12d %10d" % (k[:48], p, q, q - p))
        return
    sel = wins.keys() if not a.windows else [int(w) for w in a.windows.split(",")]
    rows = [r for w in sel for r in wins.get(w, [])]
    tot = by_symbol(rows, name)
    grand = sum(sum(v) for v in tot.values())
    print("%-48s %12s %6s  %s" % ("symbol", "insns", "%", " ".join("%10s" % c for c in CATS)))
    for k, v in sorted(tot.items(), key=lambda kv: -sum(kv[1]))[: a.top]:
        s = sum(v)
        print("%-48s %12.1f %6.2f  %s" % (k[:48], s / a.per, 100.0 * s / grand if grand else 0,
                                         " ".join("%10.1f" % (x / a.per) for x in v)))
    print("%-48s %12.1f" % ("total", grand / a.per))


if __name__ == "__main__":
    main()
