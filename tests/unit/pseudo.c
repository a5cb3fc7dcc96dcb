// SPDX-License-Identifier: GPL-2.0-only
/*
 * The folds of pseudo list registers, step by step, on one CPU and timer.
 *
 * For a trapped DIR (vgic_v{2,3}_deactivate()) and for EOIcount emulation
 * (the end of vgic_v{2,3}_fold_lr_state()), KVM builds an LR itself from
 * the irq's state (vgic_v{2,3}_compute_lr(), irq->on_lr false), clears its
 * active bit, deactivates the physical PPI on this CPU if the LR is HW,
 * and folds it. EOIcount only picks active irqs, and a HW LR of an active
 * irq is never pending: that LR has no state left. A DIR may name an irq
 * the guest has not acked: pending, not active, in no LR. Its pseudo LR
 * is still pending, yet the physical PPI was just deactivated: a 1 the
 * cache knew is gone, and the next load's write of 1 must not be skipped.
 * A real LR still pending at an exit is the opposite case: the GIC left
 * the physical PPI active, and the 1 stays known.
 */
#include <stdio.h>

#include "model.h"

struct pseudo_case {
	const char *what;
	bool pseudo;		/* KVM built the LR (irq->on_lr false) */
	bool kvm_dir;		/* KVM deactivated the physical PPI first */
	bool deactivated;	/* the LR has no state left */
	bool load;		/* the value the next load writes */
	bool want_skip;		/* the cache should know the bit by then */
};

static const struct pseudo_case cases[] = {
	{ "trapped DIR of a pending, not active irq: pseudo LR pending",
	  true, true, false, true, false },
	{ "EOIcount or DIR of an active irq: pseudo LR with no state",
	  true, true, true, false, true },
	{ "EOIcount or DIR of an active irq: pseudo LR with no state",
	  true, true, true, true, false },
	{ "a real HW LR still pending at the exit",
	  false, false, false, true, true },
};

int pseudo_lr_cases(void)
{
	int i, bad = 0;

	for (i = 0; i < (int)ARRAY_SIZE(cases); i++) {
		const struct pseudo_case *k = &cases[i];
		struct vtc_trust tr = { .gen = 0, .last = 0 };
		struct vtc_cache_cpu c = { .known = { 0 } };
		unsigned long g;
		bool hw, skip;
		int wrong;

		vtc_trust_begin(&tr);
		g = vtc_trust_gen(&tr);
		/* the host takes the forwarded PPI: active, and known to be */
		hw = true;
		vtc_cache_acked(g, &c, 0, true);
		if (k->kvm_dir)
			hw = false;	/* vgic_v3_deactivate_phys() */
		vtc_cache_fold(g, &c, 0, false, k->pseudo, k->deactivated);
		skip = vtc_cache_may_skip(g, &c, 0, k->load);
		wrong = skip && hw != k->load;
		printf("#   %s; load writes %d over %d: %s%s\n", k->what,
		       k->load, hw, skip ? "skipped" : "written",
		       wrong ? ", WRONG" :
		       skip != k->want_skip ? ", known no more (a lost skip)" : "");
		bad += wrong || skip != k->want_skip;
	}
	return bad;
}
