// SPDX-License-Identifier: GPL-2.0-only
/*
 * Read-side ordering of the trust state, with the reordering made explicit.
 *
 * The previous design kept two words: "trusted", and an "epoch" stamped on
 * what was learnt. post_patch bumped the epoch (fully ordered), then set
 * trusted; a load read trusted, then the epoch, with two plain independent
 * loads, which the CPU may satisfy in either order.
 *
 * On one CPU and timer: (1) in a klp transition, untrusted, a patched load
 * writes 0 and learns it, stamped with the epoch (generation) of then;
 * (2) a task still on stock code writes 1 there, learning nothing;
 * (3) post_patch; (4) a patched load wanting 0 reads the trust state.
 * Each of its loads returns a word as of some point of step 3: in order, a
 * later load never returns an older state than an earlier one; reordered,
 * the epoch load may. The old design then paired trusted = 1 with the epoch
 * of step 1 and skipped over a 1. The new one reads one word, which cannot
 * be torn: before post_patch it is 0, after it a generation that nothing
 * learnt in step 1 carries.
 *
 * Only the new design is a test: a copy of the old code kept here could
 * not fail on any change of include/ or src/, so it is not run; this
 * comment keeps why the design changed.
 */
#include <stdio.h>

#include "model.h"

int ordering_new_design(void)
{
	struct vtc_trust tr = { .gen = 0, .last = 6 };
	struct vtc_cache_cpu c = { .known = { 0 } };
	unsigned long w[2];
	int i, wrong = 0;
	bool hw;

	vtc_trust_begin(&tr);			/* an earlier trusted period */
	vtc_cache_written(vtc_trust_gen(&tr), &c, 0, true, 0);
	vtc_trust_end(&tr);			/* pre_patch */
	vtc_cache_written(vtc_trust_gen(&tr), &c, 0, false, 0);	/* 1 */
	hw = true;				/* 2 */
	w[0] = vtc_trust_gen(&tr);		/* 3 */
	vtc_trust_begin(&tr);
	w[1] = vtc_trust_gen(&tr);
	for (i = 0; i < 2; i++) {		/* 4: one load, either state */
		bool skip = vtc_cache_may_skip(w[i], &c, 0, false);

		wrong += skip && hw;
		printf("#   new: gen %lu: %s\n", w[i],
		       skip ? "skip, WRONG: the bit is 1" : "write");
	}
	printf("#   new design: wrong skips: %d\n", wrong);
	return wrong;
}
