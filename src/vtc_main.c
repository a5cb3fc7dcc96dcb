// SPDX-License-Identifier: GPL-2.0-only
/*
 * vtimer-cache: cache the arm64 KVM timer PPI's "inactive" active state
 * across vcpu put/load, as a livepatch of arch/arm64/kvm/arch_timer.c.
 *
 * Load order: check the kernel, resolve symbols, set up debugfs and the
 * probes, then register the klp patch. Any failure unwinds everything
 * before it, so a refused load leaves nothing behind.
 *
 * The cache is trusted only between the post_patch and pre_unpatch
 * callbacks: during a transition old and new code run side by side, and the
 * old code neither invalidates on a host ack nor records its writes.
 *
 * Upgrade in place: a newer build, loaded under another module name,
 * replaces this patch with klp atomic replace and takes over the shared
 * state (vtc_state.c). No callback of the replaced patch runs then: the
 * newer module tells this one (vtc_replaced()), whose probes stop acting;
 * it refuses "enable", and frees nothing the newer module uses when it is
 * unloaded.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <generated/utsrelease.h>
#include <linux/delay.h>
#include <linux/namei.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/utsname.h>
#include <asm/virt.h>

#include "vtc.h"
#include "vtc_state.h"
#include "vtc_expect.h"

/*
 * Test builds only (tests/run-all.sh): pretend the kernel differs, to show
 * that such a module refuses to load and leaves nothing behind.
 */
#ifndef VTC_FAULT_SKEW
#define VTC_FAULT_SKEW 0
#endif

int vtc_patch_state = VTC_PATCH_DISABLED;

static const char *const vtc_patch_state_names[] = {
	[VTC_PATCH_DISABLED]	= "disabled",
	[VTC_PATCH_ENABLING]	= "enabling",
	[VTC_PATCH_ENABLED]	= "enabled",
	[VTC_PATCH_DISABLING]	= "disabling",
};

/* Set once a newer module took over; this one then only waits for rmmod. */
static bool vtc_replaced_flag;
static char vtc_replaced_by[MODULE_NAME_LEN];

/*
 * A replaced patch gets no callback: klp just drops it once the new one
 * is in place. The module that replaced it says so (vtc_state_taken()),
 * under the shared state's lock, which keeps this module loaded meanwhile.
 */
void vtc_replaced(const char *by)
{
	strscpy(vtc_replaced_by, by, sizeof(vtc_replaced_by));
	WRITE_ONCE(vtc_replaced_flag, true);
	WRITE_ONCE(vtc_patch_state, VTC_PATCH_DISABLED);
	pr_info("replaced by %s: this module can be unloaded\n", by);
}

bool vtc_is_replaced(void)
{
	return READ_ONCE(vtc_replaced_flag);
}

const char *vtc_patch_state_name(void)
{
	if (vtc_is_replaced())
		return "replaced";
	return vtc_patch_state_names[READ_ONCE(vtc_patch_state)];
}

static int vtc_pre_patch(struct klp_object *obj)
{
	/* Our probes act from here on, next to the replaced module's. */
	vtc_state_take();
	WRITE_ONCE(vtc_patch_state, VTC_PATCH_ENABLING);
	vtc_cache_set_trusted(&vtc_cache, false);
	return 0;
}

static void vtc_post_patch(struct klp_object *obj)
{
	/*
	 * klp has dropped the patch we replaced, if any: its module's probes
	 * stop, and their misses count as ours, before anything is trusted.
	 */
	vtc_state_taken();
	/* Every task now runs the new code: knowledge starts from here. */
	vtc_cache_set_trusted(&vtc_cache, true);
	vtc_invalidate_all(VTC_INV_TRANSITION);
	WRITE_ONCE(vtc_patch_state, VTC_PATCH_ENABLED);
	pr_info("enabled: caching timer PPI active state\n");
}

static void vtc_pre_unpatch(struct klp_object *obj)
{
	WRITE_ONCE(vtc_patch_state, VTC_PATCH_DISABLING);
	vtc_cache_set_trusted(&vtc_cache, false);
	vtc_invalidate_all(VTC_INV_TRANSITION);
}

static void vtc_post_unpatch(struct klp_object *obj)
{
	/*
	 * An upgrade that did not complete (reversed, or refused after
	 * pre_patch): the replaced patch runs alone again and keeps its
	 * shadows, counters and trust, as after its own post_patch.
	 */
	if (klp_get_prev_state(VTC_STATE_ID)) {
		vtc_state_give_back();
		vtc_cache_set_trusted(&vtc_cache, true);
		vtc_invalidate_all(VTC_INV_TRANSITION);
		WRITE_ONCE(vtc_patch_state, VTC_PATCH_DISABLED);
		pr_info("upgrade reversed: the replaced patch runs again\n");
		return;
	}
	vtc_cache_set_trusted(&vtc_cache, false);
	/* Nobody runs the new code any more: its per-vcpu state can go. */
	vtc_vcpu_free_all();
	WRITE_ONCE(vtc_patch_state, VTC_PATCH_DISABLED);
	pr_info("disabled: stock timer PPI programming\n");
}

/*
 * A disabled klp patch cannot be enabled again: klp frees it. To keep the
 * counters of both modes in one module, "enable" registers a fresh copy.
 * Old copies are freed at module exit, when klp no longer references them.
 */
struct vtc_patch_set {
	struct list_head node;
	struct klp_patch patch;
	struct klp_object objs[2];
	struct klp_state states[2];
	struct klp_func funcs[];
};

static LIST_HEAD(vtc_patch_sets);
static DEFINE_MUTEX(vtc_enable_mutex);

/*
 * klp removes a disabled patch's sysfs directory from a work item, after
 * post_unpatch. A new copy registered before that would collide with it.
 * (Waiting on the old patch's "finish" completion would steal the wakeup
 * from klp's own waiter.)
 */
static int vtc_wait_sysfs_gone(void)
{
	struct path path;
	int i;

	for (i = 0; i < 500; i++) {
		if (kern_path("/sys/kernel/livepatch/" KBUILD_MODNAME, 0, &path))
			return 0;
		path_put(&path);
		msleep(20);
	}
	pr_err("cannot enable: the previous patch's sysfs directory is still there\n");
	return -EBUSY;
}

int vtc_patch_enable(void)
{
	struct vtc_patch_set *set;
	int ret;

	mutex_lock(&vtc_enable_mutex);
	if (vtc_is_replaced()) {
		pr_err("cannot enable: replaced by %s; unload this module\n",
		       vtc_replaced_by);
		ret = -EBUSY;
		goto out;
	}
	if (READ_ONCE(vtc_patch_state) != VTC_PATCH_DISABLED) {
		pr_err("cannot enable: the patch is %s\n",
		       vtc_patch_state_name());
		ret = -EBUSY;
		goto out;
	}

	ret = vtc_wait_sysfs_gone();
	if (ret)
		goto out;

	set = kzalloc(struct_size(set, funcs, vtc_mirror.nr_funcs + 1),
		      GFP_KERNEL);
	if (!set) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(set->funcs, vtc_mirror.funcs,
	       sizeof(set->funcs[0]) * vtc_mirror.nr_funcs);
	set->objs[0].funcs = set->funcs;
	set->objs[0].callbacks.pre_patch = vtc_pre_patch;
	set->objs[0].callbacks.post_patch = vtc_post_patch;
	set->objs[0].callbacks.pre_unpatch = vtc_pre_unpatch;
	set->objs[0].callbacks.post_unpatch = vtc_post_unpatch;
	/*
	 * Always a cumulative patch: a newer build atomically replaces an
	 * older one, and declares the state it hands over.
	 */
	set->states[0].id = VTC_STATE_ID;
	set->states[0].version = VTC_SHARED_VERSION;
	set->states[0].data = vtc_shared;
	set->patch.mod = THIS_MODULE;
	set->patch.objs = set->objs;
	set->patch.states = set->states;
	set->patch.replace = true;

	ret = klp_enable_patch(&set->patch);
	if (ret) {
		/* klp has unwound and released it synchronously. */
		pr_err("klp_enable_patch failed: %d\n", ret);
		WRITE_ONCE(vtc_patch_state, VTC_PATCH_DISABLED);
		kfree(set);
		goto out;
	}
	list_add(&set->node, &vtc_patch_sets);
out:
	mutex_unlock(&vtc_enable_mutex);
	return ret;
}

static void vtc_patch_sets_free(void)
{
	struct vtc_patch_set *set, *tmp;

	list_for_each_entry_safe(set, tmp, &vtc_patch_sets, node) {
		list_del(&set->node);
		kfree(set);
	}
}

/*
 * The copies are only valid for the code they replace. vermagic already
 * ties the module to its build's release; this says so plainly, and checks
 * that the replaced functions have the size they had in the build tree.
 */
static int vtc_check_kernel(void)
{
	const char *running = init_utsname()->release;
	int i;

	if (strcmp(running, UTS_RELEASE)) {
		pr_err("built for kernel %s, running %s: refusing to load\n",
		       UTS_RELEASE, running);
		return -ENOEXEC;
	}
	if (strncmp(running, vtc_mirror.release, strlen(vtc_mirror.release))) {
		pr_err("the patched copies mirror %s of Linux %s, running %s: refusing to load\n",
		       vtc_mirror.source, vtc_mirror.release, running);
		return -ENOEXEC;
	}
	/*
	 * Under protected KVM the hypervisor keeps the vcpus' list registers,
	 * and the host's vgic_lr[] that the fold hook reads is not proven to
	 * hold what the hardware held (docs/design.md), so a learnt bit could
	 * be wrong.
	 */
	if (is_protected_kvm_enabled()) {
		pr_err("protected KVM (kvm-arm.mode=protected) is not supported: refusing to load\n");
		return -EOPNOTSUPP;
	}
	for (i = 0; i < ARRAY_SIZE(vtc_expect); i++) {
		unsigned long size = vtc_sym_size(vtc_expect[i].name);
		unsigned long want = vtc_expect[i].size + VTC_FAULT_SKEW;

		if (size != want) {
			pr_err("function %s is %lu bytes, the module was built against %lu: refusing to load\n",
			       vtc_expect[i].name, size, want);
			return -ENOEXEC;
		}
	}
#ifdef VTC_FAULT_MISSING
	{
		static unsigned long vtc_fault_dummy;
		static const struct vtc_sym vtc_fault_syms[] = {
			{ "vtc_no_such_symbol", &vtc_fault_dummy },
		};
		int ret = vtc_syms_resolve(vtc_fault_syms, 1);

		if (ret)
			return ret;
	}
#endif
	return 0;
}

static int __init vtc_init(void)
{
	int ret;

	ret = vtc_check_kernel();
	if (ret)
		return ret;
	ret = vtc_mirror.init();
	if (ret)
		return ret;

	/* A newer build continues the loaded one's cache and counters. */
	ret = vtc_state_attach();
	if (ret)
		return ret;
	ret = vtc_debugfs_init();
	if (ret)
		goto err_state;
	ret = vtc_probes_init();
	if (ret)
		goto err_debugfs;
	ret = vtc_patch_enable();
	if (ret)
		goto err_probes;

	pr_info("loaded: timer PPIs vtimer=%u ptimer=%u, mirror of %s %s\n",
		vtc_host_irq[0], vtc_host_irq[1], vtc_mirror.source,
		vtc_mirror.release);
	return 0;

err_probes:
	vtc_probes_exit();
err_debugfs:
	vtc_debugfs_exit();
err_state:
	/* Frees the shadows only if no other module uses them. */
	vtc_state_detach();
	return ret;
}

static void __exit vtc_exit(void)
{
	vtc_debugfs_exit();
	vtc_probes_exit();
	vtc_state_detach();
	vtc_patch_sets_free();
}

module_init(vtc_init);
module_exit(vtc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Cache the arm64 KVM timer PPI active state (livepatch)");
MODULE_INFO(livepatch, "Y");
