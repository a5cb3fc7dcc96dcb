// SPDX-License-Identifier: GPL-2.0-only
/*
 * The hardware and the kernel, fed to two systems at once: a stock one,
 * which writes the timer PPI's active bit on every vcpu load, and one with
 * vtimer-cache, which calls the module's hooks (plants.c). All but the GIC
 * bits is shared: the systems can only differ where the cached one skipped
 * a write, so the first step after which their bits differ holds a wrong
 * skip. Events that depend on a bit read the stock one.
 *
 * Per CPU and timer, the bit (banked per CPU; a write hits the writer's
 * CPU) changes on: a write (or not, if it fails); the host's ack (1; if
 * the irq is not forwarded, its EOI deactivates it before the handler
 * returns); the guest deactivating a HW LR (0), or a nested guest a shadow
 * LR (0, never folded); KVM deactivating an overflowed active irq for
 * EOIcount or a trapped DIR (0, then a fold of a pseudo LR with no state),
 * or a pending, not active one for a trapped DIR (0, then a fold of a
 * pseudo LR still pending); masking a forwarded PPI (0); CPU online and
 * CPU PM (anything). From the vgic flush to the fold, interrupts are off:
 * only the guest acts on that CPU.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

/* A timer's list register in a guest run (vgic flush to fold) */
enum lr {
	LR_NONE,	/* in no LR, not active */
	LR_PENDING,	/* HW LR, pending */
	LR_ACTIVE,	/* HW LR, active (a HW LR is never pending+active) */
	LR_DONE,	/* HW LR the guest deactivated: no state left */
	LR_OVF,		/* active, but the LRs overflowed: in none */
};

unsigned int rnd(struct model *m, unsigned int n)	/* xorshift64* */
{
	m->rng ^= m->rng >> 12;
	m->rng ^= m->rng << 25;
	m->rng ^= m->rng >> 27;
	return (unsigned int)((m->rng * 0x2545f4914f6cdd1dULL) >> 33) % n;
}

static char trace_buf[TRACE_LINES][128];
static unsigned int trace_n;

/* Records an event of CPU @cpu (-1: global) if m->trace is that CPU. */
void tr(struct model *m, int cpu, const char *fmt, ...)
{
	va_list ap;

	if (m->trace < -1 || (cpu >= 0 && cpu != m->trace))
		return;
	va_start(ap, fmt);
	vsnprintf(trace_buf[trace_n++ % TRACE_LINES], sizeof(trace_buf[0]),
		  fmt, ap);
	va_end(ap);
}

/* Prints the last @lines events recorded, and forgets them. */
void trace_dump(unsigned int lines)
{
	unsigned int i = trace_n > lines ? trace_n - lines : 0;

	for (; i < trace_n; i++)
		printf("#     %s\n", trace_buf[i % TRACE_LINES]);
	trace_n = 0;
}

const char *const cov_names[C_NR] = {
	"skip-0", "skip-1", "skip-after-migration", "ack-forwarded",
	"ack-not-forwarded", "fold-learnt-0", "fold-live-lr", "fold-nested",
	"guest-hyp-lr-fold", "eoicount-or-dir", "dir-pending-forgot",
	"resample-write", "l2-deactivated", "load-begin-forgot", "dir-big-hammer",
	"foreign-write", "foreign-write-off-target-cpu", "write-failed",
	"mask-deactivated", "hotplug", "cpu-pm", "klp-reversal",
	"old-code-load-in-transition", "gen-wrap",
};

static const char *const lr_names[] = {
	"-", "pending", "active", "deactivated", "active-no-lr",
};

static void hw_set(struct model *m, int c, int t, bool v)
{
	m->cpu[c].hw[STOCK][t] = v;
	m->cpu[c].hw[CACHED][t] = v;
}

/* The code run on CPU @c: a loaded vcpu's thread is the current task. */
static bool newcode(struct model *m, int c)
{
	if (m->cpu[c].vcpu >= 0)
		return m->v[m->cpu[c].vcpu].newcode;
	return m->klp == KLP_ENABLED ||
	       (m->klp != KLP_DISABLED && rnd(m, 2));
}

/* irq_set_irqchip_state(ACTIVE) in the cached system; @newfn: patched */
int irqchip_write(struct model *m, int c, int t, bool v, bool own,
		  bool newfn, int target_cpu)
{
	int ret = m->wfail ? -EINVAL : 0;

	if (!ret)
		m->cpu[c].hw[CACHED][t] = v;
	m->n->cov[C_WRITE_FAILED] += !!ret;
	if (newfn)
		mod_written(m, c, t, v, ret, own, target_cpu);
	return ret;
}

/* Anyone but the module's load writes @v on CPU @c, in both systems. */
static void foreign_write(struct model *m, int c, int t, bool v, bool newfn,
			  int target_cpu)
{
	m->wfail = !rnd(m, 16);
	if (!m->wfail)
		m->cpu[c].hw[STOCK][t] = v;
	irqchip_write(m, c, t, v, false, newfn, target_cpu);
}

/*
 * kvm_arch_vcpu_put() (the timer writes nothing), or kvm_arch_vcpu_load()
 * -> kvm_timer_vcpu_load_gic(): the vtimer, then on VHE the ptimer.
 */
static bool ev_load(struct model *m)
{
	int i = rnd(m, m->nvcpu), c = rnd(m, m->ncpu), t;
	struct vcpu *v = &m->v[i];
	struct cpu *p = &m->cpu[c];

	if (v->cpu >= 0) {
		tr(m, v->cpu, "cpu%d vcpu%d put", v->cpu, i);
		m->cpu[v->cpu].vcpu = -1;
		v->cpu = -1;
		return true;
	}
	if (!p->online || p->vcpu >= 0)
		return false;
	v->cpu = c;
	p->vcpu = i;
	for (t = 0; t < m->ntimers; t++) {
		bool val = v->active[t] || v->out[t], was = p->hw[CACHED][t];
		bool skip = false;

		v->level[t] = v->out[t];	/* kvm_timer_update_irq() */
		m->wfail = !rnd(m, 32);
		m->n->stock_writes++;
		m->n->stock_needed += p->hw[STOCK][t] != val;
		if (!m->wfail)
			p->hw[STOCK][t] = val;
		if (!v->newcode) {	/* stock code: writes, learns nothing */
			m->n->cov[C_OLD_LOAD] += m->klp != KLP_DISABLED;
			irqchip_write(m, c, t, val, false, false, c);
		} else {
			m->n->decisions++;
			m->n->needed += was != val;
			skip = mod_load_timer(m, c, t, val, v->nv);
			m->n->skips += skip;
			m->n->issued += !skip;
			m->n->cov[val ? C_SKIP1 : C_SKIP0] += skip;
			m->n->cov[C_SKIP_MIGRATED] += skip && v->last_cpu != c;
		}
		tr(m, c, "cpu%d vcpu%d load t%d: %s%s %d%s (bit was %d)", c, i,
		   t, v->newcode ? "" : "stock code ", skip ? "skip" : "write",
		   val, m->wfail && !skip ? " failed" : "", was);
	}
	v->last_cpu = c;
	return true;
}

/*
 * vgic_v3_fold_lr() of a HW LR of timer @t with state @lrs; @pseudo: an LR
 * KVM built for EOIcount or a trapped DIR (irq->on_lr is false)
 */
static void fold(struct model *m, struct vcpu *v, int t, enum lr lrs,
		 bool new, bool pseudo)
{
	bool deact;

	if (new)
		mod_fold(m, v->cpu, t, v->nv, pseudo, lrs == LR_DONE);
	deact = v->active[t] && lrs != LR_ACTIVE;
	v->active[t] = lrs == LR_ACTIVE;
	/* vgic_irq_handle_resampling(): a low line writes 0 */
	if (lrs == LR_PENDING || (deact && v->level[t])) {
		v->level[t] = v->out[t];
		if (!v->level[t]) {
			m->n->cov[C_RESAMPLE]++;
			foreign_write(m, v->cpu, t, false, new, v->cpu);
		}
	}
}

/*
 * A guest run, as one step: from the vgic flush to the fold interrupts
 * are off, so nothing else happens on this CPU, and a vcpu whose vgic
 * state another thread changes is halted first. A nested vcpu sometimes
 * runs its L2 guest, whose shadow LRs are never folded: at the exit,
 * vgic_v3_sync_nested() only clears L1's active state. After the fold,
 * the guest's trapped DIR (EOImode 1) of a timer irq that is pending but
 * not active, so in no LR (vgic_v{2,3}_deactivate()): KVM deactivates the
 * physical PPI and folds a pseudo LR that is still pending.
 */
static bool ev_run(struct model *m)
{
	int i = rnd(m, m->nvcpu), n, t;
	struct vcpu *v = &m->v[i];
	bool l2 = v->nv && !rnd(m, 3), eoi[NT] = { false }, gh = false;
	enum lr lr[NT] = { LR_NONE };
	int l2_deact = 0, dir_pending = 0;

	if (v->cpu < 0)
		return false;
	for (t = 0; t < m->ntimers && !l2; t++) {	/* vgic flush */
		if (v->active[t]) {
			lr[t] = rnd(m, 5) ? LR_ACTIVE : LR_OVF;
		} else if (v->level[t] && rnd(m, 5)) {
			lr[t] = LR_PENDING;
			v->level[t] = false;	/* mapped level: lowered */
		}
	}
	tr(m, v->cpu, "cpu%d vcpu%d runs%s: LRs %s %s", v->cpu, i,
	   l2 ? " L2" : "", lr_names[lr[0]], lr_names[lr[1]]);
	for (n = rnd(m, 5); n; n--) {	/* what the guest does */
		t = rnd(m, m->ntimers);
		if (!rnd(m, 4)) {
			v->out[t] = !v->out[t];		/* reprograms */
		} else if (l2 && (v->active[t] || v->level[t])) {
			/* through a HW shadow LR L1 gave it */
			m->n->cov[C_L2_DEACT] += m->cpu[v->cpu].hw[STOCK][t];
			l2_deact |= 1 << t;
			hw_set(m, v->cpu, t, false);
			v->active[t] = false;
		} else if (lr[t] == LR_PENDING) {
			lr[t] = LR_ACTIVE;		/* acks */
		} else if (lr[t] == LR_ACTIVE) {
			lr[t] = LR_DONE;		/* deactivates */
			hw_set(m, v->cpu, t, false);
		} else if (lr[t] == LR_OVF) {
			eoi[t] = true;	/* EOI (EOIcount) or a trapped DIR */
		}
	}
	for (t = 0; t < m->ntimers && !l2; t++) {	/* the exit's fold */
		if (lr[t] == LR_OVF && eoi[t]) {
			/* KVM deactivates here, folds an LR with no state */
			m->n->cov[C_EOICOUNT]++;
			hw_set(m, v->cpu, t, false);
			fold(m, v, t, LR_DONE, v->newcode, true);
		} else if (lr[t] != LR_NONE && lr[t] != LR_OVF) {
			fold(m, v, t, lr[t], v->newcode, false);
		}
	}
	for (t = 0; t < m->ntimers && !l2; t++) {	/* a trapped DIR */
		if (v->active[t] || !v->level[t] || rnd(m, 8))
			continue;
		/* KVM deactivates here, folds an LR still pending */
		dir_pending |= 1 << t;
		hw_set(m, v->cpu, t, false);
		fold(m, v, t, LR_PENDING, v->newcode, true);
	}
	if (!l2 && v->nv && v->newcode && !rnd(m, 3)) {
		/* a guest hypervisor's LR, deactivated elsewhere or not */
		gh = true;
		m->n->cov[C_GH_FOLD]++;
		mod_fold(m, v->cpu, rnd(m, m->ntimers), true, false, rnd(m, 2));
	}
	tr(m, v->cpu, "cpu%d vcpu%d exits: LRs %s %s%s%s%s%s, bits %d %d",
	   v->cpu, i, lr_names[lr[0]], lr_names[lr[1]],
	   eoi[0] || eoi[1] ? ", EOI/DIR deactivated" : "",
	   dir_pending ? ", DIR of a pending irq deactivated" : "",
	   l2_deact ? ", L2 deactivated" : "",
	   gh ? ", a guest hypervisor LR folded" : "",
	   m->cpu[v->cpu].hw[STOCK][0], m->cpu[v->cpu].hw[STOCK][1]);
	return true;
}

/*
 * Anyone writes on CPU @c: the vgic's I[SC]ACTIVER emulation for a vcpu
 * (from any vcpu's thread; from the vcpu's own, a write of 0 is also the
 * DIR "big hammer"), or anything else.
 */
static bool ev_foreign(struct model *m)
{
	int c = rnd(m, m->ncpu), t = rnd(m, m->ntimers);
	int i = rnd(m, m->nvcpu + 1), target_cpu = -1;
	struct cpu *p = &m->cpu[c];
	bool val = rnd(m, 2);

	if (!p->online)
		return false;
	if (i < m->nvcpu) {
		target_cpu = m->v[i].cpu;
		m->n->cov[C_HAMMER] += !val && m->v[i].active[t] &&
				    target_cpu == c;
		m->v[i].active[t] = val;
	}
	m->n->cov[C_FOREIGN]++;
	m->n->cov[C_FOREIGN_ELSEWHERE] += target_cpu >= 0 && target_cpu != c;
	foreign_write(m, c, t, val, newcode(m, c), target_cpu);
	tr(m, c, "cpu%d foreign write t%d = %d%s%s", c, t, val,
	   m->wfail ? " failed" : "", i < m->nvcpu ? " (a vcpu's irq)" : "");
	return true;
}

/* The timer output changes (expiry, reprogramming; a soft timer if put) */
static bool ev_timer(struct model *m)
{
	int i = rnd(m, m->nvcpu), t = rnd(m, m->ntimers);
	struct vcpu *v = &m->v[i];

	v->out[t] = !v->out[t];
	if (v->cpu < 0 && v->out[t])
		v->level[t] = true;
	else if (v->cpu >= 0)
		tr(m, v->cpu, "cpu%d vcpu%d timer t%d output %d", v->cpu, i,
		   t, v->out[t]);
	return true;
}

/* The host takes the PPI (patched kvm_arch_timer_handler()) */
static bool ev_ack(struct model *m)
{
	int c = rnd(m, m->ncpu), t = rnd(m, m->ntimers), i;
	struct cpu *p = &m->cpu[c];
	bool firing, fwd;

	i = p->vcpu;
	if (!p->online || p->hw[STOCK][t])
		return false;
	firing = i >= 0 && m->v[i].out[t];
	if (!firing && rnd(m, 4))
		return false;		/* else a late or spurious one */
	fwd = m->fwd_always || rnd(m, 3);
	hw_set(m, c, t, true);
	if (newcode(m, c))
		mod_acked(m, c, t, fwd);
	m->n->cov[fwd ? C_ACK_FWD : C_ACK_NOFWD]++;
	if (!fwd)
		hw_set(m, c, t, false);	/* its EOI deactivates it */
	else if (firing)
		m->v[i].level[t] = true;
	tr(m, c, "cpu%d host ack t%d%s", c, t, fwd ? "" : ", not forwarded");
	return true;
}

/* kvm_timer_cpu_down(): masking a forwarded PPI deactivates it */
static void cpu_down(struct model *m, int c)
{
	int t;

	for (t = 0; t < m->ntimers; t++) {
		if (m->cpu[c].hw[STOCK][t] && (m->fwd_always || rnd(m, 3))) {
			m->n->cov[C_MASK]++;
			hw_set(m, c, t, false);
		}
	}
	if (newcode(m, c))
		mod_forget_cpu(m, c, F_MASK);
	tr(m, c, "cpu%d KVM cpu down: masked, bits %d %d", c,
	   m->cpu[c].hw[STOCK][0], m->cpu[c].hw[STOCK][1]);
}

/* The last VM goes (kvm.enable_virt_at_load=0): CPU down everywhere */
static bool ev_virt_off(struct model *m)
{
	int c, i;

	if (m->plant == P_NO_HOTPLUG_MASK)
		return false;	/* so that only hotplug can catch it */
	for (i = 0; i < m->nvcpu; i++)
		if (m->v[i].cpu >= 0)
			return false;
	tr(m, -1, "the last VM goes: KVM's CPU down on every CPU");
	for (c = 0; c < m->ncpu; c++)
		if (m->cpu[c].online)
			cpu_down(m, c);
	for (i = 0; i < m->nvcpu; i++) {	/* a new VM, same vcpus */
		memset(m->v[i].out, 0, sizeof(m->v[i].out));
		memset(m->v[i].active, 0, sizeof(m->v[i].active));
		memset(m->v[i].level, 0, sizeof(m->v[i].level));
	}
	return true;
}

/* Offline: the module's cpuhp callback, then KVM's; online: any bits */
static bool ev_hotplug(struct model *m)
{
	int c = rnd(m, m->ncpu), n = 0, i, t;
	struct cpu *p = &m->cpu[c];

	for (i = 0; i < m->ncpu; i++)
		n += m->cpu[i].online;
	if (p->online && (p->vcpu >= 0 || n < 2))
		return false;
	m->n->cov[C_HOTPLUG]++;
	if (p->online) {
		mod_forget_cpu(m, c, F_HOTPLUG);	/* CPUHP_AP_ONLINE_DYN */
		cpu_down(m, c);		/* CPUHP_AP_KVM_ONLINE, below it */
		p->online = false;
		tr(m, c, "cpu%d offline", c);
		return true;
	}
	for (t = 0; t < NT; t++)
		hw_set(m, c, t, rnd(m, 2));
	p->online = true;
	mod_forget_cpu(m, c, F_HOTPLUG);
	tr(m, c, "cpu%d online: bits %d %d", c, p->hw[STOCK][0],
	   p->hw[STOCK][1]);
	return true;
}

/* CPU_PM_ENTER, then CPU_PM_EXIT (state maybe lost) or ENTER_FAILED */
static bool ev_pm(struct model *m)
{
	int c = rnd(m, m->ncpu), t;
	struct cpu *p = &m->cpu[c];

	if (!p->online || p->vcpu >= 0)
		return false;
	m->n->cov[C_PM]++;
	mod_forget_cpu(m, c, F_PM);
	for (t = 0; t < NT && rnd(m, 4); t++)
		hw_set(m, c, t, rnd(m, 2));
	mod_forget_cpu(m, c, F_PM);
	tr(m, c, "cpu%d PM exit: bits %d %d", c, p->hw[STOCK][0],
	   p->hw[STOCK][1]);
	return true;
}

/*
 * klp, with the callbacks of src/vtc_main.c. In a transition, vcpu threads
 * switch one by one, while their vcpu is not loaded (KVM_RUN puts it
 * before its thread returns to user space or is switched out); other
 * contexts run either code. With m->switch_loaded, also while it is
 * loaded: __schedule() calls klp_sched_try_switch(prev) before it picks
 * the next task, and may then keep running prev, its vcpu still loaded.
 */
static bool ev_klp(struct model *m)
{
	static const char *const names[] = {
		"disabled", "enabling", "enabled", "disabling",
	};
	bool target = m->klp == KLP_ENABLING;
	int i;

	if (m->klp == KLP_DISABLED) {
		mod_klp(m, CB_PRE_PATCH);
		m->klp = KLP_ENABLING;
	} else if (m->klp == KLP_ENABLED) {
		if (rnd(m, 3))
			return false;
		mod_klp(m, CB_PRE_UNPATCH);
		m->klp = KLP_DISABLING;
	} else if (!rnd(m, 8)) {	/* klp_reverse_transition() */
		m->n->cov[C_KLP_REVERSE]++;
		m->klp = target ? KLP_DISABLING : KLP_ENABLING;
	} else {
		i = rnd(m, m->nvcpu);
		if (m->v[i].cpu < 0 || m->switch_loaded)
			m->v[i].newcode = target;
		for (i = 0; i < m->nvcpu; i++)
			if (m->v[i].newcode != target)
				return true;
		if (rnd(m, 2))
			return true;
		mod_klp(m, target ? CB_POST_PATCH : CB_POST_UNPATCH);
		m->klp = target ? KLP_ENABLED : KLP_DISABLED;
	}
	tr(m, -1, "klp: %s, gen %lu", names[m->klp], m->trust.gen);
	return true;
}

static const struct {
	bool (*fn)(struct model *m);
	int weight;
} events[] = {
	{ ev_load, 18 }, { ev_run, 24 }, { ev_foreign, 4 }, { ev_timer, 10 },
	{ ev_ack, 8 },
	{ ev_virt_off, 1 }, { ev_hotplug, 1 }, { ev_pm, 1 }, { ev_klp, 2 },
};

void model_step(struct model *m)
{
	int total = 0, e, r, tries;

	for (e = 0; e < (int)ARRAY_SIZE(events); e++)
		total += events[e].weight;
	for (tries = 0; tries < 100; tries++) {
		r = rnd(m, total);
		for (e = 0; r >= events[e].weight; e++)
			r -= events[e].weight;
		if (events[e].fn(m))
			return;
	}
}

bool model_diverged(const struct model *m, int *cpu, int *t)
{
	for (*cpu = 0; *cpu < m->ncpu; (*cpu)++)
		for (*t = 0; *t < NT; (*t)++)
			if (m->cpu[*cpu].hw[STOCK][*t] !=
			    m->cpu[*cpu].hw[CACHED][*t])
				return true;
	return false;
}

/* A host per seed: 2-4 CPUs, 1-3 vcpus, VHE or not, nested vcpus or not */
void model_init(struct model *m, uint64_t seed, enum plant plant)
{
	bool switch_loaded = m->switch_loaded;
	struct counts *n = m->n;
	int trace = m->trace, c, i, t;

	memset(m, 0, sizeof(*m));
	m->trace = trace;
	m->switch_loaded = switch_loaded;
	m->n = n;
	m->rng = seed * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL;
	m->plant = plant;
	m->ncpu = 2 + rnd(m, MAX_CPUS - 1);
	m->nvcpu = 1 + rnd(m, MAX_VCPUS);
	m->ntimers = rnd(m, 4) ? 2 : 1;
	m->fwd_always = rnd(m, 2);
	for (c = 0; c < m->ncpu; c++) {
		m->cpu[c].online = true;
		m->cpu[c].vcpu = -1;
		for (t = 0; t < NT; t++)
			hw_set(m, c, t, rnd(m, 2));
	}
	for (i = 0; i < m->nvcpu; i++) {
		m->v[i].cpu = -1;
		m->v[i].last_cpu = -1;
		m->v[i].nv = m->ntimers == 2 && !rnd(m, 3);	/* VHE only */
	}
	if (!rnd(m, 4))
		m->trust.last = ULONG_MAX - rnd(m, 3);	/* wraps soon */
	if (rnd(m, 4)) {
		mod_klp(m, CB_PRE_PATCH);
		mod_klp(m, CB_POST_PATCH);
		m->klp = KLP_ENABLED;
		for (i = 0; i < m->nvcpu; i++)
			m->v[i].newcode = true;
	}
	tr(m, -1, "seed %llu: %d cpus, %d vcpus (nested %d %d %d), %s%s",
	   (unsigned long long)seed, m->ncpu, m->nvcpu, m->v[0].nv,
	   m->v[1].nv, m->v[2].nv, m->ntimers == 2 ? "VHE" : "nVHE",
	   m->fwd_always ? "" : ", irqs sometimes not forwarded");
}
