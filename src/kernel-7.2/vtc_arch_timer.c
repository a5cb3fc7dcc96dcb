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
 *   kvm_arch_timer_handler   - the host acked the PPI: it is active now
 *   kvm_timer_vcpu_load_gic  - the write that may be skipped
 * Copied helpers: userspace_irqchip, set_timer_irq_phys_active.
 * kvm_timer_update_irq() is called, not copied: the cache does not depend
 * on the timer's level (docs/design.md).
 *
 * Non-exported symbols they use are looked up once at load time (see
 * vtc_mirror_syms[]) and reached through pointers; the #defines below keep
 * the copied text identical to the original.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/kvm.h>
#include <linux/kvm_host.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
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
static bool (*vtc_p_kvm_vgic_map_is_active)(struct kvm_vcpu *vcpu,
					    unsigned int vintid);
static void (*vtc_p_kvm_timer_update_irq)(struct kvm_vcpu *vcpu,
					  bool new_level,
					  struct arch_timer_context *timer_ctx);
static struct vgic_global *vtc_p_kvm_vgic_global_state;

static const struct vtc_sym vtc_mirror_syms[] = {
	{ "host_vtimer_irq", &vtc_p_host_vtimer_irq },
	{ "host_ptimer_irq", &vtc_p_host_ptimer_irq },
	{ "has_gic_active_state", &vtc_p_has_gic_active_state },
	{ "kvm_timer_pending", &vtc_p_kvm_timer_pending },
	{ "get_timer_map", &vtc_p_get_timer_map },
	{ "kvm_vgic_map_is_active", &vtc_p_kvm_vgic_map_is_active },
	{ "kvm_timer_update_irq", &vtc_p_kvm_timer_update_irq },
	{ "kvm_vgic_global_state", &vtc_p_kvm_vgic_global_state },
};

#define host_vtimer_irq			(*vtc_p_host_vtimer_irq)
#define kvm_timer_pending(c)		vtc_p_kvm_timer_pending(c)
#define get_timer_map(v, m)		vtc_p_get_timer_map(v, m)
#define kvm_vgic_map_is_active(v, i)	vtc_p_kvm_vgic_map_is_active(v, i)
#define kvm_timer_update_irq(v, l, c)	vtc_p_kvm_timer_update_irq(v, l, c)

/* VTC-MIRROR BEGIN userspace_irqchip */
static inline bool userspace_irqchip(struct kvm *kvm)
{
	return unlikely(!irqchip_in_kernel(kvm));
}
/* VTC-MIRROR END */

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


/* VTC-MIRROR BEGIN set_timer_irq_phys_active */
static inline void set_timer_irq_phys_active(struct arch_timer_context *ctx, bool active)
{
	int r = vtc_set_irq_phys_active(ctx, active); /* vtc: cached write */

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
