// SPDX-License-Identifier: GPL-2.0-only
/*
 * vtimer-cache: living beside the host's other livepatches
 * (docs/design.md, "Other livepatches").
 *
 * The patch is not cumulative: klp stacks it with the other livepatches,
 * none of which has to know of it. A skip is only right while this
 * module's copies run in every function that writes, acks or folds a timer
 * PPI. Another vendor's patch of one of them (a foreign patch) runs its
 * own text there, which learns nothing. So:
 *  - before a foreign patch's code can run, trust goes off if it touches a
 *    watched function (a cumulative patch's nop functions included). klp
 *    calls klp_init_transition() under klp_mutex before it installs any
 *    function of a patch, to enable or to disable it: a probe there sees
 *    every patch first;
 *  - trust comes back, in a new generation, only when no transition runs
 *    and no foreign patch touches a watched function;
 *  - this module's patch is not enabled on top of a foreign version of a
 *    function it replaces (pre_patch refuses): its copy is the stock text
 *    and would undo that patch's fix;
 *  - a foreign patch of a function whose text this module carries inside
 *    one of its copies (kvm_timer_vcpu_load_gic(), inlined into the copy
 *    of kvm_timer_vcpu_load()) is as good as one of a replaced function:
 *    the copy would bypass its fix. This module does not enable over it,
 *    and steps aside (disables its own patch) when one is enabled later;
 *  - a foreign cumulative patch that replaced this one is reported.
 *
 * klp exports no way to walk the patches: klp_patches, klp_mutex and
 * klp_transition_patch are looked up at load time; the structures walked
 * are the ones <linux/livepatch.h> defines.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fprobe.h>
#include <linux/livepatch.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>

#include "vtc_core.h"
#include "vtc_syms.h"
#include "vtc_watch.h"

static struct mutex *vtc_p_klp_mutex;
static struct list_head *vtc_p_klp_patches;
static struct klp_patch **vtc_p_klp_transition_patch;

static const struct vtc_sym vtc_watch_syms[] = {
	{ "klp_mutex", &vtc_p_klp_mutex },
	{ "klp_patches", &vtc_p_klp_patches },
	{ "klp_transition_patch", &vtc_p_klp_transition_patch },
};

/*
 * Functions the copies carry the text of, where the kernel keeps them
 * out of line: a foreign patch of one is never called while this module's
 * patch runs. Watched where they exist (a kernel may inline them).
 */
static const char *const vtc_watch_carried[] = {
	"kvm_timer_vcpu_load_gic",
};

/*
 * Watched besides the replaced functions: their callers, into which a
 * foreign copy may have inlined a replaced function (and, on 7.3,
 * irq_set_irqchip_state(), which calls __irq_set_irqchip_state()).
 */
static const char *const vtc_watch_callers[] = {
	"vgic_v3_fold_lr_state",
	"vgic_v3_deactivate",
	"vgic_v2_fold_lr_state",
	"vgic_v2_deactivate",
	"irq_set_irqchip_state",
};

#define VTC_WATCH_MAX	16

static struct vtc_watched {
	unsigned long addr;
	const char *name;
	bool replaced;		/* a function this module replaces or carries */
	bool carried;		/* carried: a foreign patch makes it step aside */
} vtc_watched[VTC_WATCH_MAX];
static int vtc_nr_watched;
static const struct vtc_watch_ops *vtc_ops;

/* The foreign patch that turned trust off last (klp_mutex held). */
static char vtc_foreign[MODULE_NAME_LEN];

static void vtc_watch_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(vtc_watch_work, vtc_watch_fn);

/*
 * The first watched function @patch touches (@replaced: of the replaced
 * and carried ones only; @carried: of the carried ones only).
 */
static const char *vtc_touches(struct klp_patch *patch, bool replaced,
			       bool carried)
{
	struct klp_object *obj;
	struct klp_func *func;
	int i;

	klp_for_each_object(patch, obj)
		klp_for_each_func(obj, func)
			for (i = 0; i < vtc_nr_watched; i++)
				if ((unsigned long)func->old_func ==
				    vtc_watched[i].addr &&
				    (vtc_watched[i].replaced || !replaced) &&
				    (vtc_watched[i].carried || !carried))
					return vtc_watched[i].name;
	return NULL;
}

static bool vtc_foreign_patch(struct klp_patch *patch, struct klp_patch *self)
{
	return patch != self && !vtc_state_member_mod(patch->mod);
}

/*
 * Trust off because of @patch, counted and said once per patch: while the
 * same patch is recorded, trust is off already (it only comes back through
 * vtc_watch_clear(), which forgets the record).
 */
static void vtc_foreign_off(struct klp_patch *patch, const char *func)
{
	if (!strcmp(vtc_foreign, patch->mod->name))
		return;
	vtc_trust_off(VTC_INV_FOREIGN);
	vtc_state_foreign(patch->mod->name, func);
	strscpy(vtc_foreign, patch->mod->name, sizeof(vtc_foreign));
	pr_info("trust off: livepatch '%s' patches %s\n", patch->mod->name,
		func);
}

/*
 * The first foreign patch on klp_patches (enabled, or in its transition)
 * that touches a watched function (@replaced: a replaced one), and which
 * (@func). klp_mutex held.
 */
static struct klp_patch *vtc_first_foreign(struct klp_patch *self,
					   bool replaced, const char **func)
{
	struct klp_patch *patch;

	list_for_each_entry(patch, vtc_p_klp_patches, list) {
		if (!vtc_foreign_patch(patch, self))
			continue;
		*func = vtc_touches(patch, replaced, false);
		if (*func)
			return patch;
	}
	return NULL;
}

/* pre_patch: refuse to enable over a foreign version of a replaced function. */
int vtc_watch_refuse(struct klp_patch *self)
{
	struct klp_patch *patch;
	const char *func;

	patch = vtc_first_foreign(self, true, &func);
	if (!patch)
		return 0;
	pr_err("cannot enable: livepatch '%s' patches %s, which this module would replace with (or carry in a copy of) the stock text and so undo; disable that patch first, or load this module after it is gone\n",
	       patch->mod->name, func);
	return -EBUSY;
}

/*
 * klp_mutex held, @self enabled: may it be trusted? If a foreign patch
 * still touches a watched function, trust stays off and the work looks
 * again later.
 */
bool vtc_watch_clear(struct klp_patch *self)
{
	struct klp_patch *patch;
	const char *func;

	patch = vtc_first_foreign(self, false, &func);
	if (patch) {
		vtc_foreign_off(patch, func);
		queue_delayed_work(system_dfl_wq, &vtc_watch_work, HZ);
		return false;
	}
	if (vtc_foreign[0])
		pr_info("trust back on: no other livepatch touches a watched function (last: '%s')\n",
			vtc_foreign);
	vtc_foreign[0] = '\0';
	vtc_state_foreign("-", "-");
	return true;
}

static void vtc_watch_fn(struct work_struct *work)
{
	struct klp_patch *self;

	mutex_lock(vtc_p_klp_mutex);
	/* Another build watches now, or this patch's callbacks decide. */
	if (!vtc_state_owner())
		goto out;
	if (READ_ONCE(*vtc_p_klp_transition_patch)) {
		queue_delayed_work(system_dfl_wq, &vtc_watch_work, HZ / 10);
		goto out;
	}
	self = vtc_ops->patch();
	if (!self)
		goto out;
	/* No callback of a patch that klp atomic replace drops runs. */
	if (!self->enabled) {
		vtc_ops->replaced(vtc_foreign);
		goto out;
	}
	if (vtc_watch_clear(self))
		vtc_ops->clear();
out:
	mutex_unlock(vtc_p_klp_mutex);
}

/*
 * klp_init_transition(patch, state), called with klp_mutex held before klp
 * changes any function of @patch, to enable or disable it. The builds of
 * this module have their own callbacks; another patch that touches a
 * watched function turns trust off before any of its code can run.
 */
static int vtc_transition_entry(struct fprobe *fp, unsigned long ip,
				unsigned long ret_ip, struct ftrace_regs *fregs,
				void *data)
{
	struct klp_patch *patch = (void *)ftrace_regs_get_argument(fregs, 0);
	int state = ftrace_regs_get_argument(fregs, 1);
	struct klp_patch *self;
	const char *func;

	if (!vtc_state_owner())
		return 0;
	self = vtc_ops->patch();
	if (!self || !vtc_foreign_patch(patch, self))
		return 0;
	func = vtc_touches(patch, false, false);
	if (!func)
		return 0;
	vtc_foreign_off(patch, func);
	mod_delayed_work(system_dfl_wq, &vtc_watch_work, HZ / 10);
	if (state == KLP_TRANSITION_PATCHED) {
		func = vtc_touches(patch, false, true);
		if (func)
			vtc_ops->step_aside(patch->mod->name, func);
	}
	return 0;
}

static struct fprobe vtc_transition_probe = {
	.entry_handler = vtc_transition_entry,
};

static int vtc_watch_add(const char *name, bool replaced, bool carried)
{
	unsigned long addr;
	int i;

	for (i = 0; i < vtc_nr_watched; i++)
		if (!strcmp(vtc_watched[i].name, name)) {
			vtc_watched[i].replaced |= replaced;
			return 0;
		}
	if (WARN_ON(vtc_nr_watched == VTC_WATCH_MAX))
		return -E2BIG;
	addr = vtc_sym_addr(name);
	if (!addr) {
		pr_err("cannot watch %s: not in vmlinux exactly once\n", name);
		return -ENOENT;
	}
	vtc_watched[vtc_nr_watched].addr = addr;
	vtc_watched[vtc_nr_watched].name = name;
	vtc_watched[vtc_nr_watched].replaced = replaced || carried;
	vtc_watched[vtc_nr_watched].carried = carried;
	vtc_nr_watched++;
	return 0;
}

/* @funcs: functions this module replaces, { } ended. */
int vtc_watch_funcs(const struct klp_func *funcs)
{
	int ret;

	for (; funcs->old_name; funcs++) {
		ret = vtc_watch_add(funcs->old_name, true, false);
		if (ret)
			return ret;
	}
	return 0;
}

int vtc_watch_init(const struct vtc_watch_ops *ops)
{
	int i, ret;

	vtc_ops = ops;
	ret = vtc_syms_resolve(vtc_watch_syms, ARRAY_SIZE(vtc_watch_syms));
	if (ret) {
		pr_err("cannot see the other livepatches without klp's list in kallsyms (CONFIG_KALLSYMS_ALL): refusing to load\n");
		return ret;
	}
	for (i = 0; i < ARRAY_SIZE(vtc_watch_callers); i++) {
		ret = vtc_watch_add(vtc_watch_callers[i], false, false);
		if (ret)
			return ret;
	}
	for (i = 0; i < ARRAY_SIZE(vtc_watch_carried); i++)
		if (vtc_sym_addr(vtc_watch_carried[i])) {
			ret = vtc_watch_add(vtc_watch_carried[i], false, true);
			if (ret)
				return ret;
		}
	ret = register_fprobe(&vtc_transition_probe, "klp_init_transition",
			      NULL);
	if (ret)
		pr_err("cannot probe klp_init_transition: %d\n", ret);
	return ret;
}

void vtc_watch_exit(void)
{
	unregister_fprobe(&vtc_transition_probe);
	cancel_delayed_work_sync(&vtc_watch_work);
}
