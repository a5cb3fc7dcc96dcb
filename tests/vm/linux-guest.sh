#!/bin/bash
# A real Linux guest on a real VMM: Debian's QEMU (from the arm64 userland)
# runs Debian's arm64 kernel with KVM in the emulated host, with virtio-blk
# and virtio-net, and the workloads of tools/vmm/linux-init, the patch off
# (stock, the probes counting) and on in one boot. Per workload, a line
# "# linux-guest PHASE WORKLOAD key=value ..." with the host's loads,
# exits, writes and skips and the guest's own figures; checks that every
# workload completes, that the guest takes timer interrupts in each with
# the patch on (their rates are printed, not checked: they follow the
# emulator's pace), that the guest logs no RCU stall, soft lockup, WARN or
# BUG, and that no skip was wrong.
#
# usage: linux-guest.sh smoke|full [--cost-marks]
# --cost-marks (make bench, under the cost tool's plugin): QEMU runs pinned
# to CPU 1, and each workload is one of the plugin's windows on that CPU
# (vtc-vmm --cost-mark), numbered in the summary line's window=N.
# Needs the arm64 userland (run.sh --rootfs) and the guest of
# tests/userland/guest.sh in /vtc/l2/ (check.sh's @guest).
# /init runs test scripts with sh.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. /vtc/lib.sh
size=${1:-smoke}
marks=0
[ "${2:-}" = --cost-marks ] && marks=1
pin=()
[ $marks = 1 ] && pin=(taskset -c 1)
window=0
l2=/vtc/l2
run=/tmp/l2
KVM_DBG=/sys/kernel/debug/kvm

case $size in
smoke) secs=3 blk_mb=4 net_mb=1 rounds=3 pause=1 ;;
full) secs=20 blk_mb=32 net_mb=8 rounds=10 pause=2 ;;
*) echo "usage: $0 smoke|full" >&2; exit 2 ;;
esac

for f in /usr/bin/qemu-system-aarch64 $l2/Image $l2/initrd.cpio.gz; do
	[ -e "$f" ] || { vtc_not_ok "$f exists (run.sh --rootfs, check.sh @guest)"; vtc_done; exit 1; }
done
gic=host
echo "# KVM: $(vtc_kvm_mode)"
mkdir -p $run/tftp
head -c $((net_mb * 1048576)) /dev/urandom >$run/tftp/blob
blob_md5=$(md5sum <$run/tftp/blob | cut -d' ' -f1)

# l2_start PHASE: boot the guest; its console and QMP are pipes.
l2_start() {
	rm -f $run/con.* $run/qmp.* $run/disk.img
	mkfifo $run/con.in $run/con.out $run/qmp.in $run/qmp.out
	truncate -s 256M $run/disk.img
	"${pin[@]}" qemu-system-aarch64 -M virt,gic-version=$gic -accel kvm -cpu host -smp 2 -m 512M \
		-nographic -nodefaults -no-reboot \
		-kernel $l2/Image -initrd $l2/initrd.cpio.gz \
		-append "console=ttyAMA0 loglevel=1 panic=-1" \
		-serial pipe:$run/con \
		-chardev pipe,id=qmp,path=$run/qmp -mon chardev=qmp,mode=control \
		-drive file=$run/disk.img,format=raw,if=none,id=d,cache=none \
		-device virtio-blk-device,drive=d \
		-netdev user,id=n,restrict=on,tftp=$run/tftp \
		-device virtio-net-device,netdev=n >"$run/qemu.$1.log" 2>&1 &
	QEMU_PID=$!
	exec 3>$run/con.in 4<$run/con.out 5>$run/qmp.in 6<$run/qmp.out
	# QMP: the greeting, then capabilities negotiation
	qmp '{"execute":"qmp_capabilities"}' >/dev/null
}

# qmp JSON: send one command, print its answer (events are skipped).
qmp() {
	local l
	echo "$1" >&5
	while read -r -t 60 l <&6; do
		case "$l" in
		*'"return"'*|*'"error"'*) echo "$l"; return 0 ;;
		esac
	done
	return 1
}

# l2_read TIMEOUT: the guest's next "VTC-L2 ..." line into $L2, its
# other console output kept in the log.
l2_read() {
	local l
	while read -r -t "$1" l <&4; do
		l=${l%$'\r'}
		case "$l" in
		VTC-L2\ *) L2=$l; return 0 ;;
		*) echo "$l" >>$run/console.log ;;
		esac
	done
	L2="VTC-L2 FAIL no answer in $1 s"
	return 1
}

exits() { cat $KVM_DBG/exits; }

# l2_send COMMAND: send a command, wait until the guest has begun it.
l2_send() {
	echo "$*" >&3
	l2_read 120 && [ "${L2#VTC-L2 BEGIN }" != "$L2" ]
}

# measure PHASE NAME COMMAND...: reset the host's counters, send COMMAND
# to the guest, wait for its answer; print the summary line.
measure() {
	local phase=$1 name=$2 x0 x1 t0
	shift 2
	echo reset >$VTC_DBG/stats
	x0=$(exits)
	t0=$SECONDS
	if [ $marks = 1 ]; then
		window=$((window + 1))
		taskset -c 1 /vtc/bin/vtc-vmm.bin --cost-mark open ||
			vtc_not_ok "$phase $name: the cost tool's window $window opened"
	fi
	l2_send "$*" || { vtc_not_ok "$phase $name: the guest starts it ($L2)"; return 1; }
	if [ "$name" = pause ]; then
		# Stop the guest for $pause s in the middle of its cyclictest (the
		# guest's clock follows the host's): the sleeps place the pause.
		sleep $((secs / 2))
		if qmp '{"execute":"stop"}' | grep -q return && sleep "$pause" &&
			qmp '{"execute":"cont"}' | grep -q return; then
			vtc_ok "$phase pause: QMP stop, $pause s, cont"
		else
			vtc_not_ok "$phase pause: QMP stop and cont"
		fi
	fi
	l2_read $((secs * 60 + 300))
	if [ $marks = 1 ]; then
		taskset -c 1 /vtc/bin/vtc-vmm.bin --cost-mark close ||
			vtc_not_ok "$phase $name: the cost tool's window $window closed"
	fi
	x1=$(exits)
	LINE="${pin:+window=$window }patch=$(vtc_stat patch) host_s=$((SECONDS - t0)) exits=$((x1 - x0)) loads=$(vtc_stat loads) writes=$(vtc_stat writes) writes_per_load=$(vtc_stat writes_per_load) writes_per_exit=$(awk -v w="$(vtc_stat writes)" -v e="$((x1 - x0))" 'BEGIN { printf "%.3f", e ? w / e : 0 }') issued=$(vtc_stat issued) skipped=$(vtc_stat skipped) skip_ratio=$(vtc_stat skip_ratio) needed=$(vtc_stat verify.needed) wrong_skips=$(vtc_stat verify.wrong_skips) ${L2#VTC-L2 DONE $1 }"
	echo "# linux-guest $phase $name $LINE"
	case "$L2" in
	"VTC-L2 DONE "*) vtc_ok "$phase $name: the guest finished it" ;;
	*) vtc_not_ok "$phase $name: $L2" ;;
	esac
	# --cost-marks loads the module without verify=1: reading the GIC back
	# would add to the instructions counted.
	[ $marks = 0 ] && vtc_expect "$phase $name: no wrong skip" "$(vtc_stat verify.wrong_skips)" "==" 0
	# The floor: the decisions where the GIC's bit differed from the value
	# to write (verify=1), which any cache must issue; the cache may add its
	# priming writes (nothing is known after a reset) and 5%.
	[ "$phase" = cached ] && [ $marks = 0 ] &&
		vtc_expect "$phase $name: issued writes within 5% of the floor ($(vtc_stat verify.needed), +4 priming)" \
			"$(vtc_stat issued)" "<=" "$(awk -v f="$(vtc_stat verify.needed)" 'BEGIN { printf "%d", f * 1.05 + 4 }')"
	eval "R_${phase}_${name}=\"\$LINE\""
}

# phase NAME: one guest boot through every workload.
phase() {
	local p=$1 t0=$SECONDS
	echo reset >$VTC_DBG/stats
	x0=$(exits)
	l2_start "$p"
	if ! l2_read 900 || [ "${L2#VTC-L2 READY }" = "$L2" ]; then
		vtc_not_ok "$p: guest boots to its /init ($L2)"
		kill $QEMU_PID 2>/dev/null
		tail -n 20 $run/qemu.$p.log $run/console.log 2>/dev/null | sed 's/^/# /'
		return 1
	fi
	echo "# linux-guest $p boot patch=$(vtc_stat patch) exits=$(($(exits) - x0)) loads=$(vtc_stat loads) writes=$(vtc_stat writes) writes_per_load=$(vtc_stat writes_per_load) skip_ratio=$(vtc_stat skip_ratio) wrong_skips=$(vtc_stat verify.wrong_skips) host_s=$((SECONDS - t0)) ${L2#VTC-L2 READY }"
	vtc_ok "$p: guest booted to userspace in $((SECONDS - t0)) s (${L2#VTC-L2 READY })"
	measure "$p" idle idle "$secs"
	measure "$p" cyclic cyclic "$secs" 1000
	measure "$p" hotplug hotplug "$rounds" "$secs"
	measure "$p" pause cyclic "$secs" 1000
	measure "$p" blk blk "$blk_mb"
	measure "$p" net net blob "$blob_md5"
	l2_send health && l2_read 120
	echo "# linux-guest $p health ${L2#VTC-L2 DONE health }"
	for k in rcu_stalls soft_lockups warnings bugs; do
		vtc_expect "$p: guest log, $k" "$(vtc_field "$L2" $k)" "==" 0
	done
	echo off >&3
	l2_read 60
	vtc_check "$p: QEMU exits after the guest powers off" vtc_until 60 sh -c "! kill -0 $QEMU_PID 2>/dev/null"
	exec 3>&- 4<&- 5>&- 6<&-
}

if [ $marks = 1 ]; then
	vtc_check "insmod" vtc_load
else
	vtc_check "insmod verify=1" vtc_load verify=1
fi
[ $marks = 0 ] || echo "cost-info module_text=$(cat /sys/module/vtimer_cache/sections/.text)"
vtc_check "disable" vtc_disable
phase stock
vtc_check "enable" vtc_enable
phase cached

# Stock against cached, the guest's timers: interrupts per guest second,
# cyclictest's cycles and worst latency, printed, not checked: they follow
# the emulator's pace, which the machine's load sets (a second emulator
# halves them). A timer left blocked by a wrong skip stops the guest's
# sleep or cyclictest, and the workload never finishes (checked above);
# verify=1 counts every wrong skip, whether or not it blocks anything.
rate() { awk -v i="$(vtc_field "$1" timer_irqs)" -v t="$(vtc_field "$1" guest_cs)" 'BEGIN { printf "%.1f", t ? i * 100 / t : 0 }'; }
# shellcheck disable=SC2154 # s and c are set by the eval
for w in idle cyclic hotplug pause blk net; do
	eval "s=\$R_stock_$w c=\$R_cached_$w"
	echo "# timers $w: interrupts per guest second stock $(rate "$s") cached $(rate "$c");" \
		"cyclictest cycles stock $(vtc_field "$s" cycles) cached $(vtc_field "$c" cycles)," \
		"worst latency (us) stock $(vtc_field "$s" max_us) cached $(vtc_field "$c" max_us)"
	vtc_expect "cached $w: the guest took timer interrupts" "$(vtc_field "$c" timer_irqs)" ">" 0
done
vtc_check "disable" vtc_disable
vtc_check "rmmod" rmmod vtimer_cache
vtc_done
