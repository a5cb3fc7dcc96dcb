/* SPDX-License-Identifier: GPL-2.0-only */
/* vtimer-cache: the statistics files (debugfs stats, vcpus; sysfs stats/). */
#ifndef VTC_STATS_H
#define VTC_STATS_H

#include <linux/types.h>

struct dentry;

/* What the stats file shows of the layers above it. */
struct vtc_stats_src {
	const char *(*patch_state)(void);	/* enabled, disabled, ... */
	const char *(*replaced_by)(void);	/* the patch that replaced it */
	unsigned long (*probe_missed)(void);	/* counting probes' misses */
};

void vtc_stats_debugfs_init(struct dentry *dir,
			    const struct vtc_stats_src *src);
int vtc_stats_sysfs_init(const struct vtc_stats_src *src);
void vtc_stats_sysfs_exit(void);
int vtc_read_word(const char __user *ubuf, size_t count, char *buf,
		  size_t size);

#endif /* VTC_STATS_H */
