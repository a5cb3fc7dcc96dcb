/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vtimer-cache: what each mirror (src/mirror/, a copy of functions of one
 * kernel source file) gives the klp patch. src/mirror/releases says which
 * mirror files a release builds; vtc_main.c registers their functions.
 */
#ifndef VTC_MIRROR_H
#define VTC_MIRROR_H

#include <linux/livepatch.h>

struct vtc_mirror {
	const char *source;		/* the kernel file it copies from */
	struct klp_func *funcs;		/* replaced functions, { } ended */
	int (*init)(void);		/* resolve symbols, check the host */
};

extern const struct vtc_mirror vtc_mirror_arch_timer;	/* arch_timer.c */
extern const struct vtc_mirror vtc_mirror_vgic_v3;	/* vgic-v3.c */
extern const struct vtc_mirror vtc_mirror_vgic_v2;	/* vgic-v2.c */
extern const struct vtc_mirror vtc_mirror_irq;		/* irq-<series>.c */

#endif /* VTC_MIRROR_H */
