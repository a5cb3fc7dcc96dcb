/* SPDX-License-Identifier: GPL-2.0-only */
/* vtimer-cache: the host's other livepatches (src/vtc_watch.c). */
#ifndef VTC_WATCH_H
#define VTC_WATCH_H

#include <linux/types.h>

struct klp_func;
struct klp_patch;

/* What the watch needs of vtc_main.c. */
struct vtc_watch_ops {
	/* this module's patch, if it is enabled and not in a transition */
	struct klp_patch *(*patch)(void);
	/* no other livepatch touches a watched function any more */
	void (*clear)(void);
	/* a cumulative patch (@by) replaced this module's patch */
	void (*replaced)(const char *by);
	/* patch @by, being enabled, patches @func, which a copy carries */
	void (*step_aside)(const char *by, const char *func);
};

int vtc_watch_funcs(const struct klp_func *funcs);
int vtc_watch_init(const struct vtc_watch_ops *ops);
void vtc_watch_exit(void);
int vtc_watch_refuse(struct klp_patch *self);
bool vtc_watch_clear(struct klp_patch *self);

#endif /* VTC_WATCH_H */
