// SPDX-License-Identifier: GPL-2.0-only
/*
 * vtc_warn: raises one WARN when it loads, and loads
 * (tests/vm/rig-fails.sh warn): the rig's console checker must fail the
 * boot that loads it.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init vtc_warn_init(void)
{
	WARN(1, "vtc_warn: a WARN the rig must catch\n");
	return 0;
}

static void __exit vtc_warn_exit(void)
{
}

module_init(vtc_warn_init);
module_exit(vtc_warn_exit);
MODULE_DESCRIPTION("One WARN on load, for the test rig's checker");
MODULE_LICENSE("GPL");
