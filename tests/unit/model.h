/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vtc-model: the timer PPI active bits of an arm64 KVM host, run as a stock
 * kernel and as one with vtimer-cache side by side (README.md).
 *
 *   model.c     the hardware and the kernel
 *   plants.c    the module's use of include/vtc_cache.h, and planted mistakes
 *   ordering.c  the read-side ordering case
 *   driver.c    seeds, steps, TAP
 */
#ifndef VTC_MODEL_H
#define VTC_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "vtc_cache.h"		/* the module's rule, not a copy */

#define MAX_CPUS	4
#define MAX_VCPUS	3
#define NT		VTC_NR_TIMERS
#define TRACE_LINES	32	/* events kept for a replay */

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
/* as tools/include/linux/compiler-gcc.h */
#define __printf(a, b)	__attribute__((format(printf, a, b)))

enum plant {
	P_NONE, P_ACK_NOFWD, P_FOLD_LIVE, P_FOLD_NESTED, P_NO_LOAD_BEGIN,
	P_LATE_LOAD_BEGIN, P_NO_MASK, P_NO_PM, P_NO_HOTPLUG_MASK,
	P_TRUST_TRANSITION, P_TRUST_PRE_PATCH, P_SKIP_NO_GEN, P_LEARN_FAILED,
	P_OWN_NOOP, P_WRONG_CPU, P_FOLD_PSEUDO, P_NO_HOTPLUG,
	P_NR,
};

struct plant_info {
	const char *name, *what;
	bool redundant;		/* another forget covers it: never caught */
};

extern const struct plant_info plants[P_NR];

enum klp_state { KLP_DISABLED, KLP_ENABLING, KLP_ENABLED, KLP_DISABLING };
enum klp_cb { CB_PRE_PATCH, CB_POST_PATCH, CB_PRE_UNPATCH, CB_POST_UNPATCH };

/* Situations the real rule must go through (the coverage test) */
enum cov {
	C_SKIP0, C_SKIP1, C_SKIP_MIGRATED, C_ACK_FWD, C_ACK_NOFWD,
	C_FOLD_LEARN0, C_FOLD_LIVE, C_FOLD_NESTED, C_GH_FOLD, C_EOICOUNT,
	C_DIR_PENDING, C_RESAMPLE, C_L2_DEACT, C_LOAD_BEGIN_FORGOT, C_HAMMER,
	C_FOREIGN, C_FOREIGN_ELSEWHERE, C_WRITE_FAILED, C_MASK, C_HOTPLUG,
	C_PM, C_KLP_REVERSE, C_OLD_LOAD, C_GEN_WRAP,
	C_NR,
};

extern const char *const cov_names[C_NR];

struct counts {
	unsigned long long decisions, skips, issued, needed;
	unsigned long long stock_writes, stock_needed, cov[C_NR];
};

struct vcpu {
	int cpu, last_cpu;	/* loaded on (-1: not), last time */
	bool newcode;		/* its thread's klp state is patched */
	bool nv;		/* nested virtualization */
	bool out[NT];		/* the timer's output */
	bool active[NT];	/* vgic irq->active */
	bool level[NT];		/* vgic irq->line_level */
};

enum { STOCK, CACHED };

struct cpu {
	bool online;
	int vcpu;		/* loaded here (-1: none) */
	bool hw[2][NT];		/* the GIC bits, [STOCK] and [CACHED] */
	struct vtc_cache_cpu cache;	/* the cached system's */
};

struct model {
	uint64_t rng;
	enum plant plant;
	int trace;		/* the CPU whose events tr() keeps; -2: none */
	bool switch_loaded;	/* klp may switch a task with its vcpu loaded */
	int ncpu, nvcpu, ntimers;	/* ntimers: 2 on VHE, 1 on nVHE */
	bool fwd_always;	/* the timer irqs are always forwarded */
	bool wfail;		/* the write being made fails */
	enum klp_state klp;
	struct vtc_trust trust;
	struct cpu cpu[MAX_CPUS];
	struct vcpu v[MAX_VCPUS];
	struct counts *n;	/* where this run counts (the driver's) */
};

unsigned int rnd(struct model *m, unsigned int n);
void tr(struct model *m, int cpu, const char *fmt, ...) __printf(3, 4);
void trace_dump(unsigned int lines);

void model_init(struct model *m, uint64_t seed, enum plant plant);
void model_step(struct model *m);
bool model_diverged(const struct model *m, int *cpu, int *t);
int irqchip_write(struct model *m, int c, int t, bool v, bool own,
		  bool newfn, int target_cpu);

/* plants.c: the module's hooks */
bool mod_load_timer(struct model *m, int c, int t, bool v, bool nv);
void mod_written(struct model *m, int c, int t, bool v, int ret, bool own,
		 int target_cpu);
void mod_acked(struct model *m, int c, int t, bool fwd);
void mod_fold(struct model *m, int c, int t, bool nv, bool pseudo,
	      bool deactivated);
enum forget { F_MASK, F_HOTPLUG, F_PM };
void mod_forget_cpu(struct model *m, int c, enum forget why);
void mod_klp(struct model *m, enum klp_cb cb);

/* ordering.c: 0 if the case shows what it should */
int ordering_new_design(void);

/* pseudo.c: the pseudo-LR folds, step by step; the number of wrong skips */
int pseudo_lr_cases(void);

#endif /* VTC_MODEL_H */
