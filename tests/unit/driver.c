// SPDX-License-Identifier: GPL-2.0-only
/*
 * vtc-model: the suite. Each seed is a host (model.c) run for a number of
 * steps; after every step the stock and the cached system's GIC bits must
 * be equal. The real rule must never make them differ and must go through
 * every situation of enum cov; every planted mistake (plants.c) must make
 * them differ, except the one another forget covers. Test 3 runs the real
 * rule with klp switching vcpu threads while their vcpu is loaded (it found
 * a bug, since fixed in include/vtc_cache.h; README.md). The last tests
 * replay fixed cases: the trust ordering, and the folds of KVM's pseudo
 * LRs. KTAP output in tests/ktap.sh's format, last line "N passed, N
 * failed, N skipped"; exit status 0 iff none failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

struct result {
	unsigned long seeds, div_seeds, first_seed;
	unsigned long long steps;
	int first_step, cpu, t;		/* of the first divergence */
};

static unsigned long nseeds = 1000, seed0;
static int nsteps = 3000;
static struct counts total, scratch;	/* the real rule's counts */
static int num, passed, failed, skipped;
static bool switch_loaded;	/* the model's m->switch_loaded */

/* Runs the seeds; stops at the first divergence if @stop. */
static void run(enum plant plant, bool stop, struct result *r)
{
	unsigned long s;
	struct model m;
	int k, cpu, t;

	memset(r, 0, sizeof(*r));
	for (s = seed0; s < seed0 + nseeds; s++) {
		m.trace = -2;
		m.switch_loaded = switch_loaded;
		m.n = plant == P_NONE ? &total : &scratch;
		model_init(&m, s, plant);
		r->seeds++;
		for (k = 1; k <= nsteps; k++) {
			model_step(&m);
			if (model_diverged(&m, &cpu, &t))
				break;
		}
		r->steps += k > nsteps ? nsteps : k;
		if (k <= nsteps && !r->div_seeds++) {
			r->first_seed = s;
			r->first_step = k;
			r->cpu = cpu;
			r->t = t;
		}
		if (r->div_seeds && stop)
			break;
	}
}

/* Replays the first divergent seed, keeping that CPU's events. */
static void replay(enum plant plant, const struct result *r, int lines)
{
	struct model m;
	int k;

	printf("# seed %lu, step %d: cpu%d timer %d differs; its last events:\n",
	       r->first_seed, r->first_step, r->cpu, r->t);
	m.trace = r->cpu;
	m.switch_loaded = switch_loaded;
	m.n = &scratch;
	model_init(&m, r->first_seed, plant);
	for (k = 0; k < r->first_step; k++)
		model_step(&m);
	trace_dump(lines);
}

/* A KTAP result, as tests/ktap.sh prints them: a skip is not a pass */
static void result(bool ok, const char *name, const char *skip)
{
	printf("%sok %d %s%s%s\n", ok ? "" : "not ", ++num, name,
	       skip ? " # SKIP " : "", skip ? skip : "");
	if (!ok)
		failed++;
	else if (skip)
		skipped++;
	else
		passed++;
}

static void test_rule(void)
{
	struct result r;
	bool ok = true;
	int c;

	run(P_NONE, false, &r);
	printf("# %lu seeds x %d steps: cached loads %llu, skipped %llu (%.3f)\n",
	       r.seeds, nsteps, total.decisions, total.skips,
	       total.decisions ? (double)total.skips / total.decisions : 0);
	printf("# writes issued %llu, needed %llu; stock writes %llu, needed %llu\n",
	       total.issued, total.needed, total.stock_writes,
	       total.stock_needed);
	if (r.div_seeds)
		replay(P_NONE, &r, TRACE_LINES);
	result(!r.div_seeds, "rule: stock and cached bits equal after every step",
	       NULL);

	printf("#");
	for (c = 0; c < C_NR; c++) {
		printf(" %s=%llu", cov_names[c], total.cov[c]);
		ok &= total.cov[c] > 0;
	}
	printf("\n");
	result(ok || r.steps < 1000000,
	       "rule: every situation reached, skips of 0 and 1",
	       r.steps < 1000000 ? "fewer than 10^6 steps: not required" : NULL);
}

/*
 * The real rule, when klp switches a vcpu thread while its vcpu stays
 * loaded (see ev_klp()): a nested vcpu loaded by stock code can then stay
 * loaded past post_patch, with vtc_cache_load_begin() never told.
 */
static void test_switch_loaded(void)
{
	struct counts keep = total;
	struct result r;

	switch_loaded = true;
	run(P_NONE, true, &r);
	if (r.div_seeds)
		replay(P_NONE, &r, TRACE_LINES);
	switch_loaded = false;
	total = keep;
	result(!r.div_seeds,
	       "rule, klp switching a task whose vcpu stays loaded: bits equal after every step",
	       NULL);
}

static void test_plant(enum plant p)
{
	const struct plant_info *pi = &plants[p];
	struct result r;
	char name[128];

	snprintf(name, sizeof(name), "plant %s %s", pi->name,
		 pi->redundant ? "not caught (covered)" : "caught");
	printf("# %s: %s\n", pi->name, pi->what);
	run(p, true, &r);
	if (r.div_seeds) {
		printf("# diverged in seed %lu (%lu. seed), step %d: %llu steps in all\n",
		       r.first_seed, r.seeds, r.first_step, r.steps);
		replay(p, &r, pi->redundant ? TRACE_LINES : 8);
	} else {
		printf("# no divergence in %lu seeds x %d steps\n", r.seeds,
		       nsteps);
	}
	result(!r.div_seeds == pi->redundant, name, NULL);
}

static int find_plant(const char *name)
{
	int p = 0;

	while (p < P_NR && strcmp(name, plants[p].name))
		p++;
	return p;
}

int main(int argc, char **argv)
{
	int i, p = -1;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seeds"))
			nseeds = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--steps"))
			nsteps = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--seed"))
			seed0 = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--plant"))
			p = find_plant(argv[i + 1]);
		else
			break;
	}
	if (i != argc || !nseeds || nsteps <= 0 || p == P_NR) {
		fprintf(stderr, "usage: %s [--seeds N] [--steps N] [--seed FIRST] [--plant NAME]\n  plants:",
			argv[0]);
		for (p = 0; p < P_NR; p++)
			fprintf(stderr, " %s", plants[p].name);
		fprintf(stderr, "\n");
		return 2;
	}

	printf("KTAP version 1\n");
	printf("1..%d\n", p > 0 ? 1 : p == 0 ? 3 : 3 + (P_NR - 1) + 2);
	printf("# vtc-model: %lu seeds x %d steps, 2-%d cpus, 1-%d vcpus\n",
	       nseeds, nsteps, MAX_CPUS, MAX_VCPUS);
	if (p <= 0) {
		test_rule();
		test_switch_loaded();
	}
	for (i = 1; i < P_NR; i++)
		if (p < 0 || p == i)
			test_plant(i);
	if (p < 0) {
		result(!ordering_new_design(),
		       "ordering: single-word generation, no reader view skips wrongly",
		       NULL);
		result(!pseudo_lr_cases(),
		       "pseudo LR: KVM's DIR of a pending irq forgets a 1, a deactivation learns 0",
		       NULL);
	}
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
