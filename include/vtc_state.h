/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vtimer-cache: the state that survives an upgrade in place.
 *
 * A newer build is loaded under another module name and replaces the
 * running patch with klp atomic replace. During the transition the old
 * and the new patched functions run side by side, so there is one copy of
 * everything they share: the cache (epoch, trust, per-CPU known state,
 * the cache's own "write in progress" flag), the counters and the list of
 * per-vcpu shadows. The first module allocates it and hangs it on a klp
 * shadow variable of a fixed vmlinux address; every later build finds it
 * there, checks its layout version and takes a reference. The last
 * module to unload frees it (docs/design.md, "Upgrade in place").
 */
#ifndef VTC_STATE_H
#define VTC_STATE_H

#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>

#include "vtc.h"

/*
 * The layout version of struct vtc_shared, struct vtc_pcpu and struct
 * vtc_vcpu, also declared as the klp_state version. Test builds override
 * it to show that a mismatch is refused (tests/build-upgrade.sh).
 */
#ifdef VTC_TEST_STATE_VERSION
#define VTC_SHARED_VERSION	VTC_TEST_STATE_VERSION
#else
#define VTC_SHARED_VERSION	VTC_STATE_VERSION
#endif

/* One per loaded module, in its own data: what another build may call. */
struct vtc_member {
	struct module *mod;
	unsigned long (*nmissed)(void);		/* its write probe's misses */
	void (*replaced)(const char *by);	/* its patch was replaced */
};

struct vtc_shared {
	/* Never moved: any build reads these before trusting the rest. */
	u32 version;			/* VTC_SHARED_VERSION of the creator */
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
	spinlock_t lock;		/* owner fields below, vcpus */
	/*
	 * The owner is the module whose patch was enabled last: only its
	 * probes act and count, so that two modules' probes on the same
	 * function do not count an event twice. While a newer module's
	 * patch is in transition, it is "incoming" and its probes act too:
	 * there is no instant at which neither module's probes see an event.
	 */
	const struct vtc_member *owner;
	const struct vtc_member *incoming;
	char owner_name[MODULE_NAME_LEN];
	unsigned long missed;		/* probe misses of earlier owners */
	unsigned long takeovers;	/* upgrades (and re-enables) */
	unsigned long modules;		/* modules ever attached */

	struct vtc_cache_global cache;
	struct vtc_pcpu __percpu *pcpu;
	struct list_head vcpus;		/* struct vtc_vcpu, by node */
	int nr_vcpus;
};

extern struct vtc_shared *vtc_shared;

int vtc_state_attach(void);
void vtc_state_detach(void);
void vtc_state_take(void);
void vtc_state_taken(void);
void vtc_state_give_back(void);
bool vtc_state_active(void);
bool vtc_state_owner(void);
unsigned long vtc_state_missed(void);

/* vtc_main.c: called by the module that replaced this one's patch. */
void vtc_replaced(const char *by);
bool vtc_is_replaced(void);

#endif /* VTC_STATE_H */
