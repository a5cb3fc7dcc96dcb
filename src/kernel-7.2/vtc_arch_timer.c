// SPDX-License-Identifier: GPL-2.0-only
/*
 * vtimer-cache mirror of arch/arm64/kvm/arch_timer.c
 * Release: Linux 7.2.13 (Debian linux-source-7.2 7.2.13-1)
 *
 * Copyright (C) 2012 ARM Ltd.
 * Author: Marc Zyngier <marc.zyngier@arm.com>
 *
 * Copies of the functions the klp patch replaces, and of the static inline
 * helpers they need. Each copy is the 7.2.13 text, changed only where a line
 * is marked "vtc:". `make klp-diff` prints the delta against the original.
 *
 * Replaced (out-of-line in a gcc-12 build of 7.2, checked at load time by
 * klp itself: an inlined target is "not found" and the load fails):
 *   kvm_arch_timer_handler   - the host acked the PPI: forget the cache
 *   kvm_timer_update_irq     - a level change: forget the cache (as in 2016)
 *   kvm_timer_vcpu_load_gic  - the write that may be skipped
 * Copied helpers: userspace_irqchip, timer_set_ctl, kvm_timer_update_status,
 * set_timer_irq_phys_active.
 *
 * Non-exported symbols they use are looked up once at load time (see
 * vtc_mirror_syms[]) and reached through pointers; the #defines below keep
 * the copied text identical to the original.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

/*
 * kvm_vcpu_apply_reg_masks() is called from inline helpers of the KVM
 * headers (__vcpu_sys_reg() with NV), so it is redirected before the
 * includes: its prototype there then declares our pointer instead.
 */
#define kvm_vcpu_apply_reg_masks (*vtc_p_kvm_vcpu_apply_reg_masks)

#include <linux/cpu.h>
#include <linux/kvm.h>
#include <linux/kvm_host.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>

#include <clocksource/arm_arch_timer.h>
#include <asm/arch_timer.h>
#include <asm/kvm_emulate.h>
#include <asm/kvm_hyp.h>
#include <asm/kvm_nested.h>

#include <kvm/arm_vgic.h>
#include <kvm/arm_arch_timer.h>

#include "vtc.h"


/* Non-exported symbols of vmlinux, resolved by vtc_mirror_init(). */
static unsigned int *vtc_p_host_vtimer_irq;
static unsigned int *vtc_p_host_ptimer_irq;
static struct static_key_false *vtc_p_has_gic_active_state;
static bool (*vtc_p_kvm_timer_pending)(struct arch_timer_context *timer_ctx);
static void (*vtc_p_get_timer_map)(struct kvm_vcpu *vcpu,
				   struct timer_map *map);
static u32 (*vtc_p_timer_get_ctl)(struct arch_timer_context *ctxt);
static bool (*vtc_p_kvm_vgic_map_is_active)(struct kvm_vcpu *vcpu,
					    unsigned int vintid);
static int (*vtc_p_kvm_vgic_inject_irq)(struct kvm *kvm, struct kvm_vcpu *vcpu,
					unsigned int intid, bool level,
					void *owner);
static struct vgic_global *vtc_p_kvm_vgic_global_state;
static struct tracepoint *vtc_p_tp_kvm_timer_update_irq;
static void (*vtc_p_traceiter_kvm_timer_update_irq)(void *data,
						    unsigned long vcpu_id,
						    __u32 irq, int level);

static const struct vtc_sym vtc_mirror_syms[] = {
	{ "host_vtimer_irq", &vtc_p_host_vtimer_irq },
	{ "host_ptimer_irq", &vtc_p_host_ptimer_irq },
	{ "has_gic_active_state", &vtc_p_has_gic_active_state },
	{ "kvm_timer_pending", &vtc_p_kvm_timer_pending },
	{ "get_timer_map", &vtc_p_get_timer_map },
	{ "timer_get_ctl", &vtc_p_timer_get_ctl },
	{ "kvm_vgic_map_is_active", &vtc_p_kvm_vgic_map_is_active },
	{ "kvm_vgic_inject_irq", &vtc_p_kvm_vgic_inject_irq },
	{ "kvm_vcpu_apply_reg_masks", &vtc_p_kvm_vcpu_apply_reg_masks },
	{ "kvm_vgic_global_state", &vtc_p_kvm_vgic_global_state },
	{ "__tracepoint_kvm_timer_update_irq", &vtc_p_tp_kvm_timer_update_irq },
	{ "__traceiter_kvm_timer_update_irq",
	  &vtc_p_traceiter_kvm_timer_update_irq },
};

#define host_vtimer_irq			(*vtc_p_host_vtimer_irq)
#define kvm_timer_pending(c)		vtc_p_kvm_timer_pending(c)
#define get_timer_map(v, m)		vtc_p_get_timer_map(v, m)
#define timer_get_ctl(c)		vtc_p_timer_get_ctl(c)
#define kvm_vgic_map_is_active(v, i)	vtc_p_kvm_vgic_map_is_active(v, i)
#define kvm_vgic_inject_irq(k, v, i, l, o) \
	vtc_p_kvm_vgic_inject_irq(k, v, i, l, o)

/*
 * The kernel's own kvm:kvm_timer_update_irq tracepoint, fired through its
 * iterator exactly as the inline trace_kvm_timer_update_irq() does, so that
 * tracing users see the same events with the patch on. (The inline itself
 * needs the tracepoint's address at link time, for its static branch.)
 */
static void vtc_trace_kvm_timer_update_irq(unsigned long vcpu_id, __u32 irq,
					   int level)
{
	if (static_key_enabled(&vtc_p_tp_kvm_timer_update_irq->key) &&
	    cpu_online(raw_smp_processor_id())) {
		guard(srcu_fast_notrace)(&tracepoint_srcu);
		vtc_p_traceiter_kvm_timer_update_irq(NULL, vcpu_id, irq, level);
	}
}

/* VTC-MIRROR BEGIN userspace_irqchip */
static inline bool userspace_irqchip(struct kvm *kvm)
{
	return unlikely(!irqchip_in_kernel(kvm));
}
/* VTC-MIRROR END */

/* VTC-MIRROR BEGIN timer_set_ctl */
static void timer_set_ctl(struct arch_timer_context *ctxt, u32 ctl)
{
	struct kvm_vcpu *vcpu = timer_context_to_vcpu(ctxt);

	switch(arch_timer_ctx_index(ctxt)) {
	case TIMER_VTIMER:
		__vcpu_assign_sys_reg(vcpu, CNTV_CTL_EL0, ctl);
		break;
	case TIMER_PTIMER:
		__vcpu_assign_sys_reg(vcpu, CNTP_CTL_EL0, ctl);
		break;
	case TIMER_HVTIMER:
		__vcpu_assign_sys_reg(vcpu, CNTHV_CTL_EL2, ctl);
		break;
	case TIMER_HPTIMER:
		__vcpu_assign_sys_reg(vcpu, CNTHP_CTL_EL2, ctl);
		break;
	default:
		WARN_ON(1);
	}
}
/* VTC-MIRROR END */

static void kvm_timer_update_irq(struct kvm_vcpu *vcpu, bool new_level,
				 struct arch_timer_context *timer_ctx);

/* VTC-MIRROR BEGIN kvm_arch_timer_handler */
static irqreturn_t kvm_arch_timer_handler(int irq, void *dev_id)
{
	struct kvm_vcpu *vcpu = *(struct kvm_vcpu **)dev_id;
	struct arch_timer_context *ctx;
	struct timer_map map;

	/* vtc: acked by the host: the PPI is active on this CPU now */
	vtc_host_ack(irq);

	/*
	 * We may see a timer interrupt after vcpu_put() has been called which
	 * sets the CPU's vcpu pointer to NULL, because even though the timer
	 * has been disabled in timer_save_state(), the hardware interrupt
	 * signal may not have been retired from the interrupt controller yet.
	 */
	if (!vcpu)
		return IRQ_HANDLED;

	get_timer_map(vcpu, &map);

	if (irq == host_vtimer_irq)
		ctx = map.direct_vtimer;
	else
		ctx = map.direct_ptimer;

	if (kvm_timer_pending(ctx))
		kvm_timer_update_irq(vcpu, true, ctx);

	if (userspace_irqchip(vcpu->kvm) &&
	    !static_key_enabled(vtc_p_has_gic_active_state)) /* vtc: via pointer */
		disable_percpu_irq(host_vtimer_irq);

	return IRQ_HANDLED;
}
/* VTC-MIRROR END */

/* VTC-MIRROR BEGIN kvm_timer_update_status */
static void kvm_timer_update_status(struct arch_timer_context *ctx, bool level)
{
	/*
	 * Paper over NV2 brokenness by publishing the interrupt status
	 * bit. This still results in a poor quality of emulation (guest
	 * writes will have no effect until the next exit).
	 *
	 * But hey, it's fast, right?
	 */
	struct kvm_vcpu *vcpu = timer_context_to_vcpu(ctx);
	if (is_hyp_ctxt(vcpu) &&
	    (ctx == vcpu_vtimer(vcpu) || ctx == vcpu_ptimer(vcpu))) {
		unsigned long val = timer_get_ctl(ctx);
		__assign_bit(__ffs(ARCH_TIMER_CTRL_IT_STAT), &val, level);
		timer_set_ctl(ctx, val);
	}
}
/* VTC-MIRROR END */

/* VTC-MIRROR BEGIN kvm_timer_update_irq */
static void kvm_timer_update_irq(struct kvm_vcpu *vcpu, bool new_level,
				 struct arch_timer_context *timer_ctx)
{
	kvm_timer_update_status(timer_ctx, new_level);

	/* vtc: a level change forgets the cache, as the 2016 patch did */
	vtc_timer_level(vcpu, timer_ctx, new_level);

	vtc_trace_kvm_timer_update_irq(vcpu->vcpu_id, timer_irq(timer_ctx), /* vtc: via pointer */
				   new_level);

	if (userspace_irqchip(vcpu->kvm))
		return;

	/* Skip injecting on GICv5 for directly injected (DVI'd) timers */
	if (vgic_is_v5(vcpu->kvm)) {
		struct timer_map map;

		get_timer_map(vcpu, &map);

		if (map.direct_ptimer == timer_ctx ||
		    map.direct_vtimer == timer_ctx)
			return;
	}

	kvm_vgic_inject_irq(vcpu->kvm, vcpu,
			    timer_irq(timer_ctx),
			    new_level,
			    timer_ctx);
}
/* VTC-MIRROR END */

/* VTC-MIRROR BEGIN set_timer_irq_phys_active */
static inline void set_timer_irq_phys_active(struct arch_timer_context *ctx, bool active)
{
	int r;
	r = vtc_set_irq_phys_active(ctx, active); /* vtc: cached write */
	WARN_ON(r);
}
/* VTC-MIRROR END */

/* VTC-MIRROR BEGIN kvm_timer_vcpu_load_gic */
static void kvm_timer_vcpu_load_gic(struct arch_timer_context *ctx)
{
	struct kvm_vcpu *vcpu = timer_context_to_vcpu(ctx);
	bool pending = kvm_timer_pending(ctx);
	bool phys_active = false;

	/*
	 * Update the timer output so that it is likely to match the
	 * state we're about to restore. If the timer expires between
	 * this point and the register restoration, we'll take the
	 * interrupt anyway.
	 */
	kvm_timer_update_irq(vcpu, pending, ctx);

	if (irqchip_in_kernel(vcpu->kvm))
		phys_active = kvm_vgic_map_is_active(vcpu, timer_irq(ctx));

	phys_active |= pending;
	phys_active |= vgic_is_v5(vcpu->kvm);

	set_timer_irq_phys_active(ctx, phys_active);
}
/* VTC-MIRROR END */

static struct klp_func vtc_mirror_funcs[] = {
	{
		.old_name = "kvm_timer_vcpu_load_gic",
		.new_func = kvm_timer_vcpu_load_gic,
	}, {
		.old_name = "kvm_timer_update_irq",
		.new_func = kvm_timer_update_irq,
	}, {
		.old_name = "kvm_arch_timer_handler",
		.new_func = kvm_arch_timer_handler,
	}, { }
};

static int vtc_mirror_init(void)
{
	int ret;

	ret = vtc_syms_resolve(vtc_mirror_syms, ARRAY_SIZE(vtc_mirror_syms));
	if (ret)
		return ret;

	/*
	 * Without hardware deactivation (e.g. Apple M1), "active" is emulated
	 * by masking the PPI and the guest's EOI does not reach the GIC: the
	 * argument in docs/design.md does not hold there.
	 */
	if (vtc_p_kvm_vgic_global_state->no_hw_deactivation) {
		pr_err("this GIC has no hardware deactivation of forwarded interrupts: not supported, refusing to load\n");
		return -ENODEV;
	}
	if (!static_key_enabled(vtc_p_has_gic_active_state)) {
		pr_err("KVM does not program the timer's active state on this host (no GIC): nothing to cache, refusing to load\n");
		return -ENODEV;
	}

	vtc_host_irq[0] = *vtc_p_host_vtimer_irq;
	vtc_host_irq[1] = *vtc_p_host_ptimer_irq;
	return 0;
}

const struct vtc_mirror vtc_mirror = {
	.release	= "7.2.13",
	.source		= "arch/arm64/kvm/arch_timer.c",
	.funcs		= vtc_mirror_funcs,
	.nr_funcs	= ARRAY_SIZE(vtc_mirror_funcs) - 1,
	.init		= vtc_mirror_init,
};
