// SPDX-License-Identifier: GPL-2.0
/*
 * vtc-vmm guest payload: runs at EL1 on every vcpu, MMU on (identity map),
 * all state in this vcpu's struct vtc_block (pointer in x0 / TPIDR_EL1).
 * No writable globals: all vcpus share this code and its data.
 */
#include <stddef.h>
#include "../shared.h"

typedef uint64_t u64;
typedef uint32_t u32;

_Static_assert(offsetof(struct vtc_block, ttbr) == 10 * 8, "start.S");

#define ICC_IAR1_EL1	"S3_0_C12_C12_0"
#define ICC_EOIR1_EL1	"S3_0_C12_C12_1"
#define ICC_BPR1_EL1	"S3_0_C12_C12_3"
#define ICC_CTLR_EL1	"S3_0_C12_C12_4"
#define ICC_SRE_EL1	"S3_0_C12_C12_5"
#define ICC_IGRPEN1_EL1	"S3_0_C12_C12_7"
#define ICC_PMR_EL1	"S3_0_C4_C6_0"

#define rd_sys(r) ({ u64 __v; asm volatile("mrs %0, " r : "=r"(__v)); __v; })
#define wr_sys(r, v) asm volatile("msr " r ", %x0" : : "rZ"((u64)(v)))
#define isb() asm volatile("isb" : : : "memory")
#define dsb() asm volatile("dsb sy" : : : "memory")
#define irq_on() asm volatile("msr daifclr, #2" : : : "memory")
#define irq_off() asm volatile("msr daifset, #2" : : : "memory")

/* GICD / GICR / GICC registers */
#define GICD_CTLR	0x0000
#define GICD_IGROUPR	0x0080
#define GICD_ISENABLER	0x0100
#define GICD_ICENABLER	0x0180
#define GICD_ISPENDR	0x0200
#define GICD_ICPENDR	0x0280
#define GICD_ISACTIVER	0x0300
#define GICD_ICACTIVER	0x0380
#define GICD_IPRIORITYR	0x0400
#define GICR_WAKER	0x0014
#define GICR_SGI	0x10000
#define GICC_CTLR	0x0000
#define GICC_PMR	0x0004
#define GICC_BPR	0x0008
#define GICC_IAR	0x000c
#define GICC_EOIR	0x0010

#define BIT27		(1u << VTC_TIMER_INTID)
#define PRIO		0xa0

typedef volatile struct vtc_block vblock;

/* Accessors whose encoding KVM can always emulate (ISV=1). */
static inline void w32(u64 a, u32 v)
{
	asm volatile("str %w0, [%1]" : : "rZ"(v), "r"(a) : "memory");
}

static inline void w64(u64 a, u64 v)
{
	asm volatile("str %x0, [%1]" : : "rZ"(v), "r"(a) : "memory");
}

static inline u32 r32(u64 a)
{
	u32 v;

	asm volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static inline u64 cntvct(void)
{
	isb();
	return rd_sys("cntvct_el0");
}

static inline void timer_off(void)
{
	wr_sys("cntv_ctl_el0", 0);
	isb();
}

/* One exit to the VMM. */
static inline void ping(vblock *b, u64 v)
{
	w64(VTC_MMIO_PING, v);
}

static void done(vblock *b, u64 status)
{
	b->status = status;
	dsb();
	w64(VTC_MMIO_DONE, status);
	for (;;)
		asm volatile("wfi");
}

/* Base of the registers banking INTID 27: GICR SGI frame or GICD. */
static u64 ppi_base(vblock *b)
{
	return b->gic == 3 ? b->gicr + GICR_SGI : b->gicd;
}

static void gic_init(vblock *b)
{
	u64 base = ppi_base(b);
	u32 v;
	int i;

	if (b->gic == 3) {
		wr_sys(ICC_SRE_EL1, rd_sys(ICC_SRE_EL1) | 1);
		isb();
		w32(b->gicr + GICR_WAKER, r32(b->gicr + GICR_WAKER) & ~2u);
		for (i = 0; i < 100000; i++)
			if (!(r32(b->gicr + GICR_WAKER) & 4))
				break;
		/* ARE (RAO for KVM) | EnableGrp1 */
		w32(b->gicd + GICD_CTLR, (1 << 4) | (1 << 1));
		w32(base + GICD_IGROUPR, r32(base + GICD_IGROUPR) | BIT27);
	} else {
		w32(b->gicd + GICD_CTLR, 1);
	}

	v = r32(base + GICD_IPRIORITYR + 24);
	v = (v & ~(0xffu << 24)) | ((u32)PRIO << 24);
	w32(base + GICD_IPRIORITYR + 24, v);
	w32(base + GICD_ICPENDR, BIT27);
	if (!(b->brk & BRK_NO_ENABLE))
		w32(base + GICD_ISENABLER, BIT27);

	if (b->gic == 3) {
		wr_sys(ICC_PMR_EL1, 0xf0);
		wr_sys(ICC_BPR1_EL1, 0);
		wr_sys(ICC_CTLR_EL1, 0);	/* EOImode 0 */
		wr_sys(ICC_IGRPEN1_EL1, 1);
		isb();
	} else {
		w32(b->gicc + GICC_PMR, 0xf0);
		w32(b->gicc + GICC_BPR, 0);
		w32(b->gicc + GICC_CTLR, 1);
	}
}

static u32 gic_ack(vblock *b)
{
	u32 iar;

	if (b->gic == 3) {
		iar = rd_sys(ICC_IAR1_EL1);
		asm volatile("dsb sy" : : : "memory");
		return iar;
	}
	return r32(b->gicc + GICC_IAR);
}

static void gic_eoi(vblock *b, u32 iar)
{
	if (b->gic == 3) {
		wr_sys(ICC_EOIR1_EL1, iar);
		isb();
	} else {
		w32(b->gicc + GICC_EOIR, iar);
	}
}

void irq_handler(vblock *b)
{
	u32 iar = gic_ack(b);
	u32 intid = iar & (b->gic == 3 ? 0xffffff : 0x3ff);
	u64 now = cntvct();

	if (intid != VTC_TIMER_INTID) {
		b->spurious++;
		b->bad_intid = intid;
		if (intid < 1020)
			gic_eoi(b, iar);
		goto storm;
	}

	if (!b->armed) {
		/* Second ack for one arming, or fired while disabled. */
		b->dup++;
		timer_off();
		gic_eoi(b, iar);
		goto storm;
	}

	if (now < b->cval) {
		b->early++;
		now = b->cval;
	}
	if (b->irqs < b->lat_cap) {
		u64 lat = now - b->cval;

		((volatile u32 *)b->lat_addr)[b->irqs] =
			lat > 0xffffffffu ? 0xffffffffu : lat;
	}
	b->armed = 0;

	/* timer-mmio: one exit with the interrupt active. */
	if (b->workload == W_TIMER_MMIO)
		ping(b, 1);

	if (!(b->brk & BRK_NO_DISABLE))
		timer_off();
	if (!(b->brk & BRK_NO_EOI))
		gic_eoi(b, iar);
	b->irqs++;
	return;

storm:
	if (b->dup + b->spurious > 100 && !b->abort) {
		/* Do not livelock: silence INTID 27 and give up. */
		timer_off();
		w32(ppi_base(b) + GICD_ICENABLER, BIT27);
		b->abort = 1;
	}
}

static void check_stuck(vblock *b)
{
	u64 base = ppi_base(b);
	u64 bits = 0;

	if (r32(base + GICD_ISPENDR) & BIT27)
		bits |= 1;
	if (r32(base + GICD_ISACTIVER) & BIT27)
		bits |= 2;
	if (bits) {
		b->stuck++;
		b->stuck_bits |= bits;
	}
}

static u64 timer_loop(vblock *b)
{
	u64 mmio_wait = 0, i, j;

	/* timer-mmio: the other exits wait for the deadline. */
	if (b->workload == W_TIMER_MMIO)
		mmio_wait = VTC_MMIO_PER_IRQ - 2;

	timer_off();
	gic_init(b);
	irq_on();

	for (i = 0; i < b->iters; i++) {
		u64 seen = b->irqs, polls = 0, cval, now;

		b->armed = 1;
		cval = cntvct() + b->period;
		b->cval = cval;
		wr_sys("cntv_cval_el0", cval);
		wr_sys("cntv_ctl_el0", 1);
		isb();

		for (j = 0; j < mmio_wait; j++)
			ping(b, 0);

		while (b->irqs == seen && !b->abort) {
			if (b->workload == W_WFI) {
				irq_off();
				if (b->irqs == seen)
					asm volatile("wfi" : : : "memory");
				irq_on();
				isb();
			}
			now = cntvct();
			if (++polls > 1000 && now > cval &&
			    now - cval > b->timeout) {
				irq_off();
				if (b->irqs == seen) {
					b->lost++;
					b->armed = 0;
					timer_off();
					return ST_LOST;
				}
				irq_on();
			}
		}
		if (b->abort) {
			irq_off();
			return ST_ABORT;
		}

		/* timer-mmio: one exit after EOI. */
		if (b->workload == W_TIMER_MMIO)
			ping(b, 2);
		check_stuck(b);
		b->progress++;
	}
	irq_off();
	timer_off();
	return ST_OK;
}

static u64 hvc_loop(vblock *b)
{
	u64 i;

	for (i = 0; i < b->iters; i++) {
		register u64 x0 asm("x0") = 0x84000000;	/* PSCI_VERSION */

		asm volatile("hvc #0"
			     : "+r"(x0)
			     :
			     : "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8",
			       "x9", "x10", "x11", "x12", "x13", "x14", "x15",
			       "x16", "x17", "memory");
		b->hvc_ret = x0;
		if (x0 >> 31)
			b->hvc_bad++;
		b->progress++;
	}
	return ST_OK;
}

/*
 * active-mmio: the guest sets and clears the active state of INTID 27 in
 * its own GIC registers (I[SC]ACTIVER0), with an exit to the VMM after
 * each: KVM writes the physical timer PPI's active state for it
 * (vgic_hw_irq_change_active()), a write the host's timer code did not
 * make, and the vcpu is then put and loaded wanting that value. Timer off,
 * nothing ever pending: the state is only what the guest wrote.
 */
static u64 active_loop(vblock *b)
{
	u64 base = ppi_base(b), i;

	timer_off();
	gic_init(b);
	for (i = 0; i < b->iters; i++) {
		w32(base + GICD_ISACTIVER, BIT27);
		ping(b, 0);
		w32(base + GICD_ICACTIVER, BIT27);
		ping(b, 1);
		b->progress++;
	}
	return ST_OK;
}

static u64 mmio_loop(vblock *b)
{
	u64 i;

	timer_off();
	for (i = 0; i < b->iters; i++) {
		ping(b, i);
		b->progress++;
	}
	return ST_OK;
}

void guest_main(vblock *b)
{
	u64 st = ST_BADARG;

	if (b->magic != VTC_MAGIC)
		done(b, ST_BADARG);

	switch (b->workload) {
	case W_MMIO:
		st = mmio_loop(b);
		break;
	case W_HVC:
		st = hvc_loop(b);
		break;
	case W_ACTIVE_MMIO:
		st = active_loop(b);
		break;
	case W_TIMER_MMIO:
	case W_WFI:
		st = timer_loop(b);
		break;
	}
	done(b, st);
}

void guest_fault(vblock *b, u64 vec, u64 esr, u64 elr, u64 far)
{
	b->fault_vec = vec;
	b->fault_esr = esr;
	b->fault_elr = elr;
	b->fault_far = far;
	b->status = ST_FAULT;
	dsb();
	w64(VTC_MMIO_FAULT, esr);
	for (;;)
		asm volatile("wfi");
}
