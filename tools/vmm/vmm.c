// SPDX-License-Identifier: GPL-2.0
/*
 * vtc-vmm: a minimal arm64 KVM VMM that drives guest timer interrupts
 * through the in-kernel vgic, to exercise the host's arch timer / vgic
 * paths (vcpu load/put, blocking, migration) and check that no timer
 * interrupt is lost, duplicated or left stuck.
 *
 * See README.md for the command line and the output format.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>

#include "shared.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)	(((x) + (a) - 1) & ~((uint64_t)(a) - 1))

#define MAX_VCPUS	64
#define MAX_VCPUS_V2	8
#define BLOCK_SIZE	0x1000ULL
#define STACK_SIZE	0x10000ULL
#define MAX_ITERS	10000000ULL
#define NR_IRQS		128		/* vgic: 32 private + 96 SPIs (unused) */
#define LOST_MS		2000		/* guest: an irq is lost after this */
#define WD_NAP_US	20000		/* watchdog poll period */

/* The uapi of kernels newer than the build's headers (7.2 has them). */
#ifndef KVM_CAP_ARM_EL2
#define KVM_CAP_ARM_EL2		240
#endif
#ifndef KVM_ARM_VCPU_HAS_EL2
#define KVM_ARM_VCPU_HAS_EL2	7
#endif

extern const char guest_bin[], guest_bin_end[];

/* KVM's vcpu binary stats reported as k_<name>. */
static const struct {
	const char *name, *key;
} kstats[] = {
	{ "exits", "k_exits" },
	{ "wfi_exit_stat", "k_wfi" },
};
static int kstat_off[ARRAY_SIZE(kstats)];	/* -1: not available */

struct vcpu {
	int id;
	int fd;
	struct kvm_run *run;
	struct vtc_block *blk;		/* VMM view of the guest block */
	uint32_t *lat;			/* VMM view of the latency array */
	pthread_t thread;

	/* vcpu thread results */
	uint64_t exits;
	uint64_t eintr;
	uint64_t migrations;
	uint64_t ns;
	uint64_t ticks;			/* CNTVCT_EL0 ticks of the run loop */
	uint64_t pmu_cycles;		/* PMU CPU cycles of the thread */
	int pmu_ok;			/* pmu_cycles is valid */
	int done;			/* guest wrote VTC_MMIO_DONE */
	char err[160];			/* first error, "" if none */

	/* KVM's own per-vcpu counters (KVM_GET_STATS_FD), end - start */
	int stats_fd;
	uint64_t kstat[ARRAY_SIZE(kstats)];

	/* watchdog */
	volatile int finished;		/* thread left its run loop */
	volatile int kicked;
	volatile pid_t tid;		/* for the watchdog's report */
	uint64_t last_progress;
	uint64_t last_change_ns;
};

static struct {
	const char *workload;
	int wl;
	int gic;
	int nr_vcpus;
	uint64_t iters;
	uint64_t migrate;
	uint64_t timeout_s;
	uint64_t brk;
	int quiet;
	int cost_marks;			/* marker instructions (tools/cost) */
	int until_signal;		/* run until SIGTERM/SIGINT */
	int iters_given;
	int el2;			/* vcpus with EL2: nested virtualization */
	int mark;			/* --cost-mark: 1 open, 2 close; no VM */
} opt = {
	.gic = 3,
	.nr_vcpus = 1,
	.iters = 1000,
	.timeout_s = 10,
};

_Static_assert(offsetof(struct vtc_block, fault_vec) == VTC_BLK_FAULT_VEC * 8,
	       "guest/start.S stores fault_vec at VTC_BLK_FAULT_VEC");

static int kvm_fd, vm_fd;
static uint8_t *ram;
static uint64_t ram_size, vcpu_stride, cntfrq, period;
static struct vcpu vcpus[MAX_VCPUS];
static int cpus[1024], nr_cpus;
static pthread_barrier_t start_barrier;
static int mmap_size;
/* --until-signal: set by SIGTERM/SIGINT, then every guest is told to stop */
static volatile sig_atomic_t stop_requested;
static int stopped;			/* the guests were told to stop */

/* vcpu threads signal the watchdog when they leave their run loop. */
static pthread_mutex_t wd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cond;

static void msg(const char *fmt, ...)
{
	va_list ap;

	if (opt.quiet)
		return;
	va_start(ap, fmt);
	fputs("vtc-vmm: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* Async-signal-safe: "name=0x<hex> " to stderr. */
static void put_hex(const char *name, uint64_t x)
{
	char buf[40];
	int n = 0, i;

	while (*name && n < 16)
		buf[n++] = *name++;
	buf[n++] = '=';
	buf[n++] = '0';
	buf[n++] = 'x';
	for (i = 60; i >= 0; i -= 4)
		buf[n++] = "0123456789abcdef"[(x >> i) & 15];
	buf[n++] = ' ';
	if (write(2, buf, n) < 0)
		return;
}

/*
 * A crash of the VMM itself says where (a static binary: addr2line -e
 * tools/vmm/build/vtc-vmm PC), then dies of the same signal.
 */
static void crash_report(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	static const char hdr[] = "vtc-vmm: crashed: ";

	if (write(2, hdr, sizeof(hdr) - 1) < 0)
		goto out;
	put_hex("signal", sig);
	put_hex("code", si->si_code);
	put_hex("addr", (uintptr_t)si->si_addr);
	put_hex("pc", uc->uc_mcontext.pc);
	put_hex("lr", uc->uc_mcontext.regs[30]);
	put_hex("sp", uc->uc_mcontext.sp);
	put_hex("tid", syscall(SYS_gettid));
	if (write(2, "\n", 1) < 0)
		goto out;
out:
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * A vcpu thread about to be kicked for lack of progress: say where it is
 * (scheduler state and kernel stack), since a guest that made no progress
 * and a thread that never ran look the same from here.
 */
static void thread_report(struct vcpu *v)
{
	char path[64], line[256];
	FILE *f;

	if (!v->tid)
		return;
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", v->tid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(line, sizeof(line), f))
			fprintf(stderr, "vtc-vmm: vcpu %d stat: %s", v->id,
				line);
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/self/task/%d/stack", v->tid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "vtc-vmm: vcpu %d stack: %s", v->id, line);
	fclose(f);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("vtc-vmm: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	printf("vtc-vmm total workload=%s vcpus=%d result=error reason=setup\n",
	       opt.workload ? opt.workload : "-", opt.nr_vcpus);
	exit(1);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: vtc-vmm [options] WORKLOAD\n"
"\n"
"workloads:\n"
"  mmio-user   MMIO writes that exit to this VMM, timer idle\n"
"  active-mmio the guest sets and clears INTID 27's active state in its\n"
"              GIC (I[SC]ACTIVER0), an exit to this VMM after each\n"
"  hvc         in-kernel hypercalls (PSCI_VERSION), no exits\n"
"  timer-mmio  virtual timer interrupts taken through the vgic, with MMIO\n"
"              exits while pending/active/after EOI\n"
"  wfi         timer interrupts, waiting in WFI (the host blocks the vcpu)\n"
"  migrate     timer-mmio, vcpu threads change host CPU (--migrate 50)\n"
"  ipi         vcpu-to-vcpu SGIs: vcpu 2k sends one to vcpu 2k+1, which\n"
"              takes it and answers with one; both wait in WFI (needs an\n"
"              even --vcpus, at least 2)\n"
"  lpi         the guest writes a device doorbell that the kernel turns\n"
"              into an MSI, delivered as an LPI through an ITS, and takes\n"
"              it (--gic v3 and one vcpu only)\n"
"\n"
"options:\n"
"  --gic v2|v3          in-kernel vgic model (default v3)\n"
"  --vcpus N            vcpu threads (default 1)\n"
"  --iters N            iterations per vcpu (default 1000)\n"
"  --migrate K          move each vcpu thread to the next CPU every K exits\n"
"  --timeout SEC        watchdog: no guest progress for SEC s (default 10)\n"
"  --break WHAT         deliberately broken guest: no-eoi, no-disable,\n"
"                       no-enable (to check that errors are reported;\n"
"                       ipi and lpi: no-eoi, no-enable)\n"
"  --el2                vcpus with EL2 (KVM_ARM_VCPU_HAS_EL2; the host needs\n"
"                       kvm-arm.mode=nested): a minimal guest hypervisor at\n"
"                       vEL2 runs the workload at vEL1 and answers its\n"
"                       HVCs, so each hvc is two nested world switches\n"
"  --until-signal       run until SIGTERM or SIGINT (--iters, default 10M,\n"
"                       is then only a cap); the guests end their current\n"
"                       iteration and the results are checked as usual\n"
"  --quiet              no diagnostics on stderr\n"
"  --cost-marks         run the cost tool's marker instructions around each\n"
"                       vcpu's run loop (tools/cost; no-ops otherwise)\n"
"  --cost-mark open|close\n"
"                       run no VM: open or close the cost tool's window on\n"
"                       the CPU this runs on, then exit (the caller pins\n"
"                       it, e.g. taskset; tests/vm/linux-guest.sh)\n"
"  -h, --help           this help\n"
"\n"
"Output: key=value lines on stdout, one per vcpu and a total line.\n"
"Exit code: 0 result=ok, 1 result=error, 2 usage error.\n");
}

static void bad_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("vtc-vmm: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(stderr);
	exit(2);
}

static uint64_t parse_u64(const char *name, const char *s, uint64_t min,
			  uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!s || !*s || *s == '-')
		bad_usage("%s: bad number '%s'", name, s ? s : "");
	v = strtoull(s, &end, 0);
	if (errno || *end || v < min || v > max)
		bad_usage("%s: '%s' not in [%llu, %llu]", name, s,
			  (unsigned long long)min, (unsigned long long)max);
	return v;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The virtual counter, readable at EL0 (the kernel enables it for the vDSO). */
static uint64_t cntvct(void)
{
	uint64_t v;

	asm volatile("isb; mrs %0, cntvct_el0" : "=r"(v) : : "memory");
	return v;
}

/*
 * PMU CPU cycles of the calling thread (user, kernel and guest), or -1 if
 * the host has no PMU driver or forbids it (perf_event_paranoid).
 */
static int pmu_open(void)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_HARDWARE;
	a.size = sizeof(a);
	a.config = PERF_COUNT_HW_CPU_CYCLES;
	return syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

static int pmu_read(int fd, uint64_t *v)
{
	return fd >= 0 && read(fd, v, sizeof(*v)) == sizeof(*v) ? 0 : -1;
}

static uint64_t gpa_of(const void *p)
{
	return VTC_RAM_BASE + ((const uint8_t *)p - ram);
}

static const struct {
	const char *name;
	int wl;
} workloads[] = {
	{ "mmio-user", W_MMIO },
	{ "active-mmio", W_ACTIVE_MMIO },
	{ "hvc", W_HVC },
	{ "timer-mmio", W_TIMER_MMIO },
	{ "wfi", W_WFI },
	{ "migrate", W_TIMER_MMIO },
	{ "ipi", W_IPI },
	{ "lpi", W_LPI },
};

static void parse_args(int argc, char **argv)
{
	enum { O_GIC = 256, O_VCPUS, O_ITERS, O_MIGRATE, O_TIMEOUT, O_BREAK,
	       O_QUIET, O_UNTIL_SIGNAL, O_COST_MARKS, O_COST_MARK, O_EL2 };
	static const struct option lopts[] = {
		{ "gic", required_argument, NULL, O_GIC },
		{ "vcpus", required_argument, NULL, O_VCPUS },
		{ "iters", required_argument, NULL, O_ITERS },
		{ "migrate", required_argument, NULL, O_MIGRATE },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "break", required_argument, NULL, O_BREAK },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "cost-marks", no_argument, NULL, O_COST_MARKS },
		{ "cost-mark", required_argument, NULL, O_COST_MARK },
		{ "until-signal", no_argument, NULL, O_UNTIL_SIGNAL },
		{ "el2", no_argument, NULL, O_EL2 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	size_t i;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", lopts, NULL)) != -1) {
		switch (c) {
		case O_GIC:
			if (!strcmp(optarg, "v2") || !strcmp(optarg, "2"))
				opt.gic = 2;
			else if (!strcmp(optarg, "v3") || !strcmp(optarg, "3"))
				opt.gic = 3;
			else
				bad_usage("--gic: '%s' is not v2 or v3", optarg);
			break;
		case O_VCPUS:
			opt.nr_vcpus = parse_u64("--vcpus", optarg, 1,
						 MAX_VCPUS);
			break;
		case O_ITERS:
			opt.iters = parse_u64("--iters", optarg, 1, MAX_ITERS);
			opt.iters_given = 1;
			break;
		case O_MIGRATE:
			opt.migrate = parse_u64("--migrate", optarg, 1,
						UINT32_MAX);
			break;
		case O_TIMEOUT:
			opt.timeout_s = parse_u64("--timeout", optarg, 1,
						  100000);
			break;
		case O_BREAK:
			if (!strcmp(optarg, "no-eoi"))
				opt.brk |= BRK_NO_EOI;
			else if (!strcmp(optarg, "no-disable"))
				opt.brk |= BRK_NO_DISABLE;
			else if (!strcmp(optarg, "no-enable"))
				opt.brk |= BRK_NO_ENABLE;
			else
				bad_usage("--break: unknown '%s'", optarg);
			break;
		case O_QUIET:
			opt.quiet = 1;
			break;
		case O_COST_MARKS:
			opt.cost_marks = 1;
			break;
		case O_COST_MARK:
			if (!strcmp(optarg, "open"))
				opt.mark = 1;
			else if (!strcmp(optarg, "close"))
				opt.mark = 2;
			else
				bad_usage("--cost-mark: 'open' or 'close', not '%s'", optarg);
			opt.cost_marks = 1;
			break;
		case O_UNTIL_SIGNAL:
			opt.until_signal = 1;
			break;
		case O_EL2:
			opt.el2 = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			bad_usage("option %s needs an argument",
				  argv[optind - 1]);
			break;
		default:
			bad_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (opt.mark) {
		if (optind != argc)
			bad_usage("--cost-mark runs no workload");
		return;
	}
	if (optind != argc - 1)
		bad_usage(optind >= argc ? "no workload given" :
			  "exactly one workload expected");
	opt.workload = argv[optind];
	for (i = 0; i < ARRAY_SIZE(workloads); i++)
		if (!strcmp(opt.workload, workloads[i].name))
			opt.wl = workloads[i].wl;
	if (!opt.wl)
		bad_usage("unknown workload '%s'", opt.workload);
	if (!strcmp(opt.workload, "migrate") && !opt.migrate)
		opt.migrate = 50;
	if (opt.gic == 2 && opt.nr_vcpus > MAX_VCPUS_V2)
		bad_usage("--gic v2 supports at most %d vcpus", MAX_VCPUS_V2);
	if (opt.wl == W_IPI && (opt.nr_vcpus < 2 || opt.nr_vcpus % 2))
		bad_usage("ipi needs pairs of vcpus: --vcpus 2 (or 4, 6, ...), not %d",
			  opt.nr_vcpus);
	if (opt.wl == W_LPI && opt.gic != 3)
		bad_usage("lpi needs --gic v3 (an ITS); GICv2 has no LPIs");
	if (opt.wl == W_LPI && opt.nr_vcpus != 1)
		bad_usage("lpi runs one vcpu only, not --vcpus %d",
			  opt.nr_vcpus);
	if (opt.until_signal && !opt.iters_given)
		opt.iters = MAX_ITERS;
}

/*
 * Latencies kept per vcpu: one per iteration, but a run that lasts until
 * it is signalled keeps only the first UNTIL_LAT_CAP (its --iters is a cap,
 * 10M by default, and would cost 40M of guest RAM per vcpu).
 */
#define UNTIL_LAT_CAP	100000ULL

static uint64_t lat_cap(void)
{
	if (opt.until_signal && opt.iters > UNTIL_LAT_CAP)
		return UNTIL_LAT_CAP;
	return opt.iters;
}

static int is_timer_wl(void)
{
	return opt.wl == W_TIMER_MMIO || opt.wl == W_WFI;
}

/* Workloads that expect one interrupt per iteration. */
static int counts_irqs(void)
{
	return is_timer_wl() || opt.wl == W_IPI || opt.wl == W_LPI;
}

/* ---- KVM setup ---- */

static void set_reg(int fd, uint64_t id, uint64_t val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)&val };

	if (ioctl(fd, KVM_SET_ONE_REG, &reg) < 0)
		die("KVM_SET_ONE_REG %#" PRIx64 ": %s\n", id, strerror(errno));
}

#define CORE_REG(x)	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
			 (offsetof(struct kvm_regs, x) / sizeof(uint32_t)))

static void dev_attr(int fd, uint32_t group, uint64_t attr, void *addr,
		     const char *what)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (uint64_t)addr,
	};

	if (ioctl(fd, KVM_SET_DEVICE_ATTR, &a) < 0)
		die("vgic %s: %s\n", what, strerror(errno));
}

static void setup_memory(void)
{
	uint64_t lat_bytes = ALIGN_UP(lat_cap() * sizeof(uint32_t), 0x1000);
	uint64_t code = guest_bin_end - guest_bin;
	uint64_t *pt;
	struct kvm_userspace_memory_region mr;

	if (code > VTC_CODE_MAX)
		die("guest payload too big (%" PRIu64 ")\n", code);
	vcpu_stride = ALIGN_UP(BLOCK_SIZE + STACK_SIZE + lat_bytes, 0x10000);
	ram_size = ALIGN_UP(VTC_BLOCKS_OFF + opt.nr_vcpus * vcpu_stride,
			    0x200000);
	if (ram_size > VTC_RAM_MAX)
		die("guest RAM too big: reduce --iters or --vcpus\n");
	ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED)
		die("mmap guest RAM: %s\n", strerror(errno));
	memcpy(ram, guest_bin, code);

	/* Level-1 identity map, 4K granule, T0SZ=32: four 1G blocks. */
	pt = (uint64_t *)(ram + VTC_PT_OFF);
	pt[0] = 0x00000000ULL | (1ULL << 54) | (1ULL << 53) | (1 << 10) |
		(0 << 2) | 1;				/* device, XN */
	pt[1] = VTC_RAM_BASE | (1 << 10) | (3 << 8) | (1 << 2) | 1; /* WB */

	mr = (struct kvm_userspace_memory_region) {
		.slot = 0,
		.guest_phys_addr = VTC_RAM_BASE,
		.memory_size = ram_size,
		.userspace_addr = (uint64_t)ram,
	};
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &mr) < 0)
		die("KVM_SET_USER_MEMORY_REGION: %s\n", strerror(errno));
}

static void setup_gic(void)
{
	struct kvm_create_device cd = {
		.type = opt.gic == 3 ? KVM_DEV_TYPE_ARM_VGIC_V3 :
				       KVM_DEV_TYPE_ARM_VGIC_V2,
	};
	uint64_t addr;
	uint32_t nr_irqs = NR_IRQS;
	int gic_fd;

	if (ioctl(vm_fd, KVM_CREATE_DEVICE, &cd) < 0)
		die("KVM_CREATE_DEVICE vgic-v%d: %s%s\n", opt.gic,
		    strerror(errno), opt.gic == 2 ?
		    " (a GICv3 host without v2 compatibility cannot run"
		    " --gic v2)" : "");
	gic_fd = cd.fd;

	addr = VTC_GICD_BASE;
	dev_attr(gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR, opt.gic == 3 ?
		 KVM_VGIC_V3_ADDR_TYPE_DIST : KVM_VGIC_V2_ADDR_TYPE_DIST,
		 &addr, "dist address");
	if (opt.gic == 3) {
		addr = VTC_GICR_BASE;
		dev_attr(gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
			 KVM_VGIC_V3_ADDR_TYPE_REDIST, &addr,
			 "redist address");
	} else {
		addr = VTC_GICC_BASE;
		dev_attr(gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
			 KVM_VGIC_V2_ADDR_TYPE_CPU, &addr, "cpu address");
	}
	dev_attr(gic_fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs,
		 "nr_irqs");
	dev_attr(gic_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
		 KVM_DEV_ARM_VGIC_CTRL_INIT, NULL, "init");
}

/*
 * lpi: an ITS, and the device's doorbell VTC_MSI_DOORBELL handled in the
 * kernel: an ioeventfd signals an eventfd that is an irqfd for a GSI
 * routed to the MSI. KVM's ITS ignores a guest's own writes to
 * GITS_TRANSLATER (it cannot know the DeviceID of a CPU write), so the
 * guest cannot raise the MSI there; in the kernel, without an exit to
 * this VMM, is what a vhost-style device does.
 */
static void setup_its(void)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_ITS };
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[1];
	} rt;
	struct kvm_irqfd irqfd;
	struct kvm_ioeventfd iofd;
	uint64_t addr = VTC_ITS_BASE;
	int efd;

	if (ioctl(vm_fd, KVM_CREATE_DEVICE, &cd) < 0)
		die("KVM_CREATE_DEVICE vgic-its: %s\n", strerror(errno));
	dev_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE,
		 &addr, "its address");
	dev_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT,
		 NULL, "its init");

	memset(&rt, 0, sizeof(rt));
	rt.r.nr = 1;
	rt.e[0].gsi = 0;
	rt.e[0].type = KVM_IRQ_ROUTING_MSI;
	rt.e[0].flags = KVM_MSI_VALID_DEVID;
	rt.e[0].u.msi.address_lo = (uint32_t)VTC_ITS_TRANSLATER;
	rt.e[0].u.msi.address_hi = VTC_ITS_TRANSLATER >> 32;
	rt.e[0].u.msi.data = VTC_LPI_EVENT;
	rt.e[0].u.msi.devid = VTC_LPI_DEVID;
	if (ioctl(vm_fd, KVM_SET_GSI_ROUTING, &rt) < 0)
		die("KVM_SET_GSI_ROUTING: %s\n", strerror(errno));

	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0)
		die("eventfd: %s\n", strerror(errno));
	memset(&irqfd, 0, sizeof(irqfd));
	irqfd.fd = efd;
	irqfd.gsi = 0;
	if (ioctl(vm_fd, KVM_IRQFD, &irqfd) < 0)
		die("KVM_IRQFD: %s\n", strerror(errno));
	memset(&iofd, 0, sizeof(iofd));
	iofd.datamatch = VTC_LPI_EVENT;
	iofd.addr = VTC_MSI_DOORBELL;
	iofd.len = 4;
	iofd.fd = efd;
	iofd.flags = KVM_IOEVENTFD_FLAG_DATAMATCH;
	if (ioctl(vm_fd, KVM_IOEVENTFD, &iofd) < 0)
		die("KVM_IOEVENTFD: %s\n", strerror(errno));
}

/* Find our counters in the vcpu stats layout (the same for all vcpus). */
static void stats_layout(int fd)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;
	size_t dsz, i, j;
	char *descs;

	for (j = 0; j < ARRAY_SIZE(kstat_off); j++)
		kstat_off[j] = -1;
	if (pread(fd, &h, sizeof(h), 0) != sizeof(h))
		return;
	dsz = sizeof(*d) + h.name_size;
	descs = calloc(h.num_desc, dsz);
	if (!descs)
		return;
	if (pread(fd, descs, h.num_desc * dsz, h.desc_offset) ==
	    (ssize_t)(h.num_desc * dsz)) {
		for (i = 0; i < h.num_desc; i++) {
			d = (struct kvm_stats_desc *)(descs + i * dsz);
			d->name[h.name_size - 1] = 0;
			for (j = 0; j < ARRAY_SIZE(kstats); j++)
				if (!strcmp(d->name, kstats[j].name))
					kstat_off[j] = h.data_offset +
						       d->offset;
		}
	}
	free(descs);
}

static void stats_read(struct vcpu *v, uint64_t *val)
{
	size_t j;

	for (j = 0; j < ARRAY_SIZE(kstat_off); j++) {
		val[j] = 0;
		if (v->stats_fd >= 0 && kstat_off[j] >= 0 &&
		    pread(v->stats_fd, &val[j], sizeof(val[j]),
			  kstat_off[j]) != sizeof(val[j]))
			val[j] = 0;
	}
}

static void setup_vcpus(void)
{
	struct kvm_vcpu_init init;
	int i;

	if (ioctl(vm_fd, KVM_ARM_PREFERRED_TARGET, &init) < 0)
		die("KVM_ARM_PREFERRED_TARGET: %s\n", strerror(errno));
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (opt.el2) {
		if (ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_EL2) <= 0)
			die("--el2: this KVM cannot give a vcpu EL2 (no KVM_CAP_ARM_EL2: boot the host with kvm-arm.mode=nested on a CPU with FEAT_NV2)\n");
		init.features[0] |= 1u << KVM_ARM_VCPU_HAS_EL2;
	}

	for (i = 0; i < opt.nr_vcpus; i++) {
		struct vcpu *v = &vcpus[i];

		v->id = i;
		v->fd = ioctl(vm_fd, KVM_CREATE_VCPU, i);
		if (v->fd < 0)
			die("KVM_CREATE_VCPU %d: %s\n", i, strerror(errno));
		v->run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE,
			      MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED)
			die("mmap kvm_run: %s\n", strerror(errno));
		if (ioctl(v->fd, KVM_ARM_VCPU_INIT, &init) < 0)
			die("KVM_ARM_VCPU_INIT %d: %s\n", i, strerror(errno));
		v->stats_fd = ioctl(v->fd, KVM_GET_STATS_FD, NULL);
		if (v->stats_fd < 0)
			msg("vcpu %d: no KVM_GET_STATS_FD: %s\n", i,
			    strerror(errno));
		if (i == 0)
			stats_layout(v->stats_fd);
	}
}

static void setup_blocks(void)
{
	int i;

	for (i = 0; i < opt.nr_vcpus; i++) {
		struct vcpu *v = &vcpus[i];
		uint8_t *base = ram + VTC_BLOCKS_OFF + i * vcpu_stride;
		struct vtc_block *b = (struct vtc_block *)base;

		v->blk = b;
		v->lat = (uint32_t *)(base + BLOCK_SIZE + STACK_SIZE);
		memset(b, 0, sizeof(*b));
		b->magic = VTC_MAGIC;
		b->workload = opt.wl;
		b->gic = opt.gic;
		b->iters = opt.iters;
		b->period = period;
		b->timeout = cntfrq * LOST_MS / 1000;
		b->brk = opt.brk;
		b->gicd = VTC_GICD_BASE;
		b->gicr = VTC_GICR_BASE + i * VTC_GICR_STRIDE;
		b->gicc = VTC_GICC_BASE;
		b->ttbr = VTC_RAM_BASE + VTC_PT_OFF;
		b->lat_addr = gpa_of(v->lat);
		b->lat_cap = lat_cap();
		b->vcpu_id = i;
		if (opt.wl == W_IPI)
			b->peer = gpa_of(ram + VTC_BLOCKS_OFF +
					 (i ^ 1) * vcpu_stride);

		set_reg(v->fd, CORE_REG(regs.pc), VTC_RAM_BASE);
		set_reg(v->fd, CORE_REG(regs.regs[0]), gpa_of(b));
		set_reg(v->fd, CORE_REG(sp_el1),
			gpa_of(base + BLOCK_SIZE + STACK_SIZE));
	}
}

static void setup_cpus(void)
{
	cpu_set_t set;
	int i;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		die("sched_getaffinity: %s\n", strerror(errno));
	for (i = 0; i < CPU_SETSIZE && nr_cpus < (int)ARRAY_SIZE(cpus); i++)
		if (CPU_ISSET(i, &set))
			cpus[nr_cpus++] = i;
	if (!nr_cpus)
		die("no usable CPU\n");
}

/* ---- vcpu threads ---- */

static void seterr(struct vcpu *v, const char *fmt, ...)
{
	va_list ap;

	if (v->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(v->err, sizeof(v->err), fmt, ap);
	va_end(ap);
}

static void pin(struct vcpu *v, int slot)
{
	cpu_set_t set;
	int cpu = cpus[slot % nr_cpus];

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		msg("vcpu %d: sched_setaffinity(%d): %s\n", v->id, cpu,
		    strerror(errno));
	else
		v->migrations++;
}

/* Handle one exit; return 0 to continue, 1 to stop. */
static int handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_MMIO:
		if (!run->mmio.is_write) {
			memset(run->mmio.data, 0, sizeof(run->mmio.data));
			seterr(v, "mmio-read-%#llx",
			       (unsigned long long)run->mmio.phys_addr);
			return 1;
		}
		switch (run->mmio.phys_addr) {
		case VTC_MMIO_PING:
			return 0;
		case VTC_MMIO_DONE:
			v->done = 1;
			return 1;
		case VTC_MMIO_FAULT:
			seterr(v, "guest-fault vec=%" PRIu64 " esr=%#" PRIx64
			       " elr=%#" PRIx64 " far=%#" PRIx64,
			       v->blk->fault_vec, v->blk->fault_esr,
			       v->blk->fault_elr, v->blk->fault_far);
			return 1;
		}
		seterr(v, "mmio-write-%#llx",
		       (unsigned long long)run->mmio.phys_addr);
		return 1;
	case KVM_EXIT_SYSTEM_EVENT:
		seterr(v, "system-event-%u", run->system_event.type);
		return 1;
	case KVM_EXIT_FAIL_ENTRY:
		seterr(v, "fail-entry-%#llx",
		       (unsigned long long)
		       run->fail_entry.hardware_entry_failure_reason);
		return 1;
	case KVM_EXIT_INTERNAL_ERROR:
		seterr(v, "internal-error-%u", run->internal.suberror);
		return 1;
	case KVM_EXIT_INTR:
		return 0;
	}
	seterr(v, "exit-reason-%u", run->exit_reason);
	return 1;
}

/*
 * --cost-marks: instructions that the cost tool's QEMU plugin
 * (tools/cost/vtc-cost.c) recognises when it translates them. Each is an
 * "orr xN, xN, xN", which changes nothing and which no compiler emits:
 * x9 opens a counting window on the CPU that runs it, x10 closes it, x11
 * and x12 pause it before a --migrate move and resume it on the new CPU.
 */
#define COST_MARK(r)							\
	do {								\
		if (opt.cost_marks)					\
			asm volatile("orr " r ", " r ", " r ::: "memory"); \
	} while (0)

/* A vcpu thread: its run loop, from start to DONE (or error, or a kick). */
static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	uint64_t t0, c0, p0 = 0, p1 = 0, since_migrate = 0;
	uint64_t k0[ARRAY_SIZE(kstat_off)];
	char name[16];
	size_t j;
	int slot = v->id, pfd;

	snprintf(name, sizeof(name), "vcpu%d", v->id);
	pthread_setname_np(pthread_self(), name);
	v->tid = syscall(SYS_gettid);
	stats_read(v, k0);
	pin(v, v->id);
	v->migrations = 0;
	pthread_barrier_wait(&start_barrier);

	pfd = pmu_open();
	v->pmu_ok = pfd >= 0 && !pmu_read(pfd, &p0);
	t0 = now_ns();
	c0 = cntvct();
	COST_MARK("x9");
	for (;;) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno != EINTR && errno != EAGAIN) {
				seterr(v, "kvm-run-%s", strerrorname_np(errno) ?
				       strerrorname_np(errno) : "errno");
				break;
			}
			v->eintr++;
			if (v->kicked) {
				v->run->immediate_exit = 0;
				break;
			}
			continue;
		}
		v->exits++;
		if (handle_exit(v))
			break;
		if (opt.migrate && ++since_migrate >= opt.migrate) {
			since_migrate = 0;
			COST_MARK("x11");
			pin(v, ++slot);
			COST_MARK("x12");
		}
	}
	COST_MARK("x10");
	v->ns = now_ns() - t0;
	v->ticks = cntvct() - c0;
	if (v->pmu_ok && !pmu_read(pfd, &p1))
		v->pmu_cycles = p1 - p0;
	else
		v->pmu_ok = 0;
	if (pfd >= 0)
		close(pfd);
	stats_read(v, v->kstat);
	for (j = 0; j < ARRAY_SIZE(kstat_off); j++)
		v->kstat[j] -= k0[j];
	pthread_mutex_lock(&wd_lock);
	__atomic_store_n(&v->finished, 1, __ATOMIC_RELEASE);
	pthread_cond_signal(&wd_cond);
	pthread_mutex_unlock(&wd_lock);
	return NULL;
}

static void sig_nop(int sig)
{
	(void)sig;
}

static void sig_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/*
 * --until-signal: tell every guest to end after its current iteration. It
 * reads its iteration count at the top of each iteration.
 */
static void stop_guests(void)
{
	int i;

	if (stopped || !stop_requested)
		return;
	stopped = 1;
	msg("signal: stopping the guests\n");
	for (i = 0; i < opt.nr_vcpus; i++)
		__atomic_store_n(&vcpus[i].blk->iters, 0, __ATOMIC_RELEASE);
}

static int all_finished(void)
{
	int i;

	for (i = 0; i < opt.nr_vcpus; i++)
		if (!__atomic_load_n(&vcpus[i].finished, __ATOMIC_ACQUIRE))
			return 0;
	return 1;
}

/*
 * Sleep WD_NAP_US, less if a vcpu thread finishes meanwhile (so that a
 * short run does not wait out the nap).
 */
static void watchdog_nap(void)
{
	struct timespec ts;
	uint64_t t = now_ns() + WD_NAP_US * 1000;

	ts.tv_sec = t / 1000000000ULL;
	ts.tv_nsec = t % 1000000000ULL;
	pthread_mutex_lock(&wd_lock);
	if (!all_finished())
		pthread_cond_timedwait(&wd_cond, &wd_lock, &ts);
	pthread_mutex_unlock(&wd_lock);
}

/* Kick vcpus whose guest made no progress for --timeout seconds. */
static void watchdog(void)
{
	uint64_t limit = opt.timeout_s * 1000000000ULL;
	int i, left;

	for (i = 0; i < opt.nr_vcpus; i++)
		vcpus[i].last_change_ns = now_ns();
	do {
		watchdog_nap();
		stop_guests();
		left = 0;
		for (i = 0; i < opt.nr_vcpus; i++) {
			struct vcpu *v = &vcpus[i];
			uint64_t p, t = now_ns();

			if (__atomic_load_n(&v->finished, __ATOMIC_ACQUIRE))
				continue;
			left++;
			p = __atomic_load_n(&v->blk->progress,
					    __ATOMIC_RELAXED);
			if (p != v->last_progress) {
				v->last_progress = p;
				v->last_change_ns = t;
			} else if (!v->kicked && t - v->last_change_ns > limit) {
				msg("vcpu %d: no progress for %" PRIu64
				    "s at iteration %" PRIu64 ", stopping it\n",
				    v->id, opt.timeout_s, p);
				thread_report(v);
				v->kicked = 1;
				v->run->immediate_exit = 1;
				__atomic_thread_fence(__ATOMIC_SEQ_CST);
				pthread_kill(v->thread, SIGUSR1);
			} else if (v->kicked &&
				   t - v->last_change_ns > limit + 1000000000) {
				/* Signal raced with KVM_RUN entry: resend. */
				pthread_kill(v->thread, SIGUSR1);
			}
		}
	} while (left);
}

/* ---- results ---- */

struct stats {
	uint64_t exits, eintr, migrations, ns;
	uint64_t ticks, pmu_cycles, pmu_vcpus, vcpus;
	uint64_t irqs_expected, irqs, lost, dup, spurious, stuck, early;
	uint64_t progress, hvc_bad;
	uint64_t kstat[ARRAY_SIZE(kstat_off)];
	uint32_t *lat;
	uint64_t nlat;
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t pct(const struct stats *s, unsigned int p)
{
	if (!s->nlat)
		return 0;
	return s->lat[(s->nlat - 1) * p / 100];
}

static void print_common(const struct stats *s)
{
	size_t j;

	printf(" exits=%" PRIu64 " irqs_expected=%" PRIu64 " irqs=%" PRIu64
	       " lost=%" PRIu64 " dup=%" PRIu64 " spurious=%" PRIu64
	       " stuck=%" PRIu64 " early=%" PRIu64,
	       s->exits, s->irqs_expected, s->irqs, s->lost, s->dup,
	       s->spurious, s->stuck, s->early);
	printf(" lat_p50=%" PRIu64 " lat_p90=%" PRIu64 " lat_p99=%" PRIu64,
	       pct(s, 50), pct(s, 90), pct(s, 99));
	printf(" eintr=%" PRIu64 " migrations=%" PRIu64 " progress=%" PRIu64,
	       s->eintr, s->migrations, s->progress);
	for (j = 0; j < ARRAY_SIZE(kstat_off); j++)
		if (kstat_off[j] >= 0)
			printf(" %s=%" PRIu64, kstats[j].key, s->kstat[j]);
	printf(" ns_per_exit=%" PRIu64 " ticks_per_exit=%" PRIu64
	       " cnt_ns_per_exit=%" PRIu64,
	       s->exits ? s->ns / s->exits : 0,
	       s->exits ? s->ticks / s->exits : 0,
	       s->exits ? (uint64_t)((double)s->ticks * 1e9 / cntfrq /
				     s->exits) : 0);
	if (s->pmu_vcpus == s->vcpus)
		printf(" pmu_cycles_per_exit=%" PRIu64,
		       s->exits ? s->pmu_cycles / s->exits : 0);
	else
		printf(" pmu_cycles_per_exit=-");
}

static const char *status_name(uint64_t st)
{
	static const char *const names[] = {
		[ST_RUNNING] = "running", [ST_OK] = "ok", [ST_LOST] = "lost",
		[ST_ABORT] = "irq-storm", [ST_FAULT] = "guest-fault",
		[ST_BADARG] = "bad-block", [ST_GIC] = "gic-setup",
	};

	return st < ARRAY_SIZE(names) ? names[st] : "bad-status";
}

/* Fill s from v, return the reason of failure or NULL. */
static const char *vcpu_result(struct vcpu *v, struct stats *s, char *buf,
			       size_t len)
{
	struct vtc_block *b = v->blk;
	uint64_t st = b->status, expected;

	memset(s, 0, sizeof(*s));
	s->exits = v->exits;
	s->eintr = v->eintr;
	s->migrations = v->migrations;
	s->ns = v->ns;
	s->ticks = v->ticks;
	s->pmu_cycles = v->pmu_cycles;
	s->pmu_vcpus = v->pmu_ok;
	s->vcpus = 1;
	/* Stopped by a signal: every iteration it completed counts. */
	expected = stopped ? b->progress : opt.iters;
	s->irqs_expected = counts_irqs() ? expected : 0;
	s->irqs = b->irqs;
	s->lost = b->lost;
	s->dup = b->dup;
	s->spurious = b->spurious;
	s->stuck = b->stuck;
	s->early = b->early;
	s->progress = b->progress;
	s->hvc_bad = b->hvc_bad;
	memcpy(s->kstat, v->kstat, sizeof(s->kstat));
	s->lat = v->lat;
	s->nlat = b->irqs < lat_cap() ? b->irqs : lat_cap();
	qsort(s->lat, s->nlat, sizeof(*s->lat), cmp_u32);

	if (v->kicked) {
		/* The watchdog stopped it: an irq that never came is lost. */
		if (counts_irqs() && b->armed && !b->lost)
			s->lost = 1;
		snprintf(buf, len, "timeout-at-iter-%" PRIu64, b->progress);
		return buf;
	}
	if (v->err[0])
		return v->err;
	if (!v->done)
		return "not-done";
	if (st == ST_GIC) {
		snprintf(buf, len, "gic-setup-%" PRIu64, b->gic_step);
		return buf;
	}
	if (st != ST_OK)
		return status_name(st);
	if (s->lost)
		return "lost";
	if (s->dup)
		return "dup";
	if (s->spurious) {
		snprintf(buf, len, "spurious-intid-%" PRIu64, b->bad_intid);
		return buf;
	}
	if (s->stuck) {
		snprintf(buf, len, "stuck-%s%s",
			 b->stuck_bits & 1 ? "p" : "",
			 b->stuck_bits & 2 ? "a" : "");
		return buf;
	}
	if (s->early)
		return "early";
	/* With --el2 the guest hypervisor answers, never the host. */
	if (s->hvc_bad || (opt.el2 && opt.wl == W_HVC &&
			   b->hvc_ret != VTC_EL2_HVC_RET)) {
		snprintf(buf, len, "hvc-ret-%#" PRIx64, b->hvc_ret);
		return buf;
	}
	if (s->irqs != s->irqs_expected)
		return "irq-count";
	if (s->progress != expected)
		return "iter-count";
	return NULL;
}

static void add_stats(struct stats *t, const struct stats *s)
{
	size_t j;

	t->exits += s->exits;
	t->eintr += s->eintr;
	t->migrations += s->migrations;
	t->pmu_cycles += s->pmu_cycles;
	t->pmu_vcpus += s->pmu_vcpus;
	t->vcpus += s->vcpus;
	t->irqs_expected += s->irqs_expected;
	t->irqs += s->irqs;
	t->lost += s->lost;
	t->dup += s->dup;
	t->spurious += s->spurious;
	t->stuck += s->stuck;
	t->early += s->early;
	t->progress += s->progress;
	t->hvc_bad += s->hvc_bad;
	for (j = 0; j < ARRAY_SIZE(kstat_off); j++)
		t->kstat[j] += s->kstat[j];
	memcpy(t->lat + t->nlat, s->lat, s->nlat * sizeof(*s->lat));
	t->nlat += s->nlat;
}

static const char *gic_name(void)
{
	return opt.gic == 3 ? "v3" : "v2";
}

static void print_vcpu(int i, const struct stats *s, const char *why)
{
	printf("vtc-vmm vcpu=%d workload=%s gic=%s iters=%" PRIu64,
	       i, opt.workload, gic_name(), opt.iters);
	print_common(s);
	if (why)
		printf(" result=error reason=%s\n", why);
	else
		printf(" result=ok\n");
}

static int report(uint64_t wall_ns, uint64_t wall_ticks)
{
	struct stats s, t;
	char buf[64], reasons[256] = "";
	int i, bad = 0;

	memset(&t, 0, sizeof(t));
	t.lat = calloc(opt.nr_vcpus * lat_cap(), sizeof(*t.lat));
	if (!t.lat)
		die("out of memory\n");
	for (i = 0; i < opt.nr_vcpus; i++) {
		const char *why = vcpu_result(&vcpus[i], &s, buf, sizeof(buf));

		print_vcpu(i, &s, why);
		if (why && !bad++)
			snprintf(reasons, sizeof(reasons), "vcpu%d-%s", i, why);
		add_stats(&t, &s);
	}
	qsort(t.lat, t.nlat, sizeof(*t.lat), cmp_u32);
	t.ns = wall_ns;
	t.ticks = wall_ticks;
	printf("vtc-vmm total workload=%s gic=%s vcpus=%d iters=%" PRIu64
	       " el2=%d", opt.workload, gic_name(), opt.nr_vcpus, opt.iters,
	       opt.el2);
	print_common(&t);
	printf(" cntfrq=%" PRIu64, cntfrq);
	if (bad)
		printf(" result=error reason=%s\n", reasons);
	else
		printf(" result=ok\n");
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	pthread_condattr_t ca;
	uint64_t t0, c0;
	int i, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_args(argc, argv);
	if (opt.mark == 1)
		COST_MARK("x9");
	if (opt.mark == 2)
		COST_MARK("x10");
	if (opt.mark)
		return 0;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(cntfrq));
	if (!cntfrq)
		die("CNTFRQ_EL0 is 0\n");
	period = cntfrq / 5000 ? cntfrq / 5000 : 1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_nop;	/* no SA_RESTART: KVM_RUN gets EINTR */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		die("sigaction: %s\n", strerror(errno));
	sa.sa_handler = sig_stop;
	if (opt.until_signal &&
	    (sigaction(SIGTERM, &sa, NULL) < 0 ||
	     sigaction(SIGINT, &sa, NULL) < 0))
		die("sigaction: %s\n", strerror(errno));
	sa.sa_handler = NULL;
	sa.sa_sigaction = crash_report;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	if (sigaction(SIGSEGV, &sa, NULL) < 0 ||
	    sigaction(SIGBUS, &sa, NULL) < 0 ||
	    sigaction(SIGILL, &sa, NULL) < 0)
		die("sigaction: %s\n", strerror(errno));
	if (pthread_condattr_init(&ca) ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
	    pthread_cond_init(&wd_cond, &ca))
		die("pthread_cond_init\n");

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		die("/dev/kvm: %s\n", strerror(errno));
	ret = ioctl(kvm_fd, KVM_GET_API_VERSION, 0);
	if (ret != KVM_API_VERSION)
		die("KVM API version %d, expected %d\n", ret, KVM_API_VERSION);
	ret = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (ret > 0 && opt.nr_vcpus > ret)
		die("--vcpus %d > KVM_CAP_MAX_VCPUS %d\n", opt.nr_vcpus, ret);
	mmap_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size < (int)sizeof(struct kvm_run))
		die("KVM_GET_VCPU_MMAP_SIZE: %s\n", strerror(errno));
	setup_cpus();

	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0)
		die("KVM_CREATE_VM: %s\n", strerror(errno));
	setup_memory();
	setup_vcpus();
	setup_gic();
	if (opt.wl == W_LPI)
		setup_its();
	setup_blocks();
	msg("%s gic=v%d vcpus=%d iters=%" PRIu64 " period=%" PRIu64
	    " cntfrq=%" PRIu64 " host_cpus=%d ram=%" PRIu64 "K\n",
	    opt.workload, opt.gic, opt.nr_vcpus, opt.iters, period,
	    cntfrq, nr_cpus, ram_size >> 10);

	/* Run all vcpus to the end; the VM goes when the process exits. */
	if (pthread_barrier_init(&start_barrier, NULL, opt.nr_vcpus + 1))
		die("pthread_barrier_init\n");
	for (i = 0; i < opt.nr_vcpus; i++)
		if (pthread_create(&vcpus[i].thread, NULL, vcpu_thread,
				   &vcpus[i]))
			die("pthread_create\n");
	pthread_barrier_wait(&start_barrier);
	t0 = now_ns();
	c0 = cntvct();
	watchdog();
	for (i = 0; i < opt.nr_vcpus; i++)
		pthread_join(vcpus[i].thread, NULL);
	return report(now_ns() - t0, cntvct() - c0);
}
