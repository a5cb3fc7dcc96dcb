/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vtimer-cache: the cache rule, shared by the module and the userspace model
 * test (tests/unit), which runs this code and not a copy of it.
 *
 * Per CPU and direct timer t (0 vtimer, 1 ptimer), the cache keeps the value
 * of that CPU's GIC active bit of the timer's PPI, and the trust generation
 * in which it was learnt (0: nothing known). The generation is a single
 * global word: 0 while the klp patch is not trusted (before post_patch and
 * from pre_unpatch on), a fresh non-zero value from each post_patch. One
 * word, so that no reader can pair "trusted" with knowledge from before the
 * trust began (docs/design.md, "Ordering").
 *
 * Invariant: if gen != 0 and known[t] == gen on CPU c, the bit of PPI t on
 * c holds state[t]. A write of v is skipped only if that holds and
 * state[t] == v.
 *
 * Every value is learnt or forgotten on the CPU it describes, with
 * interrupts off, by code that the klp patch put on the path that changes
 * the bit: a PPI's bit is banked per CPU, and every write of it hits the
 * CPU the writer runs on.
 *  - vtc_cache_written(): any write of the active state, under the irq
 *    descriptor lock: the cache's own, which goes to the GIC chip
 *    directly, and every other writer's, made through the patched
 *    irq_set_irqchip_state() (7.3: the patched __irq_set_irqchip_state());
 *  - vtc_cache_acked(): the host acked the PPI (patched timer handler): 1,
 *    if the irq is forwarded to a vcpu (its EOI then leaves it active);
 *  - vtc_cache_fold(): the vgic folds a HW list register of the PPI after a
 *    guest run, a trapped DIR, or EOIcount emulation (patched
 *    vgic_v{2,3}_fold_lr()): an LR with no state left was deactivated, and
 *    the GIC deactivated the physical PPI on this CPU with it; a pseudo LR
 *    that KVM built after deactivating the PPI itself, but that is still
 *    pending, leaves the bit unknown;
 *  - vtc_cache_load_begin(): a nested guest's list registers are not
 *    folded here, so once a vcpu with nested virtualization was loaded on
 *    a CPU, a known 1 there is not trusted at the next load;
 *  - vtc_cache_forget_cpu(): hotplug, CPU PM, masking (KVM's CPU down).
 */
#ifndef VTC_CACHE_H
#define VTC_CACHE_H

#ifdef __KERNEL__
#include <linux/compiler.h>
#include <linux/types.h>
#include <asm/barrier.h>
#define VTC_READ(x)		READ_ONCE(x)
#define VTC_WRITE(x, v)		WRITE_ONCE(x, v)
/* The generation: read once per decision; see docs/design.md "Ordering". */
#define vtc_gen_load(p)		smp_load_acquire(p)
/* post_patch publishes it after every task runs the patched code. */
#define vtc_gen_store(p, v)	smp_store_release(p, v)
#else
#include <stdbool.h>
#define VTC_READ(x)		(x)
#define VTC_WRITE(x, v)		((x) = (v))
#define vtc_gen_load(p)		(*(p))
#define vtc_gen_store(p, v)	(*(p) = (v))
#endif

#define VTC_NR_TIMERS	2	/* direct timers: 0 = vtimer, 1 = ptimer */

struct vtc_cache_cpu {
	unsigned long known[VTC_NR_TIMERS];	/* generation state[t] is of */
	unsigned char state[VTC_NR_TIMERS];	/* the bit, if known */
	/*
	 * Byte 18 was a "nested" flag up to 0.2.0: unused now, the layout
	 * stays that of the builds this one stacks on (vtc_state.c), and
	 * every change of owner starts a new generation, so neither reads
	 * the other's meaning of load_gen.
	 */
	unsigned char reserved;
	unsigned long load_gen;	/* of the last patched load; 0: nested-virt */
};

/* The trust generation: 0 = not trusted (klp transition, disabled). */
struct vtc_trust {
	unsigned long gen;
	unsigned long last;	/* the last generation handed out */
};

static inline unsigned long vtc_trust_gen(const struct vtc_trust *tr)
{
	return vtc_gen_load(&tr->gen);
}

/* post_patch: everything learnt before is void from now on. */
static inline void vtc_trust_begin(struct vtc_trust *tr)
{
	if (!++tr->last)
		++tr->last;		/* 0 means "untrusted" */
	vtc_gen_store(&tr->gen, tr->last);
}

/* pre_patch, pre_unpatch: nothing is skipped until the next begin. */
static inline void vtc_trust_end(struct vtc_trust *tr)
{
	VTC_WRITE(tr->gen, 0);
}

/* May a write of @v to timer @t on this CPU be skipped? */
static inline bool vtc_cache_may_skip(unsigned long gen,
				      const struct vtc_cache_cpu *c, int t,
				      bool v)
{
	return gen && c->known[t] == gen && c->state[t] == v;
}

/* This CPU's bit of timer @t is @v, as of generation @gen. */
static inline void vtc_cache_learn(unsigned long gen, struct vtc_cache_cpu *c,
				   int t, bool v)
{
	c->state[t] = v;
	c->known[t] = gen;
}

/* This CPU's bit of timer @t may have changed: nothing is known. */
static inline void vtc_cache_forget(struct vtc_cache_cpu *c, int t)
{
	c->known[t] = 0;
}

/* A known 1 of timer @t may have been cleared; true if one was known. */
static inline bool vtc_cache_forget_active(struct vtc_cache_cpu *c, int t)
{
	if (!c->known[t] || !c->state[t])
		return false;
	c->known[t] = 0;
	return true;
}

/* Nothing is known on this CPU any more (hotplug, PM, masked). */
static inline void vtc_cache_forget_cpu(struct vtc_cache_cpu *c)
{
	int t;

	for (t = 0; t < VTC_NR_TIMERS; t++)
		vtc_cache_forget(c, t);
}

/*
 * A write of @v to timer @t's active state ran on this CPU, interrupts off,
 * and returned @ret: the bit is @v, or unknown if the write failed.
 */
static inline void vtc_cache_written(unsigned long gen,
				     struct vtc_cache_cpu *c, int t, bool v,
				     int ret)
{
	if (ret)
		vtc_cache_forget(c, t);
	else
		vtc_cache_learn(gen, c, t, v);
}

/*
 * The host acked timer @t's PPI on this CPU. Forwarded to a vcpu, it stays
 * active after the handler's EOI (the guest deactivates it); otherwise the
 * EOI deactivates it at some point we do not see.
 */
static inline void vtc_cache_acked(unsigned long gen, struct vtc_cache_cpu *c,
				   int t, bool forwarded)
{
	if (forwarded)
		vtc_cache_learn(gen, c, t, true);
	else
		vtc_cache_forget(c, t);
}

/* What vtc_cache_fold() did. */
enum vtc_fold {
	VTC_FOLD_NONE,		/* a real LR is live: the bit is still 1 */
	VTC_FOLD_LEARNT,	/* deactivated: the bit is 0 */
	VTC_FOLD_FORGOT,	/* nested: not trusted */
	VTC_FOLD_FORGOT_PSEUDO,	/* KVM deactivated a pending PPI: unknown */
};

/*
 * The vgic folds a HW list register that maps timer @t's PPI on this CPU,
 * interrupts off. @pseudo: KVM built the LR itself (irq->on_lr false) for
 * a trapped DIR or EOIcount, right after deactivating the physical PPI on
 * this CPU (except in nested state: @nested), instead of reading it back
 * from the GIC.
 *
 * An LR with no state left was deactivated, by the guest or by KVM, and
 * with it the physical PPI on this CPU. A real LR that is still live
 * (pending or active) did not change it: a HW LR is never pending and
 * active at once, so "still pending" hides no deactivation. That holds
 * only for a real LR: a pseudo LR follows KVM's deactivation of the PPI
 * whatever state it has left. One still pending (a trapped DIR of an
 * interrupt the guest had not acked) does not show it, so the bit is not
 * known. It is likely 0, but that would rest on KVM's code around the
 * fold, not on the LR; a guest that does this is rare, so the bit is
 * forgotten, for one write at the next load.
 * A vcpu with nested virtualization may fold a guest hypervisor's LRs
 * whose deactivation happened elsewhere: nothing is learnt from it.
 */
static inline enum vtc_fold vtc_cache_fold(unsigned long gen,
					   struct vtc_cache_cpu *c, int t,
					   bool nested, bool pseudo,
					   bool deactivated)
{
	if (nested) {
		vtc_cache_forget(c, t);
		return VTC_FOLD_FORGOT;
	}
	if (deactivated) {
		vtc_cache_learn(gen, c, t, false);
		return VTC_FOLD_LEARNT;
	}
	if (!pseudo)
		return VTC_FOLD_NONE;
	vtc_cache_forget(c, t);
	return VTC_FOLD_FORGOT_PSEUDO;
}

/*
 * A vcpu is loaded on this CPU in generation @gen (@nested: it has nested
 * virtualization), before its timers are programmed. A nested guest
 * deactivates through list registers that the host never folds
 * (vgic_v3_sync_nested()), so a known 1 does not outlive the residency of
 * a nested-virt vcpu: it is forgotten at the next load. A residency that
 * began in another generation may have begun in stock code, which set no
 * flag: klp can switch a task to the patched code while its vcpu stays
 * loaded (klp_sched_try_switch() in __schedule(), which may pick the same
 * task again). Returns the timers whose 1 was forgotten.
 *
 * One word says both: load_gen is the generation of the last load, or 0
 * if that load was of a nested-virt vcpu. Either way a next load in a
 * trusted generation (never 0) finds load_gen != gen and forgets. While
 * untrusted (gen 0) nothing is known (vtc_cache_learn() of gen 0 leaves
 * known[t] == 0), so there is nothing to forget.
 */
static inline unsigned int vtc_cache_load_begin(struct vtc_cache_cpu *c,
						unsigned long gen,
						bool nested)
{
	unsigned int forgot = 0;
	int t;

	/* The common case: one compare, nothing to store. */
	if (c->load_gen == gen && !nested)
		return 0;
	if (c->load_gen != gen)
		for (t = 0; t < VTC_NR_TIMERS; t++)
			if (vtc_cache_forget_active(c, t))
				forgot |= 1U << t;
	c->load_gen = nested ? 0 : gen;
	return forgot;
}

#endif /* VTC_CACHE_H */
