// SPDX-License-Identifier: GPL-2.0-only
/*
 * vtc_fault: a fault the rig must catch, raised when the module loads
 * (tests/vm/rig-fails.sh): one WARN (the console checker), or with leak=1
 * one leaked allocation (lib.sh's kmemleak check).
 */
#include <linux/bug.h>
#include <linux/module.h>
#include <linux/slab.h>

static bool leak;
module_param(leak, bool, 0444);
MODULE_PARM_DESC(leak, "leak 16 KiB instead of raising a WARN");

/*
 * The leak is made from the page allocator (a kmalloc above the slab
 * caches' sizes): a free slab object's stale freelist pointer in the
 * object allocated before it would otherwise reference it, and kmemleak
 * would never report it.
 */
#define VTC_FAULT_LEAK	(4 * PAGE_SIZE)

static int __init vtc_fault_init(void)
{
	void *p;

	if (!leak) {
		WARN(1, "vtc_fault: a WARN the rig must catch\n");
		return 0;
	}
	p = kmalloc(VTC_FAULT_LEAK, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	memset(p, 0x5a, VTC_FAULT_LEAK);
	pr_info("vtc_fault: %lu bytes leaked\n", VTC_FAULT_LEAK);
	return 0;
}

static void __exit vtc_fault_exit(void)
{
}

module_init(vtc_fault_init);
module_exit(vtc_fault_exit);
MODULE_DESCRIPTION("A WARN or a leak on load, for the test rig's checkers");
MODULE_LICENSE("GPL");
