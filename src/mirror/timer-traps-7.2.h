/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vtimer-cache mirror of arch/arm64/kvm/arch_timer.c
 *
 * Copyright (C) 2012 ARM Ltd.
 * Author: Marc Zyngier <marc.zyngier@arm.com>
 *
 * timer_set_traps() as Linux 7.2 has it, for the copy of
 * kvm_timer_vcpu_load() in arch_timer.c, which includes this file (Kbuild
 * names it from src/mirror/releases) so that the copy inlines it as the
 * kernel does. Its text is the one copied function that differs between
 * the releases src/mirror/releases lists: the original, changed only where
 * a line is marked "vtc:"; `make klp-diff` prints the delta.
 */
/* If _pred is true, set bit in _set, otherwise set it in _clr */
#define assign_clear_set_bit(_pred, _bit, _clr, _set)			\
	do {								\
		if (_pred)						\
			(_set) |= (_bit);				\
		else							\
			(_clr) |= (_bit);				\
	} while (0)

/* VTC-MIRROR BEGIN timer_set_traps */
static void timer_set_traps(struct kvm_vcpu *vcpu, struct timer_map *map)
{
	bool tvt, tpt, tvc, tpc, tvt02, tpt02;
	u64 clr, set;

	/*
	 * No trapping gets configured here with nVHE. See
	 * __timer_enable_traps(), which is where the stuff happens.
	 */
	if (!has_vhe())
		return;

	/*
	 * Our default policy is not to trap anything. As we progress
	 * within this function, reality kicks in and we start adding
	 * traps based on emulation requirements.
	 */
	tvt = tpt = tvc = tpc = false;
	tvt02 = tpt02 = false;

	/*
	 * NV2 badly breaks the timer semantics by redirecting accesses to
	 * the EL1 timer state to memory, so let's call ECV to the rescue if
	 * available: we trap all CNT{P,V}_{CTL,CVAL,TVAL}_EL0 accesses.
	 *
	 * The treatment slightly varies depending whether we run a nVHE or
	 * VHE guest: nVHE will use the _EL0 registers directly, while VHE
	 * will use the _EL02 accessors. This translates in different trap
	 * bits.
	 *
	 * None of the trapping is required when running in non-HYP context,
	 * unless required by the L1 hypervisor settings once we advertise
	 * ECV+NV in the guest, or that we need trapping for other reasons.
	 */
	if (cpus_have_final_cap(ARM64_HAS_ECV) && is_hyp_ctxt(vcpu)) {
		if (vcpu_el2_e2h_is_set(vcpu))
			tvt02 = tpt02 = true;
		else
			tvt = tpt = true;
	}

	/*
	 * We have two possibility to deal with a physical offset:
	 *
	 * - Either we have CNTPOFF (yay!) or the offset is 0:
	 *   we let the guest freely access the HW
	 *
	 * - or neither of these condition apply:
	 *   we trap accesses to the HW, but still use it
	 *   after correcting the physical offset
	 */
	if (!has_cntpoff() && timer_get_offset(map->direct_ptimer))
		tpt = tpc = true;

	/*
	 * For the poor sods that could not correctly subtract one value
	 * from another, trap the full virtual timer and counter.
	 */
	if (has_broken_cntvoff() && timer_get_offset(map->direct_vtimer))
		tvt = tvc = true;

	/*
	 * Apply the enable bits that the guest hypervisor has requested for
	 * its own guest. We can only add traps that wouldn't have been set
	 * above.
	 * Implementation choices: we do not support NV when E2H=0 in the
	 * guest, and we don't support configuration where E2H is writable
	 * by the guest (either FEAT_VHE or FEAT_E2H0 is implemented, but
	 * not both). This simplifies the handling of the EL1NV* bits.
	 */
	if (is_nested_ctxt(vcpu)) {
		u64 val = __vcpu_sys_reg(vcpu, CNTHCTL_EL2);

		/* Use the VHE format for mental sanity */
		if (!vcpu_el2_e2h_is_set(vcpu))
			val = (val & (CNTHCTL_EL1PCEN | CNTHCTL_EL1PCTEN)) << 10;

		tpt |= !(val & (CNTHCTL_EL1PCEN << 10));
		tpc |= !(val & (CNTHCTL_EL1PCTEN << 10));

		tpt02 |= (val & CNTHCTL_EL1NVPCT);
		tvt02 |= (val & CNTHCTL_EL1NVVCT);
	}

	/*
	 * Now that we have collected our requirements, compute the
	 * trap and enable bits.
	 */
	set = 0;
	clr = 0;

	assign_clear_set_bit(tpt, CNTHCTL_EL1PCEN << 10, set, clr);
	assign_clear_set_bit(tpc, CNTHCTL_EL1PCTEN << 10, set, clr);
	assign_clear_set_bit(tvt, CNTHCTL_EL1TVT, clr, set);
	assign_clear_set_bit(tvc, CNTHCTL_EL1TVCT, clr, set);
	assign_clear_set_bit(tvt02, CNTHCTL_EL1NVVCT, clr, set);
	assign_clear_set_bit(tpt02, CNTHCTL_EL1NVPCT, clr, set);

	/* This only happens on VHE, so use the CNTHCTL_EL2 accessor. */
	sysreg_clear_set(cnthctl_el2, clr, set);
}
/* VTC-MIRROR END */
