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
#include <linux/jump_label.h>
#include <linux/kvm_host.h>
#include <linux/types.h>

#include <asm/kvm_emulate.h>
#include <kvm/arm_arch_timer.h>

#include "vtc_state.h"
#include "vtc_trace.h"

extern bool vtc_verify;
extern bool vtc_diag;
DECLARE_STATIC_KEY_FALSE(vtc_checks);

/* The host irq numbers of the direct timer PPIs (0 if there is none). */
extern unsigned int vtc_host_irq[VTC_NR_TIMERS];

int vtc_core_init(unsigned int vtimer_irq, unsigned int ptimer_irq);

static inline int vtc_timer_index(unsigned int irq)
{
	if (likely(irq == vtc_host_irq[0]))
		return 0;
	if (irq && irq == vtc_host_irq[1])
		return 1;
	return -1;
}

void vtc_inval(struct vtc_pcpu *p, enum vtc_inval why);
int vtc_load_issue(struct kvm_vcpu *vcpu, struct vtc_pcpu *p,
		   unsigned long gen, int t, bool active);
int vtc_load_checked(struct kvm_vcpu *vcpu, struct vtc_pcpu *p,
		     unsigned long gen, int t, bool active);

/*
 * The cached irq_set_irqchip_state(irq, ACTIVE, active) of
 * kvm_timer_vcpu_load_gic() for direct timer @t of @vcpu, which the copy of
 * kvm_timer_vcpu_load() inlines for the direct vtimer first, then for the
 * direct ptimer (VHE), with preemption disabled. Interrupts are off from
 * the decision to the update, so that the host cannot take the PPI (and
 * learn) in between on this CPU. Inline, as the native series' test is:
 * what a skip costs here is the load's whole saving. A load is counted
 * by its vtimer decision (skipped[0] + issued[0], vtc_stats.c), not by a
 * counter of its own.
 */
static __always_inline int __vtc_load_timer(struct kvm_vcpu *vcpu,
					    bool active, const int t)
{
	struct vtc_pcpu *p;
	unsigned long flags, gen;
	int ret = 0;

	local_irq_save(flags);
	p = this_cpu_ptr(vtc_pcpu);
	gen = vtc_trust_gen(&vtc_shared->trust);
	/* Once per load: the vtimer is always programmed first. */
	if (t == 0 && unlikely(vtc_cache_load_begin(&p->hw, gen,
						    vcpu_has_nv(vcpu))))
		vtc_inval(p, VTC_INV_NESTED);
	if (static_branch_unlikely(&vtc_checks)) {
		ret = vtc_load_checked(vcpu, p, gen, t, active);
	} else if (vtc_cache_may_skip(gen, &p->hw, t, active)) {
		p->stats.skipped[t]++;
		/* gcc keeps trace_vtc_skip() out of line: test its key here */
		if (trace_vtc_skip_enabled())
			trace_vtc_skip(t, vcpu->vcpu_id, active);
	} else {
		ret = vtc_load_issue(vcpu, p, gen, t, active);
	}
	local_irq_restore(flags);
	return ret;
}

/* One inlined decision per timer, each with its index a constant. */
static __always_inline int vtc_load_timer(struct kvm_vcpu *vcpu,
					  struct arch_timer_context *ctx,
					  bool active)
{
	switch (vtc_timer_index(ctx->host_timer_irq)) {
	case 0:
		return __vtc_load_timer(vcpu, active, 0);
	case 1:
		return __vtc_load_timer(vcpu, active, 1);
	default:
		return irq_set_irqchip_state(ctx->host_timer_irq,
					     IRQCHIP_STATE_ACTIVE, active);
	}
}

/* From the patched copies (src/mirror/). */
void vtc_host_ack(unsigned int irq);
void __vtc_lr_folded(struct kvm_vcpu *vcpu, u32 pintid, bool pseudo,
		     bool deactivated);

/*
 * The fold of a list register (vtc_core.c): inline, so that an LR without
 * the HW bit (every SGI, LPI and software interrupt) costs a test.
 */
static __always_inline void vtc_lr_folded(struct kvm_vcpu *vcpu, bool hw,
					  u32 pintid, bool pseudo,
					  bool deactivated)
{
	if (hw)
		__vtc_lr_folded(vcpu, pintid, pseudo, deactivated);
}
int vtc_active_written(unsigned int irq, enum irqchip_irq_state which,
		       bool val, int ret);
void vtc_cpu_forget(enum vtc_inval why);

/* From the counting probes, while the patch is off. */
void vtc_count_stock_write(unsigned int irq, bool val);
void vtc_count_stock_load(void);

/* From the klp callbacks. */
void vtc_trust(bool on);
void vtc_trust_off(enum vtc_inval why);

#endif /* VTC_CORE_H */
