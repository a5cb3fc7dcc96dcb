// SPDX-License-Identifier: GPL-2.0
/*
 * vtimer-cache mirror of kernel/irq/manage.c
 *
 * Copyright (C) 1992, 1998-2006 Linus Torvalds, Ingo Molnar
 * Copyright (C) 2005-2006 Thomas Gleixner
 *
 * The copy of irq_set_irqchip_state(), which the klp patch replaces, in
 * the text of the releases src/mirror/releases lists this file for. Every
 * write of an interrupt's active state goes through it, KVM's and the
 * cache's own alike; under the descriptor lock, interrupts off, it tells
 * the cache what a write of a timer PPI's bit left on this CPU
 * (vtc_active_written()). Other callers pay one klp redirection.
 *
 * Copied helpers, from kernel/irq/internals.h (not an installed header):
 * the irqdesc_lock guard and irqd_get_parent_data. The lines marked
 * "vtc:" are the delta; `make klp-diff` prints it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cleanup.h>
#include <linux/interrupt.h>
#include <linux/irq.h>

#include "vtc_core.h"
#include "vtc_mirror.h"
#include "vtc_syms.h"

static struct irq_desc *(*vtc_p___irq_get_desc_lock)(unsigned int irq,
						     unsigned long *flags,
						     bool bus,
						     unsigned int check);
static void (*vtc_p___irq_put_desc_unlock)(struct irq_desc *desc,
					   unsigned long flags, bool bus);

static const struct vtc_sym vtc_irq_syms[] = {
	{ "__irq_get_desc_lock", &vtc_p___irq_get_desc_lock },
	{ "__irq_put_desc_unlock", &vtc_p___irq_put_desc_unlock },
};

#define __irq_get_desc_lock(i, f, b, c) vtc_p___irq_get_desc_lock(i, f, b, c)
#define __irq_put_desc_unlock(d, f, b)	vtc_p___irq_put_desc_unlock(d, f, b)

/* kernel/irq/internals.h, the guard wrapped to checkpatch's taste */
#define vtc_irqdesc_unlock(_T) \
	do { if ((_T)->lock) __irq_put_desc_unlock((_T)->lock, (_T)->flags, (_T)->bus); } while (0)
#define vtc_irqdesc_lock_fields	unsigned long flags; bool bus

__DEFINE_CLASS_IS_CONDITIONAL(irqdesc_lock, true);
__DEFINE_UNLOCK_GUARD(irqdesc_lock, struct irq_desc, vtc_irqdesc_unlock(_T),
		      vtc_irqdesc_lock_fields);

static inline class_irqdesc_lock_t class_irqdesc_lock_constructor(unsigned int irq, bool bus,
								  unsigned int check)
{
	class_irqdesc_lock_t _t = { .bus = bus, };

	_t.lock = __irq_get_desc_lock(irq, &_t.flags, bus, check);

	return _t;
}

#define scoped_irqdesc_get_and_buslock(_irq, _check)		\
	scoped_guard(irqdesc_lock, _irq, true, _check)

#define scoped_irqdesc		((struct irq_desc *)(__guard_ptr(irqdesc_lock)(&scope)))

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

/* VTC-MIRROR BEGIN irq_set_irqchip_state */
/* vtc: the module's own copy, static */
static int vtc_irq_set_irqchip_state(unsigned int irq, enum irqchip_irq_state which, bool val)
{
	scoped_irqdesc_get_and_buslock(irq, 0) {
		struct irq_data *data = irq_desc_get_irq_data(scoped_irqdesc);
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
			return vtc_active_written(irq, which, val, /* vtc: learn */
				chip->irq_set_irqchip_state(data, which, val));
	}
	return -EINVAL;
}
/* VTC-MIRROR END */

static struct klp_func vtc_irq_funcs[] = {
	{
		.old_name = "irq_set_irqchip_state",
		.new_func = vtc_irq_set_irqchip_state,
	}, { }
};

static int vtc_irq_init(void)
{
	return vtc_syms_resolve(vtc_irq_syms, ARRAY_SIZE(vtc_irq_syms));
}

const struct vtc_mirror vtc_mirror_irq = {
	.source	= "kernel/irq/manage.c",
	.funcs	= vtc_irq_funcs,
	.init	= vtc_irq_init,
};
