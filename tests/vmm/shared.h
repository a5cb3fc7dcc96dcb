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
#define VTC_MMIO_BASE		VTC_U64(0x0a000000)	/* unbacked: exits to VMM */
#define VTC_MMIO_PING		(VTC_MMIO_BASE + 0x00)
#define VTC_MMIO_DONE		(VTC_MMIO_BASE + 0x08)
#define VTC_MMIO_FAULT		(VTC_MMIO_BASE + 0x10)
#define VTC_RAM_BASE		VTC_U64(0x40000000)
#define VTC_RAM_MAX		VTC_U64(0x40000000)	/* one 1G block mapping */
#define VTC_CODE_MAX		VTC_U64(0x80000)
#define VTC_PT_OFF		VTC_U64(0x80000)	/* level-1 table */
#define VTC_BLOCKS_OFF		VTC_U64(0x100000)

#define VTC_TIMER_INTID		27		/* virtual timer PPI */

/* Workloads. */
#define W_MMIO			1
#define W_HVC			2
#define W_TIMER_MMIO		3
#define W_WFI			4
#define W_ACTIVE_MMIO		5

/* vtc-vmm --el2: what the guest hypervisor answers to an HVC ("el2"). */
#define VTC_EL2_HVC_RET		0x656c32

/* timer-mmio: MMIO exits per interrupt (README: workloads). */
#define VTC_MMIO_PER_IRQ	20

/* Deliberate guest bugs, to check that errors are caught (--break). */
#define BRK_NO_EOI		(1 << 0)	/* never EOI the timer irq */
#define BRK_NO_DISABLE		(1 << 1)	/* EOI with the timer still on */
#define BRK_NO_ENABLE		(1 << 2)	/* never enable INTID 27 */

/* Guest status written before VTC_MMIO_DONE. */
#define ST_RUNNING		0
#define ST_OK			1
#define ST_LOST			2	/* timer irq did not arrive in time */
#define ST_ABORT		3	/* irq storm: too many dup/spurious */
#define ST_FAULT		4	/* unexpected exception */
#define ST_BADARG		5

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

	/* guest private */
	uint64_t armed;
	uint64_t cval;
	uint64_t abort;
};
#endif

#endif /* VTC_SHARED_H */
