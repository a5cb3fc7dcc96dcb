/* SPDX-License-Identifier: GPL-2.0-only */
/* vtimer-cache: load-time lookup of non-exported vmlinux symbols. */
#ifndef VTC_SYMS_H
#define VTC_SYMS_H

struct vtc_sym {
	const char *name;
	void *addr;		/* where to store the address */
};

int vtc_syms_resolve(const struct vtc_sym *syms, int n);
unsigned long vtc_sym_addr(const char *name);
unsigned long vtc_sym_size(const char *name);

#endif /* VTC_SYMS_H */
