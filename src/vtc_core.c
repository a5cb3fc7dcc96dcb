// SPDX-License-Identifier: GPL-2.0-only
/*
 * vtimer-cache: the cached active-state write, its invalidations, and the
 * per-vcpu shadow state.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/kvm_host.h>
#include <linux/livepatch.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>

#include <kvm/arm_arch_timer.h>

#include "vtc.h"
#include "vtc_state.h"

const char *const vtc_inval_names[VTC_INV_NR] = {
	[VTC_INV_HOST_ACK]	= "host_ack",
	[VTC_INV_FOREIGN]	= "foreign_write",
	[VTC_INV_GUEST_RUN]	= "guest_run",
	[VTC_INV_DEACTIVATE]	= "deactivate",
	[VTC_INV_HOTPLUG]	= "cpu_hotplug",
	[VTC_INV_CPU_PM]	= "cpu_pm",
	[VTC_INV_TRANSITION]	= "transition",
	[VTC_INV_WRITE_ERROR]	= "write_error",
};

unsigned int vtc_host_irq[VTC_NR_TIMERS];

/*
 * Verify mode (module parameter "verify", off by default): read the timer
 * PPI's active bit back from the GIC before every cached decision and every
 * stock write. It costs an extra MMIO read per write, so it is a test and
 * measurement aid: a skip over a bit that differs is counted as a wrong
 * skip (tests require 0), and a write over a bit that differs as needed
 * (the floor that any cache must issue).
 */
bool vtc_verify;
module_param_named(verify, vtc_verify, bool, 0600);
MODULE_PARM_DESC(verify, "read the GIC active bit back to check every skip (test aid)");

/* Called on the CPU whose bit is written, with interrupts disabled. */
void vtc_verify_write(unsigned int irq, bool active, bool skipped)
{
	bool state;

	if (irq_get_irqchip_state(irq, IRQCHIP_STATE_ACTIVE, &state))
		return;
	__this_cpu_inc(vtc_stats.verify_checked);
	if (state == active)
		return;
	__this_cpu_inc(vtc_stats.verify_needed);
	if (skipped) {
		__this_cpu_inc(vtc_stats.verify_wrong_skips);
		pr_err_ratelimited("wrong skip: irq %u on cpu %d is %d, wanted %d\n",
				   irq, smp_processor_id(), state, active);
	}
}

/*
 * Every loaded build links its vcpus' shadows into one list, so that any
 * of them can free a shadow another one allocated (vtc_state.h).
 */
#define vtc_vcpu_list	(vtc_shared->vcpus)
#define vtc_vcpu_lock	(vtc_shared->lock)
#define vtc_vcpu_nr	(vtc_shared->nr_vcpus)

/*
 * The hooks are empty on purpose: they are stable attachment points for
 * kprobes and bpftrace (scripts/), called only on the rare paths (an issued
 * write, an invalidation) and on a skip. __noipa: without it gcc makes
 * argument-less .constprop clones and calls those, and a probe on the
 * symbol never fires (tests/run-all.sh checks the .ko).
 */
noinline __noipa void vtc_hook_skip(int cpu, int timer, int vcpu_id)
{
	barrier();
}

noinline __noipa void vtc_hook_issue(int cpu, int timer, int vcpu_id, int active)
{
	barrier();
}

noinline __noipa void vtc_hook_invalidate(int cpu, int reason)
{
	barrier();
}

int vtc_timer_index(unsigned int irq)
{
	if (!irq)
		return -1;
	if (irq == vtc_host_irq[0])
		return 0;
	if (irq == vtc_host_irq[1])
		return 1;
	return -1;
}

/* Callers have interrupts disabled or are pinned to this CPU. */
void vtc_invalidate_this_cpu(enum vtc_inval why)
{
	struct vtc_cache_cpu *c = this_cpu_ptr(&vtc_hw);
	int t;

	for (t = 0; t < VTC_NR_TIMERS; t++)
		vtc_cache_forget_cpu(c, t);
	this_cpu_inc(vtc_stats.inval[why]);
	vtc_hook_invalidate(raw_smp_processor_id(), why);
}

void vtc_invalidate_all(enum vtc_inval why)
{
	vtc_cache_forget_all(&vtc_cache);
	this_cpu_inc(vtc_stats.inval[why]);
	vtc_hook_invalidate(raw_smp_processor_id(), why);
}

static int vtc_vcpu_ctor(void *obj, void *shadow_data, void *ctor_data)
{
	struct kvm_vcpu *vcpu = obj;
	struct vtc_vcpu *vv = shadow_data;
	unsigned long flags;
	int t;

	vv->vcpu = vcpu;
	vv->pid = vcpu->kvm->userspace_pid;
	vv->vcpu_id = vcpu->vcpu_id;
	for (t = 0; t < VTC_NR_TIMERS; t++) {
		vv->state[t] = -1;
		vv->cpu[t] = -1;
	}

	spin_lock_irqsave(&vtc_vcpu_lock, flags);
	list_add_tail(&vv->node, &vtc_vcpu_list);
	vtc_vcpu_nr++;
	spin_unlock_irqrestore(&vtc_vcpu_lock, flags);
	return 0;
}

static void vtc_vcpu_dtor(void *obj, void *shadow_data)
{
	struct vtc_vcpu *vv = shadow_data;
	unsigned long flags;

	spin_lock_irqsave(&vtc_vcpu_lock, flags);
	list_del(&vv->node);
	vtc_vcpu_nr--;
	spin_unlock_irqrestore(&vtc_vcpu_lock, flags);
}

/*
 * The shadow is created on first use, not at vcpu creation: vcpus exist
 * before the patch loads. GFP_ATOMIC, because loads run with preemption
 * disabled and the handler in hard interrupt context. Without a shadow the
 * cache still works; only the per-vcpu counters are lost.
 */
static struct vtc_vcpu *vtc_vcpu_get(struct kvm_vcpu *vcpu)
{
	struct vtc_vcpu *vv;

	vv = klp_shadow_get(vcpu, VTC_SHADOW_ID);
	if (likely(vv))
		return vv;
	vv = klp_shadow_get_or_alloc(vcpu, VTC_SHADOW_ID, sizeof(*vv),
				     GFP_ATOMIC, vtc_vcpu_ctor, NULL);
	if (!vv)
		this_cpu_inc(vtc_stats.shadow_alloc_failed);
	return vv;
}

void vtc_vcpu_free(struct kvm_vcpu *vcpu)
{
	klp_shadow_free(vcpu, VTC_SHADOW_ID, vtc_vcpu_dtor);
}

void vtc_vcpu_free_all(void)
{
	klp_shadow_free_all(VTC_SHADOW_ID, vtc_vcpu_dtor);
}

int vtc_vcpu_count(void)
{
	return READ_ONCE(vtc_vcpu_nr);
}

void vtc_vcpu_show(struct seq_file *m)
{
	struct vtc_vcpu *vv;
	unsigned long flags;

	seq_puts(m, "# pid vcpu issued skipped vtimer_state vtimer_cpu ptimer_state ptimer_cpu\n");
	spin_lock_irqsave(&vtc_vcpu_lock, flags);
	list_for_each_entry(vv, &vtc_vcpu_list, node)
		seq_printf(m, "%d %d %llu %llu %d %d %d %d\n", vv->pid,
			   vv->vcpu_id, vv->issued, vv->skipped,
			   vv->state[0], vv->cpu[0], vv->state[1], vv->cpu[1]);
	spin_unlock_irqrestore(&vtc_vcpu_lock, flags);
}

void vtc_vcpu_reset_counts(void)
{
	struct vtc_vcpu *vv;
	unsigned long flags;

	spin_lock_irqsave(&vtc_vcpu_lock, flags);
	list_for_each_entry(vv, &vtc_vcpu_list, node) {
		vv->issued = 0;
		vv->skipped = 0;
	}
	spin_unlock_irqrestore(&vtc_vcpu_lock, flags);
}

/*
 * The cached replacement of irq_set_irqchip_state(irq, ACTIVE, active) in
 * kvm_timer_vcpu_load_gic(). The check, the write and the update of what is
 * known run with interrupts off, so that the host cannot take the PPI (and
 * run vtc_host_ack()) between them on this CPU.
 */
int vtc_set_irq_phys_active(struct arch_timer_context *ctx, bool active)
{
	struct kvm_vcpu *vcpu = timer_context_to_vcpu(ctx);
	unsigned int irq = ctx->host_timer_irq;
	struct vtc_cache_cpu *c;
	struct vtc_vcpu *vv;
	unsigned long flags;
	int t, cpu, ret = 0;

	t = vtc_timer_index(irq);
	if (unlikely(t < 0))
		return irq_set_irqchip_state(irq, IRQCHIP_STATE_ACTIVE, active);

	vv = vtc_vcpu_get(vcpu);

	local_irq_save(flags);
	cpu = smp_processor_id();
	c = this_cpu_ptr(&vtc_hw);
	/*
	 * After a missed probe hit, a foreign write or a deactivation may
	 * have gone unseen: no skip, ever again.
	 */
	if (!vtc_probe_missed() &&
	    vtc_cache_may_skip(&vtc_cache, c, t, active)) {
		if (unlikely(READ_ONCE(vtc_verify)))
			vtc_verify_write(irq, active, true);
		__this_cpu_inc(vtc_stats.skipped[t]);
		if (vv)
			vv->skipped++;
		vtc_hook_skip(cpu, t, vcpu->vcpu_id);
	} else {
		if (unlikely(READ_ONCE(vtc_verify)))
			vtc_verify_write(irq, active, false);
		__this_cpu_write(vtc_in_write, 1);
		ret = irq_set_irqchip_state(irq, IRQCHIP_STATE_ACTIVE, active);
		__this_cpu_write(vtc_in_write, 0);
		if (likely(!ret)) {
			vtc_cache_learn(&vtc_cache, c, t, active);
		} else {
			vtc_cache_forget_cpu(c, t);
			__this_cpu_inc(vtc_stats.inval[VTC_INV_WRITE_ERROR]);
			vtc_hook_invalidate(cpu, VTC_INV_WRITE_ERROR);
		}
		__this_cpu_inc(vtc_stats.issued[t]);
		if (vv)
			vv->issued++;
		vtc_hook_issue(cpu, t, vcpu->vcpu_id, active);
	}
	if (vv) {
		vv->state[t] = active;
		vv->cpu[t] = cpu;
	}
	local_irq_restore(flags);
	return ret;
}

/*
 * The host acknowledged timer PPI @irq on this CPU (hard irq context, from
 * the patched handler). A forwarded PPI stays active after the handler: the
 * only irq_chips that can forward (irq_set_vcpu_affinity) are the GICs'
 * EOImode 1 chips, whose irq_eoi leaves a forwarded interrupt active for
 * the guest to deactivate (gic_eoimode1_eoi_irq(), irq-gic-v3.c:686 and
 * irq-gic.c:228). Anything else: the bit's fate is unknown.
 */
void vtc_host_ack(unsigned int irq)
{
	struct irq_data *d = irq_get_irq_data(irq);
	int t = vtc_timer_index(irq);

	if (t < 0) {
		vtc_invalidate_all(VTC_INV_HOST_ACK);
		return;
	}
	if (likely(d && irqd_is_forwarded_to_vcpu(d))) {
		vtc_cache_learn(&vtc_cache, this_cpu_ptr(&vtc_hw), t, true);
		__this_cpu_inc(vtc_stats.learnt_ack[t]);
		return;
	}
	vtc_cache_forget_cpu(this_cpu_ptr(&vtc_hw), t);
	__this_cpu_inc(vtc_stats.inval[VTC_INV_HOST_ACK]);
	vtc_hook_invalidate(smp_processor_id(), VTC_INV_HOST_ACK);
}

/*
 * After a guest run on this CPU (interrupts off, from the fold probes):
 * @lr[t] says what the list registers showed for timer t's PPI.
 */
void vtc_guest_ran(const enum vtc_lr *lr)
{
	struct vtc_cache_cpu *c = this_cpu_ptr(&vtc_hw);
	int t;

	for (t = 0; t < VTC_NR_TIMERS; t++) {
		switch (lr[t]) {
		case VTC_LR_DEACTIVATED:
			/* the guest's deactivation cleared the bit */
			vtc_cache_learn(&vtc_cache, c, t, false);
			__this_cpu_inc(vtc_stats.learnt_eoi[t]);
			break;
		case VTC_LR_LIVE:
			/* not deactivated: the bit is what it was */
			break;
		case VTC_LR_UNKNOWN:
			/* a deactivation we cannot see may have cleared it */
			if (c->known[t] && c->state[t]) {
				vtc_cache_forget_active(c, t);
				__this_cpu_inc(vtc_stats.inval[VTC_INV_GUEST_RUN]);
				vtc_hook_invalidate(smp_processor_id(),
						    VTC_INV_GUEST_RUN);
			}
			break;
		}
	}
}
