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
 *    value; a write by anyone but the cache is a foreign write and forgets
 *    the cache on every CPU, before and after it;
 *  - vgic_v3_fold_lr_state(), vgic_v2_fold_lr_state(): after every guest
 *    run, what the list registers say about the timer PPIs (the guest may
 *    have deactivated them); vgic_v3_sync_nested() and
 *    vgic_v5_fold_ppi_state(): runs whose list registers we do not read;
 *  - vgic_v3_deactivate(), vgic_v2_deactivate(): KVM deactivating a HW
 *    interrupt for a trapped DIR, bracketed like a foreign write;
 *  - irq_percpu_disable(): masking a forwarded PPI also deactivates it
 *    (KVM masks the timer PPIs when virtualization is turned off on a
 *    CPU), bracketed too;
 *  - kvm_timer_vcpu_load(): loads seen;
 *  - kvm_arch_vcpu_destroy(): frees the vcpu's shadow state.
 * After an upgrade in place, the replaced module's probes stay registered
 * until it is unloaded, next to the new module's. Each handler first asks
 * vtc_state_active(): only the owner's probes (and, during the upgrade's
 * transition, the incoming module's too) act and count, so nothing is
 * counted twice and no event falls between the two (vtc_state.c).
 * None of these is a function the patch replaces (arm64 has no
 * KPROBES_ON_FTRACE, and a probe on a replaced function would be refused).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/cpu.h>
#include <linux/cpu_pm.h>
#include <linux/cpuhotplug.h>
#include <linux/fprobe.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdesc.h>
#include <linux/kvm_host.h>

#include "vtc.h"
#include "vtc_state.h"

/* Carried from a foreign write's entry to its return. */
struct vtc_write_data {
	int cpu;		/* learn 0 there on return; -1: bracketed */
	int t;
};

static int vtc_write_entry(struct fprobe *fp, unsigned long ip,
			   unsigned long ret_ip, struct ftrace_regs *fregs,
			   void *data)
{
	struct vtc_write_data *wd = data;
	unsigned int irq = ftrace_regs_get_argument(fregs, 0);
	unsigned long which = ftrace_regs_get_argument(fregs, 1);
	bool val = ftrace_regs_get_argument(fregs, 2) & 0xff;
	int t;

	if (which != IRQCHIP_STATE_ACTIVE || !vtc_state_active())
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
	/*
	 * A write of a PPI's bit hits the bank of the CPU it runs on. A write
	 * of 0 with interrupts off (KVM's vgic callers hold irq->irq_lock,
	 * e.g. the resampling write of every fold) cannot move, and nothing
	 * else runs on this CPU until it returns: the bit is then known 0.
	 */
	if (!val && irqs_disabled()) {
		wd->cpu = smp_processor_id();
		wd->t = t;
		return 0;
	}
	/* Anything else may hit any CPU's bit, either way. */
	wd->cpu = -1;
	vtc_cache_foreign(&vtc_cache, true);
	vtc_invalidate_all(VTC_INV_FOREIGN);
	return 0;			/* and again on return */
}

static void vtc_write_exit(struct fprobe *fp, unsigned long ip,
			   unsigned long ret_ip, struct ftrace_regs *fregs,
			   void *data)
{
	struct vtc_write_data *wd = data;
	struct vtc_cache_cpu *c;

	if (wd->cpu < 0) {
		vtc_cache_foreign(&vtc_cache, false);
		return;
	}
	if (WARN_ON_ONCE(wd->cpu != smp_processor_id() || !irqs_disabled())) {
		vtc_invalidate_all(VTC_INV_FOREIGN);
		return;
	}
	c = this_cpu_ptr(&vtc_hw);
	if (ftrace_regs_get_return_value(fregs))
		vtc_cache_forget_cpu(c, wd->t);
	else
		vtc_cache_learn(&vtc_cache, c, wd->t, false);
}

static struct fprobe vtc_write_probe = {
	.entry_handler	= vtc_write_entry,
	.exit_handler	= vtc_write_exit,
	.entry_data_size = sizeof(struct vtc_write_data),
};

/*
 * A trapped guest DIR makes KVM deactivate a HW interrupt itself
 * (gic_write_dir() or GICC_DIR, vgic-v3.c:287, vgic-v2.c:209) on whatever
 * CPU the handler runs on, and the handler may run preemptibly: bracketed
 * like a foreign write.
 */
static int vtc_dir_entry(struct fprobe *fp, unsigned long ip,
			 unsigned long ret_ip, struct ftrace_regs *fregs,
			 void *data)
{
	if (!vtc_state_active())
		return 1;
	vtc_cache_foreign(&vtc_cache, true);
	vtc_invalidate_all(VTC_INV_DEACTIVATE);
	return 0;
}

static void vtc_dir_exit(struct fprobe *fp, unsigned long ip,
			 unsigned long ret_ip, struct ftrace_regs *fregs,
			 void *data)
{
	vtc_cache_foreign(&vtc_cache, false);
}

static struct fprobe vtc_dir_v3_probe = {
	.entry_handler	= vtc_dir_entry,
	.exit_handler	= vtc_dir_exit,
};

static struct fprobe vtc_dir_v2_probe = {
	.entry_handler	= vtc_dir_entry,
	.exit_handler	= vtc_dir_exit,
};

/*
 * Masking a forwarded interrupt also deactivates it (gic_eoimode1_mask_irq(),
 * irq-gic-v3.c:495-508, irq-gic.c:198-211), a register write that
 * irq_set_irqchip_state() never sees. KVM masks the timer PPIs in
 * kvm_timer_cpu_down(), on hotplug and whenever virtualization is turned
 * off on a CPU (the last VM gone with kvm.enable_virt_at_load=0). Every
 * per-CPU disable goes through irq_percpu_disable().
 */
static int vtc_mask_entry(struct fprobe *fp, unsigned long ip,
			  unsigned long ret_ip, struct ftrace_regs *fregs,
			  void *data)
{
	struct irq_desc *desc = (void *)ftrace_regs_get_argument(fregs, 0);

	if (vtc_timer_index(desc->irq_data.irq) < 0 || !vtc_state_active())
		return 1;
	vtc_cache_foreign(&vtc_cache, true);
	vtc_invalidate_all(VTC_INV_DEACTIVATE);
	return 0;
}

static struct fprobe vtc_mask_probe = {
	.entry_handler	= vtc_mask_entry,
	.exit_handler	= vtc_dir_exit,
};

/* The pINTID a HW list register carries for each direct timer's PPI. */
static u32 vtc_hwirq[VTC_NR_TIMERS];

static int vtc_hwirq_index(u32 pintid)
{
	int t;

	for (t = 0; t < VTC_NR_TIMERS; t++)
		if (vtc_host_irq[t] && vtc_hwirq[t] == pintid)
			return t;
	return -1;
}

/* GICv2 list register fields (GICH_LRn: HW, State, PhysicalID). */
#define VTC_V2_LR_HW		BIT(31)
#define VTC_V2_LR_STATE		GENMASK(29, 28)
#define VTC_V2_LR_PHYSID	GENMASK(19, 10)

/*
 * Entry of vgic_v{2,3}_fold_lr_state(vcpu): kvm_vgic_sync_hwstate() calls it
 * after every guest run, interrupts still off since the exit, before the
 * host can take any interrupt; the list registers were saved into
 * vgic_lr[] and nothing has touched them. A HW LR for the PPI whose state
 * is now invalid was deactivated by the guest, which deactivated the
 * physical PPI on this CPU (the GIC does that for HW LRs), and nothing can
 * have made it active again since: only an ack, and the host acks nothing
 * with interrupts off. A HW LR still pending or active was not
 * deactivated. A PPI in no LR is unknown: the fold's EOIcount emulation
 * deactivates active interrupts that overflowed the LRs.
 */
static void vtc_fold(struct kvm_vcpu *vcpu, bool v3)
{
	enum vtc_lr lr[VTC_NR_TIMERS] = { VTC_LR_UNKNOWN, VTC_LR_UNKNOWN };
	unsigned int i, n;
	int t;

	if (WARN_ON_ONCE(!irqs_disabled())) {
		vtc_invalidate_all(VTC_INV_GUEST_RUN);
		return;
	}
	if (v3) {
		struct vgic_v3_cpu_if *cpuif = &vcpu->arch.vgic_cpu.vgic_v3;

		n = min_t(unsigned int, cpuif->used_lrs, VGIC_V3_MAX_LRS);
		for (i = 0; i < n; i++) {
			u64 val = cpuif->vgic_lr[i];

			if (!(val & ICH_LR_HW))
				continue;
			t = vtc_hwirq_index(FIELD_GET(ICH_LR_PHYS_ID_MASK, val));
			if (t >= 0)
				lr[t] = (val & ICH_LR_STATE) ? VTC_LR_LIVE :
							       VTC_LR_DEACTIVATED;
		}
	} else {
		struct vgic_v2_cpu_if *cpuif = &vcpu->arch.vgic_cpu.vgic_v2;

		n = min_t(unsigned int, cpuif->used_lrs, VGIC_V2_MAX_LRS);
		for (i = 0; i < n; i++) {
			u32 val = cpuif->vgic_lr[i];

			if (!(val & VTC_V2_LR_HW))
				continue;
			t = vtc_hwirq_index(FIELD_GET(VTC_V2_LR_PHYSID, val));
			if (t >= 0)
				lr[t] = (val & VTC_V2_LR_STATE) ? VTC_LR_LIVE :
								  VTC_LR_DEACTIVATED;
		}
	}
	vtc_guest_ran(lr);
}

static int vtc_fold_v3_entry(struct fprobe *fp, unsigned long ip,
			     unsigned long ret_ip, struct ftrace_regs *fregs,
			     void *data)
{
	if (!vtc_state_active())
		return 1;
	vtc_fold((struct kvm_vcpu *)ftrace_regs_get_argument(fregs, 0), true);
	return 0;
}

static int vtc_fold_v2_entry(struct fprobe *fp, unsigned long ip,
			     unsigned long ret_ip, struct ftrace_regs *fregs,
			     void *data)
{
	if (!vtc_state_active())
		return 1;
	vtc_fold((struct kvm_vcpu *)ftrace_regs_get_argument(fregs, 0), false);
	return 0;
}

/* A run whose list registers are not folded here (nested, GICv5). */
static int vtc_unfolded_entry(struct fprobe *fp, unsigned long ip,
			      unsigned long ret_ip, struct ftrace_regs *fregs,
			      void *data)
{
	static const enum vtc_lr unknown[VTC_NR_TIMERS];
	unsigned long flags;

	if (!vtc_state_active())
		return 1;
	local_irq_save(flags);
	vtc_guest_ran(unknown);
	local_irq_restore(flags);
	return 0;
}

static struct fprobe vtc_fold_v3_probe = {
	.entry_handler	= vtc_fold_v3_entry,
};

static struct fprobe vtc_fold_v2_probe = {
	.entry_handler	= vtc_fold_v2_entry,
};

static struct fprobe vtc_nested_probe = {
	.entry_handler	= vtc_unfolded_entry,
};

static struct fprobe vtc_fold_v5_probe = {
	.entry_handler	= vtc_unfolded_entry,
};

/*
 * fprobe drops a hit, counting it in nmissed, when it cannot reserve its
 * per-call data. A dropped foreign write, DIR or fold would let a change of
 * the bit go unseen, so after any miss the cache is never trusted again
 * (until the module is reloaded).
 */
static struct fprobe vtc_load_probe;
static struct fprobe vtc_destroy_probe;

/* Every probe and its function; registered in this order. */
static const struct {
	struct fprobe *fp;
	const char *func;
} vtc_probes[] = {
	{ &vtc_write_probe,	"irq_set_irqchip_state" },
	{ &vtc_dir_v3_probe,	"vgic_v3_deactivate" },
	{ &vtc_dir_v2_probe,	"vgic_v2_deactivate" },
	{ &vtc_mask_probe,	"irq_percpu_disable" },
	{ &vtc_fold_v3_probe,	"vgic_v3_fold_lr_state" },
	{ &vtc_fold_v2_probe,	"vgic_v2_fold_lr_state" },
	{ &vtc_nested_probe,	"vgic_v3_sync_nested" },
	{ &vtc_fold_v5_probe,	"vgic_v5_fold_ppi_state" },
	{ &vtc_load_probe,	"kvm_timer_vcpu_load" },
	{ &vtc_destroy_probe,	"kvm_arch_vcpu_destroy" },
};

unsigned long vtc_probe_nmissed(void)
{
	unsigned long n = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(vtc_probes); i++)
		n += READ_ONCE(vtc_probes[i].fp->nmissed);
	return n;
}

bool vtc_probe_missed(void)
{
	return vtc_probe_nmissed() || vtc_state_missed();
}

static int vtc_load_entry(struct fprobe *fp, unsigned long ip,
			  unsigned long ret_ip, struct ftrace_regs *fregs,
			  void *data)
{
	/* Counted once, by the owner, also while an upgrade is under way. */
	if (vtc_state_owner())
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
	if (!vtc_state_active())
		return 0;
	vtc_invalidate_this_cpu(VTC_INV_HOTPLUG);
	vtc_invalidate_all(VTC_INV_HOTPLUG);
	return 0;
}

static int vtc_cpu_offline(unsigned int cpu)
{
	if (!vtc_state_active())
		return 0;
	vtc_invalidate_this_cpu(VTC_INV_HOTPLUG);
	vtc_invalidate_all(VTC_INV_HOTPLUG);
	return 0;
}

static int vtc_cpu_pm_notify(struct notifier_block *nb, unsigned long action,
			     void *v)
{
	if (!vtc_state_active())
		return NOTIFY_OK;
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

static int vtc_hwirq_init(void)
{
	int t;

	for (t = 0; t < VTC_NR_TIMERS; t++) {
		struct irq_data *d;

		if (!vtc_host_irq[t])
			continue;
		d = irq_get_irq_data(vtc_host_irq[t]);
		if (!d) {
			pr_err("no irq_data for timer irq %u\n", vtc_host_irq[t]);
			return -ENODEV;
		}
		vtc_hwirq[t] = irqd_to_hwirq(d);
	}
	return 0;
}

static void vtc_fprobes_unregister(int n)
{
	while (n--)
		unregister_fprobe(vtc_probes[n].fp);
}

int vtc_probes_init(void)
{
	int i, ret;

	ret = vtc_hwirq_init();
	if (ret)
		return ret;
	for (i = 0; i < ARRAY_SIZE(vtc_probes); i++) {
		ret = vtc_fprobe(vtc_probes[i].fp, vtc_probes[i].func);
		if (ret) {
			vtc_fprobes_unregister(i);
			return ret;
		}
	}

	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN,
					KBUILD_MODNAME ":online",
					vtc_cpu_online, vtc_cpu_offline);
	if (ret < 0) {
		pr_err("cannot register CPU hotplug callbacks: %d\n", ret);
		goto err_probes;
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
err_probes:
	vtc_fprobes_unregister(ARRAY_SIZE(vtc_probes));
	return ret;
}

void vtc_probes_exit(void)
{
	cpu_pm_unregister_notifier(&vtc_cpu_pm_nb);
	cpuhp_remove_state_nocalls(vtc_hp_state);
	vtc_fprobes_unregister(ARRAY_SIZE(vtc_probes));
}
