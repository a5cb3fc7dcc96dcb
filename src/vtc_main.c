// SPDX-License-Identifier: GPL-2.0-only
/*
 * vtimer-cache: cache the GIC active state of the arm64 KVM timer PPIs
 * across vcpu put/load, as a livepatch of the kernel functions that write,
 * ack and fold it (src/mirror/).
 *
 * Load order: check the kernel, resolve symbols and check the host (the
 * mirrors), attach the shared state, register the probes and callbacks,
 * enable the klp patch, and only then create debugfs (its "control" file
 * enables the patch too). A failure before the patch unwinds everything
 * before it, so a refused load leaves nothing behind.
 *
 * The patch is not cumulative (docs/design.md, "Other livepatches"): klp
 * stacks it with the host's other livepatches and leaves them as they
 * are. The cache is trusted only between the post_patch and pre_unpatch
 * callbacks, and not while another livepatch touches a function it
 * replaces (vtc_watch.c): during a transition old and new code run side by
 * side, and the other code learns nothing from the writes it makes.
 *
 * Upgrade in place: a newer build, loaded under another module name,
 * stacks its patch on top of this one and takes over the shared state
 * (vtc_state.c); once every task runs its copies, this module is told
 * (vtc_superseded()), disables its own patch underneath, refuses
 * "enable", and frees nothing the newer module uses when it is unloaded.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <generated/utsrelease.h>
#include <linux/debugfs.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/namei.h>
#include <linux/fs.h>
#include <linux/workqueue.h>
#include <linux/slab.h>
#include <linux/utsname.h>
#include <asm/virt.h>

#include "vtc_core.h"
#include "vtc_mirror.h"
#include "vtc_probe.h"
#include "vtc_stats.h"
#include "vtc_syms.h"
#include "vtc_watch.h"
#include "vtc_expect.h"

/*
 * The release the mirrors were taken from (src/mirror/releases) and the
 * package version (dkms.conf), both set by Kbuild.
 */
#if !defined(VTC_RELEASE) || !defined(VTC_VERSION)
#error "VTC_RELEASE and VTC_VERSION are set by Kbuild"
#endif

/* The mirrors of this release, in the order their functions are patched. */
static const struct vtc_mirror *const vtc_mirrors[] = {
	&vtc_mirror_irq,
	&vtc_mirror_vgic_v3,
	&vtc_mirror_vgic_v2,
	&vtc_mirror_arch_timer,
};

/*
 * vtimer_cache.enable=0 on the kernel command line (or enable=0 to
 * modprobe) loads the module with the patch off: the kill switch the boot
 * unit honours too (scripts/vtimer-cache.service). It can be enabled later
 * ("enable" to debugfs control, or vtimer-cache enable).
 */
static bool vtc_enable_at_load = true;
module_param_named(enable, vtc_enable_at_load, bool, 0444);
MODULE_PARM_DESC(enable, "enable the patch at load (default 1; 0: load with the stock code running)");

enum vtc_patch_state {
	VTC_PATCH_DISABLED,
	VTC_PATCH_ENABLING,
	VTC_PATCH_ENABLED,
	VTC_PATCH_DISABLING,
	VTC_PATCH_REPLACED,	/* by another vendor's cumulative patch */
};

static int vtc_patch_state = VTC_PATCH_DISABLED;

static const char *const vtc_patch_state_names[] = {
	[VTC_PATCH_DISABLED]	= "disabled",
	[VTC_PATCH_ENABLING]	= "enabling",
	[VTC_PATCH_ENABLED]	= "enabled",
	[VTC_PATCH_DISABLING]	= "disabling",
	[VTC_PATCH_REPLACED]	= "replaced",
};

/* Set once a newer build took over; this one then only waits for rmmod. */
static bool vtc_replaced_flag;
static char vtc_replaced_by[MODULE_NAME_LEN];

/* The patch registered last (klp_mutex or vtc_enable_mutex held). */
static struct klp_patch *vtc_patch;

static bool vtc_is_replaced(void)
{
	return READ_ONCE(vtc_replaced_flag);
}

static const char *vtc_patch_state_name(void)
{
	if (vtc_is_replaced())
		return "replaced";
	return vtc_patch_state_names[READ_ONCE(vtc_patch_state)];
}

static const char *vtc_replaced_name(void)
{
	if (vtc_is_replaced() ||
	    READ_ONCE(vtc_patch_state) == VTC_PATCH_REPLACED)
		return vtc_replaced_by;
	return "-";
}

/*
 * Superseded by a newer build: its copies run in every task, on top of
 * this module's patch. That patch is disabled from a work item (klp_mutex
 * is held here, and klp exports no disable but its sysfs file), so that
 * this module can be unloaded.
 */
static void vtc_retire_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(vtc_retire_work, vtc_retire_fn);

static void vtc_retire_fn(struct work_struct *work)
{
	static const char path[] = "/sys/kernel/livepatch/" KBUILD_MODNAME "/enabled";
	struct file *f;
	loff_t pos = 0;
	ssize_t ret;

	f = filp_open(path, O_WRONLY, 0);
	if (IS_ERR(f))
		return;		/* disabled and gone already */
	ret = kernel_write(f, "0", 1, &pos);
	filp_close(f, NULL);
	/* -EBUSY: another transition runs; -EINVAL: disabled already. */
	if (ret == -EBUSY)
		queue_delayed_work(system_dfl_wq, &vtc_retire_work, HZ / 10);
	else if (ret < 0 && ret != -EINVAL)
		pr_warn("disabling this patch failed (%zd): disable it by hand\n",
			ret);
}

/* Called under the shared state's lock, which keeps this module loaded. */
static void vtc_superseded(const char *by)
{
	strscpy(vtc_replaced_by, by, sizeof(vtc_replaced_by));
	WRITE_ONCE(vtc_replaced_flag, true);
	if (vtc_patch && vtc_patch->enabled) {
		pr_info("superseded by %s: disabling this patch underneath it\n", by);
		queue_delayed_work(system_dfl_wq, &vtc_retire_work, 0);
	} else {
		pr_info("replaced by %s: this module can be unloaded\n", by);
	}
}

static bool vtc_patch_live(void)
{
	struct klp_patch *p = READ_ONCE(vtc_patch);

	return p && READ_ONCE(p->enabled);
}

static struct vtc_member vtc_me = {
	.mod		= THIS_MODULE,
	.live		= vtc_patch_live,
	.superseded	= vtc_superseded,
	.counting_stop	= vtc_counting_stop,
};

/* For the watch: this module's patch, if it is enabled and settled. */
static struct klp_patch *vtc_watch_patch(void)
{
	if (vtc_is_replaced() ||
	    READ_ONCE(vtc_patch_state) != VTC_PATCH_ENABLED)
		return NULL;
	return vtc_patch;
}

/* klp_mutex held: no other livepatch touches a watched function now. */
static void vtc_watch_cleared(void)
{
	vtc_trust(true);
}

/* The stock code runs: per-vcpu state can go, stock writes are counted. */
static void vtc_stock_runs(void)
{
	vtc_vcpu_free_all();
	if (vtc_counting_start())
		pr_warn("the stock kernel's loads and writes are not counted\n");
}

/*
 * klp_mutex held: a cumulative patch (@by) replaced this one with klp
 * atomic replace, which runs no callback of the replaced patch; the watch
 * turned trust off before its transition began. "enable" stacks the cache
 * on top of it again.
 */
static void vtc_replaced_foreign(const char *by)
{
	strscpy(vtc_replaced_by, by, sizeof(vtc_replaced_by));
	vtc_stock_runs();
	WRITE_ONCE(vtc_patch_state, VTC_PATCH_REPLACED);
	pr_info("replaced by %s: the stock code runs; enable stacks the cache on top again\n",
		by);
}

/*
 * klp_mutex held: patch @by is being enabled over a function (@func)
 * whose text one of this module's copies carries, so its fix would not
 * run while this patch does (trust is off already). Disable this patch
 * once @by's transition is over: the stock code, with @by's fix, runs.
 */
static void vtc_step_aside(const char *by, const char *func)
{
	pr_warn("livepatch '%s' patches %s, which this module's copies carry: disabling this patch so that its fix runs\n",
		by, func);
	queue_delayed_work(system_dfl_wq, &vtc_retire_work, 0);
}

static const struct vtc_watch_ops vtc_watch_ops = {
	.patch		= vtc_watch_patch,
	.clear		= vtc_watch_cleared,
	.replaced	= vtc_replaced_foreign,
	.step_aside	= vtc_step_aside,
};

static int vtc_pre_patch(struct klp_object *obj)
{
	int ret;

	/* Never on top of another vendor's version of a replaced function. */
	ret = vtc_watch_refuse(vtc_patch);
	if (ret)
		return ret;
	WRITE_ONCE(vtc_patch_state, VTC_PATCH_ENABLING);
	vtc_state_patching();
	vtc_trust(false);
	return 0;
}

static void vtc_post_patch(struct klp_object *obj)
{
	/* Every task runs this build's copies: other builds are superseded. */
	vtc_state_enabled();
	WRITE_ONCE(vtc_patch_state, VTC_PATCH_ENABLED);
	/* Knowledge starts from here, unless another livepatch is in the way. */
	if (vtc_watch_clear(vtc_patch))
		vtc_trust(true);
	pr_info("enabled: caching timer PPI active state\n");
}

static void vtc_pre_unpatch(struct klp_object *obj)
{
	/* A superseded build disabling itself underneath the newer one. */
	if (!vtc_state_owner())
		return;
	WRITE_ONCE(vtc_patch_state, VTC_PATCH_DISABLING);
	vtc_trust(false);
}

static void vtc_post_unpatch(struct klp_object *obj)
{
	WRITE_ONCE(vtc_patch_state, VTC_PATCH_DISABLED);
	/* Superseded: the newer build's copies ran on top all along. */
	if (!vtc_state_owner()) {
		pr_info("disabled underneath %s: this module can be unloaded\n",
			vtc_replaced_by);
		return;
	}
	/*
	 * Another build's patch is still enabled (an upgrade reversed, or
	 * this build disabled before the one it superseded was gone): its
	 * copies run alone again, and it takes the state back.
	 */
	if (vtc_state_unpatched()) {
		if (vtc_watch_clear(vtc_patch))
			vtc_trust(true);
		pr_info("disabled: the other build's patch runs again\n");
		return;
	}
	/* Nobody runs the patched code any more. */
	vtc_stock_runs();
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
static int vtc_sysfs_gone(void *unused)
{
	struct path path;

	if (kern_path("/sys/kernel/livepatch/" KBUILD_MODNAME, 0, &path))
		return 0;
	path_put(&path);
	return -EAGAIN;
}

/* The replaced functions of every mirror, in one { } ended array. */
static int vtc_funcs_fill(struct klp_func *funcs)
{
	const struct klp_func *f;
	int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(vtc_mirrors); i++)
		for (f = vtc_mirrors[i]->funcs; f->old_name; f++) {
			if (funcs)
				funcs[n] = *f;
			n++;
		}
	return n;
}

static int vtc_patch_enable(void)
{
	struct klp_patch *prev;
	struct vtc_patch_set *set;
	int ret, n;

	mutex_lock(&vtc_enable_mutex);
	if (vtc_is_replaced()) {
		pr_err("cannot enable: replaced by %s; unload this module\n",
		       vtc_replaced_by);
		ret = -EBUSY;
		goto out;
	}
	if (READ_ONCE(vtc_patch_state) != VTC_PATCH_DISABLED &&
	    READ_ONCE(vtc_patch_state) != VTC_PATCH_REPLACED) {
		pr_err("cannot enable: the patch is %s\n",
		       vtc_patch_state_name());
		ret = -EBUSY;
		goto out;
	}

	ret = vtc_retry(vtc_sysfs_gone, NULL);
	if (ret) {
		pr_err("cannot enable: the previous patch's sysfs directory is still there\n");
		goto out;
	}

	n = vtc_funcs_fill(NULL);
	set = kzalloc(struct_size(set, funcs, n + 1), GFP_KERNEL);
	if (!set) {
		ret = -ENOMEM;
		goto out;
	}
	vtc_funcs_fill(set->funcs);
	set->objs[0].funcs = set->funcs;
	set->objs[0].callbacks.pre_patch = vtc_pre_patch;
	set->objs[0].callbacks.post_patch = vtc_post_patch;
	set->objs[0].callbacks.pre_unpatch = vtc_pre_unpatch;
	set->objs[0].callbacks.post_unpatch = vtc_post_unpatch;
	/*
	 * Not cumulative, and no klp_state: the host's other livepatches stay
	 * as they are, and none of them has to know of this one.
	 */
	set->patch.mod = THIS_MODULE;
	set->patch.objs = set->objs;
	set->patch.replace = false;

	/* The patched code counts for itself: nothing stays on the path. */
	vtc_counting_stop();
	prev = vtc_patch;
	WRITE_ONCE(vtc_patch, &set->patch);
	ret = klp_enable_patch(&set->patch);
	if (ret) {
		/* klp has unwound and released it synchronously. */
		pr_err("klp_enable_patch failed: %d\n", ret);
		WRITE_ONCE(vtc_patch, prev);
		kfree(set);
		/* Its patch off, the owner counts the stock code again. */
		if (vtc_state_owner())
			vtc_counting_start();
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
	if (strncmp(running, VTC_RELEASE, strlen(VTC_RELEASE)) ||
	    (running[strlen(VTC_RELEASE)] >= '0' &&
	     running[strlen(VTC_RELEASE)] <= '9')) {
		pr_err("the patched copies mirror Linux %s, running %s: refusing to load\n",
		       VTC_RELEASE, running);
		return -ENOEXEC;
	}
	/*
	 * Under protected KVM the hypervisor keeps the vcpus' list registers,
	 * and the host's vgic_lr[] that the fold copies read is not proven to
	 * hold what the hardware held (docs/design.md), so a learnt bit could
	 * be wrong.
	 */
	if (is_protected_kvm_enabled()) {
		pr_err("protected KVM (kvm-arm.mode=protected) is not supported: refusing to load\n");
		return -EOPNOTSUPP;
	}
	for (i = 0; i < ARRAY_SIZE(vtc_expect); i++) {
		unsigned long size = vtc_sym_size(vtc_expect[i].name);

		if (size != vtc_expect[i].size) {
			pr_err("function %s is %lu bytes, the module was built against %lu: refusing to load\n",
			       vtc_expect[i].name, size, vtc_expect[i].size);
			return -ENOEXEC;
		}
	}
	return 0;
}

static struct dentry *vtc_dir;

/* debugfs control: "enable" registers the patch again after a disable. */
static ssize_t vtc_control_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	char buf[16];
	int ret;

	ret = vtc_read_word(ubuf, count, buf, sizeof(buf));
	if (ret)
		return ret;
	if (strcmp(buf, "enable"))
		return -EINVAL;
	ret = vtc_patch_enable();
	return ret ? ret : count;
}

static const struct file_operations vtc_control_fops = {
	.owner		= THIS_MODULE,
	.write		= vtc_control_write,
	.llseek		= noop_llseek,
};

static const struct vtc_stats_src vtc_stats_src = {
	.patch_state	= vtc_patch_state_name,
	.replaced_by	= vtc_replaced_name,
	.probe_missed	= vtc_counting_missed,
};

/* /sys/module/<name>/stats/: what is left to read under lockdown. */
static bool vtc_sysfs_done;

static void vtc_sysfs_init(void)
{
	int ret = vtc_stats_sysfs_init(&vtc_stats_src);

	if (ret)
		pr_warn("no sysfs statistics (%d)\n", ret);
	vtc_sysfs_done = !ret;
}

static void vtc_sysfs_exit(void)
{
	if (vtc_sysfs_done)
		vtc_stats_sysfs_exit();
}

/*
 * /sys/kernel/debug/<module name>/, like /sys/kernel/livepatch/<module
 * name>. Created once the patch is enabled, so that "control" cannot race
 * with init; without debugfs (not mounted, lockdown) the module works
 * without statistics.
 */
static void vtc_debugfs_init(void)
{
	vtc_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	if (IS_ERR(vtc_dir)) {
		pr_warn("no debugfs directory (%ld): statistics unavailable\n",
			PTR_ERR(vtc_dir));
		vtc_dir = NULL;
		return;
	}
	vtc_stats_debugfs_init(vtc_dir, &vtc_stats_src);
	debugfs_create_file("control", 0200, vtc_dir, NULL, &vtc_control_fops);
}

static int __init vtc_init(void)
{
	int i, ret;

	ret = vtc_check_kernel();
	if (ret)
		return ret;
	for (i = 0; i < ARRAY_SIZE(vtc_mirrors); i++) {
		ret = vtc_mirrors[i]->init();
		if (ret)
			return ret;
	}

	for (i = 0; i < ARRAY_SIZE(vtc_mirrors); i++) {
		ret = vtc_watch_funcs(vtc_mirrors[i]->funcs);
		if (ret)
			return ret;
	}

	/* A newer build continues the loaded one's cache and counters. */
	ret = vtc_state_attach(&vtc_me);
	if (ret)
		return ret;
	ret = vtc_probes_init();
	if (ret)
		goto err_state;
	ret = vtc_watch_init(&vtc_watch_ops);
	if (ret)
		goto err_probes;
	if (vtc_enable_at_load) {
		ret = vtc_patch_enable();
		if (ret)
			goto err_watch;
	} else {
		pr_info("enable=0: loaded with the patch off\n");
		/* Only the owner counts, and only while no build's patch is live. */
		if (vtc_state_claim() && !vtc_state_unpatched()) {
			ret = vtc_counting_start();
			if (ret)
				goto err_watch;
		}
	}
	vtc_debugfs_init();
	vtc_sysfs_init();

	pr_info("loaded: timer PPIs vtimer=%u ptimer=%u, mirror of Linux %s\n",
		vtc_host_irq[0], vtc_host_irq[1], VTC_RELEASE);
	return 0;

err_watch:
	vtc_watch_exit();
err_probes:
	vtc_probes_exit();
err_state:
	/* Frees the shadows only if no other module uses them. */
	vtc_state_detach();
	return ret;
}

static void __exit vtc_exit(void)
{
	vtc_sysfs_exit();
	debugfs_remove_recursive(vtc_dir);
	vtc_watch_exit();
	cancel_delayed_work_sync(&vtc_retire_work);
	vtc_probes_exit();
	vtc_state_detach();
	vtc_patch_sets_free();
}

module_init(vtc_init);
module_exit(vtc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Cache the arm64 KVM timer PPI active state (livepatch)");
MODULE_VERSION(VTC_VERSION);
/* modinfo -F mirror: the release a module file can load on. */
MODULE_INFO(mirror, VTC_RELEASE);
MODULE_INFO(livepatch, "Y");
