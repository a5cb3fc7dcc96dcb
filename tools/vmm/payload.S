/* SPDX-License-Identifier: GPL-2.0 */
/* The guest payload, embedded in vtc-vmm. */
	.section .rodata
	.balign	16
	.globl	guest_bin, guest_bin_end
guest_bin:
	.incbin	GUEST_BIN
guest_bin_end:
	.section .note.GNU-stack, "", %progbits
