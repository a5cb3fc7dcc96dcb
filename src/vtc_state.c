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
#include <linux/livepatch.h>
#include <linux/namei.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/string.h>

#include "vtc.h"
#include "vtc_state.h"

struct vtc_shared *vtc_shared;
struct vtc_pcpu __percpu *vtc_pcpu;
struct vtc_cache_global *vtc_cachep;

/*
 * klp shadow variables are keyed by an address: this one is the same in
 * every build, lives as long as the kernel, and no other user hangs a
 * VTC_STATE_ID variable on it.
 */
#define VTC_ANCHOR	((void *)klp_shadow_get)

static const struct vtc_member vtc_me = {
	.mod		= THIS_MODULE,
	.nmissed	= vtc_probe_nmissed,
	.replaced	= vtc_replaced,
};

struct vtc_new {
	struct vtc_pcpu __percpu *pcpu;
	bool used;
};

/* Runs under klp_shadow_lock, only if no state exists yet. */
static int vtc_shared_ctor(void *obj, void *data, void *ctor_data)
{
	struct vtc_shared *s = data;
	struct vtc_new *n = ctor_data;

	s->version = VTC_SHARED_VERSION;
	s->size = sizeof(*s);
	s->pcpu_size = sizeof(struct vtc_pcpu);
	s->vcpu_size = sizeof(struct vtc_vcpu);
	refcount_set(&s->refs, 1);
	strscpy(s->lock_name, "vtc_shared.lock", sizeof(s->lock_name));
	lockdep_register_key(&s->lock_key);
	spin_lock_init(&s->lock);
	lockdep_set_class_and_name(&s->lock, &s->lock_key, s->lock_name);
	/* The first module owns it: its probes count from the start. */
	s->owner = &vtc_me;
	strscpy(s->owner_name, KBUILD_MODNAME, sizeof(s->owner_name));
	s->modules = 1;
	vtc_cache_init(&s->cache);
	s->pcpu = n->pcpu;
	INIT_LIST_HEAD(&s->vcpus);
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
	return s->version == VTC_SHARED_VERSION && s->size == sizeof(*s) &&
	       s->pcpu_size == sizeof(struct vtc_pcpu) &&
	       s->vcpu_size == sizeof(struct vtc_vcpu);
}

/*
 * A vtimer_cache built before the shared state keeps its cache to itself
 * and frees every per-vcpu shadow at unload, including ours: refuse to
 * run next to it.
 */
static bool vtc_legacy_loaded(void)
{
	struct path path;

	if (!strcmp(KBUILD_MODNAME, "vtimer_cache"))
		return false;
	if (kern_path("/sys/module/vtimer_cache", 0, &path))
		return false;
	path_put(&path);
	return true;
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
		       s->version, s->size, VTC_SHARED_VERSION, sizeof(*s));
		ret = -EINVAL;
	} else if (s && !refcount_inc_not_zero(&s->refs)) {
		ret = -EAGAIN;		/* its last user is freeing it */
	}
	rcu_read_unlock();
	return ret ? ERR_PTR(ret) : s;
}

int vtc_state_attach(void)
{
	struct vtc_new n = {};
	struct vtc_shared *s;
	unsigned long flags;
	int i, ret = -EBUSY;

	for (i = 0; i < 500; i++) {
		s = vtc_shared_find();
		if (s == ERR_PTR(-EAGAIN)) {
			msleep(20);
			continue;
		}
		if (IS_ERR(s)) {
			ret = PTR_ERR(s);
			goto out;
		}
		if (s)
			break;
		if (vtc_legacy_loaded()) {
			pr_err("vtimer_cache is loaded without a shared state (built before in-place upgrades): disable and unload it first\n");
			ret = -EBUSY;
			goto out;
		}
		if (!n.pcpu) {
			n.pcpu = alloc_percpu(struct vtc_pcpu);
			if (!n.pcpu) {
				ret = -ENOMEM;
				goto out;
			}
		}
		s = klp_shadow_get_or_alloc(VTC_ANCHOR, VTC_STATE_ID, sizeof(*s),
					    GFP_KERNEL, vtc_shared_ctor, &n);
		if (!s) {
			ret = -ENOMEM;
			goto out;
		}
		if (n.used)
			break;
		/* Another module created it first: take a reference on that. */
	}
	if (i == 500) {
		pr_err("the previous module's state is not going away\n");
		goto out;
	}

	vtc_shared = s;
	vtc_pcpu = s->pcpu;
	vtc_cachep = &s->cache;
	if (n.used) {
		pr_info("state: new, version %u\n", VTC_SHARED_VERSION);
		return 0;
	}
	spin_lock_irqsave(&s->lock, flags);
	s->modules++;
	pr_info("state: taking over from %s, version %u, %d vcpus, %u modules loaded\n",
		s->owner ? s->owner_name : "(none)", s->version, s->nr_vcpus,
		refcount_read(&s->refs));
	spin_unlock_irqrestore(&s->lock, flags);
	ret = 0;
out:
	if (!n.used)
		free_percpu(n.pcpu);
	return ret;
}

void vtc_state_detach(void)
{
	struct vtc_shared *s = vtc_shared;
	unsigned long flags;

	if (!s)
		return;
	spin_lock_irqsave(&s->lock, flags);
	if (s->owner == &vtc_me) {
		/* Its misses stay on record for whoever enables next. */
		s->missed += vtc_probe_nmissed();
		s->owner = NULL;
		strscpy(s->owner_name, "-", sizeof(s->owner_name));
	}
	if (s->incoming == &vtc_me)
		s->incoming = NULL;
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

/*
 * pre_patch: this module's patch is being enabled, replacing whatever
 * patch ran before (or none). Its probes start acting now, next to the
 * owner's, which keep acting until the transition is over.
 */
void vtc_state_take(void)
{
	struct vtc_shared *s = vtc_shared;
	unsigned long flags;

	spin_lock_irqsave(&s->lock, flags);
	if (!s->owner) {
		s->owner = &vtc_me;
		strscpy(s->owner_name, KBUILD_MODNAME, sizeof(s->owner_name));
	} else if (s->owner != &vtc_me) {
		s->incoming = &vtc_me;
	}
	s->takeovers++;
	spin_unlock_irqrestore(&s->lock, flags);
}

/*
 * post_patch: the transition is complete and klp has dropped the replaced
 * patch without running any of its callbacks. Its module stays loaded
 * until someone unloads it: its probes stop acting, and it is told. The
 * lock keeps it loaded while it is called (it clears its pointers under
 * the lock when it unloads). Misses of its probes are inherited: an unseen
 * foreign write may be behind any of them.
 */
void vtc_state_taken(void)
{
	struct vtc_shared *s = vtc_shared;
	const struct vtc_member *old;
	unsigned long flags;

	spin_lock_irqsave(&s->lock, flags);
	old = s->owner;
	if (old != &vtc_me) {
		if (old)
			s->missed += old->nmissed();
		s->owner = &vtc_me;
		strscpy(s->owner_name, KBUILD_MODNAME, sizeof(s->owner_name));
		if (old)
			old->replaced(KBUILD_MODNAME);
	}
	s->incoming = NULL;
	spin_unlock_irqrestore(&s->lock, flags);
}

/* post_unpatch of a reversed upgrade: the replaced patch runs again. */
void vtc_state_give_back(void)
{
	struct vtc_shared *s = vtc_shared;
	unsigned long flags;

	spin_lock_irqsave(&s->lock, flags);
	if (s->incoming == &vtc_me)
		s->incoming = NULL;
	spin_unlock_irqrestore(&s->lock, flags);
}

/* Should this module's probes act (and count)? On every probe hit. */
bool vtc_state_active(void)
{
	return READ_ONCE(vtc_shared->owner) == &vtc_me ||
	       READ_ONCE(vtc_shared->incoming) == &vtc_me;
}

bool vtc_state_owner(void)
{
	return READ_ONCE(vtc_shared->owner) == &vtc_me;
}

unsigned long vtc_state_missed(void)
{
	return READ_ONCE(vtc_shared->missed);
}
