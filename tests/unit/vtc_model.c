// SPDX-License-Identifier: GPL-2.0-only
/*
 * vtc-model: a userspace model of the timer PPI active bits, run under a
 * stock kernel and under the vtimer-cache kernel side by side.
 *
 * Both systems see the same random sequence of hardware and software
 * events. The stock system writes phys_active on every vcpu load, as
 * kvm_timer_vcpu_load_gic() does; the cached one makes the decision of
 * vtc_set_irq_phys_active() with the real include/vtc_cache.h. After every
 * step the per-CPU, per-timer hardware bits of both must be equal: the
 * cache may only skip a write that would not change the bit.
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
#define TRACE_LINES	16

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

enum plant {
	P_NONE,
	P_NO_ACK,		/* host ack does not forget */
	P_CACHE_ACTIVE,		/* "active" written over known active skipped */
	P_NO_FOREIGN,		/* foreign writes of "active" not bracketed */
	P_NO_INFLIGHT,		/* bracketed, but skips allowed in flight */
	P_NO_FOREIGN_END,	/* no forget when a foreign write returns */
	P_TRUST,		/* trusted during klp transitions */
	P_NO_HOTPLUG,		/* CPU online/offline forget nothing */
	P_NO_PM,		/* CPU PM enter/exit forget nothing */
	P_NO_FORCE,		/* level changes do not force the next write */
	P_NR,
};

static const char *const plant_names[P_NR] = {
	[P_NONE]		= "none",
	[P_NO_ACK]		= "no-ack-invalidate",
	[P_CACHE_ACTIVE]	= "cache-active",
	[P_NO_FOREIGN]		= "no-foreign",
	[P_NO_INFLIGHT]		= "no-inflight",
	[P_NO_FOREIGN_END]	= "no-foreign-end",
	[P_TRUST]		= "trust-during-transition",
	[P_NO_HOTPLUG]		= "no-hotplug",
	[P_NO_PM]		= "no-pm",
	[P_NO_FORCE]		= "no-force",
};

enum ev {
	E_LOAD, E_PUT, E_MIGRATE, E_FIRE, E_ACK, E_GACK, E_GEOI, E_PROG,
	E_FW, E_FW_BEGIN, E_FW_WRITE, E_FW_END, E_HOTPLUG, E_PM, E_KLP,
	E_NR,
};

static const char *const ev_names[E_NR] = {
	"load", "put", "migrate", "fire", "late-ack", "guest-ack", "guest-eoi",
	"reprogram", "foreign", "foreign-begin", "foreign-write",
	"foreign-end", "hotplug", "cpu-pm", "klp",
};

static const int ev_weight[E_NR] = {
	[E_LOAD] = 14, [E_PUT] = 8, [E_MIGRATE] = 6, [E_FIRE] = 4,
	[E_ACK] = 2, [E_GACK] = 4, [E_GEOI] = 4, [E_PROG] = 10,
	[E_FW] = 1, [E_FW_BEGIN] = 1, [E_FW_WRITE] = 6, [E_FW_END] = 6,
	[E_HOTPLUG] = 1, [E_PM] = 1, [E_KLP] = 1,
};

#define KLP_WEIGHT_TRANSITION	12

/* cumulative weights: [0] stable patch state, [1] in a klp transition */
static int ev_cumul[2][E_NR];

/* Situations the real model must have gone through at least once. */
enum cov {
	C_SKIP_OTHER,		/* skipped over another vcpu's write */
	C_SKIP_MIGRATED,	/* skipped right after a migration */
	C_LOAD_INFLIGHT,	/* new-code load, foreign write in flight */
	C_LOAD_OLD,		/* old-code load during a transition */
	C_ACK_OLD,		/* ack by the old handler during a transition */
	C_NO_SHADOW,		/* write without a klp shadow */
	C_WRAP,			/* the epoch wrapped through 0 */
	C_NR,
};

static const char *const cov_names[C_NR] = {
	"skip-other-vcpu", "skip-after-migrate", "load-while-inflight",
	"old-load-in-transition", "old-ack-in-transition", "no-shadow",
	"epoch-wrap",
};

enum patch_state { DISABLED, ENABLING, ENABLED, DISABLING };

static const char *const patch_names[] = {
	"disabled", "enabling", "enabled", "disabling",
};

struct vcpu {
	int cpu;		/* loaded on, -1: not loaded */
	bool newcode;		/* its task runs the patched functions */
	bool cond[NT];		/* timer output asserted (kvm_timer_pending) */
	bool klevel[NT];	/* timer_ctx->irq.level, the vgic line level */
	bool vactive[NT];	/* guest acked the virtual irq, no EOI yet */
	/* its klp shadow, struct vtc_vcpu (only the new code uses it) */
	bool shadow;
	signed char level[NT];
	unsigned char force[NT];
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
	unsigned long known_active[MAX_CPUS][NT];	/* P_CACHE_ACTIVE */
	enum patch_state patch;
	bool other_new[MAX_CPUS];	/* idle/other task on that CPU */
	/* counters */
	struct vcpu *last_writer[MAX_CPUS][NT];
	bool migrating;
	unsigned long epoch0;
	unsigned long long loads, stock_writes, writes, skips, ev[E_NR];
	unsigned long long cov[C_NR];
};

struct result {
	unsigned long seeds, div_seeds, inv_seeds;
	long first_seed, first_inv_seed;
	int first_step;
	unsigned long long steps, loads, stock_writes, writes, skips, ev[E_NR];
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

static void hw_set(struct model *m, int cpu, int t, bool val)
{
	m->hw_stock[cpu][t] = val;
	m->hw_cached[cpu][t] = val;
}

static struct vcpu *vcpu_on(struct model *m, int cpu)
{
	return m->running[cpu];
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

static int pick_cpu(struct model *m, bool want_free)
{
	int cand[MAX_CPUS], n = 0, c;

	for (c = 0; c < m->ncpu; c++)
		if (m->online[c] && (!want_free || !vcpu_on(m, c)))
			cand[n++] = c;
	return n ? cand[rnd(m, n)] : -1;
}

static struct vcpu *pick_vcpu(struct model *m, int loaded)
{
	struct vcpu *cand[MAX_VCPUS];
	int n = 0, i;

	for (i = 0; i < m->nvcpu; i++)
		if (loaded < 0 || (m->v[i].cpu >= 0) == loaded)
			cand[n++] = &m->v[i];
	return n ? cand[rnd(m, n)] : NULL;
}

static int vid(struct model *m, struct vcpu *v)
{
	return v - m->v;
}

/* --- the cached system: the module's logic over vtc_cache.h -------------- */

/* vtc_invalidate_this_cpu()/vtc_host_ack() for one timer */
static void forget_cpu(struct model *m, int cpu, int t)
{
	vtc_cache_forget_cpu(&m->cc[cpu], t);
	m->known_active[cpu][t] = 0;
}

/* vtc_vcpu_get(): klp_shadow_get_or_alloc(GFP_ATOMIC), which may fail */
static struct vcpu *shadow_get(struct model *m, struct vcpu *v)
{
	int t;

	if (v->shadow)
		return v;
	if (!rnd(m, 16))
		return NULL;
	v->shadow = true;
	for (t = 0; t < NT; t++) {
		v->level[t] = -1;
		v->force[t] = 0;
	}
	return v;
}

/* vtc_timer_level() */
static void cached_timer_level(struct model *m, struct vcpu *v, int t,
			       bool level)
{
	struct vcpu *vv = shadow_get(m, v);

	if (!vv) {
		vtc_cache_forget_all(&m->g);
		return;
	}
	if (vv->level[t] == level)
		return;
	if (vv->level[t] >= 0 && m->plant != P_NO_FORCE)
		vv->force[t] = 1;
	vv->level[t] = level;
}

/* kvm_timer_update_irq(), old or new */
static void update_irq(struct model *m, struct vcpu *v, int t, bool level,
		       bool newcode)
{
	v->klevel[t] = level;
	if (newcode)
		cached_timer_level(m, v, t, level);
}

/*
 * The fprobe on irq_set_irqchip_state(), for a write by anyone but the
 * cache: entry (returns whether the exit handler runs) and exit.
 */
static bool probe_entry(struct model *m, bool val)
{
	if (!val || m->plant == P_NO_FOREIGN)
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

/* P_CACHE_ACTIVE: the decision with "active" cached too (the bug). */
static bool may_skip_active(struct model *m, int cpu, int t)
{
	return m->g.trusted && !vtc_count_read(&m->g.foreign_inflight) &&
	       m->known_active[cpu][t] == vtc_epoch_read(&m->g.epoch);
}

/*
 * vtc_set_irq_phys_active(), interrupts off: check, write, update. The
 * write sets vtc_in_write, so the probe does not count it as foreign.
 */
static void cached_set_phys_active(struct model *m, struct vcpu *v, int cpu,
				   int t, bool active)
{
	struct vtc_cache_cpu *c = &m->cc[cpu];
	struct vcpu *vv = shadow_get(m, v);
	bool skip;

	if (m->plant == P_CACHE_ACTIVE && active)
		skip = vv && !vv->force[t] && may_skip_active(m, cpu, t);
	else
		skip = vv && !vv->force[t] &&
		       vtc_cache_may_skip(&m->g, c, t, active);
	if (skip) {
		m->skips++;
		m->cov[C_SKIP_OTHER] += m->last_writer[cpu][t] != v;
		m->cov[C_SKIP_MIGRATED] += m->migrating;
		tr(m, "  t%d cached: SKIP %d (hw %d)", t, active,
		   m->hw_cached[cpu][t]);
		return;
	}
	m->hw_cached[cpu][t] = active;
	vtc_cache_wrote(&m->g, c, t, active);
	m->known_active[cpu][t] = active ? vtc_epoch_read(&m->g.epoch) : 0;
	if (vv)
		vv->force[t] = 0;
	m->last_writer[cpu][t] = v;
	m->cov[C_NO_SHADOW] += !vv;
	m->writes++;
	tr(m, "  t%d cached: write %d%s", t, active, vv ? "" : " (no shadow)");
}

/* The host took timer PPI @t on @cpu: kvm_arch_timer_handler(). */
static void host_ack(struct model *m, int cpu, int t)
{
	struct vcpu *v = vcpu_on(m, cpu);
	bool newcode = irq_newcode(m, cpu);

	hw_set(m, cpu, t, 1);
	m->cov[C_ACK_OLD] += !newcode && m->patch != DISABLED;
	if (newcode && m->plant != P_NO_ACK)
		forget_cpu(m, cpu, t);		/* vtc_host_ack() */
	tr(m, "  ack cpu%d t%d by %s handler, vcpu %d", cpu, t,
	   newcode ? "new" : "old", v ? vid(m, v) : -1);
	if (v && v->cond[t])
		update_irq(m, v, t, true, newcode);
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
		bool pending = v->cond[t], active;

		update_irq(m, v, t, pending, v->newcode);
		active = v->vactive[t] || pending;

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
	struct vcpu *v = pick_vcpu(m, 0);
	int cpu = pick_cpu(m, true);

	if (!v || cpu < 0)
		return false;
	do_load(m, v, cpu);
	return true;
}

static bool ev_put(struct model *m)
{
	struct vcpu *v = pick_vcpu(m, 1);

	if (!v)
		return false;
	tr(m, "put vcpu%d from cpu%d", vid(m, v), v->cpu);
	vcpu_put(m, v);
	return true;
}

static bool ev_migrate(struct model *m)
{
	struct vcpu *v = pick_vcpu(m, 1);
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

/* A loaded vcpu's asserted timer fires: the PPI is not active there yet. */
enum pair_kind { PK_FIRE, PK_GACK, PK_GEOI };

/* A random (loaded vcpu, timer) pair for which @kind can happen. */
static bool pick_pair(struct model *m, enum pair_kind kind,
		      struct vcpu **vp, int *tp)
{
	int cand[MAX_VCPUS * NT], n = 0, i, t;

	for (i = 0; i < m->nvcpu; i++) {
		struct vcpu *v = &m->v[i];

		if (v->cpu < 0)
			continue;
		for (t = 0; t < NT; t++) {
			bool ok;

			if (kind == PK_FIRE)
				ok = v->cond[t] && !m->hw_stock[v->cpu][t];
			else if (kind == PK_GACK)
				ok = v->klevel[t] && !v->vactive[t];
			else
				ok = v->vactive[t];
			if (ok)
				cand[n++] = i * NT + t;
		}
	}
	if (!n)
		return false;
	i = cand[rnd(m, n)];
	*vp = &m->v[i / NT];
	*tp = i % NT;
	return true;
}

/* A loaded vcpu's asserted timer fires: the PPI is not active there yet. */
static bool ev_fire(struct model *m)
{
	struct vcpu *v;
	int t;

	if (!pick_pair(m, PK_FIRE, &v, &t))
		return false;
	tr(m, "fire vcpu%d t%d on cpu%d", vid(m, v), t, v->cpu);
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

static bool ev_gack(struct model *m)
{
	struct vcpu *v;
	int t;

	if (!pick_pair(m, PK_GACK, &v, &t))
		return false;
	v->vactive[t] = true;
	tr(m, "guest vcpu%d acks t%d", vid(m, v), t);
	return true;
}

/* The HW-mapped LR deactivates the physical PPI on the guest's CPU. */
static bool ev_geoi(struct model *m)
{
	struct vcpu *v;
	int t;

	if (!pick_pair(m, PK_GEOI, &v, &t))
		return false;
	v->vactive[t] = false;
	hw_set(m, v->cpu, t, 0);
	tr(m, "guest vcpu%d EOIs t%d: cpu%d bit -> 0", vid(m, v), t, v->cpu);
	return true;
}

static bool ev_prog(struct model *m)
{
	struct vcpu *v = pick_vcpu(m, -1);
	int t = rnd(m, NT);
	bool cond = !rnd(m, 4);	/* mostly not yet expired */

	v->cond[t] = cond;
	tr(m, "vcpu%d t%d output -> %d", vid(m, v), t, cond);
	if (v->cpu >= 0 && rnd(m, 2))
		update_irq(m, v, t, cond, v->newcode);	/* exit path sync */
	else if (v->cpu < 0 && cond && rnd(m, 2))	/* background hrtimer */
		update_irq(m, v, t, cond, m->other_new[rnd(m, m->ncpu)]);
	return true;
}

static void foreign_write(struct model *m, struct writer *w, int cpu)
{
	struct vcpu *v = vcpu_on(m, cpu);

	hw_set(m, cpu, w->t, w->val);
	/* ISACTIVER emulation also sets the virtual state. */
	if (v && rnd(m, 2))
		v->vactive[w->t] = w->val;
	tr(m, "  foreign write lands on cpu%d t%d = %d", cpu, w->t, w->val);
}

static bool ev_fw(struct model *m)
{
	struct writer w = { .t = rnd(m, NT), .val = rnd(m, 2) };
	int cpu = pick_cpu(m, false);

	tr(m, "foreign write (atomic) t%d = %d", w.t, w.val);
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
	w->val = rnd(m, 4) != 0;
	w->bracketed = probe_entry(m, w->val);
	tr(m, "foreign writer %d enters: t%d = %d (inflight %d)",
	   (int)(w - m->w), w->t, w->val, vtc_count_read(&m->g.foreign_inflight));
	return true;
}

/* Preempted and migrated: the write lands on whatever CPU it runs on now. */
static bool ev_fw_write(struct model *m)
{
	struct writer *w = pick_writer(m, true, false);

	if (!w)
		return false;
	tr(m, "foreign writer %d writes", (int)(w - m->w));
	foreign_write(m, w, pick_cpu(m, false));
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
	w->used = false;
	tr(m, "foreign writer %d returns", (int)(w - m->w));
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
			if (m->v[i].cpu >= 0)	/* running: switches later */
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

static bool (*const ev_fn[E_NR])(struct model *m) = {
	ev_load, ev_put, ev_migrate, ev_fire, ev_ack, ev_gack, ev_geoi,
	ev_prog, ev_fw, ev_fw_begin, ev_fw_write, ev_fw_end, ev_hotplug,
	ev_pm, ev_klp,
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

/* The header's invariant: known inactive and trusted => inactive. */
static bool invariant_broken(struct model *m)
{
	int c, t;

	if (!m->g.trusted || vtc_count_read(&m->g.foreign_inflight))
		return false;
	for (c = 0; c < m->ncpu; c++)
		for (t = 0; t < NT; t++)
			if (m->cc[c].known_inactive[t] ==
			    vtc_epoch_read(&m->g.epoch) && m->hw_cached[c][t])
				return true;
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
		r->writes += m.writes;
		r->skips += m.skips;
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

static void print_counts(const struct result *r)
{
	printf("#  %lu seeds, %llu steps, %llu loads: stock writes %llu, cached writes %llu, skipped %llu (%.1f%%)\n",
	       r->seeds, r->steps, r->loads, r->stock_writes, r->writes,
	       r->skips, r->stock_writes ?
	       100.0 * r->skips / r->stock_writes : 0.0);
}

static int tests_run, tests_failed;

static void result(bool ok, const char *fmt, ...)
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
	{ P_NO_FORCE, false, false, "without level-change force (a margin): harmless" },
	{ P_NO_HOTPLUG, true, false, "without hotplug forget, GIC reset to 0: harmless" },
	{ P_NO_PM, true, false, "without CPU PM forget, state kept over PM: harmless" },
	{ P_NO_ACK, false, true, "host ack does not forget" },
	{ P_CACHE_ACTIVE, false, true, "\"active\" cached too (guest EOI clears it)" },
	{ P_NO_FOREIGN, false, true, "foreign writes of active not bracketed" },
	{ P_NO_INFLIGHT, false, true, "skips allowed while a foreign write is in flight" },
	{ P_NO_FOREIGN_END, false, true, "nothing forgotten when a foreign write returns" },
	{ P_TRUST, false, true, "trusted during klp transitions" },
	{ P_NO_HOTPLUG, false, true, "no hotplug forget, GIC state unknown" },
	{ P_NO_PM, false, true, "no CPU PM forget, GIC state unknown" },
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
	ok = r.skips > 0;
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
	result(ok, "real model [reset %s] went through every event and situation, and skipped writes",
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
			.expect_catch = plant != P_NONE && plant != P_NO_FORCE &&
				!(reset_zero && (plant == P_NO_HOTPLUG ||
						 plant == P_NO_PM)),
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
