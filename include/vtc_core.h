/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vtimer-cache core: the cached write and every place the cache learns or
 * forgets, called from the patched copies of kernel functions
 * (src/mirror/) and from the module's callbacks. Above the shared state
 * (vtc_state.h), below everything else.
 */
#ifndef VTC_CORE_H
#define VTC_CORE_H

#include <linux/irq.h>
#include <linux/types.h>

#include "vtc_state.h"

struct arch_timer_context;
struct kvm_vcpu;

extern bool vtc_verify;
extern bool vtc_diag;

/* The host irq numbers of the direct timer PPIs (0 if there is none). */
extern unsigned int vtc_host_irq[VTC_NR_TIMERS];

int vtc_core_init(unsigned int vtimer_irq, unsigned int ptimer_irq);

/* From the patched copies (src/mirror/). */
int vtc_load_timer(struct arch_timer_context *ctx, bool active);
void vtc_host_ack(unsigned int irq);
void vtc_lr_folded(struct kvm_vcpu *vcpu, bool hw, u32 pintid, bool pseudo,
		   bool deactivated);
int vtc_active_written(unsigned int irq, enum irqchip_irq_state which,
		       bool val, int ret);
void vtc_cpu_forget(enum vtc_inval why);

/* From the counting probes, while the patch is off. */
int vtc_timer_index(unsigned int irq);
void vtc_count_stock_write(unsigned int irq, bool val);
void vtc_count_stock_load(void);

/* From the klp callbacks. */
void vtc_trust(bool on);
void vtc_trust_off(enum vtc_inval why);

/* Stable attachment points for bpftrace and kprobes (scripts/vtc-*.bt). */
noinline __noipa void vtc_hook_skip(int cpu, int timer, int vcpu_id);
noinline __noipa void vtc_hook_issue(int cpu, int timer, int vcpu_id,
				    int active);
noinline __noipa void vtc_hook_invalidate(int cpu, int reason);

#endif /* VTC_CORE_H */
