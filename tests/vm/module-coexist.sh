#!/bin/sh
# Beside the host's other livepatches (kpatch, distribution klp modules,
# CVE fixes). vtimer_cache registers a non-cumulative klp patch (replace
# 0) and leaves every other livepatch as it was; while a foreign livepatch
# patches a function it replaces, it trusts its cache no more (never
# skips); it refuses to enable on top of one; replaced by a foreign
# cumulative patch, it says so and "enable" stacks it on top again; a
# foreign patch of a function its copies carry makes it refuse to enable,
# or step aside (disable its own patch) so that the foreign fix runs. With
# verify=1 throughout, every skip is checked against the GIC (0 wrong).
#   a. a foreign non-cumulative patch (test_klp_livepatch, of
#      cmdline_proc_show) loaded before vtimer_cache: both enabled, both
#      effective; unloading vtimer_cache leaves it as it was
#   b. the same patch loaded after vtimer_cache: the cache is trusted and
#      skips with it on top, and after it is gone
#   c. a foreign cumulative patch (test_klp_atomic_replace replace=1)
#      replaces vtimer_cache (and, klp's own semantics, test_klp_livepatch):
#      vtimer_cache says replaced and by whom, the stock writes return,
#      nothing is skipped; "enable" stacks it on top again and it skips
#   d. a foreign non-cumulative patch of a replaced function
#      (klp_foreign_ack, tests/modules/, of kvm_arch_timer_handler) on
#      top: trust off, named in the stats and the log; every workload
#      runs clean with no skip; trust and skips are back once it is gone
#   e. the same patch loaded first: insmod vtimer_cache is refused and
#      leaves nothing; loaded with enable=0, "enable" is refused; it
#      enables once the foreign patch is gone
#   f. a foreign patch of a carried function (klp_foreign_gic,
#      tests/modules/, of kvm_timer_vcpu_load_gic, which the copy of
#      kvm_timer_vcpu_load carries inline) loaded first: its fix runs (its
#      call counter grows); insmod vtimer_cache is refused, names the patch
#      and the function, and leaves nothing
#   g. the same patch loaded after vtimer_cache: vtimer_cache says so,
#      turns trust off and disables its own patch; a timer VM runs through
#      that, and then every load runs the foreign fix (its call counter
#      grows by the stock writes per load), with the stock writes and no
#      skip; "enable" is refused while it is there, and enables once it
#      is gone, trusted and skipping again
# The foreign modules are tests/build-modules.sh's (check.sh @foreign).
# usage: module-coexist.sh [GIC [STOCK_WRITES_PER_LOAD]]   (default v3 2:
# VHE writes both timers' active state on every load)
. /vtc/lib.sh
gic=${1:-v3}
stock=${2:-2}
ITERS=${ITERS:-500}
TITERS=${TITERS:-100}
LP=/sys/kernel/livepatch

# The foreign livepatches, in /vtc/.
NONCUM=test_klp_livepatch	# non-cumulative: cmdline_proc_show
CUM=test_klp_atomic_replace	# with replace=1, cumulative: meminfo_proc_show
ACK=klp_foreign_ack		# non-cumulative: a function vtimer_cache replaces
ACK_FUNC=kvm_arch_timer_handler
CARRY=klp_foreign_gic		# non-cumulative: a function vtimer_cache carries
CARRY_FUNC=kvm_timer_vcpu_load_gic
# How many times its copy (the foreign fix) ran: one call per direct timer
# on each vcpu load, when the stock kvm_timer_vcpu_load() calls it.
gic_calls() { cat /sys/module/$CARRY/parameters/calls; }
# A selftest module's file then reads "MODULE: this has been live patched".
PATCHED="this has been live patched"

# --- vtimer_cache's interface for this, in one place -------------------------
# Stats (vtc_stat NAME): patch (disabled, enabling, enabled, disabling,
# replaced), trusted (0|1), and:
S_INVAL=inval.foreign_patch	# times trust went off for a foreign patch
S_FPATCH=foreign.patch		# the foreign patch keeping trust off, or -
S_FFUNC=foreign.func		# the replaced function it patches, or -
S_REPLACED_BY=replaced_by	# the cumulative patch that replaced it, or -
# Kernel log lines, after "vtimer_cache: ": fixed strings, but for the
# trust-back one (an extended regular expression).
msg_trust_off() { echo "trust off: livepatch '$1' patches $2"; }
RE_TRUST_ON='trust (is )?back on'
msg_replaced() { echo "replaced by $1: the stock code runs"; }
msg_refused() { echo "cannot enable: livepatch '$1' patches $2"; }
msg_aside() { echo "livepatch '$1' patches $2, which this module's copies carry: disabling this patch"; }
MSG_STOCK="disabled: stock timer PPI programming"
# ------------------------------------------------------------------------------

# A generous watchdog: a vcpu thread can starve for seconds on a busy
# 2-core machine running TCG.
vmm() { vtc_vmm --gic "$gic" --timeout 60 "$@"; }
# (its total line kept off the KTAP stream)
vmm_quiet() { vmm "$@" >/tmp/vmm.out; }

# num NAME: a stats value, 0 if there is none (the arithmetic below must
# not fail on a missing file).
num() {
	_num_v=$(vtc_stat "$1")
	echo "${_num_v:-0}"
}
trusted() { vtc_stat_is trusted 1; }
# state_is PATCH TRUSTED: vtimer_cache's patch state and trust.
state_is() { [ "$(vtc_stat patch) $(vtc_stat trusted)" = "$1 $2" ]; }
# vtimer_cache's own patch: enabled (stats and klp) / disabled, no klp patch.
patch_on() { vtc_stat_is patch enabled && on vtimer_cache; }
patch_off() { vtc_stat_is patch disabled && gone vtimer_cache; }
foreign_none() { vtc_stat_is $S_FPATCH - && vtc_stat_is $S_FFUNC -; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print 0 }'; }
# The least stock writes per load over a VM (counters race by a few).
stock_min=$(awk -v s="$stock" 'BEGIN { print s * 0.95 }')

# on NAME...: each patch enabled, its transition over.
on() {
	for _on_p in "$@"; do
		[ "$(cat "$LP/$_on_p/enabled" 2>/dev/null)" = 1 ] &&
			[ "$(cat "$LP/$_on_p/transition" 2>/dev/null)" = 0 ] || return 1
	done
}
gone() { [ ! -d "$LP/$1" ]; }
loaded() { grep -q "^$1 " /proc/modules; }
no_transition() { ! grep -qx 1 "$LP"/*/transition 2>/dev/null; }
no_patches() { [ -z "$(ls "$LP")" ]; }
# klp drops a patch's module reference from a work item: retry.
rmmod_quiet() { rmmod "$1" 2>/dev/null; }
unload() { vtc_until 10 rmmod_quiet "$1"; }

# foreign_load NAME [PARAMS]: insmod /vtc/NAME.ko, wait for its transition.
foreign_load() {
	_fl_m=$1
	shift
	insmod "/vtc/$_fl_m.ko" "$@" && vtc_until 60 on "$_fl_m"
}
# foreign_unload NAME: disable NAME's patch if it is still there, rmmod.
foreign_unload() {
	if [ -d "$LP/$1" ]; then
		echo 0 >"$LP/$1/enabled" && vtc_until 60 gone "$1" || return 1
	fi
	unload "$1"
}

cmdline_patched() { grep -qF "$NONCUM: $PATCHED" /proc/cmdline; }
cmdline_stock() { ! grep -qF "$PATCHED" /proc/cmdline; }
meminfo_patched() { grep -qF "$CUM: $PATCHED" /proc/meminfo; }
meminfo_stock() { ! grep -qF "$PATCHED" /proc/meminfo; }

# mark: a line in the kernel log; logged TEXT / logged_re RE: vtimer_cache
# logged TEXT (a fixed string) / a line matching RE since the last mark.
MARK=0
mark() {
	MARK=$((MARK + 1))
	echo "<6>module-coexist: mark $MARK" >/dev/kmsg
}
since() { dmesg | sed -n "/module-coexist: mark $MARK\$/,\$p"; }
logged() { since | grep -qF "vtimer_cache: $1"; }
logged_re() { since | grep -qE "vtimer_cache: $1"; }
not_logged() { ! since | grep -qF "vtimer_cache: $1"; }
show_log() { since | grep -E "vtimer_cache|livepatch|$NONCUM|$CUM|$ACK|$CARRY" | sed 's/^/#   /'; }

# vm STEP ARGS...: one VM (vtc-vmm ARGS), checked to run clean; then
# d_loads, d_writes, d_issued, d_skipped: the counters' growth over it.
vm() {
	_vm_step=$1
	shift
	_vm_l=$(num loads) _vm_w=$(num writes) _vm_i=$(num issued) _vm_s=$(num skipped)
	if vmm "$@" >/tmp/vmm.out; then
		vtc_ok "$_vm_step: VM $* ok ($(vtc_field "$VTC_TOTAL" irqs)/$(vtc_field "$VTC_TOTAL" irqs_expected) interrupts)"
	else
		vtc_not_ok "$_vm_step: VM $* failed: $VTC_TOTAL"
		tail -n 5 /tmp/vmm.out | sed 's/^/#   /'
	fi
	d_loads=$(($(num loads) - _vm_l))
	d_writes=$(($(num writes) - _vm_w))
	d_issued=$(($(num issued) - _vm_i))
	d_skipped=$(($(num skipped) - _vm_s))
	echo "# $_vm_step: $* patch=$(vtc_stat patch) trusted=$(vtc_stat trusted) loads+$d_loads writes+$d_writes issued+$d_issued skipped+$d_skipped wrong_skips=$(vtc_stat verify.wrong_skips) checked=$(vtc_stat verify.checked)"
}

# at_floor STEP: the idle-timer VM just run needed no write but the first
# ones after trust began: the cache issued at most 0.02 per load.
at_floor() {
	vtc_expect "$1: writes at the floor (issued per load)" "$(ratio "$d_issued" "$d_loads")" "<=" 0.02
}

wrong_skips() { # wrong_skips STEP
	vtc_expect "$1: every skip verified against the GIC (wrong skips)" "$(num verify.wrong_skips)" "==" 0
}

# clean STEP: nothing of the step may be left; whatever a failed check left
# is cleaned up, so that the next step starts from nothing.
clean() {
	_cl_left="$(vtc_patches)$(grep -E "^(vtimer_cache|$NONCUM|$CUM|$ACK|$CARRY) " /proc/modules | cut -d' ' -f1 | tr '\n' ' ')"
	vtc_check "$1: nothing left behind (${_cl_left:-no livepatch, no module})" test -z "$_cl_left"
	[ -z "$_cl_left" ] && return 0
	vtc_until 60 no_transition
	for _cl_d in "$LP"/*; do
		[ -d "$_cl_d" ] || continue
		echo 0 >"$_cl_d/enabled" 2>/dev/null
		vtc_until 60 no_transition
	done
	vtc_until 60 no_patches
	for _cl_m in vtimer_cache $NONCUM $CUM $ACK $CARRY; do
		loaded "$_cl_m" && unload "$_cl_m"
	done
}

for m in $NONCUM $CUM $ACK $CARRY; do
	if [ ! -f "/vtc/$m.ko" ]; then
		vtc_not_ok "/vtc/$m.ko (tests/build-modules.sh; check.sh @foreign)"
		vtc_done
		exit 1
	fi
done
[ -w /sys/kernel/debug/kmemleak ] && echo clear >/sys/kernel/debug/kmemleak
# The workloads module-cache.sh runs (read before anything else runs).
workloads=$(vtc_workloads "$ITERS" "$TITERS")

# --- a: a foreign patch loaded before vtimer_cache ----------------------------
echo "# a: $NONCUM, then vtimer_cache"
vtc_check "a: insmod $NONCUM: its patch enabled" foreign_load $NONCUM
vtc_check "a: /proc/cmdline patched by $NONCUM" cmdline_patched
mark
vtc_check "a: insmod vtimer_cache verify=1 beside it: its patch enabled" vtc_load verify=1
vtc_check "a: vtimer_cache's patch is not cumulative (replace 0)" grep -qx 0 "$VTC_LP/replace"
vtc_check "a: both patches enabled, no transition ($(vtc_patches))" on vtimer_cache $NONCUM
vtc_check "a: /proc/cmdline still patched by $NONCUM" cmdline_patched
vtc_check "a: vtimer_cache enabled and trusted" vtc_until 30 state_is enabled 1
vtc_check "a: no foreign patch of a replaced function ($S_FPATCH -)" vtc_stat_is $S_FPATCH -
vm a --iters "$ITERS" mmio-user
vtc_expect "a: skips with $NONCUM beside" "$d_skipped" ">" 0
at_floor a
vtc_expect "a: skips were checked" "$(num verify.checked)" ">" 0
wrong_skips a
vtc_check "a: disable vtimer_cache" vtc_disable
vtc_check "a: rmmod vtimer_cache" unload vtimer_cache
vtc_check "a: $NONCUM still enabled ($(vtc_patches))" on $NONCUM
vtc_check "a: /proc/cmdline still patched by $NONCUM" cmdline_patched
vtc_check "a: disable and unload $NONCUM" foreign_unload $NONCUM
vtc_check "a: /proc/cmdline stock again" cmdline_stock
show_log
clean a

# --- b: the same patch loaded after vtimer_cache ------------------------------
echo "# b: vtimer_cache, then $NONCUM"
vtc_check "b: insmod vtimer_cache verify=1" vtc_load verify=1
vtc_check "b: vtimer_cache enabled and trusted" vtc_until 30 state_is enabled 1
mark
vtc_check "b: insmod $NONCUM on top: its patch enabled" foreign_load $NONCUM
vtc_check "b: both patches enabled, no transition ($(vtc_patches))" on vtimer_cache $NONCUM
vtc_check "b: /proc/cmdline patched by $NONCUM" cmdline_patched
# $NONCUM patches none of the replaced functions: trust may have dropped
# during its transition, and is back.
vtc_check "b: vtimer_cache trusted after $NONCUM's transition" vtc_until 30 trusted
vtc_check "b: vtimer_cache still enabled" patch_on
vtc_expect "b: $NONCUM not taken for a patch of a replaced function ($S_INVAL)" "$(num $S_INVAL)" "==" 0
vtc_check "b: $S_FPATCH -" vtc_stat_is $S_FPATCH -
vtc_check "b: no 'trust off' logged" not_logged "trust off"
vm b --iters "$ITERS" mmio-user
vtc_expect "b: skips with $NONCUM on top" "$d_skipped" ">" 0
at_floor b
wrong_skips b
show_log
mark
vtc_check "b: disable and unload $NONCUM" foreign_unload $NONCUM
vtc_check "b: /proc/cmdline stock again" cmdline_stock
vtc_check "b: vtimer_cache's patch still enabled ($(vtc_patches))" patch_on
vtc_check "b: vtimer_cache enabled and trusted" vtc_until 30 state_is enabled 1
vm b --iters "$ITERS" mmio-user
vtc_expect "b: skips after $NONCUM is gone" "$d_skipped" ">" 0
at_floor b
wrong_skips b
vtc_check "b: disable vtimer_cache" vtc_disable
vtc_check "b: rmmod vtimer_cache" unload vtimer_cache
show_log
clean b

# --- c: a foreign cumulative patch replaces vtimer_cache ----------------------
echo "# c: vtimer_cache and $NONCUM, then $CUM replace=1"
vtc_check "c: insmod vtimer_cache verify=1" vtc_load verify=1
vtc_check "c: insmod $NONCUM beside it" foreign_load $NONCUM
vtc_check "c: vtimer_cache enabled and trusted" vtc_until 30 state_is enabled 1
mark
vtc_check "c: insmod $CUM replace=1: its transition over" foreign_load $CUM replace=1
vtc_check "c: $CUM is cumulative (replace 1)" grep -qx 1 "$LP/$CUM/replace"
vtc_check "c: /proc/meminfo patched by $CUM" meminfo_patched
vtc_check "c: vtimer_cache's patch gone from $LP" vtc_until 10 gone vtimer_cache
vtc_check "c: vtimer_cache says replaced" vtc_until 10 vtc_stat_is patch replaced
vtc_check "c: vtimer_cache $S_REPLACED_BY $CUM" vtc_stat_is $S_REPLACED_BY $CUM
vtc_check "c: the kernel log says '$(msg_replaced $CUM)'" logged "$(msg_replaced $CUM)"
vtc_check "c: vtimer_cache still loaded" loaded vtimer_cache
# klp's own semantics: a cumulative patch replaces every patch.
vtc_check "c: $NONCUM replaced as well (klp atomic replace): its patch gone" vtc_until 10 gone $NONCUM
vtc_check "c: /proc/cmdline stock again" cmdline_stock
echo "# c: after the replace: $(vtc_patches); vtimer_cache trusted=$(vtc_stat trusted) $S_FPATCH=$(vtc_stat $S_FPATCH)"
vm c --iters "$ITERS" mmio-user
vtc_expect "c: replaced: the VM's loads counted" "$d_loads" ">" 0
vtc_expect "c: replaced: the stock writes per load are back" "$(ratio "$d_writes" "$d_loads")" ">=" "$stock_min"
vtc_expect "c: replaced: nothing skipped" "$d_skipped" "==" 0
wrong_skips c
show_log
mark
vtc_check "c: echo enable > control: vtimer_cache's patch enabled on top of $CUM" vtc_enable
vtc_check "c: vtimer_cache enabled and trusted" vtc_until 30 state_is enabled 1
vtc_check "c: vtimer_cache's patch is not cumulative (replace 0)" grep -qx 0 "$VTC_LP/replace"
vtc_check "c: $CUM still enabled ($(vtc_patches))" on $CUM vtimer_cache
vtc_check "c: /proc/meminfo still patched by $CUM" meminfo_patched
vm c --iters "$ITERS" mmio-user
vtc_expect "c: skips again on top of $CUM" "$d_skipped" ">" 0
at_floor c
wrong_skips c
vtc_check "c: disable vtimer_cache" vtc_disable
vtc_check "c: $CUM still enabled" on $CUM
vtc_check "c: disable and unload $CUM" foreign_unload $CUM
vtc_check "c: /proc/meminfo stock again" meminfo_stock
vtc_check "c: unload $NONCUM (replaced, still loaded)" unload $NONCUM
vtc_check "c: rmmod vtimer_cache" unload vtimer_cache
show_log
clean c

# --- d: a foreign patch of a replaced function on top -------------------------
echo "# d: vtimer_cache, then $ACK (patches $ACK_FUNC)"
vtc_check "d: insmod vtimer_cache verify=1" vtc_load verify=1
vtc_check "d: vtimer_cache enabled and trusted" vtc_until 30 state_is enabled 1
vm d --iters "$ITERS" mmio-user
vtc_expect "d: skips before $ACK" "$d_skipped" ">" 0
mark
vtc_check "d: insmod $ACK on top: its transition over" foreign_load $ACK
vtc_check "d: both patches enabled ($(vtc_patches))" on vtimer_cache $ACK
vtc_check "d: vtimer_cache enabled, not trusted" state_is enabled 0
vtc_expect "d: $S_INVAL" "$(num $S_INVAL)" ">" 0
vtc_check "d: $S_FPATCH $ACK ($(vtc_stat $S_FPATCH))" vtc_stat_is $S_FPATCH $ACK
vtc_check "d: $S_FFUNC $ACK_FUNC ($(vtc_stat $S_FFUNC))" vtc_stat_is $S_FFUNC $ACK_FUNC
vtc_check "d: the kernel log says '$(msg_trust_off $ACK $ACK_FUNC)'" logged "$(msg_trust_off $ACK $ACK_FUNC)"
show_log
s=$(num skipped) l=$(num loads) i=$(num issued)
# (a here-document, not a pipe: a pipe would run the checks in a subshell
# and lose their failure count)
while read -r w args; do
	# shellcheck disable=SC2086 # a list of arguments
	vm "d: $w with $ACK" $args
done <<EOF
$workloads
active-mmio --iters $TITERS --vcpus 2 --migrate 7 active-mmio
EOF
vtc_expect "d: nothing skipped while $ACK is there" "$(($(num skipped) - s))" "==" 0
vtc_expect "d: every load wrote as stock does (issued per load)" \
	"$(ratio "$(($(num issued) - i))" "$(($(num loads) - l))")" ">=" "$stock_min"
wrong_skips d
vtc_check "d: still not trusted" vtc_stat_is trusted 0
vtc_check "d: $ACK still enabled" on $ACK
mark
vtc_check "d: disable and unload $ACK" foreign_unload $ACK
vtc_check "d: vtimer_cache trusted again" vtc_until 30 trusted
vtc_check "d: vtimer_cache still enabled ($(vtc_patches))" patch_on
vtc_check "d: the kernel log says trust is back on" logged_re "$RE_TRUST_ON"
vtc_check "d: $S_FPATCH - and $S_FFUNC -" foreign_none
vm d --iters "$ITERS" mmio-user
vtc_expect "d: skips after $ACK is gone" "$d_skipped" ">" 0
at_floor d
vm d --iters "$TITERS" timer-mmio
wrong_skips d
vtc_check "d: disable vtimer_cache" vtc_disable
vtc_check "d: rmmod vtimer_cache" unload vtimer_cache
show_log
clean d

# --- e: the foreign patch of a replaced function loaded first -----------------
echo "# e: $ACK, then vtimer_cache"
vtc_check "e: insmod $ACK" foreign_load $ACK
mark
if insmod /vtc/vtimer_cache.ko verify=1 2>/tmp/insmod.err; then
	vtc_not_ok "e: insmod vtimer_cache refused on top of $ACK"
	vtc_wait_patch enabled
	vtc_disable
	unload vtimer_cache
else
	vtc_ok "e: insmod vtimer_cache refused on top of $ACK ($(head -n 1 /tmp/insmod.err))"
fi
vtc_check "e: the kernel log says '$(msg_refused $ACK $ACK_FUNC)'" logged "$(msg_refused $ACK $ACK_FUNC)"
vtc_check "e: nothing of vtimer_cache left (module, livepatch, debugfs)" vtc_gone
vtc_check "e: $ACK still enabled ($(vtc_patches))" on $ACK
show_log
mark
vtc_check "e: insmod vtimer_cache enable=0 verify=1 beside $ACK" insmod /vtc/vtimer_cache.ko enable=0 verify=1
vtc_check "e: vtimer_cache loaded with its patch disabled" patch_off
if echo enable >"$VTC_DBG/control" 2>/dev/null; then
	vtc_not_ok "e: echo enable > control refused beside $ACK"
	vtc_wait_patch enabled
	vtc_disable
else
	vtc_ok "e: echo enable > control refused beside $ACK"
fi
vtc_check "e: the kernel log says '$(msg_refused $ACK $ACK_FUNC)'" logged "$(msg_refused $ACK $ACK_FUNC)"
vtc_check "e: vtimer_cache's patch still disabled" patch_off
vtc_check "e: $ACK still enabled ($(vtc_patches))" on $ACK
vtc_check "e: disable and unload $ACK" foreign_unload $ACK
vtc_check "e: then echo enable > control enables vtimer_cache" vtc_enable
vtc_check "e: vtimer_cache enabled and trusted" vtc_until 30 state_is enabled 1
vm e --iters "$ITERS" mmio-user
vtc_expect "e: skips once $ACK is gone" "$d_skipped" ">" 0
at_floor e
wrong_skips e
vtc_check "e: disable vtimer_cache" vtc_disable
vtc_check "e: rmmod vtimer_cache" unload vtimer_cache
show_log
clean e

# --- f: a foreign patch of a carried function loaded first -------------------
echo "# f: $CARRY (patches $CARRY_FUNC, which vtimer_cache carries), then vtimer_cache"
vtc_check "f: insmod $CARRY" foreign_load $CARRY
c=$(gic_calls)
vtc_check "f: VM --iters $TITERS timer-mmio with $CARRY" vmm_quiet --iters "$TITERS" timer-mmio
# The counter is what g below watches: it grows when the stock load runs.
vtc_expect "f: the foreign fix runs ($CARRY calls)" "$(($(gic_calls) - c))" ">" 0
mark
if insmod /vtc/vtimer_cache.ko verify=1 2>/tmp/insmod.err; then
	vtc_not_ok "f: insmod vtimer_cache refused on top of $CARRY"
	vtc_wait_patch enabled
	vtc_disable
	unload vtimer_cache
else
	vtc_ok "f: insmod vtimer_cache refused on top of $CARRY ($(head -n 1 /tmp/insmod.err))"
fi
vtc_check "f: the kernel log says '$(msg_refused $CARRY $CARRY_FUNC)'" logged "$(msg_refused $CARRY $CARRY_FUNC)"
vtc_check "f: nothing of vtimer_cache left (module, livepatch, debugfs)" vtc_gone
vtc_check "f: $CARRY still enabled ($(vtc_patches))" on $CARRY
vtc_check "f: disable and unload $CARRY" foreign_unload $CARRY
show_log
clean f

# --- g: the foreign patch of a carried function loaded on top: step aside ----
echo "# g: vtimer_cache, then $CARRY (patches $CARRY_FUNC, which vtimer_cache carries)"
vtc_check "g: insmod vtimer_cache verify=1" vtc_load verify=1
vtc_check "g: vtimer_cache enabled and trusted" vtc_until 30 state_is enabled 1
vm g --iters "$ITERS" mmio-user
vtc_expect "g: skips before $CARRY" "$d_skipped" ">" 0
# A timer VM that runs through the step aside, until signalled.
l=$(num loads)
vtc-vmm --gic "$gic" --timeout 60 --until-signal timer-mmio >/tmp/g.out 2>/tmp/g.out.err &
vmg=$!
grew() { [ "$(num "$1")" -gt "$2" ]; }
vtc_check "g: a timer VM running (loads grow)" vtc_until 60 grew loads "$l"
inval=$(num $S_INVAL)
mark
vtc_check "g: insmod $CARRY on top: its transition over" foreign_load $CARRY
vtc_check "g: the kernel log says '$(msg_trust_off $CARRY $CARRY_FUNC)'" logged "$(msg_trust_off $CARRY $CARRY_FUNC)"
vtc_check "g: the kernel log says '$(msg_aside $CARRY $CARRY_FUNC)'" vtc_until 30 logged "$(msg_aside $CARRY $CARRY_FUNC)"
vtc_check "g: vtimer_cache's patch disabled, gone from $LP" vtc_until 60 patch_off
vtc_check "g: the kernel log says '$MSG_STOCK'" logged "$MSG_STOCK"
vtc_check "g: vtimer_cache still loaded" loaded vtimer_cache
vtc_check "g: $CARRY still enabled ($(vtc_patches))" on $CARRY
vtc_check "g: vtimer_cache not trusted" vtc_stat_is trusted 0
vtc_expect "g: $S_INVAL" "$(num $S_INVAL)" ">" "$inval"
vtc_check "g: $S_FPATCH $CARRY ($(vtc_stat $S_FPATCH))" vtc_stat_is $S_FPATCH $CARRY
vtc_check "g: $S_FFUNC $CARRY_FUNC ($(vtc_stat $S_FFUNC))" vtc_stat_is $S_FFUNC $CARRY_FUNC
c=$(gic_calls)
gic_ran() { [ "$(gic_calls)" -gt "$1" ]; }
vtc_check "g: the foreign fix runs in the timer VM ($CARRY calls grow from $c)" vtc_until 30 gic_ran "$c"
vtc_check "g: the timer VM still running" kill -0 $vmg
kill -TERM $vmg
if wait $vmg; then
	vtc_ok "g: the timer VM ran through the step aside ($(grep total /tmp/g.out | tr ' ' '\n' | grep -E '^(iters|irqs|irqs_expected|lost|dup|stuck)=' | tr '\n' ' '))"
else
	vtc_not_ok "g: the timer VM ran through the step aside: $(grep total /tmp/g.out) $(tail -n 2 /tmp/g.out.err)"
fi
show_log
s=$(num skipped) l=$(num loads) w=$(num writes) c=$(gic_calls)
vm g --iters "$ITERS" mmio-user
vm g --iters "$TITERS" timer-mmio
l=$(($(num loads) - l))
# Where the counting probes are: the ftrace records of the load and the write.
grep -E '^(kvm_timer_vcpu_load|kvm_timer_vcpu_load_gic|irq_set_irqchip_state) ' \
	"$TRACING/enabled_functions" | sed 's/^/# g: ftrace: /'
echo "# g: probe_missed $(vtc_stat probe_missed); loads +$l, $CARRY calls +$(($(gic_calls) - c)), writes +$(($(num writes) - w))"
vtc_expect "g: stepped aside: the VMs' loads counted" "$l" ">" 0
vtc_expect "g: stepped aside: every load ran the foreign fix ($CARRY calls per load)" \
	"$(ratio "$(($(gic_calls) - c))" "$l")" ">=" "$stock_min"
vtc_expect "g: stepped aside: the stock writes per load" "$(ratio "$(($(num writes) - w))" "$l")" ">=" "$stock_min"
vtc_expect "g: stepped aside: nothing skipped" "$(($(num skipped) - s))" "==" 0
wrong_skips g
mark
if echo enable >"$VTC_DBG/control" 2>/dev/null; then
	vtc_not_ok "g: echo enable > control refused beside $CARRY"
	vtc_wait_patch enabled
else
	vtc_ok "g: echo enable > control refused beside $CARRY"
fi
vtc_check "g: the kernel log says '$(msg_refused $CARRY $CARRY_FUNC)'" logged "$(msg_refused $CARRY $CARRY_FUNC)"
show_log
mark
vtc_check "g: disable and unload $CARRY" foreign_unload $CARRY
vtc_check "g: then echo enable > control enables vtimer_cache" vtc_enable
vtc_check "g: vtimer_cache enabled and trusted" vtc_until 30 state_is enabled 1
vtc_check "g: $S_FPATCH - and $S_FFUNC -" foreign_none
vm g --iters "$ITERS" mmio-user
vtc_expect "g: skips once $CARRY is gone" "$d_skipped" ">" 0
at_floor g
wrong_skips g
vtc_check "g: disable vtimer_cache" vtc_disable
vtc_check "g: rmmod vtimer_cache" unload vtimer_cache
show_log
clean g

vtc_check "no livepatch left" no_patches
vtc_kmemleak_check
vtc_done
