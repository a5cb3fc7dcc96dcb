/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vtimer-cache: declarations shared by the module's own files and the
 * per-series mirrored copies of arch/arm64/kvm/arch_timer.c.
 */
#ifndef VTC_H
#define VTC_H

#include <linux/livepatch.h>
#include <linux/percpu.h>
#include <linux/types.h>

#include "vtc_cache.h"

struct kvm_vcpu;
struct arch_timer_context;

/* klp shadow variable id of the per-vcpu state: "vtc" + 1 */
#define VTC_SHADOW_ID		0x76746301UL

/* klp_state id: the cache and counters, handed over on atomic replace */
#define VTC_STATE_ID		0x76746302UL
#define VTC_STATE_VERSION	1

/* Why the knowledge of a hardware bit was thrown away. */
enum vtc_inval {
	VTC_INV_HOST_ACK,	/* the host took the timer PPI */
	VTC_INV_FOREIGN,	/* someone else wrote "active" */
	VTC_INV_GUEST_RUN,	/* a guest ran: a known 1 may be cleared */
	VTC_INV_DEACTIVATE,	/* KVM deactivates or masks the PPI */
	VTC_INV_HOTPLUG,	/* a CPU went offline or came online */
	VTC_INV_CPU_PM,		/* a CPU left a low-power state */
	VTC_INV_TRANSITION,	/* the patch started or stopped being trusted */
	VTC_INV_WRITE_ERROR,	/* irq_set_irqchip_state() failed */
	VTC_INV_NR,
};

extern const char *const vtc_inval_names[VTC_INV_NR];

/* Per-CPU counters; each is only written by its own CPU. */
struct vtc_stats_cpu {
	u64 loads;				/* kvm_timer_vcpu_load() calls */
	u64 issued[VTC_NR_TIMERS];		/* cached path wrote */
	u64 skipped[VTC_NR_TIMERS];		/* cached path skipped */
	u64 probe_writes[VTC_NR_TIMERS][2];	/* every write seen, by value */
	u64 foreign_writes[VTC_NR_TIMERS][2];	/* writes not by the cache */
	u64 inval[VTC_INV_NR];
	u64 learnt_ack[VTC_NR_TIMERS];		/* host ack: the bit is 1 */
	u64 learnt_eoi[VTC_NR_TIMERS];		/* guest deactivated it: 0 */
	u64 shadow_alloc_failed;
	/* verify mode: the hardware bit read back before each decision */
	u64 verify_checked;
	u64 verify_needed;		/* bit differed: the write was needed */
	u64 verify_wrong_skips;		/* skipped, but the bit differed */
};

/* Per-vcpu state, a klp shadow variable of struct kvm_vcpu. */
struct vtc_vcpu {
	struct list_head node;		/* on vtc_vcpu_list */
	struct kvm_vcpu *vcpu;
	pid_t pid;			/* the VM's userspace pid */
	int vcpu_id;
	s8 state[VTC_NR_TIMERS];	/* last programmed: 0, 1; -1 never */
	s16 cpu[VTC_NR_TIMERS];		/* where it was programmed */
	u64 issued;
	u64 skipped;
};

/*
 * The per-CPU state, one copy shared by every loaded build of the module
 * (include/vtc_state.h): an upgrade in place keeps the cache and counters.
 */
struct vtc_pcpu {
	struct vtc_cache_cpu hw;
	int in_write;			/* the cache's own write is under way */
	struct vtc_stats_cpu stats;
};

extern struct vtc_pcpu __percpu *vtc_pcpu;
extern struct vtc_cache_global *vtc_cachep;
#define vtc_stats	(vtc_pcpu->stats)
#define vtc_hw		(vtc_pcpu->hw)
#define vtc_in_write	(vtc_pcpu->in_write)
#define vtc_cache	(*vtc_cachep)
extern unsigned int vtc_host_irq[VTC_NR_TIMERS];

/* Non-exported kernel symbols, looked up once at load time. */
struct vtc_sym {
	const char *name;
	void *addr;		/* where to store the address */
};

int vtc_syms_resolve(const struct vtc_sym *syms, int n);
unsigned long vtc_sym_size(const char *name);

/* Provided by the per-series mirror (src/kernel-X.Y/). */
struct vtc_mirror {
	const char *release;		/* the kernel release it mirrors */
	const char *source;		/* the file it mirrors */
	struct klp_func *funcs;		/* what the klp patch replaces */
	int nr_funcs;
	int (*init)(void);		/* resolve its symbols, check the host */
};

extern const struct vtc_mirror vtc_mirror;

/* Called from the mirrored functions. */
int vtc_set_irq_phys_active(struct arch_timer_context *ctx, bool active);
void vtc_host_ack(unsigned int irq);

/* What a guest run left in the list registers for a timer's PPI. */
enum vtc_lr {
	VTC_LR_UNKNOWN,		/* not in an LR: may have been deactivated */
	VTC_LR_LIVE,		/* in a HW LR, still pending or active */
	VTC_LR_DEACTIVATED,	/* in a HW LR, deactivated by the guest */
};

void vtc_guest_ran(const enum vtc_lr *lr);

/* vtc_core.c */
extern bool vtc_verify;
void vtc_verify_write(unsigned int irq, bool active, bool skipped);
int vtc_timer_index(unsigned int irq);
void vtc_invalidate_all(enum vtc_inval why);
void vtc_invalidate_this_cpu(enum vtc_inval why);
void vtc_vcpu_free(struct kvm_vcpu *vcpu);
void vtc_vcpu_free_all(void);
int vtc_vcpu_count(void);
struct seq_file;
void vtc_vcpu_show(struct seq_file *m);
void vtc_vcpu_reset_counts(void);

/* vtc_probe.c */
int vtc_probes_init(void);
bool vtc_probe_missed(void);
unsigned long vtc_probe_nmissed(void);
void vtc_probes_exit(void);

/* vtc_stats.c */
int vtc_debugfs_init(void);
void vtc_debugfs_exit(void);
void vtc_stats_reset(void);

/* vtc_main.c */
enum vtc_patch_state {
	VTC_PATCH_DISABLED,
	VTC_PATCH_ENABLING,
	VTC_PATCH_ENABLED,
	VTC_PATCH_DISABLING,
};

extern int vtc_patch_state;
const char *vtc_patch_state_name(void);
int vtc_patch_enable(void);

/* Stable hooks for bpftrace/kprobes (scripts/): never inlined. */
noinline __noipa void vtc_hook_skip(int cpu, int timer, int vcpu_id);
noinline __noipa void vtc_hook_issue(int cpu, int timer, int vcpu_id, int active);
noinline __noipa void vtc_hook_invalidate(int cpu, int reason);

#endif /* VTC_H */
