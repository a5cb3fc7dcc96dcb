/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interface between vtc-vmm and its guest payload.
 *
 * Each vcpu gets one struct vtc_block in guest RAM; its guest physical
 * address is passed in x0.  The VMM fills the "in" part before the vcpu
 * runs; the guest fills the "out" part, then writes VTC_MMIO_DONE.
 * The block lives in normal cacheable memory (the guest turns its MMU on
 * with an identity map built by the VMM), so the VMM may read it at any
 * time, e.g. to watch `progress'.
 */
#ifndef VTC_SHARED_H
#define VTC_SHARED_H

/* Constants the guest's assembly uses too: no ULL suffix there. */
#ifdef __ASSEMBLER__
#define VTC_U64(x)		x
#else
#define VTC_U64(x)		x##ULL
#endif

#define VTC_MAGIC		VTC_U64(0x7674632d766d6d31)	/* "vtc-vmm1" */

/* Guest physical memory map. */
#define VTC_GICD_BASE		VTC_U64(0x08000000)
#define VTC_GICC_BASE		VTC_U64(0x08010000)	/* GICv2 CPU interface */
#define VTC_GICR_BASE		VTC_U64(0x080a0000)	/* GICv3, 128K per vcpu */
#define VTC_GICR_STRIDE		VTC_U64(0x20000)
#define VTC_ITS_BASE		VTC_U64(0x08080000)	/* GICv3 ITS, 128K (lpi) */
#define VTC_ITS_TRANSLATER	(VTC_ITS_BASE + 0x10040)
#define VTC_MMIO_BASE		VTC_U64(0x0a000000)	/* unbacked: exits to VMM */
#define VTC_MMIO_PING		(VTC_MMIO_BASE + 0x00)
#define VTC_MMIO_DONE		(VTC_MMIO_BASE + 0x08)
#define VTC_MMIO_FAULT		(VTC_MMIO_BASE + 0x10)
/*
 * lpi: the device's doorbell. A 32-bit write of VTC_LPI_EVENT here is
 * caught in the kernel (an ioeventfd), whose eventfd is an irqfd routed
 * to the MSI (VTC_LPI_DEVID, VTC_LPI_EVENT) at VTC_ITS_TRANSLATER; any
 * other write exits to the VMM (an error).
 */
#define VTC_MSI_DOORBELL	(VTC_MMIO_BASE + 0x1000)
#define VTC_RAM_BASE		VTC_U64(0x40000000)
#define VTC_RAM_MAX		VTC_U64(0x40000000)	/* one 1G block mapping */
#define VTC_CODE_MAX		VTC_U64(0x80000)
#define VTC_PT_OFF		VTC_U64(0x80000)	/* level-1 table */
#define VTC_BLOCKS_OFF		VTC_U64(0x100000)
/* lpi: ITS and LPI tables, 64K each, between the page table and blocks. */
#define VTC_ITS_DEV_OFF		VTC_U64(0x90000)	/* device table */
#define VTC_ITS_COLL_OFF	VTC_U64(0xa0000)	/* collection table */
#define VTC_ITS_CMDQ_OFF	VTC_U64(0xb0000)	/* command queue, 4K used */
#define VTC_ITS_ITT_OFF		VTC_U64(0xc0000)	/* the device's ITT */
#define VTC_LPI_PROP_OFF	VTC_U64(0xd0000)	/* LPI properties */
#define VTC_LPI_PEND_OFF	VTC_U64(0xe0000)	/* vcpu 0's LPI pending */

#define VTC_TIMER_INTID		27		/* virtual timer PPI */
#define VTC_SGI_INTID		1		/* ipi */
#define VTC_LPI_INTID		8192		/* lpi: the first LPI */
#define VTC_LPI_DEVID		0
#define VTC_LPI_EVENT		0

/* Workloads. */
#define W_MMIO			1
#define W_HVC			2
#define W_TIMER_MMIO		3
#define W_WFI			4
#define W_ACTIVE_MMIO		5
#define W_IPI			6
#define W_LPI			7

/* vtc-vmm --el2: what the guest hypervisor answers to an HVC ("el2"). */
#define VTC_EL2_HVC_RET		0x656c32

/* timer-mmio: MMIO exits per interrupt (README: workloads). */
#define VTC_MMIO_PER_IRQ	20

/* Deliberate guest bugs, to check that errors are caught (--break). */
#define BRK_NO_EOI		(1 << 0)	/* never EOI the irq */
#define BRK_NO_DISABLE		(1 << 1)	/* EOI with the timer still on */
#define BRK_NO_ENABLE		(1 << 2)	/* the irq stays disabled */

/* Guest status written before VTC_MMIO_DONE. */
#define ST_RUNNING		0
#define ST_OK			1
#define ST_LOST			2	/* timer irq did not arrive in time */
#define ST_ABORT		3	/* irq storm: too many dup/spurious */
#define ST_FAULT		4	/* unexpected exception */
#define ST_BADARG		5
#define ST_GIC			6	/* GIC/ITS setup failed: gic_step */

/* struct vtc_block's fault_vec, in 64-bit words (the EL2 code stores it). */
#define VTC_BLK_FAULT_VEC	25

#ifndef __ASSEMBLER__
#include <stdint.h>

struct vtc_block {
	/* in: set by the VMM */
	uint64_t magic;
	uint64_t workload;
	uint64_t gic;			/* 2 or 3 */
	uint64_t iters;
	uint64_t period;		/* counter ticks */
	uint64_t timeout;		/* counter ticks past the deadline */
	uint64_t brk;			/* BRK_* */
	uint64_t gicd;
	uint64_t gicr;			/* this vcpu's redistributor */
	uint64_t gicc;
	uint64_t ttbr;
	uint64_t lat_addr;		/* uint32_t[lat_cap] */
	uint64_t lat_cap;

	/* out: set by the guest */
	uint64_t status;		/* ST_* */
	uint64_t progress;		/* completed iterations */
	uint64_t irqs;			/* first acks of an armed timer */
	uint64_t lost;
	uint64_t dup;			/* INTID 27 acked while not armed */
	uint64_t spurious;		/* INTID != 27 (incl. 1020-1023) */
	uint64_t stuck;			/* 27 pending/active after EOI */
	uint64_t early;			/* fired before CVAL */
	uint64_t hvc_bad;
	uint64_t hvc_ret;
	uint64_t bad_intid;
	uint64_t stuck_bits;		/* bit0 pending, bit1 active */
	uint64_t fault_vec;
	uint64_t fault_esr;
	uint64_t fault_elr;
	uint64_t fault_far;

	/* guest private (cval: also read by the ipi peer) */
	uint64_t armed;
	uint64_t cval;			/* deadline, or when the irq was sent */
	uint64_t abort;

	/* in: set by the VMM */
	uint64_t vcpu_id;
	uint64_t peer;			/* ipi: the peer's block (GPA) */

	/* out: set by the guest */
	uint64_t gic_step;		/* ST_GIC: the step that failed */
	/* ipi: read by the peer */
	uint64_t mpidr;
	uint64_t ready;			/* GIC set up, SGIs can come */
	uint64_t last;			/* initiator: this ping is the last */
};
#endif

#endif /* VTC_SHARED_H */
