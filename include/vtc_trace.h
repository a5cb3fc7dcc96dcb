/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vtimer-cache tracepoints: a skipped write, an issued write, knowledge
 * thrown away. Stable attachment points for bpftrace (scripts/vtc-*.bt)
 * and perf; a patched NOP on the load path while nothing is attached.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vtimer_cache

#if !defined(VTC_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define VTC_TRACE_H

#include <linux/tracepoint.h>

DECLARE_EVENT_CLASS(vtc_write,
	TP_PROTO(int timer, int vcpu_id, int active),
	TP_ARGS(timer, vcpu_id, active),
	TP_STRUCT__entry(
		__field(int, timer)
		__field(int, vcpu_id)
		__field(int, active)
	),
	TP_fast_assign(
		__entry->timer = timer;
		__entry->vcpu_id = vcpu_id;
		__entry->active = active;
	),
	TP_printk("timer=%d vcpu=%d active=%d", __entry->timer,
		  __entry->vcpu_id, __entry->active)
);

/* A load's write of @active to timer @timer, skipped: the bit holds it. */
DEFINE_EVENT(vtc_write, vtc_skip,
	TP_PROTO(int timer, int vcpu_id, int active),
	TP_ARGS(timer, vcpu_id, active)
);

/* A load's write of @active to timer @timer, issued. */
DEFINE_EVENT(vtc_write, vtc_issue,
	TP_PROTO(int timer, int vcpu_id, int active),
	TP_ARGS(timer, vcpu_id, active)
);

/* This CPU's knowledge thrown away, for @reason (enum vtc_inval). */
TRACE_EVENT(vtc_invalidate,
	TP_PROTO(int reason),
	TP_ARGS(reason),
	TP_STRUCT__entry(
		__field(int, reason)
	),
	TP_fast_assign(
		__entry->reason = reason;
	),
	TP_printk("reason=%d", __entry->reason)
);

#endif /* VTC_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE vtc_trace
#include <trace/define_trace.h>
