#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Where are the emulated host's CPUs? Asks QEMU's monitor for every vCPU's
registers and names PC and LR from the kernel's System.map. run.sh calls it
when the console shows an RCU stall or a hard lockup, and just before its
timeout, so that a CPU spinning with interrupts off (which answers no
backtrace IPI) is still located.

With a third argument it also has QEMU log one second of exceptions
(-d int: ESR, ELR and FAR of each) into that file, which tells a CPU
looping in an exception handler from one spinning on a lock.

usage: cpu-state.py MONITOR_SOCKET SYSTEM_MAP [EXCEPTION_LOG]
"""
import bisect
import re
import socket
import sys
import time


def monitor(path, cmd):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    out = b""
    time.sleep(0.3)
    s.sendall(cmd.encode() + b"\n")
    end = time.time() + 10
    while time.time() < end:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        out += chunk
        if out.rstrip().endswith(b"(qemu)") and (b"PC=" in out or not cmd.startswith("info")):
            break
    s.close()
    return out.decode(errors="replace")


def load_map(path):
    syms = []
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[1] in "tTwW":
                    syms.append((int(parts[0], 16), parts[2]))
    except OSError:
        pass
    syms.sort()
    return syms


def name(syms, addrs, a):
    i = bisect.bisect_right(addrs, a) - 1
    if i < 0 or a - syms[i][0] > 0x100000:
        return "?"
    return "%s+%#x" % (syms[i][1], a - syms[i][0])


def main():
    out = monitor(sys.argv[1], "info registers -a")
    syms = load_map(sys.argv[2])
    addrs = [a for a, _ in syms]
    cpu = -1
    for line in out.splitlines():
        m = re.match(r"\s*CPU#(\d+)", line)
        if m:
            cpu = int(m.group(1))
        for reg in ("PC", "X30"):
            m = re.search(r"\b%s=([0-9a-f]{16})" % reg, line)
            if m:
                a = int(m.group(1), 16)
                print("cpu%d %s=%016x %s" % (cpu, "LR" if reg == "X30" else reg,
                                             a, name(syms, addrs, a)))
        m = re.search(r"PSTATE=([0-9a-f]+)", line)
        if m:
            p = int(m.group(1), 16)
            print("cpu%d PSTATE=%s EL%d irqs %s" % (cpu, m.group(1), (p >> 2) & 3,
                                                   "masked" if p & 0x80 else "on"))
    if len(sys.argv) < 4:
        return
    # The registers as QEMU printed them, then a second of exceptions with
    # the addresses they name.
    print("--- info registers -a")
    print(out)
    monitor(sys.argv[1], "logfile " + sys.argv[3])
    monitor(sys.argv[1], "log int")
    time.sleep(1)
    monitor(sys.argv[1], "log none")
    print("--- exceptions (QEMU -d int, 1 s): %s" % sys.argv[3])
    seen = {}
    try:
        with open(sys.argv[3], errors="replace") as f:
            for line in f:
                for m in re.finditer(r"(ELR|FAR|PC)[ _=:]*(?:0x)?([0-9a-f]{16})", line):
                    a = int(m.group(2), 16)
                    key = (m.group(1), a)
                    seen[key] = seen.get(key, 0) + 1
    except OSError as e:
        print("cannot read: %s" % e)
    for (reg, a), n in sorted(seen.items(), key=lambda kv: -kv[1])[:20]:
        print("%6d x %s=%016x %s" % (n, reg, a, name(syms, addrs, a)))


if __name__ == "__main__":
    main()
