// SPDX-License-Identifier: GPL-2.0-only
/*
 * vtimer-cache: instrumentation and the invalidations that do not live in
 * the mirrored functions.
 *
 * The probes are fprobes, i.e. ftrace callbacks at the patchable function
 * entry, not BRK-based kprobes: they cost a call and a few compares per
 * probed call. They run whether the klp patch is enabled or not, so one
 * module counts the stock kernel's writes and the cached ones in the same
 * boot:
 *  - irq_set_irqchip_state(): every active-state write to a timer PPI, by
 *    value; a write of "active" by anyone but the cache is a foreign write
 *    and forgets the cache on every CPU, before and after it;
 *  - kvm_timer_vcpu_load(): loads seen;
 *  - kvm_arch_vcpu_destroy(): frees the vcpu's shadow state.
 * None of these is a function the patch replaces (arm64 has no
 * KPROBES_ON_FTRACE, and a probe on a replaced function would be refused).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpu_pm.h>
#include <linux/cpuhotplug.h>
#include <linux/fprobe.h>
#include <linux/interrupt.h>
#include <linux/kvm_host.h>

#include "vtc.h"

static int vtc_write_entry(struct fprobe *fp, unsigned long ip,
			   unsigned long ret_ip, struct ftrace_regs *fregs,
			   void *data)
{
	unsigned int irq = ftrace_regs_get_argument(fregs, 0);
	unsigned long which = ftrace_regs_get_argument(fregs, 1);
	bool val = ftrace_regs_get_argument(fregs, 2) & 0xff;
	int t;

	if (which != IRQCHIP_STATE_ACTIVE)
		return 1;
	t = vtc_timer_index(irq);
	if (t < 0)
		return 1;

	this_cpu_inc(vtc_stats.probe_writes[t][val]);
	if (this_cpu_read(vtc_in_write))
		return 1;		/* the cache's own write */

	this_cpu_inc(vtc_stats.foreign_writes[t][val]);
	/* Stock mode's floor: was this write needed? */
	if (unlikely(READ_ONCE(vtc_verify))) {
		unsigned long flags;

		local_irq_save(flags);
		vtc_verify_write(irq, val, false);
		local_irq_restore(flags);
	}
	if (!val)
		return 1;		/* "inactive" cannot break the invariant */

	vtc_cache_foreign(&vtc_cache, true);
	vtc_invalidate_all(VTC_INV_FOREIGN);
	return 0;			/* and again on return */
}

static void vtc_write_exit(struct fprobe *fp, unsigned long ip,
			   unsigned long ret_ip, struct ftrace_regs *fregs,
			   void *data)
{
	vtc_cache_foreign(&vtc_cache, false);
}

static struct fprobe vtc_write_probe = {
	.entry_handler	= vtc_write_entry,
	.exit_handler	= vtc_write_exit,
};

/*
 * fprobe drops a hit, counting it in nmissed, when it cannot reserve its
 * per-call data. A dropped entry of a foreign write of "active" would let
 * it through unbracketed, so after any miss the cache is never trusted
 * again (until the module is reloaded).
 */
bool vtc_probe_missed(void)
{
	return READ_ONCE(vtc_write_probe.nmissed) != 0;
}

unsigned long vtc_probe_nmissed(void)
{
	return READ_ONCE(vtc_write_probe.nmissed);
}

static int vtc_load_entry(struct fprobe *fp, unsigned long ip,
			  unsigned long ret_ip, struct ftrace_regs *fregs,
			  void *data)
{
	this_cpu_inc(vtc_stats.loads);
	return 0;
}

static struct fprobe vtc_load_probe = {
	.entry_handler	= vtc_load_entry,
};

static int vtc_destroy_entry(struct fprobe *fp, unsigned long ip,
			     unsigned long ret_ip, struct ftrace_regs *fregs,
			     void *data)
{
	vtc_vcpu_free((struct kvm_vcpu *)ftrace_regs_get_argument(fregs, 0));
	return 0;
}

static struct fprobe vtc_destroy_probe = {
	.entry_handler	= vtc_destroy_entry,
};

/*
 * A CPU that goes offline or comes back may have lost its redistributor
 * state; so may one that leaves a low-power state. AP hotplug callbacks
 * run on the CPU concerned.
 */
static int vtc_cpu_online(unsigned int cpu)
{
	vtc_invalidate_this_cpu(VTC_INV_HOTPLUG);
	vtc_invalidate_all(VTC_INV_HOTPLUG);
	return 0;
}

static int vtc_cpu_offline(unsigned int cpu)
{
	vtc_invalidate_this_cpu(VTC_INV_HOTPLUG);
	vtc_invalidate_all(VTC_INV_HOTPLUG);
	return 0;
}

static int vtc_cpu_pm_notify(struct notifier_block *nb, unsigned long action,
			     void *v)
{
	switch (action) {
	case CPU_PM_ENTER:
	case CPU_PM_EXIT:
	case CPU_PM_ENTER_FAILED:
	case CPU_CLUSTER_PM_EXIT:
	case CPU_CLUSTER_PM_ENTER_FAILED:
		vtc_invalidate_this_cpu(VTC_INV_CPU_PM);
		break;
	}
	return NOTIFY_OK;
}

static struct notifier_block vtc_cpu_pm_nb = {
	.notifier_call = vtc_cpu_pm_notify,
};

static int vtc_hp_state;

static int vtc_fprobe(struct fprobe *fp, const char *func)
{
	int ret = register_fprobe(fp, func, NULL);

	if (ret)
		pr_err("cannot probe %s: %d\n", func, ret);
	return ret;
}

int vtc_probes_init(void)
{
	int ret;

	ret = vtc_fprobe(&vtc_write_probe, "irq_set_irqchip_state");
	if (ret)
		return ret;
	ret = vtc_fprobe(&vtc_load_probe, "kvm_timer_vcpu_load");
	if (ret)
		goto err_write;
	ret = vtc_fprobe(&vtc_destroy_probe, "kvm_arch_vcpu_destroy");
	if (ret)
		goto err_load;

	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN,
					"vtimer_cache:online",
					vtc_cpu_online, vtc_cpu_offline);
	if (ret < 0) {
		pr_err("cannot register CPU hotplug callbacks: %d\n", ret);
		goto err_destroy;
	}
	vtc_hp_state = ret;

	ret = cpu_pm_register_notifier(&vtc_cpu_pm_nb);
	if (ret) {
		pr_err("cannot register CPU PM notifier: %d\n", ret);
		goto err_hp;
	}
	return 0;

err_hp:
	cpuhp_remove_state_nocalls(vtc_hp_state);
err_destroy:
	unregister_fprobe(&vtc_destroy_probe);
err_load:
	unregister_fprobe(&vtc_load_probe);
err_write:
	unregister_fprobe(&vtc_write_probe);
	return ret;
}

void vtc_probes_exit(void)
{
	cpu_pm_unregister_notifier(&vtc_cpu_pm_nb);
	cpuhp_remove_state_nocalls(vtc_hp_state);
	unregister_fprobe(&vtc_destroy_probe);
	unregister_fprobe(&vtc_load_probe);
	unregister_fprobe(&vtc_write_probe);
}
