// SPDX-License-Identifier: GPL-2.0-only
/*
 * vtimer-cache: /sys/kernel/debug/<module name>/stats and vcpus (root
 * only). The directory is vtc_main.c's, named after the module like
 * /sys/kernel/livepatch/<module name>. The counters are shared by every
 * loaded build (vtc_state.h), so every build's directory shows the same.
 *
 *   stats    counters, one "name value" pair per line (docs/operations.md);
 *            writing "0" or "reset" zeroes them, anything else is -EINVAL
 *   vcpus    per-vcpu counts (diag=1): pid vcpu issued skipped ...
 *
 * and, read-only and so readable under lockdown, which closes debugfs,
 * /sys/module/<module name>/stats/: patch, trusted, loads, writes, issued,
 * skipped, wrong_skips, probe_missed, one value each; and
 * /sys/module/<module name>/mirror: the kernel release whose code the
 * module carries copies of.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/sysfs.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "vtc_core.h"
#include "vtc_stats.h"

#define VTC_STATS_VERSION	4

static const struct vtc_stats_src *vtc_src;

static const char *const vtc_inval_names[VTC_INV_NR] = {
	[VTC_INV_HOST_ACK]	= "host_ack",
	[VTC_INV_NESTED]	= "nested",
	[VTC_INV_DEACTIVATE]	= "deactivate",
	[VTC_INV_HOTPLUG]	= "cpu_hotplug",
	[VTC_INV_CPU_PM]	= "cpu_pm",
	[VTC_INV_TRANSITION]	= "transition",
	[VTC_INV_WRITE_ERROR]	= "write_error",
	[VTC_INV_FOREIGN]	= "foreign_patch",
	[VTC_INV_DEACT_PENDING]	= "deactivate_pending",
};

static struct vtc_stats_cpu *vtc_cpu_stats(int cpu)
{
	return &per_cpu_ptr(vtc_pcpu, cpu)->stats;
}

/*
 * The stock kernel's loads (counting probes, patch off), and the patched
 * ones: each decides once for the vtimer, skipped or issued (vtc_core.h).
 */
static u64 vtc_cpu_loads(struct vtc_stats_cpu *s)
{
	return READ_ONCE(s->loads) + READ_ONCE(s->issued[0]) +
	       READ_ONCE(s->skipped[0]);
}

static void vtc_sum(struct vtc_stats_cpu *sum)
{
	int cpu, t, v, i;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		struct vtc_stats_cpu *s = vtc_cpu_stats(cpu);

		sum->loads += vtc_cpu_loads(s);
		for (t = 0; t < VTC_NR_TIMERS; t++) {
			sum->issued[t] += READ_ONCE(s->issued[t]);
			sum->skipped[t] += READ_ONCE(s->skipped[t]);
			for (v = 0; v < 2; v++) {
				sum->writes[t][v] += READ_ONCE(s->writes[t][v]);
				sum->foreign[t][v] += READ_ONCE(s->foreign[t][v]);
			}
			sum->learnt_ack[t] += READ_ONCE(s->learnt_ack[t]);
			sum->learnt_eoi[t] += READ_ONCE(s->learnt_eoi[t]);
		}
		for (i = 0; i < VTC_INV_NR; i++)
			sum->inval[i] += READ_ONCE(s->inval[i]);
		sum->shadow_alloc_failed += READ_ONCE(s->shadow_alloc_failed);
		sum->verify_checked += READ_ONCE(s->verify_checked);
		sum->verify_needed += READ_ONCE(s->verify_needed);
		sum->verify_wrong_skips += READ_ONCE(s->verify_wrong_skips);
	}
}

/* a / b with six decimals, without floating point */
static void vtc_ratio(struct seq_file *m, const char *name, u64 a, u64 b)
{
	u64 r;

	if (!b) {
		seq_printf(m, "%s -\n", name);
		return;
	}
	r = div64_u64(a * 1000000ULL, b);
	seq_printf(m, "%s %llu.%06llu\n", name, div64_u64(r, 1000000ULL),
		   r - div64_u64(r, 1000000ULL) * 1000000ULL);
}

static const char *const vtc_timer_names[VTC_NR_TIMERS] = {
	"vtimer", "ptimer"
};

/* Who shares the state: see docs/design.md, "Upgrade in place". */
static void vtc_state_show(struct seq_file *m)
{
	struct vtc_shared *s = vtc_shared;
	char owner[MODULE_NAME_LEN], foreign[MODULE_NAME_LEN], func[64];
	unsigned long flags, takeovers, modules;
	unsigned int refs;

	spin_lock_irqsave(&s->lock, flags);
	strscpy(owner, s->owner ? s->owner_name : "-", sizeof(owner));
	takeovers = s->takeovers;
	modules = s->modules;
	refs = refcount_read(&s->refs);
	strscpy(foreign, s->foreign_patch, sizeof(foreign));
	strscpy(func, s->foreign_func, sizeof(func));
	spin_unlock_irqrestore(&s->lock, flags);
	seq_printf(m, "foreign.patch %s\n", foreign);
	seq_printf(m, "foreign.func %s\n", func);

	seq_printf(m, "module %s\n", KBUILD_MODNAME);
	seq_printf(m, "state.version %u\n", s->version);
	seq_printf(m, "state.owner %s\n", owner);
	seq_printf(m, "state.modules %u\n", refs);
	seq_printf(m, "state.modules_attached %lu\n", modules);
	seq_printf(m, "state.takeovers %lu\n", takeovers);
}

static int vtc_stats_show(struct seq_file *m, void *v)
{
	struct vtc_stats_cpu sum;
	u64 issued, skipped, probe;
	unsigned long gen;
	int cpu, t, i;

	vtc_sum(&sum);
	issued = sum.issued[0] + sum.issued[1];
	skipped = sum.skipped[0] + sum.skipped[1];
	probe = sum.writes[0][0] + sum.writes[0][1] +
		sum.writes[1][0] + sum.writes[1][1];

	seq_printf(m, "version %d\n", VTC_STATS_VERSION);
	gen = vtc_trust_gen(&vtc_shared->trust);
	seq_printf(m, "patch %s\n", vtc_src->patch_state());
	seq_printf(m, "replaced_by %s\n", vtc_src->replaced_by());
	seq_printf(m, "trusted %d\n", gen != 0);
	seq_printf(m, "generation %lu\n", gen);
	seq_printf(m, "probe_missed %lu\n", vtc_src->probe_missed());
	seq_printf(m, "irq.vtimer %u\n", vtc_host_irq[0]);
	seq_printf(m, "irq.ptimer %u\n", vtc_host_irq[1]);
	seq_printf(m, "loads %llu\n", sum.loads);
	seq_printf(m, "issued %llu\n", issued);
	seq_printf(m, "skipped %llu\n", skipped);
	vtc_ratio(m, "skip_ratio", skipped, issued + skipped);
	vtc_ratio(m, "issued_per_load", issued, sum.loads);
	seq_printf(m, "writes %llu\n", probe);
	vtc_ratio(m, "writes_per_load", probe, sum.loads);
	for (t = 0; t < VTC_NR_TIMERS; t++) {
		const char *n = vtc_timer_names[t];

		seq_printf(m, "issued.%s %llu\n", n, sum.issued[t]);
		seq_printf(m, "skipped.%s %llu\n", n, sum.skipped[t]);
		seq_printf(m, "writes.%s.inactive %llu\n", n,
			   sum.writes[t][0]);
		seq_printf(m, "writes.%s.active %llu\n", n,
			   sum.writes[t][1]);
		seq_printf(m, "foreign.%s.inactive %llu\n", n,
			   sum.foreign[t][0]);
		seq_printf(m, "foreign.%s.active %llu\n", n,
			   sum.foreign[t][1]);
		seq_printf(m, "learnt.%s.host_ack %llu\n", n,
			   sum.learnt_ack[t]);
		seq_printf(m, "learnt.%s.guest_deactivate %llu\n", n,
			   sum.learnt_eoi[t]);
	}
	for (i = 0; i < VTC_INV_NR; i++)
		seq_printf(m, "inval.%s %llu\n", vtc_inval_names[i],
			   sum.inval[i]);
	seq_printf(m, "diag %d\n", READ_ONCE(vtc_diag));
	seq_printf(m, "shadow.vcpus %d\n", READ_ONCE(vtc_shared->nr_vcpus));
	seq_printf(m, "shadow.alloc_failed %llu\n", sum.shadow_alloc_failed);
	seq_printf(m, "verify %d\n", READ_ONCE(vtc_verify));
	seq_printf(m, "verify.checked %llu\n", sum.verify_checked);
	seq_printf(m, "verify.needed %llu\n", sum.verify_needed);
	seq_printf(m, "verify.wrong_skips %llu\n", sum.verify_wrong_skips);
	vtc_state_show(m);
	for_each_possible_cpu(cpu) {
		struct vtc_stats_cpu *s = vtc_cpu_stats(cpu);

		seq_printf(m, "cpu%d.loads %llu\n", cpu, vtc_cpu_loads(s));
		seq_printf(m, "cpu%d.issued %llu\n", cpu,
			   READ_ONCE(s->issued[0]) + READ_ONCE(s->issued[1]));
		seq_printf(m, "cpu%d.skipped %llu\n", cpu,
			   READ_ONCE(s->skipped[0]) + READ_ONCE(s->skipped[1]));
		seq_printf(m, "cpu%d.writes %llu\n", cpu,
			   READ_ONCE(s->writes[0][0]) +
			   READ_ONCE(s->writes[0][1]) +
			   READ_ONCE(s->writes[1][0]) +
			   READ_ONCE(s->writes[1][1]));
	}
	return 0;
}

static void vtc_stats_reset(void)
{
	int cpu;

	/* Racy against concurrent increments by design: a counter reset. */
	for_each_possible_cpu(cpu)
		memset(vtc_cpu_stats(cpu), 0,
		       sizeof(struct vtc_stats_cpu));
	vtc_vcpu_reset_counts();
}

static int vtc_stats_open(struct inode *inode, struct file *file)
{
	return single_open(file, vtc_stats_show, inode->i_private);
}

/* Read the single word written to a control file, or fail. */
int vtc_read_word(const char __user *ubuf, size_t count, char *buf,
			 size_t size)
{
	if (!count || count >= size)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	strim(buf);
	return 0;
}

static ssize_t vtc_stats_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	char buf[16];
	int ret;

	ret = vtc_read_word(ubuf, count, buf, sizeof(buf));
	if (ret)
		return ret;
	if (strcmp(buf, "0") && strcmp(buf, "reset"))
		return -EINVAL;
	vtc_stats_reset();
	return count;
}

static const struct file_operations vtc_stats_fops = {
	.owner		= THIS_MODULE,
	.open		= vtc_stats_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= single_release,
	.write		= vtc_stats_write,
};

static int vtc_vcpus_show(struct seq_file *m, void *v)
{
	vtc_vcpu_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vtc_vcpus);

void vtc_stats_debugfs_init(struct dentry *dir,
			    const struct vtc_stats_src *src)
{
	vtc_src = src;
	debugfs_create_file("stats", 0600, dir, NULL, &vtc_stats_fops);
	debugfs_create_file("vcpus", 0400, dir, NULL, &vtc_vcpus_fops);
}

/* /sys/module/<name>/stats/: the main counters, one value per file. */
#define VTC_SYSFS_SUM(name, expr)					\
static ssize_t name##_show(struct kobject *kobj,			\
			   struct kobj_attribute *attr, char *buf)	\
{									\
	struct vtc_stats_cpu sum;					\
									\
	vtc_sum(&sum);							\
	return sysfs_emit(buf, "%llu\n", (unsigned long long)(expr));	\
}									\
static struct kobj_attribute name##_attr = __ATTR_RO(name)

VTC_SYSFS_SUM(loads, sum.loads);
VTC_SYSFS_SUM(writes, sum.writes[0][0] + sum.writes[0][1] +
	      sum.writes[1][0] + sum.writes[1][1]);
VTC_SYSFS_SUM(issued, sum.issued[0] + sum.issued[1]);
VTC_SYSFS_SUM(skipped, sum.skipped[0] + sum.skipped[1]);
VTC_SYSFS_SUM(wrong_skips, sum.verify_wrong_skips);

static ssize_t patch_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n", vtc_src->patch_state());
}
static struct kobj_attribute patch_attr = __ATTR_RO(patch);

static ssize_t trusted_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", vtc_trust_gen(&vtc_shared->trust) != 0);
}
static struct kobj_attribute trusted_attr = __ATTR_RO(trusted);

static ssize_t probe_missed_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", vtc_src->probe_missed());
}
static struct kobj_attribute probe_missed_attr = __ATTR_RO(probe_missed);

static struct attribute *vtc_sysfs_attrs[] = {
	&patch_attr.attr, &trusted_attr.attr, &loads_attr.attr,
	&writes_attr.attr, &issued_attr.attr, &skipped_attr.attr,
	&wrong_skips_attr.attr, &probe_missed_attr.attr, NULL,
};

static const struct attribute_group vtc_sysfs_group = {
	.name	= "stats",
	.attrs	= vtc_sysfs_attrs,
};

static ssize_t mirror_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%s\n", VTC_RELEASE);
}
static struct kobj_attribute mirror_attr = __ATTR_RO(mirror);

int vtc_stats_sysfs_init(const struct vtc_stats_src *src)
{
	struct kobject *kobj = &THIS_MODULE->mkobj.kobj;
	int ret;

	vtc_src = src;
	ret = sysfs_create_group(kobj, &vtc_sysfs_group);
	if (ret)
		return ret;
	ret = sysfs_create_file(kobj, &mirror_attr.attr);
	if (ret)
		goto err_group;
	return 0;

err_group:
	sysfs_remove_group(kobj, &vtc_sysfs_group);
	return ret;
}

void vtc_stats_sysfs_exit(void)
{
	sysfs_remove_file(&THIS_MODULE->mkobj.kobj, &mirror_attr.attr);
	sysfs_remove_group(&THIS_MODULE->mkobj.kobj, &vtc_sysfs_group);
}
