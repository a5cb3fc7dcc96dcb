#!/usr/bin/env python3
"""Address map for the cost plugin (tools/cost/vtc-cost.c), from System.map.

    addrmap.py SYSTEM_MAP > ADDR.map

- module: the arm64 module region, [0xffff800000000000, _text): module
  text (vtimer_cache.ko: its klp replacement functions and fprobe
  handlers) is loaded there.
- ftrace: every text symbol of the ftrace / function-graph / fprobe /
  rethook / klp machinery that a traced or live-patched call runs through
  (FTRACE_RE), as [address, next symbol's address).
- entry: the symbols whose entries are counted; kvm_timer_vcpu_load is the
  load symbol (its window of execution is the "load" category).
- gic: QEMU virt's GIC MMIO ranges (hw/arm/virt.c, QEMU 7.2).
- stack: THREAD_SIZE, 16K on arm64 with 4K pages and no KASAN (the test
  kernel: CONFIG_VMAP_STACK, stacks THREAD_SIZE-aligned); 32K with KASAN.
"""
import re
import sys

MODULES_VADDR = 0xFFFF800000000000

FTRACE_RE = re.compile(
    r"^(ftrace_caller\w*|ftrace_stub\w*|ftrace_ops_\w*func|arch_ftrace_ops_list_func"
    r"|ftrace_pid_func|prepare_ftrace_return|ftrace_graph_func|ftrace_return_to_handler"
    r"|return_to_handler|klp_ftrace_handler|function_graph\w*|fgraph\w*|ftrace_graph\w*"
    r"|__fgraph\w*|fprobe\w*|__fprobe\w*|rethook\w*|__rethook\w*|arch_rethook\w*)"
    r"(\.(isra|constprop|part|cold)\.\d+)*$")

# (name, role): counted entries; the first is the load symbol.
ENTRIES = [
    ("kvm_timer_vcpu_load", "load"),
    ("kvm_timer_vcpu_put", ""),
    ("kvm_timer_vcpu_load_gic", ""),
    ("irq_set_irqchip_state", ""),
    ("handle_exit", ""),  # arch/arm64/kvm/handle_exit.c: once per guest exit, VHE and nVHE
    ("kvm_arch_vcpu_ioctl_run", ""),
    ("kvm_arch_vcpu_load", ""),
    ("kvm_arch_vcpu_put", ""),
    ("kvm_sched_in", ""),
    ("kvm_sched_out", ""),
    ("kvm_vcpu_wfi", ""),
    ("kvm_arch_timer_handler", ""),
    # the folds of the LRs, per exit (the real guest's attributed figure)
    ("vgic_v3_fold_lr", ""),
    ("vgic_v2_fold_lr", ""),
    ("kvm_timer_update_irq", ""),
    ("kvm_arch_timer_get_input_level", ""),
    ("klp_ftrace_handler", ""),
    # IRQ scope: whatever runs on the IRQ stack (handlers, softirqs)
    ("call_on_irq_stack", "irq"),
    # noise: host timer ticks, softirqs, context switches
    ("hrtimer_interrupt", ""),
    ("tick_nohz_handler", ""),
    ("handle_softirqs", ""),
    ("__schedule", ""),
]

# QEMU 7.2 virt (hw/arm/virt.c base_memmap): name, base, size.
GIC = [
    ("gicd", 0x08000000, 0x00010000),
    ("gicc", 0x08010000, 0x00010000),
    ("gich", 0x08030000, 0x00010000),
    ("gicv", 0x08040000, 0x00010000),
    ("gits", 0x08080000, 0x00020000),
    ("gicr", 0x080A0000, 0x00F60000),
]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: addrmap.py SYSTEM_MAP")
    syms = []
    for line in open(sys.argv[1]):
        parts = line.split()
        if len(parts) < 3 or parts[1] not in "tTwW":
            continue
        syms.append((int(parts[0], 16), parts[2]))
    syms.sort()
    addrs = sorted({a for a, _ in syms})
    nxt = {a: b for a, b in zip(addrs, addrs[1:])}
    byname = {}
    for a, n in syms:
        byname.setdefault(n, []).append(a)

    text = byname.get("_text")
    if not text:
        sys.exit("addrmap.py: no _text in System.map")
    print("# vtc-cost address map from %s" % sys.argv[1])
    print("module 0x%x 0x%x" % (MODULES_VADDR, text[0]))
    seen = set()
    names = []
    for a, n in syms:
        if FTRACE_RE.match(n) and a not in seen and a in nxt:
            seen.add(a)
            aliases = [m for b, m in syms if b == a]
            print("ftrace 0x%x 0x%x %s" % (a, nxt[a], "=".join(aliases)))
            names.append(n)
    for n, role in ENTRIES:
        a = byname.get(n)
        if not a:
            print("# entry %s: not in System.map" % n)
            continue
        if len(a) > 1:
            sys.exit("addrmap.py: %s is defined %d times" % (n, len(a)))
        print("entry 0x%x %s%s" % (a[0], n, " " + role if role else ""))
    stack = 16384
    try:
        cfg = open(sys.argv[1].rsplit("/", 1)[0] + "/.config").read()
        if "\nCONFIG_KASAN=y" in cfg:
            stack = 32768
    except OSError:
        pass
    print("stack %d" % stack)
    for n, base, size in GIC:
        print("gic %s 0x%x 0x%x" % (n, base, base + size))
    print("# %d ftrace symbols" % len(names), file=sys.stderr)


if __name__ == "__main__":
    main()
