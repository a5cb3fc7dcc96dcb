// SPDX-License-Identifier: GPL-2.0
/*
 * vtimer-cache mirror of kernel/irq/manage.c
 *
 * Copyright (C) 1992, 1998-2006 Linus Torvalds, Ingo Molnar
 * Copyright (C) 2005-2006 Thomas Gleixner
 *
 * The copy of __irq_set_irqchip_state(), which the klp patch replaces, in
 * the text of the releases src/mirror/releases lists this file for. Every
 * write of an interrupt's active state goes through it, with the irq
 * descriptor lock held and interrupts off: irq_set_irqchip_state() (KVM's
 * and the cache's own writes) and the kexec shutdown path. It tells the
 * cache what a write of a timer PPI's bit left on this CPU
 * (vtc_active_written()). Other callers pay one klp redirection.
 *
 * Copied helper, from kernel/irq/internals.h (not an installed header):
 * irqd_get_parent_data. The lines marked "vtc:" are the delta; `make
 * klp-diff` prints it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdesc.h>

#include "vtc_core.h"
#include "vtc_mirror.h"

/* VTC-MIRROR BEGIN irqd_get_parent_data kernel/irq/internals.h */
static inline struct irq_data *irqd_get_parent_data(struct irq_data *irqd)
{
#ifdef CONFIG_IRQ_DOMAIN_HIERARCHY
	return irqd->parent_data;
#else
	return NULL;
#endif
}
/* VTC-MIRROR END */

/* VTC-MIRROR BEGIN __irq_set_irqchip_state */
static int __irq_set_irqchip_state(struct irq_desc *desc, enum irqchip_irq_state which, bool val)
{
	struct irq_data *data = irq_desc_get_irq_data(desc);
	struct irq_chip *chip;

	do {
		chip = irq_data_get_irq_chip(data);

		if (WARN_ON_ONCE(!chip))
			return -ENODEV;

		if (chip->irq_set_irqchip_state)
			break;

		data = irqd_get_parent_data(data);
	} while (data);

	if (data)
		return vtc_active_written(desc->irq_data.irq, which, val, /* vtc: learn */
			chip->irq_set_irqchip_state(data, which, val));
	return -EINVAL;
}
/* VTC-MIRROR END */

static struct klp_func vtc_irq_funcs[] = {
	{
		.old_name = "__irq_set_irqchip_state",
		.new_func = __irq_set_irqchip_state,
	}, { }
};

static int vtc_irq_init(void)
{
	return 0;
}

const struct vtc_mirror vtc_mirror_irq = {
	.source	= "kernel/irq/manage.c",
	.funcs	= vtc_irq_funcs,
	.init	= vtc_irq_init,
};
