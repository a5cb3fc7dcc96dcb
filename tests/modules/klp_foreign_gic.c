// SPDX-License-Identifier: GPL-2.0-only
/*
 * klp_foreign_gic: a livepatch that knows nothing of vtimer-cache, as a
 * vendor's fix of a function whose text vtimer-cache *carries* would be
 * (tests/vm/module-coexist.sh). A non-cumulative klp patch of
 * kvm_timer_vcpu_load_gic(), which the kernel keeps out of line and which
 * vtimer-cache's copy of kvm_timer_vcpu_load() runs inline instead of
 * calling: while vtimer-cache's patch runs, this fix is never called. The
 * copy below is the text of arch/arm64/kvm/arch_timer.c in Linux 7.2.13
 * and 7.3.4 (the same in both), changed only where a line is marked
 * "kfg:" and by one blank line (checkpatch's).
 *
 * The one change is what makes the fix observable: each call is counted,
 * and the count is the read-only parameter "calls"
 * (/sys/module/klp_foreign_gic/parameters/calls). It grows only while the
 * kernel's own kvm_timer_vcpu_load() runs, that is once vtimer-cache has
 * stepped aside (or before it is enabled).
 *
 * The non-exported symbols it uses are looked up at init
 * (klp_foreign.h); the #defines keep the copied text as it is.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/interrupt.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/sysfs.h>

#include <kvm/arm_arch_timer.h>
#include <kvm/arm_vgic.h>

#include "klp_foreign.h"

/* kfg: the calls of the copy, for the test to see that the fix runs. */
static atomic_long_t kfg_calls = ATOMIC_LONG_INIT(0);

static int kfg_calls_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&kfg_calls));
}

static const struct kernel_param_ops kfg_calls_ops = {
	.get = kfg_calls_get,
};

module_param_cb(calls, &kfg_calls_ops, NULL, 0444);
MODULE_PARM_DESC(calls, "calls of the patched kvm_timer_vcpu_load_gic()");

static bool (*kfg_kvm_timer_pending)(struct arch_timer_context *timer_ctx);
static void (*kfg_kvm_timer_update_irq)(struct kvm_vcpu *vcpu, bool new_level,
					struct arch_timer_context *timer_ctx);
static bool (*kfg_kvm_vgic_map_is_active)(struct kvm_vcpu *vcpu,
					  unsigned int vintid);

#define kvm_timer_pending(c)		kfg_kvm_timer_pending(c)
#define kvm_timer_update_irq(v, l, c)	kfg_kvm_timer_update_irq(v, l, c)
#define kvm_vgic_map_is_active(v, i)	kfg_kvm_vgic_map_is_active(v, i)

static inline void set_timer_irq_phys_active(struct arch_timer_context *ctx, bool active)
{
	int r;

	r = irq_set_irqchip_state(ctx->host_timer_irq, IRQCHIP_STATE_ACTIVE, active);
	WARN_ON(r);
}

static void kvm_timer_vcpu_load_gic(struct arch_timer_context *ctx)
{
	struct kvm_vcpu *vcpu = timer_context_to_vcpu(ctx);
	bool pending = kvm_timer_pending(ctx);
	bool phys_active = false;

	atomic_long_inc(&kfg_calls);	/* kfg: counted */

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

KLP_FOREIGN_PATCH("kvm_timer_vcpu_load_gic", kvm_timer_vcpu_load_gic);

static const struct klp_foreign_sym kfg_syms[] __initconst = {
	{ "kvm_timer_pending", &kfg_kvm_timer_pending },
	{ "kvm_timer_update_irq", &kfg_kvm_timer_update_irq },
	{ "kvm_vgic_map_is_active", &kfg_kvm_vgic_map_is_active },
};

static int __init kfg_init(void)
{
	return klp_foreign_enable(kfg_syms, ARRAY_SIZE(kfg_syms),
				  "patching kvm_timer_vcpu_load_gic with the stock code, calls counted",
				  &klp_foreign_patch);
}

static void __exit kfg_exit(void)
{
}

module_init(kfg_init);
module_exit(kfg_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test livepatch: the stock kvm_timer_vcpu_load_gic, calls counted, unaware of vtimer-cache");
MODULE_INFO(livepatch, "Y");
