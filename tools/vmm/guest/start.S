/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtc-vmm guest entry: EL1h, MMU off, x0 = struct vtc_block, SP set by
 * the VMM.  Turn on the MMU with the identity map the VMM built (device
 * memory below 1G, normal write-back RAM at 1G-2G), install the vectors
 * and call guest_main(block).
 *
 * With vtc-vmm --el2 the vcpu starts at vEL2 instead: a guest hypervisor
 * of a few instructions sets up an EL1 without stage 2 or traps, drops to
 * it, and answers every HVC from it with VTC_EL2_HVC_RET. Each hypercall
 * of the hvc workload is then a pair of nested world switches on the host
 * (the HVC is injected into vEL2, the ERET emulated back to vEL1), each a
 * vcpu put and load.
 */
#include "../shared.h"

#define MAIR_VAL	0xff00		/* attr0 device-nGnRnE, attr1 WB */
#define TCR_VAL		((32 << 0) | (1 << 8) | (1 << 10) | (3 << 12) | \
			 (1 << 23))	/* T0SZ=32, WB, inner-sh, 4K, EPD1 */

/* E2H: 7.2's KVM gives an EL2 vcpu a VHE-only EL2 (E2H RES1). RW: EL1 is AArch64. */
#define HCR_EL2_VAL	((1 << 34) | (1 << 31))
#define SPSR_EL1H	0x3c5		/* EL1h, DAIF masked */
#define ESR_EC_HVC64	0x16

	.section .text.start, "ax"
	.globl	_start
_start:
	mrs	x1, CurrentEL
	cmp	x1, #(2 << 2)
	b.ne	el1_start
	msr	tpidr_el2, x0
	ldr	x1, =HCR_EL2_VAL
	msr	hcr_el2, x1
	isb
	adr	x1, el2_vectors
	msr	vbar_el2, x1
	msr	cntvoff_el2, xzr
	mov	x1, #SPSR_EL1H
	msr	spsr_el2, x1
	adr	x1, el1_start
	msr	elr_el2, x1
	isb
	eret

el1_start:
	msr	tpidr_el1, x0
	msr	daifset, #0xf

	ldr	x1, =MAIR_VAL
	msr	mair_el1, x1
	ldr	x1, =TCR_VAL
	msr	tcr_el1, x1
	ldr	x1, [x0, #(10 * 8)]	/* ttbr */
	msr	ttbr0_el1, x1
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	mrs	x1, sctlr_el1
	orr	x1, x1, #(1 << 0)	/* M */
	orr	x1, x1, #(1 << 2)	/* C */
	orr	x1, x1, #(1 << 12)	/* I */
	msr	sctlr_el1, x1
	isb
	ic	iallu
	dsb	nsh
	isb

	adr	x1, vectors
	msr	vbar_el1, x1
	isb

	bl	guest_main
1:	wfi
	b	1b
	.ltorg

	.text
/* Unexpected exception: guest_fault(block, vector, esr, elr, far). */
fault_entry:
	mrs	x0, tpidr_el1
	mrs	x2, esr_el1
	mrs	x3, elr_el1
	mrs	x4, far_el1
	bl	guest_fault
1:	wfi
	b	1b

irq_entry:
	sub	sp, sp, #(22 * 8)
	stp	x0, x1, [sp, #(0 * 8)]
	stp	x2, x3, [sp, #(2 * 8)]
	stp	x4, x5, [sp, #(4 * 8)]
	stp	x6, x7, [sp, #(6 * 8)]
	stp	x8, x9, [sp, #(8 * 8)]
	stp	x10, x11, [sp, #(10 * 8)]
	stp	x12, x13, [sp, #(12 * 8)]
	stp	x14, x15, [sp, #(14 * 8)]
	stp	x16, x17, [sp, #(16 * 8)]
	stp	x18, x29, [sp, #(18 * 8)]
	str	x30, [sp, #(20 * 8)]
	mrs	x0, tpidr_el1
	bl	irq_handler
	ldp	x0, x1, [sp, #(0 * 8)]
	ldp	x2, x3, [sp, #(2 * 8)]
	ldp	x4, x5, [sp, #(4 * 8)]
	ldp	x6, x7, [sp, #(6 * 8)]
	ldp	x8, x9, [sp, #(8 * 8)]
	ldp	x10, x11, [sp, #(10 * 8)]
	ldp	x12, x13, [sp, #(12 * 8)]
	ldp	x14, x15, [sp, #(14 * 8)]
	ldp	x16, x17, [sp, #(16 * 8)]
	ldp	x18, x29, [sp, #(18 * 8)]
	ldr	x30, [sp, #(20 * 8)]
	add	sp, sp, #(22 * 8)
	eret

/*
 * vent IDX, HIT, TO, FAULT: vector slot IDX of a table that handles one
 * slot, HIT, at TO; every other slot goes to FAULT with its index in x1.
 */
.macro	vent	idx, hit, to, fault
	.balign	0x80
	.if	\idx == \hit
	b	\to
	.else
	mov	x1, #\idx
	b	\fault
	.endif
.endm

	.balign	2048
vectors:			/* slot 5: current EL, SPx, IRQ */
	.irp	i, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	vent	\i, 5, irq_entry, fault_entry
	.endr

/*
 * vEL2: an HVC from vEL1 returns VTC_EL2_HVC_RET in x0 (x1 and x2 are the
 * caller's to lose, as the hvc workload's asm says); anything else is a
 * fault: its vector (0x100 + index) in the block, then the MMIO write
 * that tells the VMM.
 */
el2_sync_lower:
	mrs	x1, esr_el2
	lsr	x2, x1, #26
	cmp	x2, #ESR_EC_HVC64
	b.ne	1f
	ldr	x0, =VTC_EL2_HVC_RET
	eret
1:	mov	x1, #8
	b	el2_fault

el2_fault:
	mrs	x2, tpidr_el2
	add	x1, x1, #0x100
	str	x1, [x2, #(VTC_BLK_FAULT_VEC * 8)]
	mrs	x1, esr_el2
	str	x1, [x2, #((VTC_BLK_FAULT_VEC + 1) * 8)]
	mrs	x1, elr_el2
	str	x1, [x2, #((VTC_BLK_FAULT_VEC + 2) * 8)]
	mrs	x1, far_el2
	str	x1, [x2, #((VTC_BLK_FAULT_VEC + 3) * 8)]
	ldr	x2, =VTC_MMIO_FAULT
	str	xzr, [x2]
1:	wfi
	b	1b
	.ltorg

	.balign	2048
el2_vectors:			/* slot 8: lower EL, AArch64, synchronous */
	.irp	i, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	vent	\i, 8, el2_sync_lower, el2_fault
	.endr
