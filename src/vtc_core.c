// SPDX-License-Identifier: GPL-2.0-only
/*
 * vtimer-cache core: the cached active-state write of a vcpu load, and
 * every event the cache learns from or forgets on. The patched copies of
 * kernel functions (src/mirror/) call in here; the rule itself is in
 * include/vtc_cache.h, shared with the model test.
 *
 * Everything here runs with interrupts off on the CPU whose bit it is
 * about, and touches only that CPU's state and counters: no atomics, no
 * hash lookups, nothing global but the trust generation (one load).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdesc.h>
#include <linux/kvm_host.h>
#include <linux/moduleparam.h>

#include <asm/kvm_emulate.h>
#include <asm/kvm_nested.h>
#include <kvm/arm_arch_timer.h>

#include "vtc_core.h"

#define CREATE_TRACE_POINTS
#include "vtc_trace.h"

unsigned int vtc_host_irq[VTC_NR_TIMERS];
/* The pINTID a HW list register carries for each timer's PPI. */
static u32 vtc_hwirq[VTC_NR_TIMERS];
static struct irq_data *vtc_irqd[VTC_NR_TIMERS];
/*
 * Whether a load's own write may go straight to the GIC (vtc_write()):
 * the PPI's irq_data is fixed while KVM holds the irq, and its chip takes
 * no bus lock.
 */
static bool vtc_direct[VTC_NR_TIMERS];

/*
 * Verify mode (module parameter "verify", off by default): read the timer
 * PPI's active bit back from the GIC before every cached decision and every
 * stock write. It costs an MMIO read per write, so it is a test and
 * measurement aid: a skip over a bit that differs is counted as a wrong
 * skip (tests require 0), and a write over a bit that differs as needed
 * (the floor that any cache must issue).
 */
bool vtc_verify;

/*
 * Verify or diag on: a load's decision leaves the inlined fast path for
 * vtc_load_checked(), which does both. A static key, so that the default
 * path pays a NOP for them.
 */
DEFINE_STATIC_KEY_FALSE(vtc_checks);

/*
 * Diagnostics (module parameter "diag", off by default): per-vcpu counts
 * in a klp shadow variable of each vcpu (debugfs "vcpus"). A shadow is
 * found by a hash lookup on every load, which the default path does not
 * pay.
 */
bool vtc_diag;

static int vtc_checks_set(const char *val, const struct kernel_param *kp)
{
	int ret = param_set_bool(val, kp);

	if (ret)
		return ret;
	if (READ_ONCE(vtc_verify) || READ_ONCE(vtc_diag))
		static_branch_enable(&vtc_checks);
	else
		static_branch_disable(&vtc_checks);
	return 0;
}

static const struct kernel_param_ops vtc_checks_ops = {
	.set = vtc_checks_set,
	.get = param_get_bool,
};

module_param_cb(verify, &vtc_checks_ops, &vtc_verify, 0600);
MODULE_PARM_DESC(verify, "read the GIC active bit back to check every skip (test aid)");
module_param_cb(diag, &vtc_checks_ops, &vtc_diag, 0600);
MODULE_PARM_DESC(diag, "keep per-vcpu counts (debugfs vcpus); costs a hash lookup per load");

static int vtc_hwirq_index(u32 pintid)
{
	if (pintid == vtc_hwirq[0])
		return 0;
	if (vtc_host_irq[1] && pintid == vtc_hwirq[1])
		return 1;
	return -1;
}

/* The PPIs KVM forwards to vcpus, from the timer mirror's init. */
int vtc_core_init(unsigned int vtimer_irq, unsigned int ptimer_irq)
{
	int t;

	vtc_host_irq[0] = vtimer_irq;
	vtc_host_irq[1] = ptimer_irq;
	for (t = 0; t < VTC_NR_TIMERS; t++) {
		if (!vtc_host_irq[t])
			continue;
		vtc_irqd[t] = irq_get_irq_data(vtc_host_irq[t]);
		if (!vtc_irqd[t]) {
			pr_err("no irq_data for timer irq %u\n", vtc_host_irq[t]);
			return -ENODEV;
		}
		vtc_hwirq[t] = irqd_to_hwirq(vtc_irqd[t]);
		vtc_direct[t] = !irq_data_get_irq_chip(vtc_irqd[t])->irq_bus_lock;
	}
	if (!vtc_host_irq[0]) {
		pr_err("KVM has no virtual timer irq\n");
		return -ENODEV;
	}
	return 0;
}

void vtc_inval(struct vtc_pcpu *p, enum vtc_inval why)
{
	p->stats.inval[why]++;
	trace_vtc_invalidate(why);
}

/* Called on the CPU whose bit is written, with interrupts disabled. */
static void vtc_verify_write(struct vtc_pcpu *p, unsigned int irq,
			     bool active, bool skipped)
{
	bool state;

	if (irq_get_irqchip_state(irq, IRQCHIP_STATE_ACTIVE, &state))
		return;
	p->stats.verify_checked++;
	if (state == active)
		return;
	p->stats.verify_needed++;
	if (skipped) {
		p->stats.verify_wrong_skips++;
		pr_err_ratelimited("wrong skip: irq %u on cpu %d is %d, wanted %d\n",
				   irq, smp_processor_id(), state, active);
	}
}

/* diag=1: the vcpu's own counts and what was last programmed for it. */
static void vtc_diag_load(struct kvm_vcpu *vcpu, struct vtc_pcpu *p, int t,
			  bool active, bool skipped)
{
	struct vtc_vcpu *vv = vtc_vcpu_get(vcpu);

	if (!vv) {
		p->stats.shadow_alloc_failed++;
		return;
	}
	if (skipped)
		vv->skipped++;
	else
		vv->issued++;
	vv->state[t] = active;
	vv->cpu[t] = smp_processor_id();
}

/*
 * A chip with a bus lock (none the module loads on): the kernel's own
 * path, through the patched copy, which learns the outcome.
 */
static int vtc_write_slow(struct vtc_pcpu *p, unsigned int irq, bool val)
{
	int ret;

	p->own_write = 1;
	ret = irq_set_irqchip_state(irq, IRQCHIP_STATE_ACTIVE, val);
	p->own_write = 0;
	return ret;
}

/*
 * A write of this CPU's bit of timer @t made with interrupts off: now
 * known, whoever wrote it (@own: the cache's own write at a load).
 */
static __always_inline void vtc_written(struct vtc_pcpu *p, unsigned long gen,
					int t, bool val, int ret, bool own)
{
	vtc_cache_written(gen, &p->hw, t, val, ret);
	if (unlikely(ret))
		vtc_inval(p, VTC_INV_WRITE_ERROR);
	p->stats.writes[t][val]++;
	if (!own)
		p->stats.foreign[t][val]++;
}

/*
 * The write a load issues, with interrupts off: what
 * irq_set_irqchip_state() does, less its two costs that buy nothing here.
 * It finds the descriptor by irq number, a maple tree walk of about 150
 * instructions, where the PPI's irq_data is already known (it lives as
 * long as KVM holds the irq, which outlives every load); and called by
 * name, it would enter the patched copy through a second klp redirection.
 * The descriptor lock is taken as the kernel takes it, and the outcome is
 * learnt under it like any other writer's.
 */
static int vtc_write(struct vtc_pcpu *p, unsigned long gen, int t, bool val)
{
	struct irq_data *data = vtc_irqd[t];
	struct irq_desc *desc = irq_data_to_desc(data);
	struct irq_chip *chip;
	int ret = -EINVAL;

	raw_spin_lock(&desc->lock);
	do {
		chip = irq_data_get_irq_chip(data);
		if (WARN_ON_ONCE(!chip)) {
			ret = -ENODEV;
			break;
		}
		if (chip->irq_set_irqchip_state) {
			ret = chip->irq_set_irqchip_state(data,
							  IRQCHIP_STATE_ACTIVE,
							  val);
			break;
		}
#ifdef CONFIG_IRQ_DOMAIN_HIERARCHY
		data = data->parent_data;
#else
		data = NULL;
#endif
	} while (data);
	vtc_written(p, gen, t, val, ret, true);
	raw_spin_unlock(&desc->lock);
	return ret;
}

/*
 * A load's write of timer @t that the fast path (vtc_load_timer(),
 * vtc_core.h) does not skip: interrupts off, @gen read once for the
 * decision, and learnt with the outcome (a generation that ended since
 * makes what is learnt void, as it should).
 */
noinline int vtc_load_issue(struct kvm_vcpu *vcpu, struct vtc_pcpu *p,
			    unsigned long gen, int t, bool active)
{
	int ret;

	if (likely(vtc_direct[t]))
		ret = vtc_write(p, gen, t, active);
	else
		ret = vtc_write_slow(p, vtc_host_irq[t], active);
	p->stats.issued[t]++;
	if (trace_vtc_issue_enabled())
		trace_vtc_issue(t, vcpu->vcpu_id, active);
	return ret;
}

/* Every decision of a load while verify or diag is on. */
int vtc_load_checked(struct kvm_vcpu *vcpu, struct vtc_pcpu *p,
		     unsigned long gen, int t, bool active)
{
	bool skip = vtc_cache_may_skip(gen, &p->hw, t, active);
	int ret = 0;

	if (unlikely(READ_ONCE(vtc_verify)))
		vtc_verify_write(p, vtc_host_irq[t], active, skip);
	if (skip) {
		p->stats.skipped[t]++;
		trace_vtc_skip(t, vcpu->vcpu_id, active);
	} else {
		ret = vtc_load_issue(vcpu, p, gen, t, active);
	}
	if (unlikely(READ_ONCE(vtc_diag)))
		vtc_diag_load(vcpu, p, t, active, skip);
	return ret;
}

/*
 * The host acked timer PPI @irq on this CPU (hard irq context, from the
 * patched handler). Forwarded to a vcpu, it stays active after the EOI:
 * the timer irq's chip is a GIC EOImode 1 chip (checked at load by the
 * timer mirror), whose irq_eoi leaves a forwarded interrupt active for the
 * guest to deactivate (gic_eoimode1_eoi_irq(), irq-gic-v3.c:686 and
 * irq-gic.c:228).
 */
void vtc_host_ack(unsigned int irq)
{
	struct vtc_pcpu *p = this_cpu_ptr(vtc_pcpu);
	int t = vtc_timer_index(irq);
	bool fwd;

	if (t < 0)
		return;
	fwd = irqd_is_forwarded_to_vcpu(vtc_irqd[t]);
	vtc_cache_acked(vtc_trust_gen(&vtc_shared->trust), &p->hw, t, fwd);
	if (likely(fwd))
		p->stats.learnt_ack[t]++;
	else
		vtc_inval(p, VTC_INV_HOST_ACK);
}

/*
 * The vgic folds a list register of @vcpu on this CPU, interrupts off
 * (patched vgic_v{2,3}_fold_lr(): after a guest run, a trapped DIR, or
 * EOIcount emulation): @hw, @pintid and @deactivated are its HW bit,
 * physical INTID and "no state left"; @pseudo: KVM built it after
 * deactivating the physical interrupt (DIR, EOIcount), !irq->on_lr.
 */
void __vtc_lr_folded(struct kvm_vcpu *vcpu, u32 pintid, bool pseudo,
		     bool deactivated)
{
	struct vtc_pcpu *p;
	int t;

	t = vtc_hwirq_index(pintid);
	if (t < 0)
		return;
	lockdep_assert_irqs_disabled();
	p = this_cpu_ptr(vtc_pcpu);
	switch (vtc_cache_fold(vtc_trust_gen(&vtc_shared->trust), &p->hw, t,
			       vcpu_has_nv(vcpu), pseudo, deactivated)) {
	case VTC_FOLD_LEARNT:
		p->stats.learnt_eoi[t]++;
		break;
	case VTC_FOLD_FORGOT:
		vtc_inval(p, VTC_INV_NESTED);
		break;
	case VTC_FOLD_FORGOT_PSEUDO:
		vtc_inval(p, VTC_INV_DEACT_PENDING);
		break;
	case VTC_FOLD_NONE:
		break;
	}
}

/*
 * A write of irq @irq's state @which = @val returned @ret, under the irq
 * descriptor lock (patched irq_set_irqchip_state(), or on 7.3
 * __irq_set_irqchip_state()). For the active state of a timer PPI that is
 * a write of this CPU's bit: it is now known, whoever wrote it.
 */
int vtc_active_written(unsigned int irq, enum irqchip_irq_state which,
		       bool val, int ret)
{
	struct vtc_pcpu *p;
	int t;

	if (which != IRQCHIP_STATE_ACTIVE)
		return ret;
	t = vtc_timer_index(irq);
	if (t < 0)
		return ret;
	p = this_cpu_ptr(vtc_pcpu);
	if (WARN_ON_ONCE(!irqs_disabled())) {
		/* The writer could have moved: a bit changed somewhere. */
		vtc_cache_forget(&p->hw, t);
		vtc_inval(p, VTC_INV_WRITE_ERROR);
		return ret;
	}
	vtc_written(p, vtc_trust_gen(&vtc_shared->trust), t, val, ret,
		    p->own_write);
	return ret;
}

/*
 * This CPU's bits are unknown from here on: it went offline or came back,
 * left a low-power state, or KVM masked the PPIs (masking a forwarded
 * interrupt deactivates it, gic_eoimode1_mask_irq()). Pinned to the CPU.
 */
void vtc_cpu_forget(enum vtc_inval why)
{
	struct vtc_pcpu *p;
	unsigned long flags;

	local_irq_save(flags);
	p = this_cpu_ptr(vtc_pcpu);
	vtc_cache_forget_cpu(&p->hw);
	vtc_inval(p, why);
	local_irq_restore(flags);
}

/*
 * Trust begins at post_patch (every task runs the patched code), or when
 * no other livepatch touches a watched function any more; it ends at
 * pre_patch, pre_unpatch and when another livepatch is about to touch one
 * (@why). A new generation voids everything learnt before it, on every
 * CPU at once.
 */
static void vtc_trust_set(bool on, enum vtc_inval why)
{
	unsigned long flags;

	if (on)
		vtc_trust_begin(&vtc_shared->trust);
	else
		vtc_trust_end(&vtc_shared->trust);
	/* Before the transition klp starts next (it has its own barriers). */
	smp_mb();
	local_irq_save(flags);
	vtc_inval(this_cpu_ptr(vtc_pcpu), why);
	local_irq_restore(flags);
}

void vtc_trust(bool on)
{
	vtc_trust_set(on, VTC_INV_TRANSITION);
}

void vtc_trust_off(enum vtc_inval why)
{
	vtc_trust_set(false, why);
}

/* Counting probes, patch off: the stock kernel's writes and loads. */
void vtc_count_stock_write(unsigned int irq, bool val)
{
	struct vtc_pcpu *p;
	unsigned long flags;
	int t = vtc_timer_index(irq);

	if (t < 0)
		return;
	local_irq_save(flags);
	p = this_cpu_ptr(vtc_pcpu);
	p->stats.writes[t][val]++;
	p->stats.foreign[t][val]++;
	/* Stock mode's floor: was this write needed? */
	if (unlikely(READ_ONCE(vtc_verify)))
		vtc_verify_write(p, irq, val, false);
	local_irq_restore(flags);
}

void vtc_count_stock_load(void)
{
	this_cpu_inc(vtc_pcpu->stats.loads);
}
