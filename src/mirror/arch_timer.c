// SPDX-License-Identifier: GPL-2.0-only
/*
 * vtimer-cache mirror of arch/arm64/kvm/arch_timer.c
 *
 * Copyright (C) 2012 ARM Ltd.
 * Author: Marc Zyngier <marc.zyngier@arm.com>
 *
 * Copies of the functions the klp patch replaces, and of the static inline
 * helpers they need, in the text of every release src/mirror/releases
 * lists this file for. Each copy is the original, changed only where a
 * line is marked "vtc:"; `make klp-diff` prints the delta.
 *
 * Replaced:
 *   kvm_timer_vcpu_load_gic  - the write that may be skipped
 *   kvm_arch_timer_handler   - the host acked the PPI: it is active now
 *   kvm_timer_cpu_down       - masking a forwarded PPI deactivates it
 * Copied helpers: userspace_irqchip, set_timer_irq_phys_active.
 *
 * Non-exported symbols they use are looked up once at load time and
 * reached through pointers; the #defines below keep the copied text
 * identical to the original.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/kallsyms.h>
#include <linux/kvm_host.h>

#include <asm/kvm_emulate.h>
#include <asm/kvm_nested.h>
#include <kvm/arm_arch_timer.h>
#include <kvm/arm_vgic.h>

#include "vtc_core.h"
#include "vtc_mirror.h"
#include "vtc_syms.h"

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

static const struct vtc_sym vtc_timer_syms[] = {
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
#define host_ptimer_irq			(*vtc_p_host_ptimer_irq)
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
	int r = vtc_load_timer(ctx, active); /* vtc: cached write */

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

/* VTC-MIRROR BEGIN kvm_timer_cpu_down */
/* vtc: the module's own copy, static */
static void vtc_kvm_timer_cpu_down(void)
{
	unsigned long flags; /* vtc: the masks and the forget, as one */

	local_irq_save(flags); /* vtc */
	disable_percpu_irq(host_vtimer_irq);
	if (host_ptimer_irq)
		disable_percpu_irq(host_ptimer_irq);
	vtc_cpu_forget(VTC_INV_DEACTIVATE); /* vtc: masking deactivated them */
	local_irq_restore(flags); /* vtc */
}
/* VTC-MIRROR END */

static struct klp_func vtc_timer_funcs[] = {
	{
		.old_name = "kvm_timer_vcpu_load_gic",
		.new_func = kvm_timer_vcpu_load_gic,
	}, {
		.old_name = "kvm_arch_timer_handler",
		.new_func = kvm_arch_timer_handler,
	}, {
		.old_name = "kvm_timer_cpu_down",
		.new_func = vtc_kvm_timer_cpu_down,
	}, { }
};

/* Is the function at @addr the one named @name (at offset 0)? */
static bool vtc_is_func(const void *addr, const char *name)
{
	char buf[KSYM_SYMBOL_LEN];
	size_t n = strlen(name);

	if (!addr)
		return false;
	sprint_symbol(buf, (unsigned long)addr);
	return !strncmp(buf, name, n) && !strncmp(buf + n, "+0x0/", 5);
}

/*
 * The cache's argument (docs/design.md) holds for a host whose timer PPIs
 * are a GICv3 or GICv2 interrupt in EOImode 1: a forwarded PPI stays
 * active after the host's EOI, the guest's deactivation through a HW list
 * register deactivates it, and a write of its active state goes to the
 * writing CPU's bank. Refuse anything else.
 */
static int vtc_timer_check_host(void)
{
	struct vgic_global *g = vtc_p_kvm_vgic_global_state;
	unsigned int irqs[] = { host_vtimer_irq, host_ptimer_irq };
	int i;

	if (g->type != VGIC_V2 && g->type != VGIC_V3) {
		pr_err("the host GIC is not a GICv3 or GICv2 (vgic type %d, e.g. GICv5): not supported, refusing to load\n",
		       g->type);
		return -ENODEV;
	}
	/*
	 * Without hardware deactivation (e.g. Apple M1), "active" is emulated
	 * by masking the PPI and the guest's EOI does not reach the GIC.
	 */
	if (g->no_hw_deactivation) {
		pr_err("this GIC has no hardware deactivation of forwarded interrupts: not supported, refusing to load\n");
		return -ENODEV;
	}
	if (!static_key_enabled(vtc_p_has_gic_active_state)) {
		pr_err("KVM does not program the timer's active state on this host (no GIC): nothing to cache, refusing to load\n");
		return -ENODEV;
	}
	for (i = 0; i < ARRAY_SIZE(irqs); i++) {
		struct irq_data *d;

		if (!irqs[i])
			continue;
		d = irq_get_irq_data(irqs[i]);
		if (!d || !d->chip ||
		    !vtc_is_func(d->chip->irq_eoi, "gic_eoimode1_eoi_irq") ||
		    !vtc_is_func(d->chip->irq_set_irqchip_state,
				 "gic_irq_set_irqchip_state")) {
			pr_err("timer irq %u is not a GIC EOImode 1 interrupt (chip %s): not supported, refusing to load\n",
			       irqs[i], d && d->chip ? d->chip->name : "none");
			return -ENODEV;
		}
	}
	return 0;
}

static int vtc_timer_init(void)
{
	int ret;

	ret = vtc_syms_resolve(vtc_timer_syms, ARRAY_SIZE(vtc_timer_syms));
	if (ret)
		return ret;
	ret = vtc_timer_check_host();
	if (ret)
		return ret;
	return vtc_core_init(host_vtimer_irq, host_ptimer_irq);
}

const struct vtc_mirror vtc_mirror_arch_timer = {
	.source	= "arch/arm64/kvm/arch_timer.c",
	.funcs	= vtc_timer_funcs,
	.init	= vtc_timer_init,
};
