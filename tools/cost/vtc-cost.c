// SPDX-License-Identifier: GPL-2.0
/*
 * vtc-cost: a QEMU 7.2 TCG plugin that counts the host kernel instructions
 * an emulated arm64 KVM host executes per guest exit (tools/cost/README.md).
 *
 *   qemu-system-aarch64 ... -accel tcg,thread=single -icount shift=0,sleep=off \
 *       -plugin vtc-cost.so,map=ADDR.map,out=WINDOWS.txt
 *
 * Counting windows: tools/vmm/vmm.c (--cost-marks) executes marker
 * instructions at EL0, which this plugin recognises when it translates
 * them (user addresses below 4 GiB only, MARK_TOP):
 *   orr x9, x9, x9     0xaa090129  open a window on the vCPU that ran it
 *   orr x10, x10, x10  0xaa0a014a  close the window of that vCPU
 *   orr x11, x11, x11  0xaa0b016b  pause it (the thread is about to migrate)
 *   orr x12, x12, x12  0xaa0c018c  resume the oldest paused window here
 * QEMU executes all four as the no-ops they are. Windows are numbered in
 * the order they open, from 1. Each closed window appends one line to OUT.
 *
 * Inside a window, on its vCPU only, every instruction executed at a host
 * kernel address (>= 0xffff000000000000) is counted, exactly (an inline
 * add per instruction into a per-category counter; a per-TB callback hands
 * the counts since the previous kernel TB to the vCPU that ran that TB).
 * Categories, first match wins:
 *   module  addresses in MAP's "module" range (the arm64 module region)
 *   ftrace  addresses inside MAP's "ftrace" symbols (ftrace/fgraph/fprobe/
 *           klp trampolines and handlers: their own instructions, not what
 *           they call)
 *   load    everything else executed between the entry of the "load"
 *           symbol (kvm_timer_vcpu_load) and its return
 *   other   everything else
 * The return of the load symbol: 7.2 plugins cannot read registers, so its
 * return address is taken from the call: a TB that ends with "bl LOAD"
 * leaves its last address + 4 pending on that vCPU; a "blr" leaves the
 * same for the next TB only. The load window ends when that vCPU next
 * starts a TB at that address.
 *
 * The window also splits its instructions by task: "thread" while the
 * vcpu thread's kernel stack is in use (learnt from the first SP-based
 * load or store after the window opens, followed by every later one) and
 * no IRQ is being handled, "thread_irq" inside call_on_irq_stack (return
 * tracked as for the load) while the thread ran, "others" anything else
 * (other tasks, the idle task, and their IRQs).
 *
 * Also per window: GIC MMIO reads and writes made by host kernel
 * instructions on that vCPU (memory callbacks; is_io and the physical
 * address inside MAP's "gic" ranges), of these the writes to the
 * active-state registers (GICD_ISACTIVERn / ICACTIVERn at 0x300-0x37f /
 * 0x380-0x3ff of the "gicd" range, GICv2's banked ...0 included;
 * GICR_ISACTIVER0 / ICACTIVER0 at 0x10300 / 0x10380, extended PPI ones up
 * to 0x103ff, of each 128K frame of the "gicr" range), and entries into
 * MAP's "entry" symbols (a TB starting at the symbol's address). nVHE hyp
 * code runs at hyp VAs below 0xffff000000000000 and is neither counted nor
 * instrumented.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define KERNEL_BASE	0xffff000000000000ULL
#define USER_TOP	0x0001000000000000ULL
/*
 * Marks count only below 4 GiB, where static non-PIE executables such as
 * vtc-vmm are linked (0x400000). Shared libraries and PIE executables are
 * mapped far above, and some do contain these instructions: bookworm's
 * libglib has "orr x10, x10, x10", which QEMU running a real guest in the
 * emulated host executes on every QMP command.
 */
#define MARK_TOP	0x0000000100000000ULL

#define MARK_OPEN	0xaa090129u
#define MARK_CLOSE	0xaa0a014au
#define MARK_PAUSE	0xaa0b016bu
#define MARK_RESUME	0xaa0c018cu

enum { CAT_PLAIN, CAT_MODULE, CAT_FTRACE, NCAT };
enum { W_LOAD, W_MODULE, W_FTRACE, W_OTHER, NW };
static const char *const w_name[NW] = { "load", "module", "ftrace", "other" };

/* Whose instructions: the vcpu thread's, IRQs taken while it ran, others. */
enum { T_THREAD, T_THREAD_IRQ, T_OTHERS, NT };
static const char *const t_name[NT] = { "thread", "thread_irq", "others" };

#define MAX_VCPUS	64
#define MAX_ENTRIES	62	/* 6 bits in the TB's user data, 0 = none */
#define MAX_GIC		8
#define GICR_STRIDE	0x20000	/* GICv3: RD_base + SGI_base frames, 64K each */
#define MAX_WINDOWS	100000

struct range {
	uint64_t lo, hi;
};

static struct range module_range;
static struct range *ftrace;
static size_t n_ftrace;

static struct {
	uint64_t addr;
	char *name;
} entries[MAX_ENTRIES + 1];	/* 1-based */
static int n_entries;
static int load_entry;		/* index of the load symbol in entries[] */
static int irq_entry;		/* call_on_irq_stack */
static uint64_t stack_size = 16384;	/* THREAD_SIZE */

/* Where the active-state registers are: none, GICD or GICR layout. */
enum { GIC_PLAIN, GIC_DIST, GIC_REDIST };

static struct {
	uint64_t lo, hi;
	char *name;
	int kind;
} gic[MAX_GIC];
static int n_gic;

struct window {
	int idx, vcpu, segments;
	int state;		/* 0 open, 1 paused, 2 closed */
	uint64_t insns[NW];
	uint64_t task[NT];
	uint64_t stack;			/* the vcpu thread's kernel stack */
	uint64_t gic_rw[MAX_GIC][2];	/* [0] reads, [1] writes */
	uint64_t act_w[2];		/* writes to I[SC]ACTIVER: [0] set, [1] clear */
	uint64_t entry[MAX_ENTRIES + 1];
	uint64_t tbs;			/* kernel TBs started */
	uint64_t load_calls, load_noret, other_io;
	uint64_t conflicts;
};

struct vcpu {
	struct window *win;
	int in_load;
	uint64_t ret;		/* return address of the load in progress */
	uint64_t pending_ret;	/* from the last "bl LOAD" */
	uint64_t blr_ret;	/* previous TB ended with blr: its return */
	int in_irq;		/* inside call_on_irq_stack */
	uint64_t irq_ret, pending_irq_ret;
	int on_thread;		/* last SP access was on the window's stack */
	int want_stack;		/* window just opened: learn its stack */
};

static struct vcpu vcpus[MAX_VCPUS];
static struct window *paused[MAX_WINDOWS];
static int n_paused;
static int n_windows;
static FILE *out;

/*
 * The inline counters: instructions executed at kernel addresses, by
 * category. API 1 (QEMU 7.2) adds to plain memory; from API 2 on (QEMU
 * 9.0 and later, trixie's 10.0 for nested virtualization) inline ops go
 * to a per-vCPU scoreboard, summed when read: TCG runs single-threaded
 * here (run.sh --plugin), so the sum is what one global counter was.
 */
#if QEMU_PLUGIN_VERSION >= 2
static struct qemu_plugin_scoreboard *g_score;	/* uint64_t[NCAT] per vCPU */

static qemu_plugin_u64 cnt_entry(int c)
{
	return (qemu_plugin_u64){ g_score, c * sizeof(uint64_t) };
}

static uint64_t cnt_read(int c)
{
	return qemu_plugin_u64_sum(cnt_entry(c));
}
#else
static uint64_t g_cnt[NCAT];

static uint64_t cnt_read(int c)
{
	return g_cnt[c];
}
#endif
static uint64_t g_seen[NCAT];
static int last_vcpu = -1;	/* the vCPU of the last kernel TB */
static int last_in_load;	/* and whether it ran inside a load */
static int last_in_irq;		/* or an IRQ */

static uint64_t marks_seen[4], marks_translated, errors;

/*
 * profile=FILE: instructions counted in windows, per TB start address and
 * category (tools/cost/profile.py names them). Dumped and cleared each
 * time a window closes ("window N" line, then "pc load module ftrace
 * other" lines), so with windows on several vCPUs at once a dump holds the
 * instructions of all of them since the previous one.
 */
#define PROF_BITS	18
#define PROF_SIZE	(1u << PROF_BITS)
static struct prof {
	uint64_t pc;
	uint64_t n[NW];
} *prof;
static uint64_t prof_dropped;
static uint64_t last_pc;
static const char *prof_path;
static FILE *prof_f;

static void prof_dump(int idx)
{
	uint32_t j;

	if (!prof)
		return;
	fprintf(prof_f, "window %d dropped=%" PRIu64 "\n", idx, prof_dropped);
	for (j = 0; j < PROF_SIZE; j++) {
		if (!prof[j].pc)
			continue;
		fprintf(prof_f, "%" PRIx64 " %" PRIu64 " %" PRIu64 " %" PRIu64
			" %" PRIu64 "\n", prof[j].pc, prof[j].n[0], prof[j].n[1],
			prof[j].n[2], prof[j].n[3]);
	}
	memset(prof, 0, PROF_SIZE * sizeof(*prof));
	prof_dropped = 0;
	fflush(prof_f);
}

static void prof_add(int cat, uint64_t n)
{
	uint32_t h = (uint32_t)((last_pc >> 2) * 0x9e3779b97f4a7c15ULL >> (64 - PROF_BITS));
	uint32_t i;

	for (i = 0; i < PROF_SIZE; i++, h = (h + 1) & (PROF_SIZE - 1)) {
		if (prof[h].pc == last_pc || !prof[h].pc) {
			prof[h].pc = last_pc;
			prof[h].n[cat] += n;
			return;
		}
	}
	prof_dropped += n;
}

static void flush(void)
{
	uint64_t d[NCAT];
	struct window *w;
	int c;

	for (c = 0; c < NCAT; c++) {
		uint64_t v = cnt_read(c);

		d[c] = v - g_seen[c];
		g_seen[c] = v;
	}
	if (last_vcpu < 0)
		return;
	w = vcpus[last_vcpu].win;
	if (!w)
		return;
	w->task[!vcpus[last_vcpu].on_thread ? T_OTHERS :
		last_in_irq ? T_THREAD_IRQ : T_THREAD] +=
		d[CAT_PLAIN] + d[CAT_MODULE] + d[CAT_FTRACE];
	w->insns[last_in_load ? W_LOAD : W_OTHER] += d[CAT_PLAIN];
	w->insns[W_MODULE] += d[CAT_MODULE];
	w->insns[W_FTRACE] += d[CAT_FTRACE];
	if (prof) {
		if (d[CAT_PLAIN])
			prof_add(last_in_load ? W_LOAD : W_OTHER, d[CAT_PLAIN]);
		if (d[CAT_MODULE])
			prof_add(W_MODULE, d[CAT_MODULE]);
		if (d[CAT_FTRACE])
			prof_add(W_FTRACE, d[CAT_FTRACE]);
	}
}

/*
 * A TB's user data, no allocation per translation: bits 2..47 the low bits
 * of its (kernel, 4-aligned) address, 48..56 its instruction count - 1,
 * 57..62 the entry symbol it starts at (0: none), bit 0 its last
 * instruction is a blr, bit 1 it is "bl LOAD", bit 63 "bl IRQ".
 */
#define TB_BLR		1ULL
#define TB_BL_LOAD	2ULL
#define TB_BL_IRQ	(1ULL << 63)
#define TB_PC(u)	(((u) & 0x0000fffffffffffcULL) | KERNEL_BASE)
#define TB_N(u)		((((u) >> 48) & 0x1ff) + 1)
#define TB_ENTRY(u)	((int)(((u) >> 57) & 0x3f))
#define TB_PC_MASK	0x0000fffffffffffcULL

static void tb_exec(unsigned int vcpu_index, void *udata)
{
	uint64_t u = (uint64_t)(uintptr_t)udata, pc = TB_PC(u);
	struct vcpu *v;
	int e;

	flush();
	if (vcpu_index >= MAX_VCPUS) {
		last_vcpu = -1;
		return;
	}
	v = &vcpus[vcpu_index];
	if (v->win)
		v->win->tbs++;
	if (v->in_load && pc == v->ret)
		v->in_load = 0;
	if (v->in_irq && pc == v->irq_ret)
		v->in_irq = 0;
	e = TB_ENTRY(u);
	if (e) {
		if (v->win)
			v->win->entry[e]++;
		if (e == load_entry && !v->in_load) {
			uint64_t ret = v->pending_ret ? v->pending_ret : v->blr_ret;

			if (ret) {
				v->in_load = 1;
				v->ret = ret;
				if (v->win)
					v->win->load_calls++;
			} else if (v->win) {
				v->win->load_noret++;
			}
			v->pending_ret = 0;
		}
		if (e == irq_entry && !v->in_irq && v->pending_irq_ret) {
			v->in_irq = 1;
			v->irq_ret = v->pending_irq_ret;
			v->pending_irq_ret = 0;
		}
	}
	v->blr_ret = (u & TB_BLR) ? pc + 4 * TB_N(u) : 0;
	if (u & TB_BL_LOAD)
		v->pending_ret = pc + 4 * TB_N(u);
	if (u & TB_BL_IRQ)
		v->pending_irq_ret = pc + 4 * TB_N(u);
	last_vcpu = vcpu_index;
	last_in_load = v->in_load;
	last_in_irq = v->in_irq;
	last_pc = pc;
}

static void mem_cb(unsigned int vcpu_index, qemu_plugin_meminfo_t info,
		   uint64_t vaddr, void *udata)
{
	struct qemu_plugin_hwaddr *h;
	struct window *w;
	uint64_t pa, off;
	int i;

	(void)udata;
	if (vcpu_index >= MAX_VCPUS)
		return;
	w = vcpus[vcpu_index].win;
	if (!w)
		return;
	h = qemu_plugin_get_hwaddr(info, vaddr);
	if (!h || !qemu_plugin_hwaddr_is_io(h))
		return;
	pa = qemu_plugin_hwaddr_phys_addr(h);
	for (i = 0; i < n_gic; i++) {
		if (pa >= gic[i].lo && pa < gic[i].hi) {
			if (!qemu_plugin_mem_is_store(info)) {
				w->gic_rw[i][0]++;
				return;
			}
			w->gic_rw[i][1]++;
			off = pa - gic[i].lo;
			/* GICR: from the SGI frame (wraps for the RD frame) */
			if (gic[i].kind == GIC_REDIST)
				off = off % GICR_STRIDE - 0x10000;
			if (gic[i].kind != GIC_PLAIN && off >= 0x300 && off < 0x400)
				w->act_w[off >= 0x380]++;
			return;
		}
	}
	w->other_io++;
}

/*
 * Loads and stores with SP as base: whose kernel stack is in use. The
 * first one after a window opens is the vcpu thread's own (its next kernel
 * entry saves its registers there); outside IRQ scope, each later one says
 * whether the vcpu thread still runs on this vCPU.
 */
static void stack_cb(unsigned int vcpu_index, qemu_plugin_meminfo_t info,
		     uint64_t vaddr, void *udata)
{
	struct vcpu *v;

	(void)info;
	(void)udata;
	if (vcpu_index >= MAX_VCPUS)
		return;
	v = &vcpus[vcpu_index];
	if (!v->win || v->in_irq)
		return;
	if (v->want_stack) {
		v->want_stack = 0;
		v->win->stack = vaddr & ~(stack_size - 1);
	}
	v->on_thread = (vaddr & ~(stack_size - 1)) == v->win->stack;
}

static void put_window(struct window *w, const char *state)
{
	uint64_t total = 0;
	int i;

	for (i = 0; i < NW; i++)
		total += w->insns[i];
	fprintf(out, "window=%d vcpu=%d state=%s segments=%d insns=%" PRIu64,
		w->idx, w->vcpu, state, w->segments, total);
	for (i = 0; i < NW; i++)
		fprintf(out, " %s=%" PRIu64, w_name[i], w->insns[i]);
	for (i = 0; i < NT; i++)
		fprintf(out, " %s=%" PRIu64, t_name[i], w->task[i]);
	for (i = 0; i < n_gic; i++)
		fprintf(out, " %s_r=%" PRIu64 " %s_w=%" PRIu64, gic[i].name,
			w->gic_rw[i][0], gic[i].name, w->gic_rw[i][1]);
	fprintf(out, " gic_active_w=%" PRIu64 " gic_isactiver_w=%" PRIu64
		" gic_icactiver_w=%" PRIu64, w->act_w[0] + w->act_w[1],
		w->act_w[0], w->act_w[1]);
	fprintf(out, " other_io=%" PRIu64 " tbs=%" PRIu64, w->other_io, w->tbs);
	for (i = 1; i <= n_entries; i++)
		fprintf(out, " entry.%s=%" PRIu64, entries[i].name,
			w->entry[i]);
	fprintf(out, " load_calls=%" PRIu64 " load_noret=%" PRIu64
		" conflicts=%" PRIu64 "\n",
		w->load_calls, w->load_noret, w->conflicts);
	fflush(out);
}

static void note(const char *fmt, unsigned int vcpu, int idx)
{
	errors++;
	fprintf(out, "error ");
	fprintf(out, fmt, vcpu, idx);
	fprintf(out, "\n");
	fflush(out);
}

static void mark_exec(unsigned int vcpu_index, void *udata)
{
	unsigned int kind = (unsigned int)(uintptr_t)udata;
	struct vcpu *v;
	struct window *w;
	int i;

	flush();
	marks_seen[kind]++;
	if (vcpu_index >= MAX_VCPUS)
		return;
	v = &vcpus[vcpu_index];
	switch (kind) {
	case 0:		/* open */
		if (v->win) {
			note("open on vcpu %u while window %d is open there: "
			     "closed as aborted", vcpu_index, v->win->idx);
			put_window(v->win, "aborted");
			free(v->win);
		}
		w = calloc(1, sizeof(*w));
		if (!w) {
			note("vcpu %u: out of memory (%d)", vcpu_index, 0);
			v->win = NULL;
			return;
		}
		w->idx = ++n_windows;
		w->vcpu = (int)vcpu_index;
		w->segments = 1;
		v->win = w;
		v->want_stack = 1;
		v->on_thread = 1;
		break;
	case 1:		/* close */
		if (!v->win) {
			note("close on vcpu %u without an open window (%d)",
			     vcpu_index, 0);
			return;
		}
		put_window(v->win, "closed");
		prof_dump(v->win->idx);
		free(v->win);
		v->win = NULL;
		break;
	case 2:		/* pause */
		if (!v->win) {
			note("pause on vcpu %u without an open window (%d)",
			     vcpu_index, 0);
			return;
		}
		if (n_paused == MAX_WINDOWS) {
			note("vcpu %u: too many paused windows (%d)",
			     vcpu_index, n_paused);
			return;
		}
		v->win->state = 1;
		paused[n_paused++] = v->win;
		v->win = NULL;
		break;
	case 3:		/* resume: the oldest paused window */
		if (!n_paused) {
			note("resume on vcpu %u without a paused window (%d)",
			     vcpu_index, 0);
			return;
		}
		w = paused[0];
		for (i = 1; i < n_paused; i++)
			paused[i - 1] = paused[i];
		n_paused--;
		if (v->win) {
			/* another window counts on this vCPU: keep it */
			w->conflicts++;
			v->win->conflicts++;
			note("resume on vcpu %u, where window %d is open",
			     vcpu_index, v->win->idx);
			put_window(w, "aborted");
			free(w);
			return;
		}
		w->state = 0;
		w->segments++;
		w->vcpu = (int)vcpu_index;
		v->win = w;
		v->on_thread = 1;
		break;
	}
}

static int entry_at(uint64_t pc)
{
	int i;

	for (i = 1; i <= n_entries; i++)
		if (entries[i].addr == pc)
			return i;
	return 0;
}

static int category(uint64_t pc)
{
	size_t lo = 0, hi = n_ftrace;

	if (pc >= module_range.lo && pc < module_range.hi)
		return CAT_MODULE;
	while (lo < hi) {	/* ftrace[] is sorted and disjoint */
		size_t mid = (lo + hi) / 2;

		if (pc < ftrace[mid].lo)
			hi = mid;
		else if (pc >= ftrace[mid].hi)
			lo = mid + 1;
		else
			return CAT_FTRACE;
	}
	return CAT_PLAIN;
}

static uint32_t insn_word(const struct qemu_plugin_insn *insn)
{
	uint32_t w = 0;

	if (qemu_plugin_insn_size(insn) == 4)
#if QEMU_PLUGIN_VERSION >= 3
		qemu_plugin_insn_data(insn, &w, 4);
#else
		memcpy(&w, qemu_plugin_insn_data(insn), 4);
#endif
	return w;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb), i;
	uint64_t pc = qemu_plugin_tb_vaddr(tb), u;
	struct qemu_plugin_insn *last;
	uint32_t w;

	(void)id;
	if (!n)
		return;
	if (pc < USER_TOP) {
		if (pc >= MARK_TOP)
			return;
		for (i = 0; i < n; i++) {
			struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
			uintptr_t kind;

			switch (insn_word(insn)) {
			case MARK_OPEN: kind = 0; break;
			case MARK_CLOSE: kind = 1; break;
			case MARK_PAUSE: kind = 2; break;
			case MARK_RESUME: kind = 3; break;
			default: continue;
			}
			marks_translated++;
			qemu_plugin_register_vcpu_insn_exec_cb(insn, mark_exec,
				QEMU_PLUGIN_CB_NO_REGS, (void *)kind);
		}
		return;
	}
	if (pc < KERNEL_BASE || n > 512)
		return;

	last = qemu_plugin_tb_get_insn(tb, n - 1);
	w = insn_word(last);
	u = (pc & TB_PC_MASK) | ((uint64_t)(n - 1) << 48) |
	    ((uint64_t)entry_at(pc) << 57);
	/* blr, blraa(z), blrab(z) */
	if ((w & 0xfffffc1fu) == 0xd63f0000u || (w & 0xfffff800u) == 0xd63f0800u)
		u |= TB_BLR;
	if ((w & 0xfc000000u) == 0x94000000u && load_entry) {
		int64_t off = (int64_t)((uint64_t)(w & 0x03ffffffu) << 38) >> 36;

		uint64_t t = qemu_plugin_insn_vaddr(last) + off;

		if (t == entries[load_entry].addr)
			u |= TB_BL_LOAD;
		if (irq_entry && t == entries[irq_entry].addr)
			u |= TB_BL_IRQ;
	}
	qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec, QEMU_PLUGIN_CB_NO_REGS,
					     (void *)(uintptr_t)u);
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		uint32_t iw = insn_word(insn);

#if QEMU_PLUGIN_VERSION >= 2
		qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(insn,
			QEMU_PLUGIN_INLINE_ADD_U64,
			cnt_entry(category(qemu_plugin_insn_vaddr(insn))), 1);
#else
		qemu_plugin_register_vcpu_insn_exec_inline(insn,
			QEMU_PLUGIN_INLINE_ADD_U64,
			&g_cnt[category(qemu_plugin_insn_vaddr(insn))], 1);
#endif
		/*
		 * Loads and stores (op0 x1x0), not literal ones, whose base
		 * register Rn is 31, SP: never MMIO, so no GIC callback.
		 */
		if ((iw & 0x0a000000u) == 0x08000000u &&
		    (iw & 0x3b000000u) != 0x18000000u && ((iw >> 5) & 31) == 31)
			qemu_plugin_register_vcpu_mem_cb(insn, stack_cb,
				QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, NULL);
		else
			qemu_plugin_register_vcpu_mem_cb(insn, mem_cb,
				QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, NULL);
	}
}

static void at_exit(qemu_plugin_id_t id, void *p)
{
	int i;

	(void)id;
	(void)p;
	flush();
	for (i = 0; i < MAX_VCPUS; i++)
		if (vcpus[i].win)
			put_window(vcpus[i].win, "unclosed");
	for (i = 0; i < n_paused; i++)
		put_window(paused[i], "paused");
	fprintf(out, "summary windows=%d marks_translated=%" PRIu64
		" open=%" PRIu64 " close=%" PRIu64 " pause=%" PRIu64
		" resume=%" PRIu64 " errors=%" PRIu64 "\n", n_windows,
		marks_translated, marks_seen[0], marks_seen[1], marks_seen[2],
		marks_seen[3], errors);
	fclose(out);
	if (prof)
		fclose(prof_f);
}

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/*
 * MAP: one item a line, '#' comments:
 *   module LO HI          the module region (half-open)
 *   ftrace LO HI NAME     a trampoline or handler (half-open)
 *   entry ADDR NAME       count entries; "entry ADDR NAME load" also marks
 *                         the load symbol, "... irq" call_on_irq_stack
 *   stack SIZE            THREAD_SIZE (kernel stacks, SIZE-aligned)
 *   gic NAME LO HI        a GIC MMIO range (physical, half-open); "gicd"
 *                         and "gicr" have active-state registers
 */
static int read_map(const char *path)
{
	char line[512], a[64], b[64], c[256], d[64];
	size_t cap = 0;
	FILE *f = fopen(path, "r");
	int lineno = 0;

	if (!f) {
		fprintf(stderr, "vtc-cost: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		int k;

		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		k = sscanf(line, "%63s %63s %255s %63s", a, b, c, d);
		if (!strcmp(a, "module") && k >= 3) {
			module_range.lo = strtoull(b, NULL, 0);
			module_range.hi = strtoull(c, NULL, 0);
		} else if (!strcmp(a, "ftrace") && k >= 3) {
			if (n_ftrace == cap) {
				cap = cap ? 2 * cap : 64;
				ftrace = realloc(ftrace, cap * sizeof(*ftrace));
				if (!ftrace)
					goto bad;
			}
			ftrace[n_ftrace].lo = strtoull(b, NULL, 0);
			ftrace[n_ftrace].hi = strtoull(c, NULL, 0);
			n_ftrace++;
		} else if (!strcmp(a, "entry") && k >= 3 && n_entries < MAX_ENTRIES) {
			n_entries++;
			entries[n_entries].addr = strtoull(b, NULL, 0);
			entries[n_entries].name = strdup(c);
			if (k == 4 && !strcmp(d, "load"))
				load_entry = n_entries;
			if (k == 4 && !strcmp(d, "irq"))
				irq_entry = n_entries;
		} else if (!strcmp(a, "stack") && k >= 2) {
			stack_size = strtoull(b, NULL, 0);
			if (!stack_size || (stack_size & (stack_size - 1)))
				goto bad;
		} else if (!strcmp(a, "gic") && k >= 4 && n_gic < MAX_GIC) {
			gic[n_gic].name = strdup(b);
			gic[n_gic].lo = strtoull(c, NULL, 0);
			gic[n_gic].hi = strtoull(d, NULL, 0);
			gic[n_gic].kind = !strcmp(b, "gicd") ? GIC_DIST :
					  !strcmp(b, "gicr") ? GIC_REDIST : GIC_PLAIN;
			n_gic++;
		} else {
			fprintf(stderr, "vtc-cost: %s:%d: cannot parse: %s", path,
				lineno, line);
			goto bad;
		}
	}
	fclose(f);
	qsort(ftrace, n_ftrace, sizeof(*ftrace), cmp_range);
	if (!load_entry) {
		fprintf(stderr, "vtc-cost: %s: no \"entry ADDR NAME load\"\n", path);
		return -1;
	}
	return 0;
bad:
	fclose(f);
	return -1;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info,
					   int argc, char **argv)
{
	const char *map = NULL, *outp = NULL;
	int i;

	if (strcmp(info->target_name, "aarch64") || !info->system_emulation) {
		fprintf(stderr, "vtc-cost: needs qemu-system-aarch64\n");
		return -1;
	}
	if (info->system.max_vcpus > MAX_VCPUS) {
		fprintf(stderr, "vtc-cost: at most %d vCPUs\n", MAX_VCPUS);
		return -1;
	}
	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "map=", 4))
			map = argv[i] + 4;
		else if (!strncmp(argv[i], "out=", 4))
			outp = argv[i] + 4;
		else if (!strncmp(argv[i], "profile=", 8))
			prof_path = argv[i] + 8;
		else {
			fprintf(stderr, "vtc-cost: unknown argument %s (map=FILE,out=FILE[,profile=FILE])\n",
				argv[i]);
			return -1;
		}
	}
	if (!map || !outp) {
		fprintf(stderr, "vtc-cost: usage: -plugin vtc-cost.so,map=FILE,out=FILE[,profile=FILE]\n");
		return -1;
	}
	if (read_map(map))
		return -1;
	if (prof_path) {
		prof = calloc(PROF_SIZE, sizeof(*prof));
		prof_f = fopen(prof_path, "w");
		if (!prof || !prof_f) {
			fprintf(stderr, "vtc-cost: %s: cannot write the profile\n",
				prof_path);
			return -1;
		}
		fprintf(prof_f, "# pc %s %s %s %s\n", w_name[0], w_name[1],
			w_name[2], w_name[3]);
	}
	out = fopen(outp, "w");
	if (!out) {
		fprintf(stderr, "vtc-cost: %s: %s\n", outp, strerror(errno));
		return -1;
	}
	fprintf(out, "# vtc-cost: map %s: %zu ftrace ranges, %d entry symbols, %d gic ranges\n",
		map, n_ftrace, n_entries, n_gic);
	fflush(out);
#if QEMU_PLUGIN_VERSION >= 2
	g_score = qemu_plugin_scoreboard_new(NCAT * sizeof(uint64_t));
#endif
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
