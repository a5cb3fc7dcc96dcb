// SPDX-License-Identifier: GPL-2.0-only
/*
 * vtimer-cache mirror of arch/arm64/kvm/vgic/vgic-v3.c
 *
 * The copy of vgic_v3_fold_lr(), which the klp patch replaces: the vgic folds
 * one list register back into its state, after a guest run (from
 * vgic_v3_fold_lr_state(), interrupts off since the exit), for a trapped DIR
 * and for EOIcount emulation (both right after KVM deactivated the
 * physical interrupt on this CPU, with a pseudo LR it built: irq->on_lr is
 * false). It tells the cache, under the irq's lock and before on_lr is
 * cleared, what the list register says of a timer PPI and whether it is
 * a pseudo LR (vtc_lr_folded()). It runs only for list registers in use:
 * an exit with no interrupt in flight never reaches it.
 *
 * Copied helper: lr_signals_eoi_mi. The lines marked "vtc:" are the
 * delta; `make klp-diff` prints it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/irqchip/arm-gic-v3.h>
#include <linux/kvm_host.h>
#include <kvm/arm_vgic.h>

#include "vtc_core.h"
#include "vtc_mirror.h"
#include "vtc_syms.h"

static struct vgic_irq *(*vtc_p_vgic_get_vcpu_irq)(struct kvm_vcpu *vcpu,
						   u32 intid);
static void (*vtc_p_vgic_put_irq)(struct kvm *kvm, struct vgic_irq *irq);
static void (*vtc_p_vgic_irq_handle_resampling)(struct vgic_irq *irq,
						bool lr_deactivated,
						bool lr_pending);
static void (*vtc_p_kvm_notify_acked_irq)(struct kvm *kvm, unsigned int irqchip,
					  unsigned int pin);

static const struct vtc_sym vtc_vgic_v3_syms[] = {
	{ "vgic_get_vcpu_irq", &vtc_p_vgic_get_vcpu_irq },
	{ "vgic_put_irq", &vtc_p_vgic_put_irq },
	{ "vgic_irq_handle_resampling", &vtc_p_vgic_irq_handle_resampling },
	{ "kvm_notify_acked_irq", &vtc_p_kvm_notify_acked_irq },
};

#define vgic_get_vcpu_irq(v, i)		vtc_p_vgic_get_vcpu_irq(v, i)
#define vgic_put_irq(k, i)		vtc_p_vgic_put_irq(k, i)
#define vgic_irq_handle_resampling(i, d, p) \
	vtc_p_vgic_irq_handle_resampling(i, d, p)
#define kvm_notify_acked_irq(k, c, p)	vtc_p_kvm_notify_acked_irq(k, c, p)
/* arch/arm64/kvm/vgic/vgic.h */
#define vgic_irq_is_sgi(intid)		((intid) < VGIC_NR_SGIS)

/* VTC-MIRROR BEGIN lr_signals_eoi_mi */
static bool lr_signals_eoi_mi(u64 lr_val)
{
	return !(lr_val & ICH_LR_STATE) && (lr_val & ICH_LR_EOI) &&
	       !(lr_val & ICH_LR_HW);
}
/* VTC-MIRROR END */

/* VTC-MIRROR BEGIN vgic_v3_fold_lr */
static void vgic_v3_fold_lr(struct kvm_vcpu *vcpu, u64 val)
{
	struct vgic_irq *irq;
	bool is_v2_sgi = false;
	bool deactivated;
	u32 intid;

	if (vcpu->kvm->arch.vgic.vgic_model == KVM_DEV_TYPE_ARM_VGIC_V3) {
		intid = val & ICH_LR_VIRTUAL_ID_MASK;
	} else {
		intid = val & GICH_LR_VIRTUALID;
		is_v2_sgi = vgic_irq_is_sgi(intid);
	}

	irq = vgic_get_vcpu_irq(vcpu, intid);
	if (!irq)	/* An LPI could have been unmapped. */
		return;

	scoped_guard(raw_spinlock, &irq->irq_lock) {
		/* vtc: a HW LR for a timer PPI; !on_lr: KVM's pseudo LR */
		vtc_lr_folded(vcpu, val & ICH_LR_HW,
			      FIELD_GET(ICH_LR_PHYS_ID_MASK, val), !irq->on_lr,
			      !(val & ICH_LR_STATE));

		/* Always preserve the active bit for !LPIs, note deactivation */
		if (irq->intid >= VGIC_MIN_LPI)
			val &= ~ICH_LR_ACTIVE_BIT;
		deactivated = irq->active && !(val & ICH_LR_ACTIVE_BIT);
		irq->active = !!(val & ICH_LR_ACTIVE_BIT);

		/* Edge is the only case where we preserve the pending bit */
		if (irq->config == VGIC_CONFIG_EDGE &&
		    (val & ICH_LR_PENDING_BIT))
			irq->pending_latch = true;

		/*
		 * Clear soft pending state when level irqs have been acked.
		 */
		if (irq->config == VGIC_CONFIG_LEVEL && !(val & ICH_LR_STATE))
			irq->pending_latch = false;

		if (is_v2_sgi) {
			u8 cpuid = FIELD_GET(GICH_LR_PHYSID_CPUID, val);

			if (irq->active)
				irq->active_source = cpuid;

			if (val & ICH_LR_PENDING_BIT)
				irq->source |= BIT(cpuid);
		}

		/* Handle resampling for mapped interrupts if required */
		vgic_irq_handle_resampling(irq, deactivated, val & ICH_LR_PENDING_BIT);

		irq->on_lr = false;
	}

	/* Notify fds when the guest EOI'ed a level-triggered SPI, and drop the refcount */
	if (deactivated && lr_signals_eoi_mi(val) && vgic_valid_spi(vcpu->kvm, intid)) {
		kvm_notify_acked_irq(vcpu->kvm, 0,
				     intid - VGIC_NR_PRIVATE_IRQS);
		atomic_dec_if_positive(&vcpu->kvm->arch.vgic.active_spis);
	}

	vgic_put_irq(vcpu->kvm, irq);
}
/* VTC-MIRROR END */

static struct klp_func vtc_vgic_v3_funcs[] = {
	{
		.old_name = "vgic_v3_fold_lr",
		.new_func = vgic_v3_fold_lr,
	}, { }
};

static int vtc_vgic_v3_init(void)
{
	return vtc_syms_resolve(vtc_vgic_v3_syms, ARRAY_SIZE(vtc_vgic_v3_syms));
}

const struct vtc_mirror vtc_mirror_vgic_v3 = {
	.source	= "arch/arm64/kvm/vgic/vgic-v3.c",
	.funcs	= vtc_vgic_v3_funcs,
	.init	= vtc_vgic_v3_init,
};
