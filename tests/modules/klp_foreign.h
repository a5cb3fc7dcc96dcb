/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the foreign test livepatches (klp_foreign_*.c) share: a
 * non-cumulative klp patch of one vmlinux function, and the lookup at init
 * of the non-exported symbols their stock copies use, through
 * kallsyms_lookup_name(), whose address a kprobe registered and
 * unregistered at once gives (it never fires).
 */
#ifndef KLP_FOREIGN_H
#define KLP_FOREIGN_H

#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/livepatch.h>
#include <linux/module.h>

struct klp_foreign_sym {
	const char *name;
	void *addr;		/* where the address goes */
};

static unsigned long __init klp_foreign_lookup(const char *name)
{
	static unsigned long (*lookup_name)(const char *name);
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };

	if (!lookup_name) {
		if (register_kprobe(&kp) < 0)
			return 0;
		lookup_name = (void *)kp.addr;
		unregister_kprobe(&kp);
	}
	return lookup_name(name);
}

/* Resolve @n symbols, then say @what and enable @patch. */
static int __init klp_foreign_enable(const struct klp_foreign_sym *syms,
				     int n, const char *what,
				     struct klp_patch *patch)
{
	unsigned long addr;
	int i;

	for (i = 0; i < n; i++) {
		addr = klp_foreign_lookup(syms[i].name);
		if (!addr) {
			pr_err("symbol '%s' not found\n", syms[i].name);
			return -ENOENT;
		}
		*(unsigned long *)syms[i].addr = addr;
	}
	pr_info("%s\n", what);
	return klp_enable_patch(patch);
}

/* The patch: vmlinux's @old_name replaced by @new. */
#define KLP_FOREIGN_PATCH(old_name_, new_)				\
static struct klp_func klp_foreign_funcs[] = {				\
	{ .old_name = old_name_, .new_func = new_ }, { }		\
};									\
static struct klp_object klp_foreign_objs[] = {				\
	{ .funcs = klp_foreign_funcs /* name NULL: vmlinux */ }, { }	\
};									\
static struct klp_patch klp_foreign_patch = {				\
	.mod = THIS_MODULE,						\
	.objs = klp_foreign_objs,					\
}

#endif /* KLP_FOREIGN_H */
