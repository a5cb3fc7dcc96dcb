// SPDX-License-Identifier: GPL-2.0-only
/*
 * vtimer-cache: the probes and callbacks outside the patched functions.
 * None of them carries a correctness rule of the cache: a hit they lose
 * costs a count or a diagnostic shadow, never a wrong skip
 * (docs/design.md, "Hooks and what a lost hit does").
 *
 *  - Counting fprobes on kvm_timer_vcpu_load() and irq_set_irqchip_state(),
 *    registered only while the patch is off: the stock kernel's loads and
 *    writes, so that one module compares stock and cached in one boot.
 *    With the patch on, the patched code counts for itself and nothing is
 *    hooked on the load path.
 *  - An fprobe on kvm_arch_vcpu_destroy(): frees the vcpu's diagnostic
 *    shadow (diag=1).
 *  - CPU hotplug and CPU PM callbacks: a CPU that goes offline, comes
 *    back, or leaves a low-power state may have lost its GIC state.
 *
 * After an upgrade in place, the replaced module's probes stay registered
 * until it is unloaded; only the owner's count (vtc_state_owner()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpu_pm.h>
#include <linux/cpuhotplug.h>
#include <linux/fprobe.h>
#include <linux/interrupt.h>
#include <linux/kvm_host.h>
#include <linux/mutex.h>

#include "vtc_core.h"
#include "vtc_probe.h"

static int vtc_write_entry(struct fprobe *fp, unsigned long ip,
			   unsigned long ret_ip, struct ftrace_regs *fregs,
			   void *data)
{
	unsigned int irq = ftrace_regs_get_argument(fregs, 0);
	unsigned long which = ftrace_regs_get_argument(fregs, 1);
	bool val = ftrace_regs_get_argument(fregs, 2) & 0xff;

	if (which == IRQCHIP_STATE_ACTIVE && vtc_state_owner())
		vtc_count_stock_write(irq, val);
	return 0;
}

static int vtc_load_entry(struct fprobe *fp, unsigned long ip,
			  unsigned long ret_ip, struct ftrace_regs *fregs,
			  void *data)
{
	if (vtc_state_owner())
		vtc_count_stock_load();
	return 0;
}

static struct fprobe vtc_write_probe = { .entry_handler = vtc_write_entry };
static struct fprobe vtc_load_probe = { .entry_handler = vtc_load_entry };

static DEFINE_MUTEX(vtc_counting_lock);
static bool vtc_counting;

static int vtc_fprobe(struct fprobe *fp, const char *func)
{
	int ret = register_fprobe(fp, func, NULL);

	if (ret)
		pr_err("cannot probe %s: %d\n", func, ret);
	return ret;
}

/* The patch is off: count the stock kernel's loads and writes. */
int vtc_counting_start(void)
{
	int ret = 0;

	mutex_lock(&vtc_counting_lock);
	if (vtc_counting)
		goto out;
	ret = vtc_fprobe(&vtc_write_probe, "irq_set_irqchip_state");
	if (ret)
		goto out;
	ret = vtc_fprobe(&vtc_load_probe, "kvm_timer_vcpu_load");
	if (ret) {
		unregister_fprobe(&vtc_write_probe);
		goto out;
	}
	vtc_counting = true;
out:
	mutex_unlock(&vtc_counting_lock);
	return ret;
}

/* The patch goes on: it counts for itself, nothing is left on the path. */
void vtc_counting_stop(void)
{
	mutex_lock(&vtc_counting_lock);
	if (vtc_counting) {
		unregister_fprobe(&vtc_load_probe);
		unregister_fprobe(&vtc_write_probe);
		vtc_counting = false;
	}
	mutex_unlock(&vtc_counting_lock);
}

/* Hits the counting probes lost (fprobe's nmissed): counts only. */
unsigned long vtc_counting_missed(void)
{
	return READ_ONCE(vtc_write_probe.nmissed) +
	       READ_ONCE(vtc_load_probe.nmissed);
}

static int vtc_destroy_entry(struct fprobe *fp, unsigned long ip,
			     unsigned long ret_ip, struct ftrace_regs *fregs,
			     void *data)
{
	vtc_vcpu_free((struct kvm_vcpu *)ftrace_regs_get_argument(fregs, 0));
	return 0;
}

static struct fprobe vtc_destroy_probe = {
	.entry_handler = vtc_destroy_entry,
};

/*
 * AP hotplug callbacks run on the CPU concerned: what is known of it goes,
 * both when it goes down and when it comes back.
 */
static int vtc_cpu_hotplug(unsigned int cpu)
{
	vtc_cpu_forget(VTC_INV_HOTPLUG);
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
		vtc_cpu_forget(VTC_INV_CPU_PM);
		break;
	}
	return NOTIFY_OK;
}

static struct notifier_block vtc_cpu_pm_nb = {
	.notifier_call = vtc_cpu_pm_notify,
};

static int vtc_hp_state;

int vtc_probes_init(void)
{
	int ret;

	ret = vtc_fprobe(&vtc_destroy_probe, "kvm_arch_vcpu_destroy");
	if (ret)
		return ret;
	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN,
					KBUILD_MODNAME ":online",
					vtc_cpu_hotplug, vtc_cpu_hotplug);
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
	return ret;
}

void vtc_probes_exit(void)
{
	vtc_counting_stop();
	cpu_pm_unregister_notifier(&vtc_cpu_pm_nb);
	cpuhp_remove_state_nocalls(vtc_hp_state);
	unregister_fprobe(&vtc_destroy_probe);
}
