// SPDX-License-Identifier: GPL-2.0-only
/*
 * vtimer-cache: load-time lookup of non-exported vmlinux symbols.
 *
 * arm64 KVM exports almost nothing the mirrored functions call. Since 5.7
 * no kallsyms lookup is exported to modules either, so the address of
 * kallsyms_on_each_match_symbol() is taken from a kprobe that is
 * registered and unregistered at once (it never fires), and every symbol is
 * then required to exist exactly once in vmlinux. A missing or ambiguous
 * symbol fails the load with a message naming it, before anything has been
 * registered.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kallsyms.h>
#include <linux/kprobes.h>

#include "vtc_syms.h"

typedef int (*vtc_each_match_fn)(int (*fn)(void *, unsigned long),
				 const char *name, void *data);
typedef int (*vtc_size_fn)(unsigned long addr, unsigned long *size,
			   unsigned long *offset);

static vtc_each_match_fn vtc_each_match;
static vtc_size_fn vtc_lookup_size_offset;

static unsigned long vtc_kprobe_addr(const char *name)
{
	struct kprobe kp = { .symbol_name = name };
	unsigned long addr;

	if (register_kprobe(&kp) < 0)
		return 0;
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
	return addr;
}

struct vtc_match {
	unsigned long addr;
	int count;
};

static int vtc_match_cb(void *data, unsigned long addr)
{
	struct vtc_match *m = data;

	m->count++;
	m->addr = addr;
	return 0;
}

static int vtc_syms_bootstrap(void)
{
	if (vtc_each_match)
		return 0;

	vtc_each_match = (vtc_each_match_fn)
		vtc_kprobe_addr("kallsyms_on_each_match_symbol");
	vtc_lookup_size_offset = (vtc_size_fn)
		vtc_kprobe_addr("kallsyms_lookup_size_offset");
	if (!vtc_each_match || !vtc_lookup_size_offset) {
		pr_err("cannot find kallsyms_on_each_match_symbol or kallsyms_lookup_size_offset (needs CONFIG_KPROBES and CONFIG_KALLSYMS)\n");
		vtc_each_match = NULL;
		return -ENOENT;
	}
	return 0;
}

int vtc_syms_resolve(const struct vtc_sym *syms, int n)
{
	struct vtc_match m;
	int i, ret;

	ret = vtc_syms_bootstrap();
	if (ret)
		return ret;

	for (i = 0; i < n; i++) {
		m.addr = 0;
		m.count = 0;
		vtc_each_match(vtc_match_cb, syms[i].name, &m);
		if (!m.count) {
			pr_err("symbol '%s' not found in vmlinux: this kernel does not match the module\n",
			       syms[i].name);
			return -ENOENT;
		}
		if (m.count > 1) {
			pr_err("symbol '%s' is ambiguous in vmlinux (%d definitions)\n",
			       syms[i].name, m.count);
			return -EINVAL;
		}
		*(unsigned long *)syms[i].addr = m.addr;
	}
	return 0;
}

/* Address of a vmlinux symbol, or 0 if it is not there exactly once. */
unsigned long vtc_sym_addr(const char *name)
{
	struct vtc_match m = { };

	if (vtc_syms_bootstrap())
		return 0;
	vtc_each_match(vtc_match_cb, name, &m);
	return m.count == 1 ? m.addr : 0;
}

/* Size of a vmlinux function, or 0 if it is not there exactly once. */
unsigned long vtc_sym_size(const char *name)
{
	unsigned long size = 0, offset = 0;
	unsigned long addr = vtc_sym_addr(name);

	if (!addr || !vtc_lookup_size_offset(addr, &size, &offset) || offset)
		return 0;
	return size;
}
