/* SPDX-License-Identifier: GPL-2.0-only */
/* vtimer-cache: probes and callbacks outside the patched functions. */
#ifndef VTC_PROBE_H
#define VTC_PROBE_H

int vtc_probes_init(void);
void vtc_probes_exit(void);
int vtc_counting_start(void);
void vtc_counting_stop(void);
unsigned long vtc_counting_missed(void);

#endif /* VTC_PROBE_H */
