/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vtimer-cache: the state that outlives one build of the module (the
 * bottom layer: it calls nothing of the module's own).
 *
 * A newer build is loaded under another module name and replaces the
 * running patch with klp atomic replace. During the transition the old
 * and the new patched functions run side by side, so there is one copy of
 * everything they share: the trust generation, the per-CPU cache and
 * counters, and the list of per-vcpu shadows. The first module allocates
 * it and hangs it on a klp shadow variable of a fixed vmlinux address;
 * every later build finds it there, checks its layout and takes a
 * reference. The last module to unload frees it (docs/design.md,
 * "Upgrade in place").
 */
#ifndef VTC_STATE_H
#define VTC_STATE_H

#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "vtc_cache.h"

/*
 * klp_state id of the shared state, and its layout version: a build with
 * another one is refused next to a loaded one (tests/build-modules.sh
 * makes such a build for the upgrade test).
 */
#define VTC_STATE_ID		0x76746302UL
#define VTC_STATE_VERSION	3

/* Why what was known of a bit was thrown away. */
enum vtc_inval {
	VTC_INV_HOST_ACK,	/* the host took a PPI it does not forward */
	VTC_INV_NESTED,		/* a nested-virt vcpu ran: a 1 may be stale */
	VTC_INV_DEACTIVATE,	/* KVM masked the PPI (CPU down) */
	VTC_INV_HOTPLUG,	/* a CPU went offline or came online */
	VTC_INV_CPU_PM,		/* a CPU entered or left a low-power state */
	VTC_INV_TRANSITION,	/* the patch started or stopped being trusted */
	VTC_INV_WRITE_ERROR,	/* irq_set_irqchip_state() failed */
	VTC_INV_FOREIGN,	/* another livepatch touches a replaced function */
	VTC_INV_DEACT_PENDING,	/* KVM deactivated a PPI the guest had pending */
	VTC_INV_NR,
};

/* Per-CPU counters; each is only written by its own CPU. */
struct vtc_stats_cpu {
	u64 loads;			/* stock vcpu loads (patched: vtc_stats.c) */
	u64 issued[VTC_NR_TIMERS];		/* the cache wrote */
	u64 skipped[VTC_NR_TIMERS];		/* the cache skipped */
	u64 writes[VTC_NR_TIMERS][2];		/* every write, by value */
	u64 foreign[VTC_NR_TIMERS][2];		/* writes not by the cache */
	u64 inval[VTC_INV_NR];
	u64 learnt_ack[VTC_NR_TIMERS];		/* host ack: the bit is 1 */
	u64 learnt_eoi[VTC_NR_TIMERS];		/* guest deactivated it: 0 */
	u64 shadow_alloc_failed;
	/* verify mode: the hardware bit read back before each decision */
	u64 verify_checked;
	u64 verify_needed;		/* bit differed: the write was needed */
	u64 verify_wrong_skips;		/* skipped, but the bit differed */
};

struct vtc_pcpu {
	struct vtc_cache_cpu hw;
	int own_write;			/* the cache's own write is under way */
	struct vtc_stats_cpu stats;
};

/* Per-vcpu diagnostics (diag=1), a klp shadow variable of struct kvm_vcpu. */
#define VTC_SHADOW_ID		0x76746301UL

struct vtc_vcpu {
	struct list_head node;		/* on vtc_shared->vcpus */
	struct kvm_vcpu *vcpu;
	pid_t pid;			/* the VM's userspace pid */
	int vcpu_id;
	s8 state[VTC_NR_TIMERS];	/* last programmed: 0, 1; -1 never */
	s16 cpu[VTC_NR_TIMERS];		/* where it was programmed */
	u64 issued;
	u64 skipped;
};

/*
 * One per loaded module, in its own data, on vtc_shared->members from
 * attach to detach. The callbacks are called under vtc_shared->lock, but
 * for counting_stop (it sleeps), which is called with a reference on @mod.
 */
struct vtc_member {
	struct list_head node;
	struct module *mod;
	bool (*live)(void);			/* its klp patch is enabled */
	void (*superseded)(const char *by);	/* another build took over */
	void (*counting_stop)(void);		/* unregister its probes */
};

struct vtc_shared {
	/* Never moved: any build reads these before trusting the rest. */
	u32 version;			/* VTC_STATE_VERSION of the creator */
	u32 size;			/* sizeof(struct vtc_shared) */
	u32 pcpu_size;			/* sizeof(struct vtc_pcpu) */
	u32 vcpu_size;			/* sizeof(struct vtc_vcpu) */
	refcount_t refs;		/* modules attached */

	/*
	 * Lockdep keeps a lock's class key and name by address: they live
	 * here, not in the module that happened to initialise the lock,
	 * which may be unloaded first.
	 */
	struct lock_class_key lock_key;
	char lock_name[24];
	spinlock_t lock;		/* owner fields, vcpus */
	/*
	 * The module whose patch began enabling last (or to which a disabled
	 * build handed it back): its callbacks and its watch of other
	 * livepatches act, and its probes count while its patch is off.
	 */
	const struct vtc_member *owner;
	char owner_name[MODULE_NAME_LEN];
	unsigned long takeovers;	/* upgrades (and re-enables) */
	unsigned long modules;		/* modules ever attached */

	struct list_head members;	/* struct vtc_member, by node */

	/* Another livepatch that keeps trust off, or replaced the patch. */
	char foreign_patch[MODULE_NAME_LEN];
	char foreign_func[64];

	struct vtc_trust trust;
	struct vtc_pcpu __percpu *pcpu;
	struct list_head vcpus;		/* struct vtc_vcpu, by node */
	int nr_vcpus;
};

extern struct vtc_shared *vtc_shared;
extern struct vtc_pcpu __percpu *vtc_pcpu;

int vtc_retry(int (*try)(void *arg), void *arg);
int vtc_state_attach(struct vtc_member *me);
void vtc_state_detach(void);
void vtc_state_patching(void);
void vtc_state_enabled(void);
bool vtc_state_unpatched(void);
bool vtc_state_owner(void);
bool vtc_state_claim(void);
bool vtc_state_member_mod(const struct module *mod);
void vtc_state_foreign(const char *patch, const char *func);

struct kvm_vcpu;
struct seq_file;
struct vtc_vcpu *vtc_vcpu_get(struct kvm_vcpu *vcpu);
void vtc_vcpu_free(struct kvm_vcpu *vcpu);
void vtc_vcpu_free_all(void);
void vtc_vcpu_show(struct seq_file *m);
void vtc_vcpu_reset_counts(void);

#endif /* VTC_STATE_H */
