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
typedef uint8_t u8;

_Static_assert(offsetof(struct vtc_block, ttbr) == 10 * 8, "start.S");

#define ICC_IAR1_EL1	"S3_0_C12_C12_0"
#define ICC_EOIR1_EL1	"S3_0_C12_C12_1"
#define ICC_BPR1_EL1	"S3_0_C12_C12_3"
#define ICC_CTLR_EL1	"S3_0_C12_C12_4"
#define ICC_SRE_EL1	"S3_0_C12_C12_5"
#define ICC_IGRPEN1_EL1	"S3_0_C12_C12_7"
#define ICC_PMR_EL1	"S3_0_C4_C6_0"
#define ICC_SGI1R_EL1	"S3_0_C12_C11_5"

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
#define GICD_SGIR	0x0f00		/* GICv2 */
#define GICR_CTLR	0x0000
#define GICR_TYPER	0x0008
#define GICR_WAKER	0x0014
#define GICR_PROPBASER	0x0070
#define GICR_PENDBASER	0x0078
#define GICR_SGI	0x10000
#define GICC_CTLR	0x0000
#define GICC_PMR	0x0004
#define GICC_BPR	0x0008
#define GICC_IAR	0x000c
#define GICC_EOIR	0x0010

/* ITS registers and commands (GICv3 spec, 12.19 and 5.3) */
#define GITS_CTLR	0x0000
#define GITS_TYPER	0x0008
#define GITS_CBASER	0x0080
#define GITS_CWRITER	0x0088
#define GITS_CREADR	0x0090
#define GITS_BASER	0x0100		/* 8 of them */
#define ITS_CMD_SYNC	0x05
#define ITS_CMD_MAPD	0x08
#define ITS_CMD_MAPC	0x09
#define ITS_CMD_MAPTI	0x0a
#define ITS_CMD_INV	0x0c
#define BASER_TYPE_DEV	1
#define BASER_TYPE_COLL	4
/* Valid, inner RaWaWb, inner shareable (GITS_BASER/CBASER, GICR_*BASER) */
#define TBL_VALID	(1ULL << 63)
#define TBL_RAWAWB	(7ULL << 59)
#define TBL_RAWAWB_R	(7ULL << 7)	/* GICR_PROPBASER/PENDBASER */
#define TBL_IS		(1ULL << 10)
#define BASER_64K	(2ULL << 8)
#define LPI_ID_BITS	14		/* LPIs 8192..16383 */
#define LPI_PROP_GRP1	(1 << 1)
#define LPI_PROP_EN	(1 << 0)

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

static inline u64 r64(u64 a)
{
	u64 v;

	asm volatile("ldr %x0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
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

/*
 * Set up the GIC for one interrupt: INTID 27 (timer), VTC_SGI_INTID (ipi)
 * or an LPI (lpi: only the CPU interface here, lpi_init() does the rest).
 */
static void gic_init(vblock *b, u32 intid)
{
	u64 base = ppi_base(b);
	u32 bit = 1u << (intid & 31), v, sh = (intid & 3) * 8;
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
		if (intid < 32)
			w32(base + GICD_IGROUPR,
			    r32(base + GICD_IGROUPR) | bit);
	} else {
		w32(b->gicd + GICD_CTLR, 1);
	}

	if (intid < 32) {
		v = r32(base + GICD_IPRIORITYR + (intid & ~3u));
		v = (v & ~(0xffu << sh)) | ((u32)PRIO << sh);
		w32(base + GICD_IPRIORITYR + (intid & ~3u), v);
		/* An SGI is pending only once the peer sees us ready. */
		if (intid == VTC_TIMER_INTID)
			w32(base + GICD_ICPENDR, bit);
		/* KVM resets SGIs enabled: the break disables it. */
		w32(base + (b->brk & BRK_NO_ENABLE ? GICD_ICENABLER :
			    GICD_ISENABLER), bit);
	}

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

static void record_lat(vblock *b, u64 lat)
{
	if (b->irqs < b->lat_cap)
		((volatile u32 *)b->lat_addr)[b->irqs] =
			lat > 0xffffffffu ? 0xffffffffu : lat;
}

/*
 * ipi, lpi: the SGI from the peer or the LPI. armed: one is expected;
 * the latency is from the sender's timestamp (the peer's cval for an
 * SGI: the vcpus share one virtual counter) to the ack.
 */
static void msg_irq(vblock *b, u32 iar, u32 intid, u64 now)
{
	u32 want = b->workload == W_LPI ? VTC_LPI_INTID : VTC_SGI_INTID;
	u64 sent;

	if (intid != want) {
		b->spurious++;
		b->bad_intid = intid;
		if (intid < 1020 || intid >= 8192)
			gic_eoi(b, iar);
	} else if (!b->armed) {
		b->dup++;
		gic_eoi(b, iar);
	} else {
		sent = b->workload == W_LPI ? b->cval :
		       ((vblock *)b->peer)->cval;
		record_lat(b, now > sent ? now - sent : 0);
		b->armed = 0;
		if (!(b->brk & BRK_NO_EOI))
			gic_eoi(b, iar);
		b->irqs++;
		return;
	}
	if (b->dup + b->spurious > 100 && !b->abort) {
		/* Do not livelock: silence the SGI (LPIs are edge) and stop. */
		if (b->workload == W_IPI)
			w32(ppi_base(b) + GICD_ICENABLER, 1u << VTC_SGI_INTID);
		b->abort = 1;
	}
}

void irq_handler(vblock *b)
{
	u32 iar = gic_ack(b);
	u32 intid = iar & (b->gic == 3 ? 0xffffff : 0x3ff);
	u64 now = cntvct();

	if (b->workload == W_IPI || b->workload == W_LPI) {
		msg_irq(b, iar, intid, now);
		return;
	}
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
	record_lat(b, now - b->cval);
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

static void check_stuck(vblock *b, u32 bit)
{
	u64 base = ppi_base(b);
	u64 bits = 0;

	if (r32(base + GICD_ISPENDR) & bit)
		bits |= 1;
	if (r32(base + GICD_ISACTIVER) & bit)
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
	gic_init(b, VTC_TIMER_INTID);
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
		check_stuck(b, BIT27);
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
	gic_init(b, VTC_TIMER_INTID);
	for (i = 0; i < b->iters; i++) {
		w32(base + GICD_ISACTIVER, BIT27);
		ping(b, 0);
		w32(base + GICD_ICACTIVER, BIT27);
		ping(b, 1);
		b->progress++;
	}
	return ST_OK;
}

/*
 * ipi, lpi: wait until irqs reaches want, in WFI if wfi (IRQs masked
 * around the check, as the timer loop does), or spinning. Lost if none
 * came b->timeout ticks after since: in WFI the guest sees that only if
 * something else wakes it; otherwise the VMM's watchdog stops the vcpu.
 */
static u64 wait_irq(vblock *b, u64 want, int wfi, u64 since)
{
	u64 polls = 0;

	while (b->irqs < want && !b->abort) {
		if (wfi) {
			irq_off();
			if (b->irqs < want)
				asm volatile("wfi" : : : "memory");
			irq_on();
			isb();
		}
		if ((wfi || ++polls > 1000) && cntvct() - since > b->timeout) {
			irq_off();
			if (b->irqs < want) {
				b->lost++;
				b->armed = 0;
				return ST_LOST;
			}
			irq_on();
		}
	}
	if (b->abort) {
		irq_off();
		return ST_ABORT;
	}
	return ST_RUNNING;
}

/* Send VTC_SGI_INTID to the peer: a trapped sysreg write or a GICD write. */
static void sgi_send(vblock *b, vblock *p)
{
	u64 m = p->mpidr, aff0 = m & 0xff;

	dsb();
	if (b->gic == 3) {
		wr_sys(ICC_SGI1R_EL1,
		       ((m >> 32) & 0xff) << 48 |	/* Aff3 */
		       (aff0 >> 4) << 44 |		/* RS */
		       ((m >> 16) & 0xff) << 32 |	/* Aff2 */
		       (u64)VTC_SGI_INTID << 24 |
		       ((m >> 8) & 0xff) << 16 |	/* Aff1 */
		       1u << (aff0 & 15));		/* target list */
		isb();
	} else {
		w32(b->gicd + GICD_SGIR,
		    (1u << (16 + p->vcpu_id)) | VTC_SGI_INTID);
	}
}

/*
 * ipi: vcpus 2k (initiator) and 2k + 1 (responder) ping-pong
 * VTC_SGI_INTID, both waiting in WFI: the initiator sends, the responder
 * takes it and answers, the initiator takes the answer; one iteration.
 * The initiator alone decides when to stop (its `last' flag, read by the
 * responder with each ping), so that --until-signal ends both together
 * (after at least one iteration).
 */
static u64 ipi_loop(vblock *b)
{
	vblock *p = (vblock *)b->peer;
	int initiator = !(b->vcpu_id & 1), last = 0;
	u64 i, st;

	timer_off();
	gic_init(b, VTC_SGI_INTID);
	b->mpidr = rd_sys("mpidr_el1");
	b->armed = !initiator;
	dsb();
	b->ready = 1;
	dsb();
	while (!p->ready)
		;
	irq_on();

	/*
	 * Ping i is the responder's irq i + 1, answer i the initiator's: the
	 * responder's may come before it gets here.
	 */
	for (i = 0; !last; i++) {
		if (initiator) {
			/* --until-signal zeroes iters: this ping is the last. */
			last = i + 1 >= b->iters;
			b->last = last;
			b->armed = 1;
			b->cval = cntvct();
			sgi_send(b, p);
		}
		st = wait_irq(b, i + 1, 1, initiator ? b->cval : cntvct());
		if (st != ST_RUNNING)
			return st;
		if (!initiator) {
			last = p->last;
			b->armed = !last;
			b->cval = cntvct();
			sgi_send(b, p);
		}
		b->progress++;
	}
	irq_off();
	check_stuck(b, 1u << VTC_SGI_INTID);
	return ST_OK;
}

/* One ITS command, processed by KVM at the CWRITER write. */
static int its_cmd(vblock *b, u64 c0, u64 c1, u64 c2)
{
	u64 its = VTC_ITS_BASE, w = r64(its + GITS_CWRITER) & 0xfffe0;
	volatile u64 *q = (volatile u64 *)(VTC_RAM_BASE + VTC_ITS_CMDQ_OFF +
					   w);

	q[0] = c0;
	q[1] = c1;
	q[2] = c2;
	q[3] = 0;
	dsb();
	w = (w + 32) % 0x1000;
	w64(its + GITS_CWRITER, w);
	return (r64(its + GITS_CREADR) & 0xfffe0) == w ? 0 : -1;
}

/* GITS_BASER<n> of a table type, 0 if there is none. */
static u64 its_baser(u64 type)
{
	u64 a;
	int n;

	for (n = 0; n < 8; n++) {
		a = VTC_ITS_BASE + GITS_BASER + 8 * n;
		if (((r64(a) >> 56) & 7) == type)
			return a;
	}
	return 0;
}

/*
 * lpi: LPIs on this redistributor, then the ITS: device and collection
 * tables, command queue, and the mapping of (VTC_LPI_DEVID,
 * VTC_LPI_EVENT) to VTC_LPI_INTID on collection 0, this vcpu. Return 0,
 * or the failed step.
 */
static u64 lpi_init(vblock *b)
{
	volatile u8 *prop = (volatile u8 *)(VTC_RAM_BASE + VTC_LPI_PROP_OFF);
	u64 its = VTC_ITS_BASE, ram = VTC_RAM_BASE, dev, coll, rd;

	if (!(r64(b->gicr + GICR_TYPER) & 1))
		return 1;			/* no PLPIS: no ITS */
	prop[VTC_LPI_INTID - 8192] = PRIO | LPI_PROP_GRP1 |
		(b->brk & BRK_NO_ENABLE ? 0 : LPI_PROP_EN);
	dsb();
	w64(b->gicr + GICR_PROPBASER, (ram + VTC_LPI_PROP_OFF) | TBL_IS |
	    TBL_RAWAWB_R | (LPI_ID_BITS - 1));
	w64(b->gicr + GICR_PENDBASER, (ram + VTC_LPI_PEND_OFF) | TBL_IS |
	    TBL_RAWAWB_R);
	w32(b->gicr + GICR_CTLR, r32(b->gicr + GICR_CTLR) | 1);
	if (!(r32(b->gicr + GICR_CTLR) & 1))
		return 2;			/* EnableLPIs did not stick */

	dev = its_baser(BASER_TYPE_DEV);
	coll = its_baser(BASER_TYPE_COLL);
	if (!dev || !coll)
		return 3;
	/* Flat tables of one 64K page each. */
	w64(dev, (ram + VTC_ITS_DEV_OFF) | TBL_VALID | TBL_RAWAWB |
	    BASER_64K | TBL_IS);
	w64(coll, (ram + VTC_ITS_COLL_OFF) | TBL_VALID | TBL_RAWAWB |
	    BASER_64K | TBL_IS);
	/* One 4K page of commands (size field: pages - 1). */
	w64(its + GITS_CBASER, (ram + VTC_ITS_CMDQ_OFF) | TBL_VALID |
	    TBL_RAWAWB | TBL_IS);
	w64(its + GITS_CWRITER, 0);
	w32(its + GITS_CTLR, r32(its + GITS_CTLR) | 1);
	if (!(r32(its + GITS_CTLR) & 1))
		return 4;

	/* Target redistributor: PTA ? its address : the processor number. */
	if (r64(its + GITS_TYPER) & (1 << 19))
		rd = b->gicr >> 16;
	else
		rd = (r64(b->gicr + GICR_TYPER) >> 8) & 0xffff;

	/* MAPD: DeviceID, ITT of 2 events (1 bit: Size = bits - 1), valid. */
	if (its_cmd(b, ITS_CMD_MAPD | (u64)VTC_LPI_DEVID << 32, 0,
		    1ULL << 63 | (ram + VTC_ITS_ITT_OFF)))
		return 5;
	/* MAPC: collection 0 -> this redistributor, valid. */
	if (its_cmd(b, ITS_CMD_MAPC, 0, 1ULL << 63 | rd << 16 | 0))
		return 6;
	/* MAPTI: (DeviceID, EventID) -> pINTID, collection 0. */
	if (its_cmd(b, ITS_CMD_MAPTI | (u64)VTC_LPI_DEVID << 32,
		    (u64)VTC_LPI_INTID << 32 | VTC_LPI_EVENT, 0))
		return 7;
	/* INV: reread the LPI's properties; SYNC: all of it done. */
	if (its_cmd(b, ITS_CMD_INV | (u64)VTC_LPI_DEVID << 32,
		    VTC_LPI_EVENT, 0))
		return 8;
	if (its_cmd(b, ITS_CMD_SYNC, 0, rd << 16))
		return 9;
	return 0;
}

/*
 * lpi: per iteration, write the doorbell (the kernel turns that into the
 * MSI, an LPI through the ITS) and take the LPI, IRQs unmasked: it is
 * pending when the vcpu re-enters the guest after the doorbell's exit.
 */
static u64 lpi_loop(vblock *b)
{
	u64 i, st;

	timer_off();
	gic_init(b, VTC_LPI_INTID);
	b->gic_step = lpi_init(b);
	if (b->gic_step)
		return ST_GIC;
	irq_on();

	for (i = 0; i < b->iters; i++) {
		b->armed = 1;
		b->cval = cntvct();
		w32(VTC_MSI_DOORBELL, VTC_LPI_EVENT);
		st = wait_irq(b, i + 1, 0, b->cval);
		if (st != ST_RUNNING)
			return st;
		b->progress++;
	}
	irq_off();
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
	case W_IPI:
		st = ipi_loop(b);
		break;
	case W_LPI:
		st = lpi_loop(b);
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
