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
 *   kvm_timer_vcpu_load      - the writes that may be skipped, once per
 *                              load (kvm_timer_vcpu_load_gic() runs once
 *                              per timer: replacing it would cost a klp
 *                              redirection per timer)
 *   kvm_arch_timer_handler   - the host acked the PPI: it is active now
 *   kvm_timer_cpu_down       - masking a forwarded PPI deactivates it
 * Copied helpers: userspace_irqchip, set_timer_irq_phys_active,
 * kvm_timer_vcpu_load_gic, soft_timer_cancel, kvm_timer_unblocking,
 * kvm_timer_vcpu_load_nogic, kvm_timer_vcpu_load_nested_switch (the
 * statics kvm_timer_vcpu_load() has inlined) and, from the header
 * src/mirror/releases lists beside this file, timer_set_traps.
 *
 * Non-exported symbols they use are looked up once at load time and
 * reached through pointers; the #defines below keep the copied text
 * identical to the original.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

/*
 * Not exported, and called by the inline helpers of the KVM headers that
 * read a vcpu's system registers (is_hyp_ctxt(), __vcpu_sys_reg(), which
 * timer_set_traps() uses): they call the module's wrapper below instead,
 * named before they are compiled here.
 */
#define kvm_vcpu_apply_reg_masks vtc_kvm_vcpu_apply_reg_masks
/* Not exported: the module's own key, set from it at load (below). */
#define broken_cntvoff_key vtc_broken_cntvoff_key

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
static u32 *vtc_p_host_vtimer_irq_flags;
static void (*vtc_p_timer_restore_state)(struct arch_timer_context *ctx);
static void (*vtc_p_timer_emulate)(struct arch_timer_context *ctx);
static int (*vtc_p_kvm_vgic_get_map)(struct kvm_vcpu *vcpu,
				     unsigned int vintid);
static int (*vtc_p_kvm_vgic_map_phys_irq)(struct kvm_vcpu *vcpu,
					  unsigned int host_irq, u32 vintid);
static int (*vtc_p_kvm_vgic_unmap_phys_irq)(struct kvm_vcpu *vcpu,
					    unsigned int vintid);
static struct static_key_false *vtc_p_broken_cntvoff_key;
static u64 (*vtc_p_kvm_vcpu_apply_reg_masks)(const struct kvm_vcpu *vcpu,
					     enum vcpu_sysreg reg, u64 v);

static const struct vtc_sym vtc_timer_syms[] = {
	{ "host_vtimer_irq", &vtc_p_host_vtimer_irq },
	{ "host_ptimer_irq", &vtc_p_host_ptimer_irq },
	{ "has_gic_active_state", &vtc_p_has_gic_active_state },
	{ "kvm_timer_pending", &vtc_p_kvm_timer_pending },
	{ "get_timer_map", &vtc_p_get_timer_map },
	{ "kvm_vgic_map_is_active", &vtc_p_kvm_vgic_map_is_active },
	{ "kvm_timer_update_irq", &vtc_p_kvm_timer_update_irq },
	{ "kvm_vgic_global_state", &vtc_p_kvm_vgic_global_state },
	{ "host_vtimer_irq_flags", &vtc_p_host_vtimer_irq_flags },
	{ "timer_restore_state", &vtc_p_timer_restore_state },
	{ "timer_emulate", &vtc_p_timer_emulate },
	{ "kvm_vgic_get_map", &vtc_p_kvm_vgic_get_map },
	{ "kvm_vgic_map_phys_irq", &vtc_p_kvm_vgic_map_phys_irq },
	{ "kvm_vgic_unmap_phys_irq", &vtc_p_kvm_vgic_unmap_phys_irq },
	{ "broken_cntvoff_key", &vtc_p_broken_cntvoff_key },
	{ "kvm_vcpu_apply_reg_masks", &vtc_p_kvm_vcpu_apply_reg_masks },
};

/*
 * KVM sets these static keys once, at its init, before any module can
 * load, and never changes them (the errata workaround, the GIC's active
 * state): the copies test the module's own keys, set from them at load,
 * as the kernel tests its own (a patched branch, not a load and a test).
 */
static DEFINE_STATIC_KEY_FALSE(vtc_has_gic_active_state);
DEFINE_STATIC_KEY_FALSE(broken_cntvoff_key);
#define has_gic_active_state		vtc_has_gic_active_state

#define host_vtimer_irq			(*vtc_p_host_vtimer_irq)
#define host_ptimer_irq			(*vtc_p_host_ptimer_irq)
#define kvm_timer_pending(c)		vtc_p_kvm_timer_pending(c)
#define get_timer_map(v, m)		vtc_p_get_timer_map(v, m)
#define kvm_vgic_map_is_active(v, i)	vtc_p_kvm_vgic_map_is_active(v, i)
#define kvm_timer_update_irq(v, l, c)	vtc_p_kvm_timer_update_irq(v, l, c)
#define host_vtimer_irq_flags		(*vtc_p_host_vtimer_irq_flags)
#define timer_restore_state(c)		vtc_p_timer_restore_state(c)
#define timer_emulate(c)		vtc_p_timer_emulate(c)
#define kvm_vgic_get_map(v, i)		vtc_p_kvm_vgic_get_map(v, i)
#define kvm_vgic_map_phys_irq(v, h, i)	vtc_p_kvm_vgic_map_phys_irq(v, h, i)
#define kvm_vgic_unmap_phys_irq(v, i)	vtc_p_kvm_vgic_unmap_phys_irq(v, i)

u64 vtc_kvm_vcpu_apply_reg_masks(const struct kvm_vcpu *vcpu,
				  enum vcpu_sysreg reg, u64 v)
{
	return vtc_p_kvm_vcpu_apply_reg_masks(vcpu, reg, v);
}

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
	    !static_branch_unlikely(&has_gic_active_state))
		disable_percpu_irq(host_vtimer_irq);

	return IRQ_HANDLED;
}
/* VTC-MIRROR END */

/* VTC-MIRROR BEGIN set_timer_irq_phys_active */
/* vtc: inlined, as the kernel does, into the copy of kvm_timer_vcpu_load() */
/* vtc: the caller's vcpu, so that the cache does not derive it again */
static __always_inline void set_timer_irq_phys_active(struct kvm_vcpu *vcpu, /* vtc: */
						      struct arch_timer_context *ctx, bool active)
{
	int r = vtc_load_timer(vcpu, ctx, active); /* vtc: cached write */

	WARN_ON(r);
}
/* VTC-MIRROR END */

/* VTC-MIRROR BEGIN kvm_timer_vcpu_load_gic */
/* vtc: inlined into the copy of kvm_timer_vcpu_load(), one frame */
static __always_inline void kvm_timer_vcpu_load_gic(struct arch_timer_context *ctx)
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

	set_timer_irq_phys_active(vcpu, ctx, phys_active); /* vtc: its vcpu */
}
/* VTC-MIRROR END */

/* VTC-MIRROR BEGIN soft_timer_cancel */
static void soft_timer_cancel(struct hrtimer *hrt)
{
	hrtimer_cancel(hrt);
}
/* VTC-MIRROR END */

/* VTC-MIRROR BEGIN kvm_timer_unblocking */
static void kvm_timer_unblocking(struct kvm_vcpu *vcpu)
{
	struct arch_timer_cpu *timer = vcpu_timer(vcpu);

	soft_timer_cancel(&timer->bg_timer);
}
/* VTC-MIRROR END */

/* VTC-MIRROR BEGIN kvm_timer_vcpu_load_nogic */
static void kvm_timer_vcpu_load_nogic(struct kvm_vcpu *vcpu)
{
	struct arch_timer_context *vtimer = vcpu_vtimer(vcpu);
	bool pending = kvm_timer_pending(vtimer);

	/*
	 * Update the timer output so that it is likely to match the
	 * state we're about to restore. If the timer expires between
	 * this point and the register restoration, we'll take the
	 * interrupt anyway.
	 */
	kvm_timer_update_irq(vcpu, pending, vtimer);

	/*
	 * When using a userspace irqchip with the architected timers and a
	 * host interrupt controller that doesn't support an active state, we
	 * must still prevent continuously exiting from the guest, and
	 * therefore mask the physical interrupt by disabling it on the host
	 * interrupt controller when the virtual level is high, such that the
	 * guest can make forward progress.  Once we detect the output level
	 * being de-asserted, we unmask the interrupt again so that we exit
	 * from the guest when the timer fires.
	 */
	if (pending)
		disable_percpu_irq(host_vtimer_irq);
	else
		enable_percpu_irq(host_vtimer_irq, host_vtimer_irq_flags);
}
/* VTC-MIRROR END */

/* VTC-MIRROR BEGIN kvm_timer_vcpu_load_nested_switch */
static void kvm_timer_vcpu_load_nested_switch(struct kvm_vcpu *vcpu,
					      struct timer_map *map)
{
	int hw, ret;

	if (!irqchip_in_kernel(vcpu->kvm))
		return;

	/*
	 * We only ever unmap the vtimer irq on a VHE system that runs nested
	 * virtualization, in which case we have both a valid emul_vtimer,
	 * emul_ptimer, direct_vtimer, and direct_ptimer.
	 *
	 * Since this is called from kvm_timer_vcpu_load(), a change between
	 * vEL2 and vEL1/0 will have just happened, and the timer_map will
	 * represent this, and therefore we switch the emul/direct mappings
	 * below.
	 */
	hw = kvm_vgic_get_map(vcpu, timer_irq(map->direct_vtimer));
	if (hw < 0) {
		kvm_vgic_unmap_phys_irq(vcpu, timer_irq(map->emul_vtimer));
		kvm_vgic_unmap_phys_irq(vcpu, timer_irq(map->emul_ptimer));

		ret = kvm_vgic_map_phys_irq(vcpu,
					    map->direct_vtimer->host_timer_irq,
					    timer_irq(map->direct_vtimer));
		WARN_ON_ONCE(ret);
		ret = kvm_vgic_map_phys_irq(vcpu,
					    map->direct_ptimer->host_timer_irq,
					    timer_irq(map->direct_ptimer));
		WARN_ON_ONCE(ret);
	}
}
/* VTC-MIRROR END */

/* timer_set_traps() of this release (Kbuild: -DVTC_TIMER_TRAPS) */
#include VTC_TIMER_TRAPS

/* VTC-MIRROR BEGIN kvm_timer_vcpu_load */
/* vtc: the module's own copy, static */
static void vtc_kvm_timer_vcpu_load(struct kvm_vcpu *vcpu)
{
	struct arch_timer_cpu *timer = vcpu_timer(vcpu);
	struct timer_map map;

	if (unlikely(!timer->enabled))
		return;

	get_timer_map(vcpu, &map);

	if (static_branch_likely(&has_gic_active_state)) {
		/* We don't do NV on GICv5, yet */
		if (vcpu_has_nv(vcpu) && !vgic_is_v5(vcpu->kvm))
			kvm_timer_vcpu_load_nested_switch(vcpu, &map);

		kvm_timer_vcpu_load_gic(map.direct_vtimer);
		if (map.direct_ptimer)
			kvm_timer_vcpu_load_gic(map.direct_ptimer);
	} else {
		kvm_timer_vcpu_load_nogic(vcpu);
	}

	kvm_timer_unblocking(vcpu);

	timer_restore_state(map.direct_vtimer);
	if (map.direct_ptimer)
		timer_restore_state(map.direct_ptimer);
	if (map.emul_vtimer)
		timer_emulate(map.emul_vtimer);
	if (map.emul_ptimer)
		timer_emulate(map.emul_ptimer);

	timer_set_traps(vcpu, &map);
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
		.old_name = "kvm_timer_vcpu_load",
		.new_func = vtc_kvm_timer_vcpu_load,
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
	static_branch_enable(&vtc_has_gic_active_state);
	if (static_key_enabled(vtc_p_broken_cntvoff_key))
		static_branch_enable(&broken_cntvoff_key);
	return vtc_core_init(host_vtimer_irq, host_ptimer_irq);
}

const struct vtc_mirror vtc_mirror_arch_timer = {
	.source	= "arch/arm64/kvm/arch_timer.c",
	.funcs	= vtc_timer_funcs,
	.init	= vtc_timer_init,
};
