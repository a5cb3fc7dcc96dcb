#!/bin/sh
# Helpers for guest test scripts (sourced from /vtc/test.sh). POSIX sh has
# no local variables: a helper's own are prefixed with its name, so that it
# never changes a caller's (a loop counter i, say).
# Checks are KTAP results (/vtc/ktap.sh, tests/ktap.sh) that the host
# counts (tests/check.sh); vtc_done prints the closing line and exits
# non-zero if any check failed. The vtc_ names are the KTAP helper's.
. /vtc/ktap.sh
ktap_header
TRACING=/sys/kernel/tracing

vtc_ok() { ktap_pass "$*"; }
vtc_not_ok() { ktap_fail "$*"; }
# vtc_check NAME CMD...: run CMD, ok if it exits 0; returns its failure,
# so that a script can stop at a failed step ("vtc_check ... || return").
vtc_check() { ktap_result "$@"; }
vtc_must() { ktap_result "$@"; }
vtc_done() { ktap_finish; }

# vtc_expect NAME VALUE OP BOUND: numeric comparison with awk (floats).
vtc_expect() {
	_expect_name=$1 _expect_val=$2 _expect_op=$3 _expect_bound=$4
	if awk -v v="$_expect_val" -v b="$_expect_bound" "BEGIN { exit !(v $_expect_op b) }"; then
		vtc_ok "$_expect_name ($_expect_val $_expect_op $_expect_bound)"
	else
		vtc_not_ok "$_expect_name ($_expect_val $_expect_op $_expect_bound is false)"
	fi
}

# vtc_until SECONDS CMD...: poll CMD every 0.1 s until it succeeds; fail
# (and say what was awaited) if it has not after SECONDS. Tests wait for
# the condition they need with this, never for a fixed time.
# (POSIX sh has no locals: its variables are prefixed.)
vtc_until() {
	_vu_limit=$(($1 * 10))
	shift
	_vu_n=0
	until "$@"; do
		_vu_n=$((_vu_n + 1))
		if [ $_vu_n -ge $_vu_limit ]; then
			echo "# vtc_until: '$*' not true after $((_vu_limit / 10)) s" >&2
			return 1
		fi
		sleep 0.1
	done
}

# Kprobe events on irq_set_irqchip_state(irq, IRQCHIP_STATE_ACTIVE = 1, val)
# and on kvm_arch_vcpu_load, counted through the trace buffer.
vtc_kprobes_on() {
	echo 'p:vtc_set irq_set_irqchip_state irq=%x0:u32 which=%x1:u32 val=%x2:u8' >>$TRACING/kprobe_events
	echo 'p:vtc_load kvm_arch_vcpu_load' >>$TRACING/kprobe_events
	echo 'which == 1' >$TRACING/events/kprobes/vtc_set/filter
	echo 1 >$TRACING/events/kprobes/vtc_set/enable
	echo 1 >$TRACING/events/kprobes/vtc_load/enable
	echo 16384 >$TRACING/buffer_size_kb
	echo >$TRACING/trace
}

vtc_kprobes_off() {
	echo 0 >$TRACING/events/kprobes/vtc_set/enable
	echo 0 >$TRACING/events/kprobes/vtc_load/enable
	echo >$TRACING/kprobe_events
}

# The host IRQ numbers of the timer PPIs, from /proc/interrupts.
vtc_timer_irqs() {
	awk '/kvm guest [vp]timer/ { sub(":", "", $1); printf "%s ", $1 }' /proc/interrupts
}

# --- vtimer_cache module helpers ------------------------------------------
VTC_LP=/sys/kernel/livepatch/vtimer_cache
VTC_DBG=/sys/kernel/debug/vtimer_cache

# vtc_stat NAME: one value from the module's stats file.
vtc_stat() {
	awk -v k="$1" '$1 == k { print $2 }' $VTC_DBG/stats
}

# vtc_stat_is NAME VALUE: the stats' NAME is VALUE (for vtc_until).
vtc_stat_is() { [ "$(vtc_stat "$1")" = "$2" ]; }

# vtc_patches: the livepatches, NAME=ENABLED each (for messages).
vtc_patches() {
	for _patches_d in /sys/kernel/livepatch/*; do
		[ -d "$_patches_d" ] && printf '%s=%s ' "${_patches_d##*/}" "$(cat "$_patches_d/enabled")"
	done
}

# vtc_wait_patch enabled|gone: wait (60 s at most) until the klp
# transition is over and the patch is enabled, or gone.
vtc_patch_is() {
	case $1 in
	enabled) [ "$(cat $VTC_LP/transition $VTC_LP/enabled 2>/dev/null | tr -d '\n')" = 01 ] ;;
	gone) [ ! -d $VTC_LP ] ;;
	esac
}
vtc_wait_patch() { vtc_until 60 vtc_patch_is "$1"; }

vtc_load() {
	insmod /vtc/vtimer_cache.ko "$@" && vtc_wait_patch enabled
}

vtc_disable() {
	echo 0 >$VTC_LP/enabled && vtc_wait_patch gone
}

# vtc_gone: no vtimer_cache module, livepatch or debugfs directory left.
vtc_gone() {
	test ! -d $VTC_LP && test ! -d $VTC_DBG && ! grep -q '^vtimer_cache' /proc/modules
}

vtc_enable() {
	echo enable >$VTC_DBG/control && vtc_wait_patch enabled
}

# vtc_vmm_field LINE KEY: a key=value field of a vtc-vmm output line.
vtc_field() {
	echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'
}

# vtc_vmm ARGS...: run vtc-vmm, keep its total line in $VTC_TOTAL.
vtc_vmm() {
	VTC_OUT=$(vtc-vmm "$@")
	_vmm_rc=$?
	VTC_TOTAL=$(echo "$VTC_OUT" | grep '^vtc-vmm total')
	echo "$VTC_TOTAL"
	return $_vmm_rc
}

# Scan for leaks (the debug kernel has DEBUG_KMEMLEAK) and check there are
# none; tests "echo clear" into it when they start. kmemleak reports an
# object only once it is 5 s old (MSECS_MIN_AGE) and unchanged since the
# previous scan: the wait is its condition, not a guess (rig-fails-leak
# fails the check with a leak made just before).
vtc_kmemleak_check() {
	if [ ! -w /sys/kernel/debug/kmemleak ]; then
		vtc_not_ok "kmemleak available"
		return
	fi
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	_kmemleak_check_leaks=$(grep -c unreferenced /sys/kernel/debug/kmemleak)
	[ "$_kmemleak_check_leaks" = 0 ] || head -n 40 /sys/kernel/debug/kmemleak | sed 's/^/# /'
	vtc_expect "kmemleak: no leaks" "$_kmemleak_check_leaks" "==" 0
}

# vtc_host_kind: "native" if the kernel carries the series of patches/
# (its per-CPU cache is in kallsyms), else "stock".
vtc_host_kind() {
	if grep -qw timer_phys_active /proc/kallsyms; then echo native; else echo stock; fi
}

# vtc_kvm_mode: what KVM said when it started ("VHE mode initialized
# successfully", ...).
vtc_kvm_mode() {
	dmesg | grep -oE '[^ ]+ mode initialized successfully' | head -n 1
}

# vtc_nested_host: KVM runs with nested virtualization (run.sh --mode
# nested), so vcpus can have EL2.
vtc_nested_host() {
	[ "$(vtc_kvm_mode)" = "VHE+NV2 mode initialized successfully" ]
}

# The CLI (scripts/vtimer-cache), which the rig puts in every boot.
VTC_CLI=/vtc/vtimer-cache

# vtc_bench_opts ITERS TITERS: vtimer-cache bench's options for the
# measured workloads: ITERS iterations for the idle-timer ones, TITERS for
# the timer-busy ones, and on a nested host also the *-el2 ones.
vtc_bench_opts() {
	echo "--iters $1 --titers $2"
	if vtc_nested_host; then echo --el2; fi
}

# vtc_workloads ITERS TITERS: those workloads, one "NAME VTC-VMM ARGUMENTS"
# line each (vtimer-cache bench --list).
vtc_workloads() {
	# shellcheck disable=SC2046 # a list of options
	sh $VTC_CLI bench --list $(vtc_bench_opts "$1" "$2")
}

# --- DKMS in the arm64 userland (run.sh --rootfs) ---------------------------

# vtc_timed LOG CMD...: run CMD with its output in LOG, print how long it
# took ("# CMD: N s"), and show LOG's tail if it failed.
vtc_timed() {
	_timed_log=$1
	shift
	_timed_t0=$(date +%s)
	"$@" >"$_timed_log" 2>&1
	_timed_rc=$?
	echo "# $*: $(($(date +%s) - _timed_t0)) s, exit $_timed_rc"
	[ $_timed_rc = 0 ] || tail -n 25 "$_timed_log" | sed 's/^/#   /'
	return $_timed_rc
}

# vtc_kernel_debs: dpkg -i the running kernel's linux-image and
# linux-headers packages from /vtc/debs (tests/kernel/debs.sh).
vtc_kernel_debs() {
	_kernel_debs_kver=$(uname -r)
	set -- /vtc/debs/linux-image-"$_kernel_debs_kver"_*.deb /vtc/debs/linux-headers-"$_kernel_debs_kver"_*.deb
	if [ ! -f "$1" ] || [ ! -f "$2" ]; then
		vtc_not_ok "linux-image and linux-headers packages of $_kernel_debs_kver in /vtc/debs"
		return 1
	fi
	vtc_must "dpkg -i linux-image-$_kernel_debs_kver linux-headers-$_kernel_debs_kver" \
		vtc_timed /tmp/dpkg-kernel.log dpkg --force-unsafe-io -i "$@" || return 1
	vtc_must "headers of the running kernel at /lib/modules/$_kernel_debs_kver/build" \
		test -f "/lib/modules/$_kernel_debs_kver/build/include/config/auto.conf"
}

# vtc_dkms_clean VER: nothing of vtimer-cache is left in dkms, under
# /lib/modules or loaded.
vtc_dkms_clean() {
	vtc_check "no /var/lib/dkms/vtimer-cache" test ! -e /var/lib/dkms/vtimer-cache
	vtc_check "dkms status lists no vtimer-cache" \
		sh -c '! dkms status 2>/dev/null | grep -q vtimer-cache'
	_dkms_clean_left=$(find /lib/modules/ -name 'vtimer_cache.ko*' 2>/dev/null)
	vtc_check "no vtimer_cache.ko under /lib/modules${_dkms_clean_left:+ (found: $_dkms_clean_left)}" test -z "$_dkms_clean_left"
	vtc_check "modules.dep has no vtimer_cache" \
		sh -c '! grep -q vtimer_cache /lib/modules/*/modules.dep'
	vtc_check "vtimer_cache not loaded" sh -c '! grep -q "^vtimer_cache " /proc/modules'
	vtc_check "no /usr/src/vtimer-cache-$1" test ! -e "/usr/src/vtimer-cache-$1"
}

# vtc_dkms_works VER: the DKMS-installed module loads with modprobe, the
# patch enables, a VM's writes are skipped, and it unloads.
vtc_dkms_works() {
	_dkms_works_kver=$(uname -r)
	vtc_check "dkms status: vtimer-cache/$1 installed for $_dkms_works_kver" \
		sh -c "dkms status vtimer-cache/$1 -k $_dkms_works_kver | grep -q ': installed'"
	_dkms_works_ko=$(modinfo -n vtimer_cache 2>/dev/null)
	vtc_check "modinfo finds the DKMS module (${_dkms_works_ko:-none})" \
		sh -c "echo '$_dkms_works_ko' | grep -q '^/lib/modules/$_dkms_works_kver/updates/dkms/vtimer_cache.ko'"
	_dkms_works_vm=$(modinfo -F vermagic vtimer_cache 2>/dev/null)
	vtc_check "vermagic is the running kernel's ($_dkms_works_vm)" \
		sh -c "echo '$_dkms_works_vm' | grep -q '^$_dkms_works_kver '"
	if ! vtc_must "modprobe vtimer_cache" modprobe vtimer_cache; then
		dmesg | tail -n 10 | sed 's/^/# /'
		return 1
	fi
	vtc_must "patch enabled, transition 0" vtc_wait_patch enabled || return 1
	vtc_check "vtc-vmm --iters 200 mmio-user" vtc_vmm --iters 200 mmio-user
	vtc_expect "skipped writes with the patch on" "$(vtc_stat skipped)" ">" 0
	vtc_check "disable the patch" vtc_disable
	vtc_check "rmmod vtimer_cache" rmmod vtimer_cache
}

# vtc_state_save: this boot's changes to the root file system (what was
# created or changed since /init dated the boot, /vtc excepted) onto the
# state disk, as a tar archive that /init restores on the next boot of
# run.sh --disk with the same file. Deleted files are not carried over.
vtc_state_save() {
	[ -b /dev/vda ] || { vtc_not_ok "a state disk (run.sh --disk)"; return 1; }
	mkdir -p /vtc-state
	date >/vtc-state/saved
	(cd / && find . -xdev \( -path ./vtc -o -path ./proc -o -path ./sys \
		-o -path ./dev -o -path ./run -o -path ./tmp \) -prune -o \
		-cnewer /vtc/boot-marker -print | tar --no-recursion -cf /dev/vda -T -)
	_state_rc=$?
	_state_n=$(tar -tf /dev/vda | wc -l)
	[ $_state_rc = 0 ] && [ "$_state_n" -gt 1 ] && _state_rc=ok
	vtc_check "root file system changes saved to the state disk ($_state_n files)" \
		[ "$_state_rc" = ok ]
}
