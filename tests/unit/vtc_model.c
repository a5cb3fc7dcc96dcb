// SPDX-License-Identifier: GPL-2.0-only
/*
 * vtc-model: a userspace model of the timer PPI active bits, run under a
 * stock kernel and under the vtimer-cache kernel side by side.
 *
 * Both systems see the same random sequence of hardware and software
 * events. The stock system writes phys_active on every vcpu load, as
 * kvm_timer_vcpu_load_gic() does; the cached one makes the decision of
 * vtc_set_irq_phys_active() with the real include/vtc_cache.h, and learns
 * and forgets the bit's value where the module hooks the kernel: the host
 * ack, the vgic's fold of the list registers after a guest run, the nested
 * exit, the DIR trap, foreign writes, hotplug, CPU PM, klp callbacks.
 * After every step the per-CPU, per-timer hardware bits of both must be
 * equal: the cache may only skip a write that would not change the bit.
 *
 * Guest runs are explicit: entry (the vgic flush puts each pending or
 * active timer in a HW-mapped list register, unless the LRs overflow),
 * guest acks and deactivations through those LRs while the vcpu runs
 * (the only way the guest clears the physical bit), exit through the fold
 * (vgic_v3_fold_lr_state(): LR state back to the vgic, EOIcount emulation,
 * resampling) or, from a nested guest, through vgic_v3_sync_nested().
 * Between entry and exit the CPU has interrupts off: no host ack, no load,
 * no foreign write lands there. Line numbers: linux-source-7.2.
 *
 * --plant BUG injects a known mistake into the model's use of the API; the
 * suite (no arguments) requires each one to be caught, and the real code
 * and the harmless variants to show no divergence at all.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vtc_cache.h"		/* the module's decision, not a copy */

#define MAX_CPUS	4
#define MAX_VCPUS	3
#define NT		VTC_NR_TIMERS
#define MAX_WRITERS	2
#define TRACE_LINES	32

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

enum plant {
	P_NONE,
	P_OLD_DESIGN,		/* the previous design: only "inactive" known */
	P_NO_ACK,		/* the host ack learns nothing */
	P_NO_ABSENT_FORGET,	/* fold: no forget when no LR maps the PPI */
	P_FOLD_LIVE,		/* fold: learns 0 for a live LR too */
	P_NO_NESTED,		/* nested exit forgets nothing */
	P_NO_DIR,		/* DIR trap not bracketed */
	P_NO_FOREIGN0,		/* foreign writes of 0 neither bracketed nor learnt */
	P_NO_FOREIGN,		/* foreign writes of 1 not bracketed */
	P_NO_INFLIGHT,		/* bracketed, but skips allowed in flight */
	P_NO_FOREIGN_END,	/* no forget when a foreign write returns */
	P_TRUST,		/* trusted during klp transitions */
	P_NO_HOTPLUG,		/* CPU online/offline forget nothing */
	P_NO_PM,		/* CPU PM enter/exit forget nothing */
	P_ACK_IN_RUN,		/* hardware order: host ack before the fold */
	P_LEARN_ANY0,		/* learn 0 from a preemptible foreign write too */
	P_NO_MASK,		/* masking the PPI (virt off) not bracketed */
	P_NR,
};

static const char *const plant_names[P_NR] = {
	[P_NONE]		= "none",
	[P_OLD_DESIGN]		= "old-design",
	[P_NO_ACK]		= "no-ack",
	[P_NO_ABSENT_FORGET]	= "no-absent-forget",
	[P_FOLD_LIVE]		= "fold-live",
	[P_NO_NESTED]		= "no-nested",
	[P_NO_DIR]		= "no-dir",
	[P_NO_FOREIGN0]		= "no-foreign0",
	[P_NO_FOREIGN]		= "no-foreign",
	[P_NO_INFLIGHT]		= "no-inflight",
	[P_NO_FOREIGN_END]	= "no-foreign-end",
	[P_TRUST]		= "trust-during-transition",
	[P_NO_HOTPLUG]		= "no-hotplug",
	[P_NO_PM]		= "no-pm",
	[P_ACK_IN_RUN]		= "ack-in-run",
	[P_LEARN_ANY0]		= "learn-preemptible-0",
	[P_NO_MASK]		= "no-mask",
};

enum ev {
	E_LOAD, E_PUT, E_MIGRATE, E_ENTER, E_GACK, E_GEOI, E_EXIT, E_FIRE,
	E_ACK, E_PROG, E_FW, E_FW_BEGIN, E_FW_WRITE, E_FW_END, E_DIR_BEGIN,
	E_DIR_WRITE, E_DIR_END, E_HOTPLUG, E_PM, E_KLP, E_VIRT_OFF,
	E_NR,
};

static const char *const ev_names[E_NR] = {
	"load", "put", "migrate", "run-enter", "guest-ack", "guest-eoi",
	"run-exit", "fire", "late-ack", "reprogram", "foreign",
	"foreign-begin", "foreign-write", "foreign-end", "dir-begin",
	"dir-write", "dir-end", "hotplug", "cpu-pm", "klp", "virt-off",
};

static const int ev_weight[E_NR] = {
	[E_LOAD] = 10, [E_PUT] = 6, [E_MIGRATE] = 4, [E_ENTER] = 14,
	[E_GACK] = 8, [E_GEOI] = 8, [E_EXIT] = 12, [E_FIRE] = 6,
	[E_ACK] = 2, [E_PROG] = 10, [E_FW] = 1, [E_FW_BEGIN] = 1,
	[E_FW_WRITE] = 6, [E_FW_END] = 6, [E_DIR_BEGIN] = 2,
	[E_DIR_WRITE] = 6, [E_DIR_END] = 6, [E_HOTPLUG] = 1, [E_PM] = 1,
	[E_KLP] = 1, [E_VIRT_OFF] = 1,
};

#define KLP_WEIGHT_TRANSITION	12

/* cumulative weights: [0] stable patch state, [1] in a klp transition */
static int ev_cumul[2][E_NR];

/* Situations the real model must have gone through at least once. */
enum cov {
	C_SKIP_OTHER,		/* skipped over another vcpu's write */
	C_SKIP_MIGRATED,	/* skipped right after a migration */
	C_SKIP1_ACK,		/* skipped a 1 over a 1 learnt from a host ack */
	C_SKIP0_FOLD,		/* skipped a 0 over a 0 learnt from a fold */
	C_FOLD_LEARN0,		/* fold learnt 0 (guest deactivated an LR) */
	C_FOLD_LIVE1,		/* fold kept a known 1 for a live LR */
	C_EOICOUNT,		/* fold deactivated an absent LR (EOIcount) */
	C_RESAMPLE,		/* fold resampled: foreign write of 0 */
	C_NESTED,		/* nested exit after the L2 guest deactivated */
	C_DIR,			/* DIR trap deactivated a bit that was 1 */
	C_DIR_MIGRATED,		/* ... after the vcpu moved to another CPU */
	C_FIRE_IN_RUN,		/* timer fired during a run: exit, fold, ack */
	C_LOAD_INFLIGHT,	/* new-code load, foreign write in flight */
	C_LOAD_OLD,		/* old-code load during a transition */
	C_ACK_OLD,		/* ack by the old handler during a transition */
	C_NO_SHADOW,		/* write without a klp shadow */
	C_WRAP,			/* the epoch wrapped through 0 */
	C_LEARN_FOREIGN0,	/* learnt 0 from a foreign write, irqs off */
	C_VIRT_OFF,		/* timer PPIs masked: virtualization off */
	C_NR,
};

static const char *const cov_names[C_NR] = {
	"skip-other-vcpu", "skip-after-migrate", "skip-1-after-ack",
	"skip-0-after-fold", "fold-learn-0", "fold-keep-1-live-lr",
	"fold-eoicount", "fold-resample", "nested-exit", "dir-trap",
	"dir-trap-migrated", "fire-in-run", "load-while-inflight",
	"old-load-in-transition", "old-ack-in-transition", "no-shadow",
	"epoch-wrap", "learn-0-foreign-irqs-off", "virt-off-mask",
};

enum patch_state { DISABLED, ENABLING, ENABLED, DISABLING };

static const char *const patch_names[] = {
	"disabled", "enabling", "enabled", "disabling",
};

/* A direct timer's list register during a run (HW bit set, pINTID = PPI) */
enum lr_state {
	LR_NONE,		/* no LR maps the PPI (not queued, or overflow) */
	LR_PENDING,
	LR_ACTIVE,
	LR_INVALID,		/* state 0: the guest deactivated it */
};

static const char *const lr_names[] = { "none", "pending", "active", "0" };

/* Where the cache's knowledge of a CPU's bit came from (coverage only). */
enum src { SRC_WRITE, SRC_ACK, SRC_FOLD };

struct vcpu {
	int cpu;		/* loaded on, -1: not loaded */
	bool newcode;		/* its task runs the patched functions */
	bool running;		/* in the guest: vgic flushed, not folded */
	bool nested;		/* this run is an L2 run (vgic_state_is_nested) */
	bool cond[NT];		/* timer output asserted (kvm_timer_should_fire) */
	bool klevel[NT];	/* irq->line_level, the vgic line level */
	bool vactive[NT];	/* irq->active: guest acked, not deactivated */
	unsigned char lr[NT];	/* enum lr_state, while running */
	bool lr_was_active[NT];	/* irq->active at flush (fold's "deactivated") */
	bool eoicount[NT];	/* guest EOIed it outside the LRs */
	/* a DIR trap (vgic_v3_deactivate()) under way, maybe preempted */
	int trap;		/* 0 none, 1 entered, 2 deactivated */
	int trap_t, trap_cpu;
	bool trap_bracketed;
	/* its klp shadow, struct vtc_vcpu (only the new code uses it) */
	bool shadow;
};

/* A foreign irq_set_irqchip_state(ACTIVE) under way, maybe preempted. */
struct writer {
	bool used, written, bracketed;
	int t;
	bool val;
};

struct model {
	enum plant plant;
	bool reset_zero;	/* GIC: 0 after online, kept over CPU PM */
	int ncpu, nvcpu, step;
	unsigned long long rng;
	bool online[MAX_CPUS];
	struct vcpu *running[MAX_CPUS];	/* loaded on each CPU, or NULL */
	bool hw_stock[MAX_CPUS][NT];
	bool hw_cached[MAX_CPUS][NT];
	struct vcpu v[MAX_VCPUS];
	struct writer w[MAX_WRITERS];
	/* the module's state in the cached system */
	struct vtc_cache_global g;
	struct vtc_cache_cpu cc[MAX_CPUS];
	enum patch_state patch;
	bool other_new[MAX_CPUS];	/* idle/other task on that CPU */
	/* counters */
	unsigned char src[MAX_CPUS][NT];
	struct vcpu *last_writer[MAX_CPUS][NT];
	bool migrating;
	unsigned long epoch0;
	unsigned long long loads, stock_writes, decisions, writes, skips;
	unsigned long long skips1, dec_on, skips_on, ev[E_NR];
	unsigned long long cov[C_NR];
};

struct result {
	unsigned long seeds, div_seeds, inv_seeds;
	long first_seed, first_inv_seed;
	int first_step;
	unsigned long long steps, loads, stock_writes, decisions, writes;
	unsigned long long skips, skips1, dec_on, skips_on, ev[E_NR];
	unsigned long long cov[C_NR];
};

/* --- tracing, only when replaying a failing seed ------------------------ */

static bool tracing;
static char trace_buf[TRACE_LINES][128];
static unsigned int trace_n;

static void __printf(2, 3) trace_add(struct model *m, const char *fmt, ...)
{
	char *p = trace_buf[trace_n++ % TRACE_LINES];
	int n;
	va_list ap;

	n = snprintf(p, sizeof(trace_buf[0]), "step %4d: ", m->step);
	va_start(ap, fmt);
	vsnprintf(p + n, sizeof(trace_buf[0]) - n, fmt, ap);
	va_end(ap);
}

#define tr(m, ...) do { if (tracing) trace_add(m, __VA_ARGS__); } while (0)

static void trace_print(void)
{
	unsigned int i = trace_n > TRACE_LINES ? trace_n - TRACE_LINES : 0;

	for (; i < trace_n; i++)
		printf("#   %s\n", trace_buf[i % TRACE_LINES]);
}

/* --- helpers -------------------------------------------------------------- */

static unsigned int rnd(struct model *m, unsigned int n)
{
	unsigned long long z = (m->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return ((z >> 32) * n) >> 32;	/* in [0, n), no division */
}

/* A hardware event: the same in both systems. */
static void hw_set(struct model *m, int cpu, int t, bool val)
{
	m->hw_stock[cpu][t] = val;
	m->hw_cached[cpu][t] = val;
}

static struct vcpu *vcpu_on(struct model *m, int cpu)
{
	return m->running[cpu];
}

/* Between the vgic flush and the fold: interrupts off, guest running. */
static bool in_guest(struct model *m, int cpu)
{
	return m->running[cpu] && m->running[cpu]->running;
}

static void vcpu_put(struct model *m, struct vcpu *v)
{
	m->running[v->cpu] = NULL;
	v->cpu = -1;
}

/* Which code an interrupt on @cpu runs: that of the interrupted task. */
static bool irq_newcode(struct model *m, int cpu)
{
	struct vcpu *v = vcpu_on(m, cpu);

	return v ? v->newcode : m->other_new[cpu];
}

/* An online CPU with no vcpu loaded (@want_free) or not in a guest. */
static int pick_cpu(struct model *m, bool want_free)
{
	int cand[MAX_CPUS], n = 0, c;

	for (c = 0; c < m->ncpu; c++)
		if (m->online[c] &&
		    (want_free ? !vcpu_on(m, c) : !in_guest(m, c)))
			cand[n++] = c;
	return n ? cand[rnd(m, n)] : -1;
}

enum vsel { V_UNLOADED, V_LOADED, V_IDLE, V_RUNNING, V_ANY };

/* V_IDLE: loaded, not in the guest (in the host's run loop or a trap). */
static struct vcpu *pick_vcpu(struct model *m, enum vsel sel)
{
	struct vcpu *cand[MAX_VCPUS];
	int n = 0, i;

	for (i = 0; i < m->nvcpu; i++) {
		struct vcpu *v = &m->v[i];
		bool ok;

		switch (sel) {
		case V_UNLOADED: ok = v->cpu < 0; break;
		case V_LOADED: ok = v->cpu >= 0; break;
		case V_IDLE: ok = v->cpu >= 0 && !v->running; break;
		case V_RUNNING: ok = v->running; break;
		default: ok = true; break;
		}
		if (ok)
			cand[n++] = v;
	}
	return n ? cand[rnd(m, n)] : NULL;
}

static int vid(struct model *m, struct vcpu *v)
{
	return v - m->v;
}

static bool old_design(struct model *m)
{
	return m->plant == P_OLD_DESIGN;
}

/* --- the cached system: the module's logic over vtc_cache.h -------------- */

static void learn(struct model *m, int cpu, int t, bool val, enum src src)
{
	vtc_cache_learn(&m->g, &m->cc[cpu], t, val);
	m->src[cpu][t] = src;
}

/* vtc_invalidate_this_cpu() for one timer */
static void forget_cpu(struct model *m, int cpu, int t)
{
	vtc_cache_forget_cpu(&m->cc[cpu], t);
}

/* vtc_vcpu_get(): klp_shadow_get_or_alloc(GFP_ATOMIC), which may fail */
static bool shadow_get(struct model *m, struct vcpu *v)
{
	if (!v->shadow && rnd(m, 16))
		v->shadow = true;
	return v->shadow;
}

/*
 * The fprobe on irq_set_irqchip_state(ACTIVE), for a write by anyone but
 * the cache: entry (returns whether the exit handler runs) and exit. The
 * new design brackets both values; the old one only "active".
 */
static bool probe_entry(struct model *m, bool val)
{
	if (val && m->plant == P_NO_FOREIGN)
		return false;
	if (!val && (m->plant == P_NO_FOREIGN0 || m->plant == P_LEARN_ANY0 ||
		     old_design(m)))
		return false;
	if (m->plant == P_NO_INFLIGHT) {
		vtc_cache_forget_all(&m->g);
		return true;
	}
	vtc_cache_foreign(&m->g, true);
	vtc_cache_forget_all(&m->g);	/* vtc_invalidate_all(FOREIGN) */
	return true;
}

static void probe_exit(struct model *m)
{
	if (m->plant == P_NO_INFLIGHT)
		vtc_cache_forget_all(&m->g);
	else if (m->plant == P_NO_FOREIGN_END)
		vtc_count_dec(&m->g.foreign_inflight);
	else
		vtc_cache_foreign(&m->g, false);
}

/*
 * A foreign write made with interrupts off (vgic resampling, the vgic's
 * ISACTIVER emulation, under irq->irq_lock): it lands on this CPU and
 * nothing else runs there until it returns. The probe (vtc_write_entry()
 * and vtc_write_exit()) learns a 0 on this CPU at the return; a 1 is
 * bracketed.
 */
static void foreign_write_atomic(struct model *m, int cpu, int t, bool val)
{
	bool br;

	if (!val && !old_design(m) && m->plant != P_NO_FOREIGN0) {
		hw_set(m, cpu, t, val);
		vtc_cache_learn(&m->g, &m->cc[cpu], t, false);
		m->cov[C_LEARN_FOREIGN0]++;
		return;
	}
	br = probe_entry(m, val);
	hw_set(m, cpu, t, val);
	if (br)
		probe_exit(m);
}

/*
 * vtc_set_irq_phys_active(), interrupts off: check, write, learn. The
 * write sets vtc_in_write, so the probe does not count it as foreign.
 */
static void cached_set_phys_active(struct model *m, struct vcpu *v, int cpu,
				   int t, bool active)
{
	struct vtc_cache_cpu *c = &m->cc[cpu];
	bool sh = shadow_get(m, v), skip;

	skip = sh && !(old_design(m) && active) &&
	       vtc_cache_may_skip(&m->g, c, t, active);
	m->decisions++;
	m->dec_on += m->patch == ENABLED;
	if (skip) {
		m->skips++;
		m->skips_on += m->patch == ENABLED;
		m->skips1 += active;
		m->cov[C_SKIP_OTHER] += m->last_writer[cpu][t] != v;
		m->cov[C_SKIP_MIGRATED] += m->migrating;
		m->cov[C_SKIP1_ACK] += active && m->src[cpu][t] == SRC_ACK;
		m->cov[C_SKIP0_FOLD] += !active && m->src[cpu][t] == SRC_FOLD;
		tr(m, "  t%d cached: SKIP %d (hw %d)", t, active,
		   m->hw_cached[cpu][t]);
		return;
	}
	m->hw_cached[cpu][t] = active;
	if (old_design(m) && active)
		forget_cpu(m, cpu, t);	/* old design: a 1 is not kept */
	else
		learn(m, cpu, t, active, SRC_WRITE);
	m->last_writer[cpu][t] = v;
	m->cov[C_NO_SHADOW] += !sh;
	m->writes++;
	tr(m, "  t%d cached: write %d%s", t, active, sh ? "" : " (no shadow)");
}

/* kvm_timer_update_irq(): the vgic line level (the module no longer cares) */
static void update_irq(struct vcpu *v, int t, bool level)
{
	v->klevel[t] = level;
}

/* The host took timer PPI @t on @cpu: kvm_arch_timer_handler(). */
static void host_ack(struct model *m, int cpu, int t)
{
	struct vcpu *v = vcpu_on(m, cpu);
	bool newcode = irq_newcode(m, cpu);

	hw_set(m, cpu, t, 1);	/* EOImode 1, forwarded: priority drop only */
	m->cov[C_ACK_OLD] += !newcode && m->patch != DISABLED;
	if (newcode && old_design(m))
		forget_cpu(m, cpu, t);
	else if (newcode && m->plant != P_NO_ACK)
		learn(m, cpu, t, 1, SRC_ACK);
	tr(m, "  ack cpu%d t%d by %s handler, vcpu %d", cpu, t,
	   newcode ? "new" : "old", v ? vid(m, v) : -1);
	if (v && v->cond[t])
		update_irq(v, t, true);
}

/* The fold hook (entry of vgic_v3_fold_lr_state()), interrupts off. */
static void fold_hook(struct model *m, struct vcpu *v)
{
	struct vtc_cache_cpu *c = &m->cc[v->cpu];
	int t;

	if (!v->newcode || old_design(m))
		return;
	for (t = 0; t < NT; t++) {
		switch (v->lr[t]) {
		case LR_INVALID:
			learn(m, v->cpu, t, 0, SRC_FOLD);
			m->cov[C_FOLD_LEARN0]++;
			break;
		case LR_NONE:
			if (m->plant != P_NO_ABSENT_FORGET)
				vtc_cache_forget_active(c, t);
			break;
		default:
			m->cov[C_FOLD_LIVE1] += c->state[t] &&
				c->known[t] == vtc_epoch_read(&m->g.epoch);
			if (m->plant == P_FOLD_LIVE)
				learn(m, v->cpu, t, 0, SRC_FOLD);
			break;
		}
	}
}

/* The nested-exit hook (entry of vgic_v3_sync_nested()) */
static void nested_hook(struct model *m, struct vcpu *v)
{
	int t;

	if (!v->newcode || old_design(m) || m->plant == P_NO_NESTED)
		return;
	for (t = 0; t < NT; t++)
		vtc_cache_forget_active(&m->cc[v->cpu], t);
}

/* The DIR-trap hooks (entry and exit of vgic_v3_deactivate()) */
static bool dir_entry(struct model *m, struct vcpu *v)
{
	if (!v->newcode || old_design(m) || m->plant == P_NO_DIR)
		return false;
	vtc_cache_foreign(&m->g, true);
	vtc_cache_forget_all(&m->g);
	return true;
}

static void dir_exit(struct model *m)
{
	vtc_cache_foreign(&m->g, false);
}

/*
 * vgic_irq_handle_resampling() for the timer (a mapped level irq), from
 * vgic_v3_fold_lr(): a line seen low writes the physical bit to 0 through
 * vgic_irq_set_phys_active(), on this CPU, interrupts off.
 */
static void resample(struct model *m, struct vcpu *v, int t, bool deactivated,
		     bool lr_pending)
{
	if (!(lr_pending || (deactivated && v->klevel[t])))
		return;
	v->klevel[t] = v->cond[t];	/* get_input_level() */
	if (v->klevel[t])
		return;
	m->cov[C_RESAMPLE]++;
	tr(m, "  t%d resample: line low, write 0", t);
	foreign_write_atomic(m, v->cpu, t, 0);
}

/* kvm_vgic_sync_hwstate(), right after the run, interrupts still off. */
static void run_exit(struct model *m, struct vcpu *v)
{
	bool any = false, eoi = false;
	int t, cpu = v->cpu;

	if (v->nested) {
		/* vgic_v3_sync_nested(): vgic_v3_deactivate() on L1's irq */
		nested_hook(m, v);
		for (t = 0; t < NT; t++) {
			if (v->lr[t] == LR_INVALID) {
				v->vactive[t] = false;
				eoi = true;
			}
			v->lr[t] = LR_NONE;
		}
		m->cov[C_NESTED] += eoi;
		v->running = false;
		tr(m, "vcpu%d exits the nested guest on cpu%d%s", vid(m, v), cpu,
		   eoi ? " (L2 deactivated a timer)" : "");
		return;
	}
	for (t = 0; t < NT; t++)
		any |= v->lr[t] != LR_NONE || v->vactive[t] || v->klevel[t];
	tr(m, "vcpu%d exits on cpu%d: LRs %s %s%s", vid(m, v), cpu,
	   lr_names[v->lr[0]], lr_names[v->lr[1]],
	   any ? "" : ", empty ap_list: no fold");
	/* An empty ap_list skips the fold: no LR was used (vgic.c:1075). */
	if (any || rnd(m, 2)) {
		fold_hook(m, v);
		for (t = 0; t < NT; t++) {
			unsigned char lr = v->lr[t];
			bool was = v->lr_was_active[t];

			if (lr == LR_NONE) {
				if (!v->eoicount[t])
					continue;
				/* EOIcount: deactivate past the LRs */
				m->cov[C_EOICOUNT]++;
				tr(m, "  t%d EOIcount: KVM deactivates cpu%d", t,
				   cpu);
				hw_set(m, cpu, t, 0);	/* gic_write_dir() */
				v->vactive[t] = false;
				resample(m, v, t, true, false);
				continue;
			}
			v->vactive[t] = lr == LR_ACTIVE;
			resample(m, v, t, was && lr != LR_ACTIVE,
				 lr == LR_PENDING);
		}
	}
	for (t = 0; t < NT; t++) {
		v->lr[t] = LR_NONE;
		v->eoicount[t] = false;
	}
	v->running = false;
}

/* --- events --------------------------------------------------------------- */

/* kvm_timer_vcpu_load() -> kvm_timer_vcpu_load_gic() for each direct timer */
static void do_load(struct model *m, struct vcpu *v, int cpu)
{
	int t;

	v->cpu = cpu;
	m->running[cpu] = v;
	m->loads++;
	tr(m, "load vcpu%d on cpu%d (%s code)", vid(m, v), cpu,
	   v->newcode ? "new" : "old");
	for (t = 0; t < NT; t++) {
		bool active;

		update_irq(v, t, v->cond[t]);
		active = v->vactive[t] || v->klevel[t];

		m->hw_stock[cpu][t] = active;
		m->stock_writes++;
		m->cov[C_LOAD_INFLIGHT] += v->newcode &&
			vtc_count_read(&m->g.foreign_inflight);
		m->cov[C_LOAD_OLD] += !v->newcode && m->patch != DISABLED;
		if (v->newcode) {
			cached_set_phys_active(m, v, cpu, t, active);
		} else {
			bool br = probe_entry(m, active);

			m->hw_cached[cpu][t] = active;
			if (br)
				probe_exit(m);
			tr(m, "  t%d old code: write %d", t, active);
		}
	}
}

static bool ev_load(struct model *m)
{
	struct vcpu *v = pick_vcpu(m, V_UNLOADED);
	int cpu = pick_cpu(m, true);

	if (!v || cpu < 0)
		return false;
	do_load(m, v, cpu);
	return true;
}

static bool ev_put(struct model *m)
{
	struct vcpu *v = pick_vcpu(m, V_IDLE);

	if (!v)
		return false;
	tr(m, "put vcpu%d from cpu%d", vid(m, v), v->cpu);
	vcpu_put(m, v);
	return true;
}

static bool ev_migrate(struct model *m)
{
	struct vcpu *v = pick_vcpu(m, V_IDLE);
	int cpu = pick_cpu(m, true);

	if (!v || cpu < 0)
		return false;
	tr(m, "migrate vcpu%d cpu%d -> cpu%d", vid(m, v), v->cpu, cpu);
	vcpu_put(m, v);
	m->migrating = true;
	do_load(m, v, cpu);
	m->migrating = false;
	return true;
}

/*
 * kvm_vgic_flush_hwstate() and the world switch: each timer pending or
 * active goes into a HW-mapped LR (active only: never pending+active on a
 * HW LR, vgic-v3.c:331), unless the LRs overflow. In a nested run the LRs
 * are the shadow of L1's: L1 may hand its active timer to L2 in a HW LR.
 */
static bool ev_enter(struct model *m)
{
	struct vcpu *v = pick_vcpu(m, V_IDLE);
	int t;

	if (!v || v->trap)
		return false;
	v->running = true;
	v->nested = !rnd(m, 5);
	for (t = 0; t < NT; t++) {
		v->lr_was_active[t] = v->vactive[t];
		v->eoicount[t] = false;
		if (v->nested)
			v->lr[t] = v->vactive[t] && rnd(m, 2) ?
				   LR_ACTIVE : LR_NONE;
		else if (!(v->vactive[t] || v->klevel[t]) ||
			 !rnd(m, v->vactive[t] ? 4 : 8))	/* overflow */
			v->lr[t] = LR_NONE;
		else
			v->lr[t] = v->vactive[t] ? LR_ACTIVE : LR_PENDING;
		/* a mapped level irq's line is lowered once in an LR (:401) */
		if (v->lr[t] == LR_PENDING)
			v->klevel[t] = false;
	}
	tr(m, "vcpu%d enters %sguest on cpu%d: LRs %s %s (bits %d %d)",
	   vid(m, v), v->nested ? "nested " : "", v->cpu, lr_names[v->lr[0]],
	   lr_names[v->lr[1]], m->hw_stock[v->cpu][0], m->hw_stock[v->cpu][1]);
	return true;
}

/* The guest acks a pending timer in its LR (ICV_IAR): physical unchanged. */
static bool ev_gack(struct model *m)
{
	struct vcpu *v = pick_vcpu(m, V_RUNNING);
	int t = rnd(m, NT);

	if (!v || v->lr[t] != LR_PENDING)
		return false;
	v->lr[t] = LR_ACTIVE;
	tr(m, "  guest vcpu%d acks t%d", vid(m, v), t);
	return true;
}

/*
 * The guest deactivates an active timer (EOI, or DIR with EOImode 1): in a
 * HW LR, the GIC deactivates the physical PPI on this CPU and the LR goes
 * to state 0; outside the LRs, EOIcount counts it and the fold emulates.
 */
static bool ev_geoi(struct model *m)
{
	struct vcpu *v = pick_vcpu(m, V_RUNNING);
	int t = rnd(m, NT);

	if (!v)
		return false;
	if (v->lr[t] == LR_ACTIVE) {
		v->lr[t] = LR_INVALID;
		hw_set(m, v->cpu, t, 0);
		tr(m, "  guest vcpu%d deactivates t%d: cpu%d bit -> 0",
		   vid(m, v), t, v->cpu);
		return true;
	}
	if (!v->nested && v->lr[t] == LR_NONE && v->vactive[t] &&
	    !v->eoicount[t]) {
		v->eoicount[t] = true;
		tr(m, "  guest vcpu%d EOIs t%d outside the LRs", vid(m, v), t);
		return true;
	}
	return false;
}

static bool ev_exit(struct model *m)
{
	struct vcpu *v = pick_vcpu(m, V_RUNNING);

	if (!v)
		return false;
	run_exit(m, v);
	return true;
}

/*
 * A loaded vcpu's asserted timer fires on its CPU (the PPI is not active
 * there). In the guest, the interrupt forces an exit; it is taken once
 * the run loop enables interrupts, after the fold.
 */
static bool ev_fire(struct model *m)
{
	struct vcpu *v = pick_vcpu(m, V_LOADED);
	int t = rnd(m, NT);

	if (!v || !v->cond[t] || m->hw_stock[v->cpu][t])
		return false;
	tr(m, "fire vcpu%d t%d on cpu%d%s", vid(m, v), t, v->cpu,
	   v->running ? " (in the guest)" : "");
	if (v->running) {
		m->cov[C_FIRE_IN_RUN]++;
		if (m->plant == P_ACK_IN_RUN) {
			host_ack(m, v->cpu, t);
			run_exit(m, v);
			return true;
		}
		run_exit(m, v);
	}
	host_ack(m, v->cpu, t);
	return true;
}

/* A PPI signalled before a put, taken after it (or spurious). */
static bool ev_ack(struct model *m)
{
	int cpu = pick_cpu(m, false), t = rnd(m, NT);

	if (cpu < 0 || m->hw_stock[cpu][t])
		return false;
	tr(m, "late ack on cpu%d t%d", cpu, t);
	host_ack(m, cpu, t);
	return true;
}

/* The timer output changes: expiry, the guest or userspace reprogramming. */
static bool ev_prog(struct model *m)
{
	struct vcpu *v = pick_vcpu(m, V_ANY);
	int t = rnd(m, NT);
	bool cond = !rnd(m, 3);	/* mostly not yet expired */

	v->cond[t] = cond;
	tr(m, "vcpu%d t%d output -> %d", vid(m, v), t, cond);
	if (v->cpu >= 0 && !v->running && rnd(m, 2))
		update_irq(v, t, cond);		/* exit path sync */
	else if (v->cpu < 0 && cond && rnd(m, 2))	/* background timer */
		update_irq(v, t, cond);
	return true;
}

static void foreign_write(struct model *m, struct writer *w, int cpu)
{
	struct vcpu *v = vcpu_on(m, cpu);

	hw_set(m, cpu, w->t, w->val);
	/* ISACTIVER/ICACTIVER emulation also sets the virtual state. */
	if (v && rnd(m, 2))
		v->vactive[w->t] = w->val;
	tr(m, "  foreign write lands on cpu%d t%d = %d", cpu, w->t, w->val);
}

static bool ev_fw(struct model *m)
{
	struct writer w = { .t = rnd(m, NT), .val = rnd(m, 2) };
	int cpu = pick_cpu(m, false);

	if (cpu < 0)
		return false;
	tr(m, "foreign write (atomic) t%d = %d", w.t, w.val);
	if (rnd(m, 2)) {	/* with interrupts off: lands on this CPU */
		struct vcpu *v = vcpu_on(m, cpu);

		if (v && rnd(m, 2))	/* ISACTIVER emulation */
			v->vactive[w.t] = w.val;
		foreign_write_atomic(m, cpu, w.t, w.val);
		return true;
	}
	w.bracketed = probe_entry(m, w.val);
	foreign_write(m, &w, cpu);
	if (w.bracketed)
		probe_exit(m);
	return true;
}

static struct writer *pick_writer(struct model *m, bool used, bool written)
{
	struct writer *cand[MAX_WRITERS];
	int n = 0, i;

	for (i = 0; i < MAX_WRITERS; i++)
		if (m->w[i].used == used && (!used || m->w[i].written == written))
			cand[n++] = &m->w[i];
	return n ? cand[rnd(m, n)] : NULL;
}

static bool ev_fw_begin(struct model *m)
{
	struct writer *w = pick_writer(m, false, false);

	if (!w || rnd(m, 4))	/* rarer than the other foreign events */
		return false;
	w->used = true;
	w->written = false;
	w->t = rnd(m, NT);
	w->val = rnd(m, 2);
	w->bracketed = probe_entry(m, w->val);
	tr(m, "foreign writer %d enters: t%d = %d (inflight %d)",
	   (int)(w - m->w), w->t, w->val, vtc_count_read(&m->g.foreign_inflight));
	return true;
}

/* Preempted and migrated: the write lands on whatever CPU it runs on now. */
static bool ev_fw_write(struct model *m)
{
	struct writer *w = pick_writer(m, true, false);
	int cpu = pick_cpu(m, false);

	if (!w || cpu < 0)
		return false;
	tr(m, "foreign writer %d writes", (int)(w - m->w));
	foreign_write(m, w, cpu);
	w->written = true;
	return true;
}

static bool ev_fw_end(struct model *m)
{
	struct writer *w = pick_writer(m, true, true);

	if (!w)
		return false;
	if (w->bracketed)
		probe_exit(m);
	if (m->plant == P_LEARN_ANY0 && !w->val) {
		int cpu = pick_cpu(m, false);	/* wherever it returns */

		if (cpu >= 0)
			vtc_cache_learn(&m->g, &m->cc[cpu], w->t, false);
	}
	w->used = false;
	tr(m, "foreign writer %d returns", (int)(w - m->w));
	return true;
}

/*
 * The guest's ICV_DIR_EL1 traps (EOImode 1, TDIR) for an active timer
 * that is not in an LR: vgic_v3_deactivate() from handle_exit(), which is
 * preemptible. Entered now, it deactivates later on whatever CPU the vcpu
 * thread then runs on (it is loaded there), and returns after that.
 */
static bool ev_dir_begin(struct model *m)
{
	struct vcpu *v = pick_vcpu(m, V_IDLE);
	int t = rnd(m, NT);

	if (!v || v->trap || !v->vactive[t])
		return false;
	v->trap = 1;
	v->trap_t = t;
	v->trap_cpu = v->cpu;
	v->trap_bracketed = dir_entry(m, v);
	tr(m, "vcpu%d DIR trap for t%d on cpu%d", vid(m, v), t, v->cpu);
	return true;
}

static bool ev_dir_write(struct model *m)
{
	struct vcpu *v = pick_vcpu(m, V_IDLE);
	int t;

	if (!v || v->trap != 1)
		return false;
	t = v->trap_t;
	v->trap = 2;
	if (v->vactive[t]) {
		m->cov[C_DIR] += m->hw_stock[v->cpu][t];
		m->cov[C_DIR_MIGRATED] += v->cpu != v->trap_cpu;
		v->vactive[t] = false;
		hw_set(m, v->cpu, t, 0);	/* gic_write_dir() */
		resample(m, v, t, true, false);
	}
	tr(m, "  vcpu%d DIR trap deactivates t%d on cpu%d", vid(m, v), t,
	   v->cpu);
	return true;
}

static bool ev_dir_end(struct model *m)
{
	struct vcpu *v = pick_vcpu(m, V_ANY);

	if (v->trap != 2)
		return false;
	if (v->trap_bracketed)
		dir_exit(m);
	v->trap = 0;
	tr(m, "vcpu%d DIR trap returns", vid(m, v));
	return true;
}

/* The state the redistributor comes back with after online or PM. */
static void gic_reset(struct model *m, int cpu, bool hotplug)
{
	int t;

	for (t = 0; t < NT; t++) {
		if (!m->reset_zero)
			hw_set(m, cpu, t, rnd(m, 2));
		else if (hotplug)
			hw_set(m, cpu, t, 0);	/* gic_cpu_config() */
	}
}

/* vtc_cpu_online()/vtc_cpu_offline(), run on the CPU concerned */
static void hotplug_cb(struct model *m, int cpu)
{
	int t;

	if (m->plant == P_NO_HOTPLUG)
		return;
	for (t = 0; t < NT; t++)
		forget_cpu(m, cpu, t);
	vtc_cache_forget_all(&m->g);
}

static bool ev_hotplug(struct model *m)
{
	int cpu = rnd(m, m->ncpu), n = 0, c;

	for (c = 0; c < m->ncpu; c++)
		n += m->online[c];
	if (m->online[cpu]) {
		if (n < 2 || vcpu_on(m, cpu))
			return false;
		hotplug_cb(m, cpu);
		m->online[cpu] = false;
		tr(m, "cpu%d offline", cpu);
	} else {
		gic_reset(m, cpu, true);
		m->online[cpu] = true;
		hotplug_cb(m, cpu);
		tr(m, "cpu%d online: bits %d %d", cpu, m->hw_stock[cpu][0],
		   m->hw_stock[cpu][1]);
	}
	return true;
}

/* CPU_PM_ENTER ... CPU_PM_EXIT on an idle CPU */
static bool ev_pm(struct model *m)
{
	int cpu = pick_cpu(m, true), t;

	if (cpu < 0)
		return false;
	for (t = 0; t < NT && m->plant != P_NO_PM; t++)
		forget_cpu(m, cpu, t);
	gic_reset(m, cpu, false);
	for (t = 0; t < NT && m->plant != P_NO_PM; t++)
		forget_cpu(m, cpu, t);
	tr(m, "cpu%d PM exit: bits %d %d", cpu, m->hw_stock[cpu][0],
	   m->hw_stock[cpu][1]);
	return true;
}

/* klp: callbacks as vtc_main.c, tasks switched one by one in between */
static bool ev_klp(struct model *m)
{
	bool target = m->patch == ENABLING;
	int i, n = m->nvcpu + m->ncpu;

	switch (m->patch) {
	case DISABLED:
		if (rnd(m, 2))
			return false;
		/* pre_patch */
		vtc_cache_set_trusted(&m->g, m->plant == P_TRUST);
		m->patch = ENABLING;
		break;
	case ENABLED:
		if (rnd(m, 8))
			return false;
		/* pre_unpatch */
		if (m->plant != P_TRUST)
			vtc_cache_set_trusted(&m->g, false);
		vtc_cache_forget_all(&m->g);
		m->patch = DISABLING;
		break;
	case ENABLING:
	case DISABLING:
		if (!rnd(m, 16)) {		/* klp_reverse_transition() */
			m->patch = target ? DISABLING : ENABLING;
			break;
		}
		i = rnd(m, n);
		if (i < m->nvcpu) {
			/* loaded or inside a trap: switches later */
			if (m->v[i].cpu >= 0 || m->v[i].trap)
				return false;
			m->v[i].newcode = target;
		} else {
			m->other_new[i - m->nvcpu] = target;
		}
		for (i = 0; i < m->nvcpu; i++)
			if (m->v[i].newcode != target)
				goto out;
		for (i = 0; i < m->ncpu; i++)
			if (m->other_new[i] != target)
				goto out;
		if (target) {
			/* post_patch */
			vtc_cache_set_trusted(&m->g, true);
			vtc_cache_forget_all(&m->g);
			m->patch = ENABLED;
		} else {
			/* post_unpatch: klp_shadow_free_all() */
			vtc_cache_set_trusted(&m->g, false);
			for (i = 0; i < m->nvcpu; i++)
				m->v[i].shadow = false;
			m->patch = DISABLED;
		}
		break;
	}
out:
	tr(m, "klp: %s (trusted %d)", patch_names[m->patch], m->g.trusted);
	return true;
}

/*
 * The last VM is destroyed with kvm.enable_virt_at_load=0:
 * kvm_disable_virtualization() -> cpuhp_remove_state(CPUHP_AP_KVM_ONLINE)
 * -> kvm_timer_cpu_down() on each CPU -> disable_percpu_irq() ->
 * irq_percpu_disable() -> gic_eoimode1_mask_irq(): a forwarded PPI is
 * deactivated by ICACTIVER (irq-gic-v3.c:506), not through
 * irq_set_irqchip_state(). The module brackets irq_percpu_disable() like a
 * foreign write (vtc_mask_entry()). A new VM then starts afresh (its vcpus
 * are these, reset).
 */
static bool ev_virt_off(struct model *m)
{
	bool hook = m->plant != P_NO_MASK && !old_design(m);
	int c, t, i;

	if (pick_vcpu(m, V_LOADED) || rnd(m, 4))
		return false;
	for (i = 0; i < m->nvcpu; i++)
		if (m->v[i].trap)
			return false;
	for (c = 0; c < m->ncpu; c++) {
		if (!m->online[c])
			continue;
		for (t = 0; t < NT; t++) {
			if (hook) {
				vtc_cache_foreign(&m->g, true);
				vtc_cache_forget_all(&m->g);
			}
			hw_set(m, c, t, 0);
			if (hook)
				vtc_cache_foreign(&m->g, false);
		}
	}
	for (i = 0; i < m->nvcpu; i++) {
		for (t = 0; t < NT; t++) {
			m->v[i].vactive[t] = false;
			m->v[i].klevel[t] = false;
		}
		m->v[i].shadow = false;	/* vcpus destroyed */
	}
	m->cov[C_VIRT_OFF]++;
	tr(m, "last VM destroyed: timer PPIs masked, all bits -> 0");
	return true;
}

static bool (*const ev_fn[E_NR])(struct model *m) = {
	ev_load, ev_put, ev_migrate, ev_enter, ev_gack, ev_geoi, ev_exit,
	ev_fire, ev_ack, ev_prog, ev_fw, ev_fw_begin, ev_fw_write, ev_fw_end,
	ev_dir_begin, ev_dir_write, ev_dir_end, ev_hotplug, ev_pm, ev_klp,
	ev_virt_off,
};

/* --- driver --------------------------------------------------------------- */


static void model_init(struct model *m, enum plant bug, bool reset_zero,
		       unsigned long seed)
{
	int c, t, i;

	memset(m, 0, sizeof(*m));
	m->plant = bug;
	m->reset_zero = reset_zero;
	m->rng = seed * 0x2545f4914f6cdd1dULL + 1;
	m->ncpu = 2 + seed % 3;
	m->nvcpu = 2 + (seed / 3) % 2;
	vtc_cache_init(&m->g);
	if (seed % 5 == 4)		/* exercise the epoch wrap */
		vtc_epoch_set(&m->g.epoch, ULONG_MAX - 20);
	m->epoch0 = vtc_epoch_read(&m->g.epoch);
	for (c = 0; c < m->ncpu; c++) {
		m->online[c] = true;
		for (t = 0; t < NT; t++)
			hw_set(m, c, t, rnd(m, 2));
	}
	for (i = 0; i < m->nvcpu; i++) {
		m->v[i].cpu = -1;
		for (t = 0; t < NT; t++)
			m->v[i].cond[t] = rnd(m, 2);
	}
}

static bool diverged(struct model *m, int *cpu, int *t)
{
	/* unused and offline CPUs are equal too: hw_set() writes both */
	if (!memcmp(m->hw_stock, m->hw_cached, sizeof(m->hw_stock)))
		return false;
	for (*cpu = 0; *cpu < m->ncpu; (*cpu)++)
		for (*t = 0; *t < NT; (*t)++)
			if (m->hw_stock[*cpu][*t] != m->hw_cached[*cpu][*t])
				return true;
	return false;
}

/*
 * The header's invariant: known, trusted, nothing in flight => the bit
 * holds the known value. Not on a CPU in a guest: between the flush and
 * the fold the guest may clear a known 1, and nothing on that CPU reads
 * the cache until the fold has forgotten it (interrupts are off).
 */
static bool invariant_broken(struct model *m)
{
	int c, t;

	if (!m->g.trusted || vtc_count_read(&m->g.foreign_inflight))
		return false;
	for (c = 0; c < m->ncpu; c++) {
		if (in_guest(m, c))
			continue;
		for (t = 0; t < NT; t++)
			if (m->cc[c].known[t] == vtc_epoch_read(&m->g.epoch) &&
			    m->hw_cached[c][t] != m->cc[c].state[t])
				return true;
	}
	return false;
}

static void init_weights(void)
{
	int i, e, sum;

	for (i = 0; i < 2; i++) {
		for (sum = 0, e = 0; e < E_NR; e++) {
			sum += i && e == E_KLP ? KLP_WEIGHT_TRANSITION :
			       ev_weight[e];
			ev_cumul[i][e] = sum;
		}
	}
}

static void step(struct model *m)
{
	const int *cumul = ev_cumul[m->patch == ENABLING ||
				    m->patch == DISABLING];
	int tries, e, w;

	for (tries = 0; tries < 16; tries++) {
		w = rnd(m, cumul[E_NR - 1]);
		for (e = 0; w >= cumul[e]; e++)
			;
		if (ev_fn[e](m)) {
			m->ev[e]++;
			return;
		}
	}
}

/* Returns the step of the first divergence, or -1; *inv: invariant broke. */
static int run_seed(struct model *m, enum plant bug, bool reset_zero,
		    unsigned long seed, int steps, bool *inv)
{
	int cpu, t;

	model_init(m, bug, reset_zero, seed);
	*inv = false;
	for (m->step = 0; m->step < steps; m->step++) {
		step(m);
		if (invariant_broken(m))
			*inv = true;
		if (diverged(m, &cpu, &t)) {
			tr(m, "DIVERGED: cpu%d t%d stock %d, cached %d", cpu, t,
			   m->hw_stock[cpu][t], m->hw_cached[cpu][t]);
			return m->step;
		}
	}
	m->cov[C_WRAP] += vtc_epoch_read(&m->g.epoch) < m->epoch0;
	return -1;
}

/* Run @seeds seeds from @seed0; stop early after @max_div divergent ones. */
static void run_mode(enum plant plant, bool reset_zero, unsigned long seeds,
		     int steps, unsigned long seed0, unsigned long max_div,
		     struct result *r)
{
	struct model m;
	unsigned long s;
	int at, e;
	bool inv;

	memset(r, 0, sizeof(*r));
	r->first_seed = -1;
	r->first_inv_seed = -1;
	for (s = seed0; s < seed0 + seeds && r->div_seeds < max_div; s++) {
		at = run_seed(&m, plant, reset_zero, s, steps, &inv);
		r->seeds++;
		r->steps += at < 0 ? steps : at + 1;
		r->loads += m.loads;
		r->stock_writes += m.stock_writes;
		r->decisions += m.decisions;
		r->writes += m.writes;
		r->skips += m.skips;
		r->skips1 += m.skips1;
		r->dec_on += m.dec_on;
		r->skips_on += m.skips_on;
		for (e = 0; e < E_NR; e++)
			r->ev[e] += m.ev[e];
		for (e = 0; e < C_NR; e++)
			r->cov[e] += m.cov[e];
		if (inv && !r->inv_seeds++)
			r->first_inv_seed = s;
		if (at >= 0 && !r->div_seeds++) {
			r->first_seed = s;
			r->first_step = at;
		}
	}
}

/* Re-run the first failing seed with tracing on and print its last steps. */
static void replay(enum plant plant, bool reset_zero, const struct result *r,
		   int steps)
{
	struct model m;
	bool inv;

	if (r->first_seed < 0)
		return;
	tracing = true;
	trace_n = 0;
	run_seed(&m, plant, reset_zero, r->first_seed, steps, &inv);
	tracing = false;
	printf("#  seed %ld (%d cpus, %d vcpus), diverged at step %d:\n",
	       r->first_seed, m.ncpu, m.nvcpu, r->first_step);
	trace_print();
}

static double pct(unsigned long long a, unsigned long long b)
{
	return b ? 100.0 * a / b : 0.0;
}

static void print_counts(const struct result *r)
{
	printf("#  %lu seeds, %llu steps, %llu loads, %llu stock writes; cached decisions %llu: written %llu, skipped %llu (skip ratio %.1f%%; %llu skips of 1); patch enabled: skip ratio %.1f%% of %llu\n",
	       r->seeds, r->steps, r->loads, r->stock_writes, r->decisions,
	       r->writes, r->skips, pct(r->skips, r->decisions), r->skips1,
	       pct(r->skips_on, r->dec_on), r->dec_on);
}

static int tests_run, tests_failed;

static void __printf(2, 3) result(bool ok, const char *fmt, ...)
{
	va_list ap;

	tests_run++;
	tests_failed += !ok;
	printf("%sok %d - ", ok ? "" : "not ", tests_run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

struct test {
	enum plant plant;
	bool reset_zero;
	bool expect_catch;
	const char *what;
};

static const struct test suite[] = {
	{ P_NONE, false, false, "real code, GIC state unknown after online/PM" },
	{ P_NONE, true, false, "real code, GIC reset to 0 on online, kept over PM" },
	{ P_OLD_DESIGN, false, false, "the previous design (only 0 known, foreign 0 unbracketed): for the skip ratio" },
	{ P_NO_PM, true, false, "without CPU PM forget, state kept over PM: harmless" },
	{ P_NO_ACK, false, true, "host ack learns nothing (a known 0 goes stale)" },
	{ P_NO_ABSENT_FORGET, false, true, "fold: no forget for a PPI in no LR (EOIcount)" },
	{ P_FOLD_LIVE, false, true, "fold: learns 0 for a live LR" },
	{ P_NO_NESTED, false, true, "nested exit forgets nothing" },
	{ P_NO_DIR, false, true, "DIR trap not bracketed" },
	{ P_NO_FOREIGN0, false, true, "foreign writes of 0 neither bracketed nor learnt" },
	{ P_LEARN_ANY0, false, true, "a preemptible foreign write of 0 learnt where it returns" },
	{ P_NO_MASK, false, true, "masking the PPIs (virtualization off) not bracketed" },
	{ P_NO_FOREIGN, false, true, "foreign writes of 1 not bracketed" },
	{ P_NO_INFLIGHT, false, true, "skips allowed while a foreign write is in flight" },
	{ P_NO_FOREIGN_END, false, true, "nothing forgotten when a foreign write returns" },
	{ P_TRUST, false, true, "trusted during klp transitions" },
	{ P_NO_HOTPLUG, false, true, "no hotplug forget, GIC state unknown" },
	{ P_NO_HOTPLUG, true, true, "no hotplug forget, GIC reset to 0: a known 1 goes stale" },
	{ P_NO_PM, false, true, "no CPU PM forget, GIC state unknown" },
	{ P_ACK_IN_RUN, false, true, "hardware order broken: host ack before the fold" },
};

static void run_test(const struct test *tc, unsigned long seeds, int steps,
		     unsigned long seed0, unsigned long max_div)
{
	const char *name = plant_names[tc->plant];
	const char *reset = tc->reset_zero ? "zero" : "unknown";
	struct result r;
	bool ok;
	int e;

	run_mode(tc->plant, tc->reset_zero, seeds, steps, seed0,
		 tc->expect_catch ? max_div : ULONG_MAX, &r);
	if (tc->expect_catch) {
		ok = r.div_seeds > 0;
		result(ok, "plant %s [reset %s] caught: %lu of the first %lu seeds diverge%s (%s)",
		       name, reset, r.div_seeds, r.seeds,
		       r.div_seeds >= max_div ? ", stopped there" : "",
		       tc->what);
		print_counts(&r);
		replay(tc->plant, tc->reset_zero, &r, steps);
		return;
	}
	ok = !r.div_seeds && !r.inv_seeds;
	result(ok, "%s%s [reset %s]: %lu divergent seeds, %lu with the invariant broken (%s)",
	       tc->plant == P_NONE ? "" : "variant ",
	       tc->plant == P_NONE ? "real model" : name, reset, r.div_seeds,
	       r.inv_seeds, tc->what);
	print_counts(&r);
	if (r.div_seeds)
		replay(tc->plant, tc->reset_zero, &r, steps);
	else if (r.inv_seeds)
		printf("#  invariant first broken in seed %ld\n",
		       r.first_inv_seed);
	if (tc->plant != P_NONE)
		return;

	/* The model must not be vacuous: every event ran, the cache skipped. */
	ok = r.skips > 0 && r.skips1 > 0;
	printf("#  events:");
	for (e = 0; e < E_NR; e++) {
		printf(" %s=%llu", ev_names[e], r.ev[e]);
		ok &= r.ev[e] > 0;
	}
	printf("\n#  situations:");
	for (e = 0; e < C_NR; e++) {
		printf(" %s=%llu", cov_names[e], r.cov[e]);
		ok &= r.cov[e] > 0;
	}
	printf("\n");
	result(ok, "real model [reset %s] went through every event and situation, and skipped writes of 0 and 1",
	       reset);
}

static void die_usage(const char *prog)
{
	int p;

	fprintf(stderr,
		"usage: %s [--seeds N] [--steps N] [--seed FIRST]\n"
		"       %s --plant BUG [--reset zero|unknown] [--seeds N] [--steps N] [--seed FIRST]\n"
		"  no --plant: the whole suite (TAP lines, last \"N passed, N failed\")\n"
		"  BUG:", prog, prog);
	for (p = 0; p < P_NR; p++)
		fprintf(stderr, " %s", plant_names[p]);
	fprintf(stderr, "\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long seeds = 2000, seed0 = 0;
	int steps = 2000, plant = -1, i, p;
	bool reset_zero = false;
	struct timespec t0, t1;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(arg, "--seeds") && val)
			seeds = strtoul(val, NULL, 0);
		else if (!strcmp(arg, "--steps") && val)
			steps = atoi(val);
		else if (!strcmp(arg, "--seed") && val)
			seed0 = strtoul(val, NULL, 0);
		else if (!strcmp(arg, "--reset") && val &&
			 (!strcmp(val, "zero") || !strcmp(val, "unknown")))
			reset_zero = !strcmp(val, "zero");
		else if (!strcmp(arg, "--plant") && val) {
			for (p = 0; p < P_NR; p++)
				if (!strcmp(val, plant_names[p]))
					plant = p;
			if (plant < 0)
				die_usage(argv[0]);
		} else {
			die_usage(argv[0]);
		}
		i++;
	}
	if (!seeds || steps <= 0)
		die_usage(argv[0]);

	init_weights();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (plant >= 0) {
		struct test tc = {
			.plant = plant,
			.reset_zero = reset_zero,
			.expect_catch = plant != P_NONE &&
				plant != P_OLD_DESIGN &&
				!(reset_zero && plant == P_NO_PM),
			.what = "single mode",
		};

		run_test(&tc, seeds, steps, seed0, ULONG_MAX);
	} else {
		printf("# vtc-model: %lu seeds x %d steps per mode, 2-4 cpus, 2-3 vcpus\n",
		       seeds, steps);
		for (i = 0; i < (int)ARRAY_SIZE(suite); i++)
			run_test(&suite[i], seeds, steps, seed0, 50);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# %.2f s\n", (t1.tv_sec - t0.tv_sec) +
	       (t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("1..%d\n", tests_run);
	printf("%d passed, %d failed\n", tests_run - tests_failed, tests_failed);
	return tests_failed ? 1 : 0;
}
