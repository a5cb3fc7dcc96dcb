// SPDX-License-Identifier: GPL-2.0-only
/*
 * klp_foreign_ack: a livepatch that knows nothing of vtimer-cache, as a
 * vendor's fix of one of the functions vtimer-cache replaces would be
 * (tests/vm/module-coexist.sh). A non-cumulative klp patch of
 * kvm_arch_timer_handler() whose new function is the stock one: the copy
 * below is the text of arch/arm64/kvm/arch_timer.c in Linux 7.2.13 and
 * 7.3.4 (the same in both), changed only where a line is marked "kfa:".
 *
 * The non-exported symbols it uses are looked up at init
 * (klp_foreign.h); the #defines keep the copied text as it is.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/interrupt.h>
#include <linux/kvm_host.h>
#include <linux/module.h>

#include <kvm/arm_arch_timer.h>
#include <kvm/arm_vgic.h>

#include "klp_foreign.h"

static unsigned int *kfa_host_vtimer_irq;
static struct static_key_false *kfa_has_gic_active_state;
static void (*kfa_get_timer_map)(struct kvm_vcpu *vcpu, struct timer_map *map);
static bool (*kfa_kvm_timer_pending)(struct arch_timer_context *timer_ctx);
static void (*kfa_kvm_timer_update_irq)(struct kvm_vcpu *vcpu, bool new_level,
					struct arch_timer_context *timer_ctx);

#define host_vtimer_irq			(*kfa_host_vtimer_irq)
#define get_timer_map(v, m)		kfa_get_timer_map(v, m)
#define kvm_timer_pending(c)		kfa_kvm_timer_pending(c)
#define kvm_timer_update_irq(v, l, c)	kfa_kvm_timer_update_irq(v, l, c)

static inline bool userspace_irqchip(struct kvm *kvm)
{
	return unlikely(!irqchip_in_kernel(kvm));
}

static irqreturn_t kvm_arch_timer_handler(int irq, void *dev_id)
{
	struct kvm_vcpu *vcpu = *(struct kvm_vcpu **)dev_id;
	struct arch_timer_context *ctx;
	struct timer_map map;

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
	    !static_key_enabled(kfa_has_gic_active_state)) /* kfa: via pointer */
		disable_percpu_irq(host_vtimer_irq);

	return IRQ_HANDLED;
}

KLP_FOREIGN_PATCH("kvm_arch_timer_handler", kvm_arch_timer_handler);

static const struct klp_foreign_sym kfa_syms[] __initconst = {
	{ "host_vtimer_irq", &kfa_host_vtimer_irq },
	{ "has_gic_active_state", &kfa_has_gic_active_state },
	{ "get_timer_map", &kfa_get_timer_map },
	{ "kvm_timer_pending", &kfa_kvm_timer_pending },
	{ "kvm_timer_update_irq", &kfa_kvm_timer_update_irq },
};

static int __init kfa_init(void)
{
	return klp_foreign_enable(kfa_syms, ARRAY_SIZE(kfa_syms),
				  "patching kvm_arch_timer_handler with the stock code",
				  &klp_foreign_patch);
}

static void __exit kfa_exit(void)
{
}

module_init(kfa_init);
module_exit(kfa_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test livepatch: the stock kvm_arch_timer_handler, unaware of vtimer-cache");
MODULE_INFO(livepatch, "Y");
