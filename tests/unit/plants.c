// SPDX-License-Identifier: GPL-2.0-only
/*
 * The module's side of the model: at each place where vtimer-cache hooks
 * the kernel, what src/vtc_core.c and src/mirror/ do with the API of
 * include/vtc_cache.h, on the model's state. Each "if (m->plant == ...)" is
 * a planted mistake in that use; the suite requires every one to make the
 * cached system's GIC bits differ from the stock system's.
 */
#include "model.h"

const struct plant_info plants[P_NR] = {
	[P_NONE] = { "none", "the module as written" },
	[P_ACK_NOFWD] = { "ack-nofwd-learns-1",
		"a host ack learns 1 even if not forwarded (its EOI deactivates)" },
	[P_FOLD_LIVE] = { "fold-live-learns-0",
		"the fold learns 0 from a live (pending or active) HW LR" },
	[P_FOLD_NESTED] = { "fold-nested-learns",
		"the fold learns for a vcpu with nested virt (nested=false)" },
	[P_NO_LOAD_BEGIN] = { "no-load-begin",
		"vtc_cache_load_begin() never called: L2's deactivations unseen" },
	[P_LATE_LOAD_BEGIN] = { "late-load-begin",
		"vtc_cache_load_begin() after the vtimer's skip decision" },
	[P_NO_MASK] = { "no-mask-forget",
		"KVM's CPU down masks (deactivates) the PPIs, nothing forgotten" },
	[P_NO_PM] = { "no-pm-forget", "CPU PM enter/exit forget nothing" },
	[P_NO_HOTPLUG_MASK] = { "no-hotplug-no-mask-forget",
		"neither hotplug nor CPU-down mask forget (no virt-off events)" },
	[P_TRUST_TRANSITION] = { "trusted-in-transition",
		"vtc_trust_end() never called: trusted during klp transitions" },
	[P_TRUST_PRE_PATCH] = { "trust-at-pre-patch",
		"trust begins at pre_patch, not post_patch" },
	[P_SKIP_NO_GEN] = { "skip-ignores-gen",
		"skip when known[t] != 0, without comparing it to gen" },
	[P_LEARN_FAILED] = { "learn-failed-write",
		"vtc_cache_written() told ret = 0 for a failed write" },
	[P_OWN_NOOP] = { "learn-own-noop-write",
		"the load learns what it asked for though its write did nothing" },
	[P_WRONG_CPU] = { "foreign-learnt-on-target-cpu",
		"a foreign write learnt on the target vcpu's CPU, not the writer's" },
	[P_FOLD_PSEUDO] = { "fold-pseudo-as-real",
		"the fold takes KVM's pseudo LR for a real one (on_lr not read)" },
	[P_NO_HOTPLUG] = { "no-hotplug-forget",
		"hotplug callbacks forget nothing (KVM's CPU down still does)",
		true },
};

static struct vtc_cache_cpu *cc(struct model *m, int c)
{
	return &m->cpu[c].cache;
}

static unsigned long gen(struct model *m)
{
	return vtc_trust_gen(&m->trust);
}

/*
 * vtc_load_timer(): one timer of a load by the patched code, on CPU @c,
 * interrupts off; the vtimer comes first. Returns true if it skipped.
 */
bool mod_load_timer(struct model *m, int c, int t, bool v, bool nv)
{
	struct vtc_cache_cpu *p = cc(m, c);
	unsigned long g;
	bool skip;
	int ret;

	g = gen(m);
	if (t == 0 && m->plant != P_NO_LOAD_BEGIN &&
	    m->plant != P_LATE_LOAD_BEGIN && vtc_cache_load_begin(p, g, nv))
		m->n->cov[C_LOAD_BEGIN_FORGOT]++;
	if (m->plant == P_SKIP_NO_GEN)
		skip = p->known[t] && p->state[t] == v;
	else
		skip = vtc_cache_may_skip(g, p, t, v);
	if (t == 0 && m->plant == P_LATE_LOAD_BEGIN)
		vtc_cache_load_begin(p, g, nv);
	if (skip)
		return true;
	/* Through the patched irq_set_irqchip_state(): mod_written(). */
	ret = irqchip_write(m, c, t, v, true, true, c);
	if (ret && m->plant == P_OWN_NOOP)
		vtc_cache_learn(g, p, t, v);
	return false;
}

/*
 * vtc_active_written(), from the patched irq_set_irqchip_state() under the
 * descriptor lock on the writer's CPU @c, for every writer.
 */
void mod_written(struct model *m, int c, int t, bool v, int ret, bool own,
		 int target_cpu)
{
	int lc = c;

	if (m->plant == P_WRONG_CPU && !own) {
		if (target_cpu < 0 || target_cpu == c)
			target_cpu = (c + 1) % m->ncpu;
		if (m->cpu[target_cpu].online)
			lc = target_cpu;
	}
	if (m->plant == P_LEARN_FAILED)
		ret = 0;
	vtc_cache_written(gen(m), cc(m, lc), t, v, ret);
}

/* vtc_host_ack(), from the patched kvm_arch_timer_handler(). */
void mod_acked(struct model *m, int c, int t, bool fwd)
{
	if (m->plant == P_ACK_NOFWD)
		fwd = true;
	vtc_cache_acked(gen(m), cc(m, c), t, fwd);
}

/*
 * vtc_lr_folded(), from the patched vgic_v{2,3}_fold_lr(): a HW LR;
 * @pseudo: !irq->on_lr, KVM built it (EOIcount, trapped DIR).
 */
void mod_fold(struct model *m, int c, int t, bool nv, bool pseudo,
	      bool deactivated)
{
	static const enum cov what[] = {
		[VTC_FOLD_NONE] = C_FOLD_LIVE,
		[VTC_FOLD_LEARNT] = C_FOLD_LEARN0,
		[VTC_FOLD_FORGOT] = C_FOLD_NESTED,
		[VTC_FOLD_FORGOT_PSEUDO] = C_DIR_PENDING,
	};

	if (m->plant == P_FOLD_LIVE)
		deactivated = true;
	if (m->plant == P_FOLD_NESTED)
		nv = false;
	if (m->plant == P_FOLD_PSEUDO)
		pseudo = false;
	m->n->cov[what[vtc_cache_fold(gen(m), cc(m, c), t, nv, pseudo,
				      deactivated)]]++;
}

/*
 * vtc_cpu_forget() on CPU @c: from the patched kvm_timer_cpu_down() after
 * it masked the PPIs (irqs off), from the cpuhp callbacks (offline and
 * online) and from the CPU PM notifier (enter, exit, enter failed).
 */
void mod_forget_cpu(struct model *m, int c, enum forget why)
{
	if ((why == F_MASK && m->plant == P_NO_MASK) ||
	    (why == F_HOTPLUG && m->plant == P_NO_HOTPLUG) ||
	    (why != F_PM && m->plant == P_NO_HOTPLUG_MASK) ||
	    (why == F_PM && m->plant == P_NO_PM))
		return;
	vtc_cache_forget_cpu(cc(m, c));
}

/* The klp callbacks of src/vtc_main.c (vtc_trust()). */
void mod_klp(struct model *m, enum klp_cb cb)
{
	unsigned long last = m->trust.last;

	switch (cb) {
	case CB_PRE_PATCH:
		if (m->plant == P_TRUST_PRE_PATCH)
			vtc_trust_begin(&m->trust);
		else if (m->plant != P_TRUST_TRANSITION)
			vtc_trust_end(&m->trust);
		break;
	case CB_POST_PATCH:
		vtc_trust_begin(&m->trust);
		break;
	case CB_PRE_UNPATCH:
		if (m->plant != P_TRUST_TRANSITION)
			vtc_trust_end(&m->trust);
		break;
	case CB_POST_UNPATCH:	/* a plain disable: trust stays off */
		break;
	}
	if (m->trust.last < last)
		m->n->cov[C_GEN_WRAP]++;
}
