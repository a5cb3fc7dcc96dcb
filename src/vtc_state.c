// SPDX-License-Identifier: GPL-2.0-only
/*
 * vtimer-cache: the state shared by every loaded build of the module, so
 * that an upgrade in place (klp atomic replace by a build loaded under
 * another module name) keeps the cache, the counters and the per-vcpu
 * shadows. See include/vtc_state.h and docs/design.md.
 *
 * Lifetime: the first module allocates it, every module takes a
 * reference at load and drops it at unload, and the last one frees it
 * together with the per-vcpu shadows. Until then a module that unloads
 * frees nothing another module may still use.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kvm_host.h>
#include <linux/livepatch.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/string.h>

#include "vtc_state.h"

struct vtc_shared *vtc_shared;
struct vtc_pcpu __percpu *vtc_pcpu;
static struct vtc_member *vtc_me;

/*
 * klp shadow variables are keyed by an address: this one is the same in
 * every build, lives as long as the kernel, and no other user hangs a
 * VTC_STATE_ID variable on it.
 */
#define VTC_ANCHOR	((void *)klp_shadow_get)

struct vtc_new {
	struct vtc_pcpu __percpu *pcpu;
	bool used;
};

/* Runs under klp_shadow_lock, only if no state exists yet. */
static int vtc_shared_ctor(void *obj, void *data, void *ctor_data)
{
	struct vtc_shared *s = data;
	struct vtc_new *n = ctor_data;

	s->version = VTC_STATE_VERSION;
	s->size = sizeof(*s);
	s->pcpu_size = sizeof(struct vtc_pcpu);
	s->vcpu_size = sizeof(struct vtc_vcpu);
	refcount_set(&s->refs, 1);
	strscpy(s->lock_name, "vtc_shared.lock", sizeof(s->lock_name));
	lockdep_register_key(&s->lock_key);
	spin_lock_init(&s->lock);
	lockdep_set_class_and_name(&s->lock, &s->lock_key, s->lock_name);
	/* The first module owns it: its probes count from the start. */
	s->owner = vtc_me;
	strscpy(s->owner_name, KBUILD_MODNAME, sizeof(s->owner_name));
	s->modules = 1;
	s->pcpu = n->pcpu;
	INIT_LIST_HEAD(&s->vcpus);
	INIT_LIST_HEAD(&s->members);
	list_add(&vtc_me->node, &s->members);
	strscpy(s->foreign_patch, "-", sizeof(s->foreign_patch));
	strscpy(s->foreign_func, "-", sizeof(s->foreign_func));
	n->used = true;
	return 0;
}

/*
 * Only the same layout is taken over. A later build that changes it
 * bumps VTC_STATE_VERSION and is refused here (or by klp, if its version
 * is lower) until the loaded one is disabled and unloaded: two layouts of
 * the per-vcpu shadows under one shadow id cannot coexist.
 */
static bool vtc_shared_compatible(const struct vtc_shared *s)
{
	return s->version == VTC_STATE_VERSION && s->size == sizeof(*s) &&
	       s->pcpu_size == sizeof(struct vtc_pcpu) &&
	       s->vcpu_size == sizeof(struct vtc_vcpu);
}

/* The state with a reference taken, NULL if there is none, or an error. */
static struct vtc_shared *vtc_shared_find(void)
{
	struct vtc_shared *s;
	int ret = 0;

	/* Freed with kfree_rcu(): readable until rcu_read_unlock(). */
	rcu_read_lock();
	s = klp_shadow_get(VTC_ANCHOR, VTC_STATE_ID);
	if (s && !vtc_shared_compatible(s)) {
		pr_err("the loaded module's state has version %u (%u bytes), this build has version %u (%zu bytes): refusing to load; disable and unload the loaded vtimer_cache first\n",
		       s->version, s->size, VTC_STATE_VERSION, sizeof(*s));
		ret = -EINVAL;
	} else if (s && !refcount_inc_not_zero(&s->refs)) {
		ret = -EAGAIN;		/* its last user is freeing it */
	}
	rcu_read_unlock();
	return ret ? ERR_PTR(ret) : s;
}

/*
 * Call @try(@arg) every 20 ms while it returns -EAGAIN, for 10 s at most;
 * its last result, or -EBUSY if it never stopped asking. Sleeps.
 */
int vtc_retry(int (*try)(void *arg), void *arg)
{
	int i, ret = -EBUSY;

	for (i = 0; i < 500; i++) {
		ret = try(arg);
		if (ret != -EAGAIN)
			return ret;
		msleep(20);
	}
	return -EBUSY;
}

struct vtc_attach {
	struct vtc_new n;
	struct vtc_shared *s;
};

/* One attempt: 0 with a->s set, -EAGAIN while the last holder frees it. */
static int vtc_try_attach(void *arg)
{
	struct vtc_attach *a = arg;
	struct vtc_shared *s;

	s = vtc_shared_find();
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (!s) {
		if (!a->n.pcpu) {
			a->n.pcpu = alloc_percpu(struct vtc_pcpu);
			if (!a->n.pcpu)
				return -ENOMEM;
		}
		s = klp_shadow_get_or_alloc(VTC_ANCHOR, VTC_STATE_ID, sizeof(*s),
					    GFP_KERNEL, vtc_shared_ctor, &a->n);
		if (!s)
			return -ENOMEM;
		/* Another module created it first: take a reference on that. */
		if (!a->n.used)
			return -EAGAIN;
	}
	a->s = s;
	return 0;
}

/* Find the loaded state and take a reference, or create it. */
int vtc_state_attach(struct vtc_member *me)
{
	struct vtc_attach a = {};
	struct vtc_shared *s;
	unsigned long flags;
	int ret;

	vtc_me = me;
	ret = vtc_retry(vtc_try_attach, &a);
	if (ret == -EBUSY)
		pr_err("the previous module's state is not going away\n");
	if (ret)
		goto out;

	s = a.s;
	vtc_shared = s;
	vtc_pcpu = s->pcpu;
	if (a.n.used) {
		pr_info("state: new, version %u\n", VTC_STATE_VERSION);
		return 0;
	}
	spin_lock_irqsave(&s->lock, flags);
	s->modules++;
	list_add_tail(&me->node, &s->members);
	pr_info("state: taking over from %s, version %u, %d vcpus, %u modules loaded\n",
		s->owner ? s->owner_name : "(none)", s->version, s->nr_vcpus,
		refcount_read(&s->refs));
	spin_unlock_irqrestore(&s->lock, flags);
	ret = 0;
out:
	if (!a.n.used)
		free_percpu(a.n.pcpu);
	return ret;
}

/* Drop this module's reference; the last one frees everything. */
void vtc_state_detach(void)
{
	struct vtc_shared *s = vtc_shared;
	unsigned long flags;

	if (!s)
		return;
	spin_lock_irqsave(&s->lock, flags);
	if (s->owner == vtc_me) {
		s->owner = NULL;
		strscpy(s->owner_name, "-", sizeof(s->owner_name));
	}
	list_del(&vtc_me->node);
	spin_unlock_irqrestore(&s->lock, flags);

	if (!refcount_dec_and_test(&s->refs)) {
		vtc_shared = NULL;
		return;
	}
	/*
	 * The last module: no patched code, probe or callback of any build
	 * can reach the state any more.
	 */
	vtc_vcpu_free_all();
	vtc_shared = NULL;
	free_percpu(s->pcpu);
	lockdep_unregister_key(&s->lock_key);
	klp_shadow_free(VTC_ANCHOR, VTC_STATE_ID, NULL);
	pr_info("state: freed\n");
}

static void vtc_set_owner(struct vtc_shared *s, const struct vtc_member *m,
			  const char *name)
{
	s->owner = m;
	strscpy(s->owner_name, name, sizeof(s->owner_name));
}

/*
 * pre_patch (klp_mutex held): this build's patch begins enabling, and it
 * becomes the owner. The previous owner's counting probes go: with any
 * build's patch live, the stock path must carry no probe. That module
 * cannot go away while it is called: a reference is taken under the lock
 * (unregistering a probe sleeps, so not under it).
 */
void vtc_state_patching(void)
{
	struct vtc_shared *s = vtc_shared;
	const struct vtc_member *old;
	unsigned long flags;
	bool got = false;

	spin_lock_irqsave(&s->lock, flags);
	old = s->owner;
	vtc_set_owner(s, vtc_me, KBUILD_MODNAME);
	if (old && old != vtc_me)
		got = try_module_get(old->mod);
	spin_unlock_irqrestore(&s->lock, flags);
	if (got) {
		old->counting_stop();
		module_put(old->mod);
	}
}

/*
 * post_patch (klp_mutex held): every task runs this build's copies. Every
 * other loaded build is told that it was superseded: one whose patch is
 * still enabled underneath then disables it, so that it can be unloaded.
 */
void vtc_state_enabled(void)
{
	struct vtc_shared *s = vtc_shared;
	struct vtc_member *m;
	unsigned long flags;

	spin_lock_irqsave(&s->lock, flags);
	vtc_set_owner(s, vtc_me, KBUILD_MODNAME);
	list_for_each_entry(m, &s->members, node)
		if (m != vtc_me)
			m->superseded(KBUILD_MODNAME);
	s->takeovers++;
	spin_unlock_irqrestore(&s->lock, flags);
}

/*
 * post_unpatch of the owner (klp_mutex held): if another build's patch is
 * still enabled, its copies run alone again and it becomes the owner: true.
 * False if the stock code runs.
 */
bool vtc_state_unpatched(void)
{
	struct vtc_shared *s = vtc_shared;
	struct vtc_member *m;
	unsigned long flags;
	bool other = false;

	spin_lock_irqsave(&s->lock, flags);
	list_for_each_entry(m, &s->members, node) {
		if (m != vtc_me && m->live()) {
			vtc_set_owner(s, m, module_name(m->mod));
			other = true;
			break;
		}
	}
	spin_unlock_irqrestore(&s->lock, flags);
	return other;
}

/* Should this module's callbacks, watch and counting probes act? */
bool vtc_state_owner(void)
{
	return READ_ONCE(vtc_shared->owner) == vtc_me;
}

/* Become the owner if there is none (a build loaded with the patch off). */
bool vtc_state_claim(void)
{
	struct vtc_shared *s = vtc_shared;
	unsigned long flags;
	bool mine;

	spin_lock_irqsave(&s->lock, flags);
	if (!s->owner)
		vtc_set_owner(s, vtc_me, KBUILD_MODNAME);
	mine = s->owner == vtc_me;
	spin_unlock_irqrestore(&s->lock, flags);
	return mine;
}

/* Is @mod a loaded build of vtimer-cache (not another vendor's patch)? */
bool vtc_state_member_mod(const struct module *mod)
{
	struct vtc_shared *s = vtc_shared;
	struct vtc_member *m;
	unsigned long flags;
	bool found = false;

	spin_lock_irqsave(&s->lock, flags);
	list_for_each_entry(m, &s->members, node)
		if (m->mod == mod)
			found = true;
	spin_unlock_irqrestore(&s->lock, flags);
	return found;
}

/* The other livepatch that keeps trust off ("-" for none), for stats. */
void vtc_state_foreign(const char *patch, const char *func)
{
	struct vtc_shared *s = vtc_shared;
	unsigned long flags;

	spin_lock_irqsave(&s->lock, flags);
	strscpy(s->foreign_patch, patch, sizeof(s->foreign_patch));
	strscpy(s->foreign_func, func, sizeof(s->foreign_func));
	spin_unlock_irqrestore(&s->lock, flags);
}

/*
 * Per-vcpu shadows (diagnostics): every loaded build links them into one
 * list, so that any of them can free a shadow another one allocated.
 */
static int vtc_vcpu_ctor(void *obj, void *shadow_data, void *ctor_data)
{
	struct kvm_vcpu *vcpu = obj;
	struct vtc_vcpu *vv = shadow_data;
	struct vtc_shared *s = vtc_shared;
	unsigned long flags;
	int t;

	vv->vcpu = vcpu;
	vv->pid = vcpu->kvm->userspace_pid;
	vv->vcpu_id = vcpu->vcpu_id;
	for (t = 0; t < VTC_NR_TIMERS; t++) {
		vv->state[t] = -1;
		vv->cpu[t] = -1;
	}
	spin_lock_irqsave(&s->lock, flags);
	list_add_tail(&vv->node, &s->vcpus);
	s->nr_vcpus++;
	spin_unlock_irqrestore(&s->lock, flags);
	return 0;
}

static void vtc_vcpu_dtor(void *obj, void *shadow_data)
{
	struct vtc_vcpu *vv = shadow_data;
	struct vtc_shared *s = vtc_shared;
	unsigned long flags;

	spin_lock_irqsave(&s->lock, flags);
	list_del(&vv->node);
	s->nr_vcpus--;
	spin_unlock_irqrestore(&s->lock, flags);
}

/*
 * The shadow is created on first use, not at vcpu creation: vcpus exist
 * before the patch loads. GFP_ATOMIC: loads run with preemption disabled.
 * NULL if it cannot be allocated.
 */
struct vtc_vcpu *vtc_vcpu_get(struct kvm_vcpu *vcpu)
{
	struct vtc_vcpu *vv;

	vv = klp_shadow_get(vcpu, VTC_SHADOW_ID);
	if (likely(vv))
		return vv;
	return klp_shadow_get_or_alloc(vcpu, VTC_SHADOW_ID, sizeof(*vv),
				       GFP_ATOMIC, vtc_vcpu_ctor, NULL);
}

void vtc_vcpu_free(struct kvm_vcpu *vcpu)
{
	klp_shadow_free(vcpu, VTC_SHADOW_ID, vtc_vcpu_dtor);
}

void vtc_vcpu_free_all(void)
{
	klp_shadow_free_all(VTC_SHADOW_ID, vtc_vcpu_dtor);
}

void vtc_vcpu_show(struct seq_file *m)
{
	struct vtc_shared *s = vtc_shared;
	struct vtc_vcpu *vv;
	unsigned long flags;

	seq_puts(m, "# pid vcpu issued skipped vtimer_state vtimer_cpu ptimer_state ptimer_cpu\n");
	spin_lock_irqsave(&s->lock, flags);
	list_for_each_entry(vv, &s->vcpus, node)
		seq_printf(m, "%d %d %llu %llu %d %d %d %d\n", vv->pid,
			   vv->vcpu_id, vv->issued, vv->skipped,
			   vv->state[0], vv->cpu[0], vv->state[1], vv->cpu[1]);
	spin_unlock_irqrestore(&s->lock, flags);
}

void vtc_vcpu_reset_counts(void)
{
	struct vtc_shared *s = vtc_shared;
	struct vtc_vcpu *vv;
	unsigned long flags;

	spin_lock_irqsave(&s->lock, flags);
	list_for_each_entry(vv, &s->vcpus, node) {
		vv->issued = 0;
		vv->skipped = 0;
	}
	spin_unlock_irqrestore(&s->lock, flags);
}
