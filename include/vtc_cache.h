/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vtimer-cache: the cache decision, shared by the module and the userspace
 * model test (tests/unit). It is pure logic over three pieces of state:
 *
 *  - a global epoch, bumped by every event that may have made the timer
 *    PPI's hardware active bit unknown on some or all CPUs;
 *  - a global "trusted" flag, set only between the klp post_patch and
 *    pre_unpatch callbacks, and a count of foreign writes in flight;
 *  - per CPU and per direct timer, the value of that CPU's bit and the
 *    epoch at which it was learnt (0: nothing known). It is learnt from
 *    this code's own writes, from the host's ack (the bit is then 1), and
 *    from the vgic's fold of the list registers after a guest run (a
 *    HW-mapped LR the guest deactivated: the bit is then 0).
 *
 * The invariant (docs/design.md): if known[cpu][t] == epoch, trusted and
 * no foreign write is in flight, the hardware bit of timer t on cpu holds
 * state[cpu][t]. Only then may a write of that same value be skipped.
 * Paths that can clear the bit behind our back forget a known "active":
 * KVM's deactivations and masks are bracketed like foreign writes; a guest
 * run may leave a known 1 stale, but interrupts stay off on that CPU from
 * the vgic flush to the fold, whose hook updates what is known before
 * anything on that CPU can read it. The invariant holds on every CPU that
 * is not between a flush and its fold.
 *
 * Callers serialise per CPU: the check, the write and the update run with
 * interrupts disabled on that CPU.
 */
#ifndef VTC_CACHE_H
#define VTC_CACHE_H

#ifdef __KERNEL__
#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/types.h>
#define VTC_READ(x)		READ_ONCE(x)
#define VTC_WRITE(x, v)		WRITE_ONCE(x, v)
struct vtc_epoch { atomic_long_t v; };
#define vtc_epoch_read(p)	((unsigned long)atomic_long_read(&(p)->v))
#define vtc_epoch_set(p, x)	atomic_long_set(&(p)->v, x)
#define vtc_epoch_inc(p)	((unsigned long)atomic_long_inc_return(&(p)->v))
struct vtc_count { atomic_t v; };
#define vtc_count_read(p)	atomic_read(&(p)->v)
#define vtc_count_set(p, x)	atomic_set(&(p)->v, x)
#define vtc_count_inc(p)	atomic_inc(&(p)->v)
#define vtc_count_dec(p)	atomic_dec(&(p)->v)
#else
#include <stdbool.h>
#define VTC_READ(x)		(x)
#define VTC_WRITE(x, v)		((x) = (v))
struct vtc_epoch { unsigned long v; };
#define vtc_epoch_read(p)	((p)->v)
#define vtc_epoch_set(p, x)	((p)->v = (x))
#define vtc_epoch_inc(p)	(++(p)->v)
struct vtc_count { int v; };
#define vtc_count_read(p)	((p)->v)
#define vtc_count_set(p, x)	((p)->v = (x))
#define vtc_count_inc(p)	(++(p)->v)
#define vtc_count_dec(p)	(--(p)->v)
#endif

#define VTC_NR_TIMERS	2	/* direct timers: 0 = vtimer, 1 = ptimer */

struct vtc_cache_global {
	struct vtc_epoch epoch;		/* never 0 */
	int trusted;			/* post_patch .. pre_unpatch */
	struct vtc_count foreign_inflight;	/* foreign active writes under way */
};

struct vtc_cache_cpu {
	unsigned long known[VTC_NR_TIMERS];	/* epoch state[] was learnt */
	unsigned char state[VTC_NR_TIMERS];	/* the bit, if known */
};

static inline void vtc_cache_init(struct vtc_cache_global *g)
{
	vtc_epoch_set(&g->epoch, 1);
	g->trusted = 0;
	vtc_count_set(&g->foreign_inflight, 0);
}

/*
 * May the write of @active to timer @t on this CPU be skipped? Only a write
 * of the value the bit is known to hold.
 */
static inline bool vtc_cache_may_skip(const struct vtc_cache_global *g,
				      const struct vtc_cache_cpu *c,
				      int t, bool active)
{
	if (!VTC_READ(g->trusted) || vtc_count_read(&g->foreign_inflight))
		return false;
	return VTC_READ(c->known[t]) == vtc_epoch_read(&g->epoch) &&
	       VTC_READ(c->state[t]) == active;
}

/*
 * This CPU's bit of timer @t is now @active: we wrote it, the host acked
 * the PPI (1), or the guest deactivated it through a HW-mapped LR (0).
 */
static inline void vtc_cache_learn(const struct vtc_cache_global *g,
				   struct vtc_cache_cpu *c, int t, bool active)
{
	VTC_WRITE(c->known[t], 0);
	VTC_WRITE(c->state[t], active);
	VTC_WRITE(c->known[t], vtc_epoch_read(&g->epoch));
}

/* This CPU's bit of timer @t may have changed either way. */
static inline void vtc_cache_forget_cpu(struct vtc_cache_cpu *c, int t)
{
	VTC_WRITE(c->known[t], 0);
}

/*
 * This CPU's bit of timer @t may have been cleared (a guest ran, KVM
 * deactivated it): a known 0 still holds, a known 1 does not.
 */
static inline void vtc_cache_forget_active(struct vtc_cache_cpu *c, int t)
{
	if (VTC_READ(c->state[t]))
		VTC_WRITE(c->known[t], 0);
}

/* Nothing is known any more, on any CPU. */
static inline void vtc_cache_forget_all(struct vtc_cache_global *g)
{
	/* 0 means "unknown": step over it if the counter ever wraps. */
	if (!vtc_epoch_inc(&g->epoch))
		vtc_epoch_inc(&g->epoch);
}

/*
 * A write by code other than ours is about to happen (@begin) or has
 * happened. We do not know which CPU's bit it hits if the writer
 * can migrate, so nothing may be skipped anywhere while it is in flight,
 * and everything known before it is forgotten on both edges.
 */
static inline void vtc_cache_foreign(struct vtc_cache_global *g, bool begin)
{
	if (begin)
		vtc_count_inc(&g->foreign_inflight);
	vtc_cache_forget_all(g);
	if (!begin)
		vtc_count_dec(&g->foreign_inflight);
}

/* Start trusting (post_patch) or stop (pre_unpatch): forget everything. */
static inline void vtc_cache_set_trusted(struct vtc_cache_global *g, bool on)
{
	VTC_WRITE(g->trusted, 0);
	vtc_cache_forget_all(g);
	if (on)
		VTC_WRITE(g->trusted, 1);
}

#endif /* VTC_CACHE_H */
