#!/bin/bash
# Boot the arm64 KVM test host under QEMU (TCG), run one guest script in it
# and bring back its verdict.
#
# Failure is the default: the run passes only if the guest's /init writes
# "VTC-VERDICT: PASS" to a dedicated virtio-serial port. A hang (timeout),
# panic (panic_on_warn, oops=panic, -no-reboot), a failing script or a
# missing verdict all fail, and the console log is kept.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# What runs inside the emulated host: /init, lib.sh and the KTAP helper
# (tests/ktap.sh), the VMM wrapper (and the CLI, scripts/vtimer-cache,
# whose bench list lib.sh reads).
vm=$top/tests/vm
cache=${VTC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vtimer-cache}

usage() {
	cat >&2 <<USAGE
usage: $0 [options] SCRIPT [ARGS...]
  --gic 2|3          GIC version of the emulated host (default 3)
  --mode vhe|nvhe|nested
                     KVM mode of the host kernel (default vhe); nested
                     (kvm-arm.mode=nested) runs under trixie's QEMU, which
                     has FEAT_NV (tests/rig/qemu-nv.sh), the others under
                     the system's
  --smp N            host CPUs (default 2)
  --mem SIZE         host memory (default 1G)
  --timeout SECONDS  kill QEMU after this long (default 300)
  --kernel IMAGE     kernel image (default: tests/kernel/build.sh)
  --series S         kernel series for the default image (default 7.2)
  --add SRC[:DEST]   copy SRC into the initramfs at DEST (default /vtc/)
  --append ARGS      extra kernel command line (repeatable)
  --plugin SO[,ARGS] load a QEMU TCG plugin (-plugin SO,ARGS) and run TCG
                     single-threaded (-accel tcg,thread=single), so that
                     the plugin sees one vCPU at a time (tools/cost)
  --tcg-single       run TCG single-threaded (-accel tcg,thread=single): for
                     a test that rewrites kernel text another vCPU is
                     running. QEMU 7.2's multi-threaded TCG can keep
                     executing a stale translation of it: the entry NOP that
                     ftrace has already made a BL (tests/README.md)
  --icount SPEC      QEMU -icount SPEC: virtual time from the instruction
                     count (e.g. shift=0,sleep=off), for repeatable counts
  --out DIR          keep console.log and result.log here
  --allow-warn FUNC  tolerate WARNs raised in kernel function FUNC only (a
                     known stock-kernel bug): no panic_on_warn, and the
                     guest sees the allowance in /vtc/allow-warn. Default:
                     kvm_vcpu_load_debug (README: known issues)
  --strict           tolerate no WARN at all (panic_on_warn=1)
  --no-hold-vm       do not hold an idle VM while the script runs (by
                     default /init does; tools/vmm/hold-vm.c says why)
  --rootfs           boot the arm64 Debian bookworm userland (dkms, gcc 12,
                     bpftrace; tests/userland/build.sh) as the root file
                     system: its cached root.cpio followed by this boot's
                     payload (/init, /vtc) is the initramfs, so every boot
                     starts from the pristine cache and changes stay in guest
                     RAM. Default --mem becomes 3G. The guest clock is set to
                     the host's.
  --systemd          with --rootfs (implied): systemd is PID 1 and runs
                     SCRIPT as the unit vtc-test.service once the system is
                     up (tests/vm/init)
  --disk FILE        attach FILE (created sparse, 4G, if missing) as the
                     virtio disk /dev/vda: the state disk that carries the
                     root's changes from one boot to the next (lib.sh
                     vtc_state_save; /init restores them at boot)
SCRIPT runs inside the VM with ARGS, from /vtc; its output comes back on
stdout. Its KTAP results ("ok N ...", "not ok N ...") are counted by the caller.
USAGE
	exit 2
}

gic=3 mode=vhe smp=2 mem='' timeout_s=300 kernel='' series=7.2 append='' out='' allow_warn=kvm_vcpu_load_debug
plugin='' icount='' tcg_single=0
adds=()
rootfs=0 systemd=0 disk=''
hold_vm=1
while [ $# -gt 0 ]; do
	case "$1" in
	--gic) gic=$2; shift 2 ;;
	--mode) mode=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--series) series=$2; shift 2 ;;
	--add) adds+=("$2"); shift 2 ;;
	--append) append="${append:+$append }$2"; shift 2 ;;
	--plugin) plugin=$2; shift 2 ;;
	--icount) icount=$2; shift 2 ;;
	--tcg-single) tcg_single=1; shift ;;
	--out) out=$2; shift 2 ;;
	--allow-warn) allow_warn=$2; shift 2 ;;
	--strict) allow_warn=''; shift ;;
	--rootfs) rootfs=1; shift ;;
	--systemd) rootfs=1 systemd=1; shift ;;
	--disk) disk=$2; shift 2 ;;
	--no-hold-vm) hold_vm=0; shift ;;
	-h|--help) usage ;;
	--) shift; break ;;
	-*) echo "run.sh: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
script=$1
shift
[ -f "$script" ] || { echo "run.sh: no such script: $script" >&2; exit 2; }
case "$gic" in 2|3) ;; *) echo "run.sh: --gic must be 2 or 3" >&2; exit 2 ;; esac
case "$mode" in vhe|nvhe|nested) ;; *) echo "run.sh: --mode must be vhe, nvhe or nested" >&2; exit 2 ;; esac
if [ "$mode" = nested ]; then
	qemu_nv=$("$here/qemu-nv.sh") || { echo "run.sh: no emulator with FEAT_NV (tests/rig/qemu-nv.sh failed)" >&2; exit 2; }
	PATH=$qemu_nv:$PATH
fi
if [ -z "$mem" ]; then
	mem=1G
	[ "$rootfs" = 1 ] && mem=3G
fi
if [ "$rootfs" = 1 ]; then
	userland=$("$top/tests/userland/build.sh") || { echo "run.sh: no arm64 userland (tests/userland/build.sh failed)" >&2; exit 2; }
	[ -s "$userland/root.cpio" ] || { echo "run.sh: no $userland/root.cpio" >&2; exit 2; }
fi

if [ -z "$kernel" ]; then
	entry=$("$top/tests/kernel/build.sh" "$series")
	kernel=$entry/linux/arch/arm64/boot/Image
fi
[ -f "$kernel" ] || { echo "run.sh: no kernel image: $kernel" >&2; exit 2; }

if [ -z "$out" ]; then
	out=$(mktemp -d "${TMPDIR:-/tmp}/vtc-vm.XXXXXX")
fi
mkdir -p "$out"
rm -f "$out/console.log" "$out/result.log" "$out/initrd.img"

# busybox comes from Debian's arm64 package, extracted, never installed.
bb=$cache/busybox/bin/busybox
if [ ! -x "$bb" ]; then
	mkdir -p "$cache/dl"
	deb=$(ls "$cache/dl"/busybox-static_*_arm64.deb 2>/dev/null | tail -n 1 || true)
	if [ -z "$deb" ]; then
		"$top/tests/kernel/apt-local.sh" update >&2
		(cd "$cache/dl" && "$top/tests/kernel/apt-local.sh" download busybox-static:arm64 >&2)
		deb=$(ls "$cache/dl"/busybox-static_*_arm64.deb | tail -n 1)
	fi
	rm -rf "$cache/busybox.tmp"
	dpkg-deb -x "$deb" "$cache/busybox.tmp"
	mkdir -p "$cache/busybox.tmp/bin"
	[ -x "$cache/busybox.tmp/bin/busybox" ] ||
		mv "$cache/busybox.tmp/usr/bin/busybox" "$cache/busybox.tmp/bin/busybox"
	rm -rf "$cache/busybox"
	mv "$cache/busybox.tmp" "$cache/busybox"
fi

# The initramfs: busybox, our /init, the guest library, the script, the VMM
# if it is built, and whatever the caller adds.
root=$out/initramfs
rm -rf "$root"
if [ "$rootfs" = 1 ]; then
	# Over the userland: nothing in /bin, /sbin or /lib, which are its
	# merged-/usr symlinks (an initramfs entry of another type replaces
	# them). busybox only powers off; the clock comes from the host.
	mkdir -p "$root/vtc/bin"
	cp "$bb" "$root/vtc/busybox"
	touch "$root/vtc/rootfs"
	[ "$systemd" = 1 ] && touch "$root/vtc/systemd"
	date +%s > "$root/vtc/epoch"
else
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,vtc/bin}
	cp "$bb" "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
fi
cp "$vm/init" "$root/init"
chmod +x "$root/init"
cp "$vm/lib.sh" "$top/tests/ktap.sh" "$vm/kernel-errors.re" "$top/scripts/vtimer-cache" "$root/vtc/"
cp "$script" "$root/vtc/test.sh"
printf '%s\n' "$@" > "$root/vtc/args"
[ -n "$allow_warn" ] && echo "$allow_warn" > "$root/vtc/allow-warn"
if [ -x "$top/tools/vmm/build/vtc-vmm" ]; then
	cp "$top/tools/vmm/build/vtc-vmm" "$root/vtc/bin/vtc-vmm.bin"
	cp "$vm/vtc-vmm-wrapper" "$root/vtc/bin/vtc-vmm"
fi
if [ "$hold_vm" = 0 ]; then
	touch "$root/vtc/no-hold-vm"
elif [ -x "$top/tools/vmm/build/vtc-hold-vm" ]; then
	cp "$top/tools/vmm/build/vtc-hold-vm" "$root/vtc/bin/vtc-hold-vm"
else
	echo "run.sh: no tools/vmm/build/vtc-hold-vm (make vmm), or run with --no-hold-vm" >&2
	exit 2
fi
for a in "${adds[@]}"; do
	src=${a%%:*}
	dest=/vtc/
	[ "$a" != "$src" ] && dest=${a#*:}
	mkdir -p "$root/$(dirname "$dest/x")"
	if [ -d "$src" ]; then cp -r "$src" "$root/$dest"; else cp "$src" "$root/$dest"; fi
done
if [ "$rootfs" = 1 ]; then
	# The kernel unpacks concatenated archives in order: userland, payload.
	# Both uncompressed (gunzip under TCG is slow).
	case "$(cd "$root" && find . -path ./vtc -prune -o -print)" in
	*./bin*|*./sbin*|*./lib*) echo "run.sh: --rootfs: --add must not write into /bin, /sbin or /lib (merged /usr)" >&2; exit 2 ;;
	esac
	cp "$userland/root.cpio" "$out/initrd.img"
	(cd "$root" && find . | cpio -o -H newc --quiet) >> "$out/initrd.img"
	initrd=$out/initrd.img
else
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/initramfs.cpio.gz"
	initrd=$out/initramfs.cpio.gz
fi

# The monitor's socket: short path (sun_path is 108 bytes), removed at exit.
mon=$(mktemp -u "${TMPDIR:-/tmp}/vtc-mon.XXXXXX")
machine="virt,virtualization=on,gic-version=$gic"
cpu=max
# The userland's programs (gcc for DKMS) run much faster under TCG with
# QEMU's cheap pointer-authentication algorithm; the feature stays on.
[ "$rootfs" = 1 ] && cpu=max,pauth-impdef=on
pow=1
[ -n "$allow_warn" ] && pow=0
# maxcpus=1: the other CPUs come online in /init only once the idle VM
# exists (tools/vmm/hold-vm.c says why).
cmdline="console=ttyAMA0 panic=-1 panic_on_warn=$pow oops=panic loglevel=6 maxcpus=1 $append"
[ "$mode" = vhe ] || cmdline="$cmdline kvm-arm.mode=$mode"
qemu_args=(
	-M "$machine" -cpu "$cpu" -smp "$smp" -m "$mem"
	-nographic -no-reboot -nic none
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline"
	-serial "file:$out/console.log" -monitor "unix:$mon,server=on,wait=off"
	-device virtio-serial-device
	-chardev "file,id=result,path=$out/result.log"
	-device "virtserialport,chardev=result,name=vtc.result"
)
if [ -n "$plugin" ]; then
	[ -f "${plugin%%,*}" ] || { echo "run.sh: no such plugin: ${plugin%%,*}" >&2; exit 2; }
	qemu_args+=(-plugin "$plugin")
	tcg_single=1
fi
[ "$tcg_single" = 1 ] && qemu_args+=(-accel "tcg,thread=single")
[ -n "$icount" ] && qemu_args+=(-icount "$icount")
if [ -n "$disk" ]; then
	[ -e "$disk" ] || truncate -s 4G "$disk" || { echo "run.sh: cannot create $disk" >&2; exit 2; }
	qemu_args+=(-drive "file=$disk,format=raw,if=none,id=state" -device "virtio-blk-device,drive=state")
fi

# watch_cpus PID: once the console shows a stall or lockup, or shortly
# before the timeout, record where every vCPU is (a CPU spinning with
# interrupts off answers no backtrace IPI, so the kernel cannot say).
watch_cpus() {
	local waited=0 sysmap
	sysmap=$(dirname "$kernel")/../../../System.map
	while kill -0 "$1" 2>/dev/null; do
		sleep 5
		waited=$((waited + 5))
		if grep -aqE 'rcu: INFO: .*detected stalls|hard LOCKUP|still haven.t responded' "$out/console.log" 2>/dev/null ||
			{ [ "$timeout_s" -gt 30 ] && [ "$waited" -ge $((timeout_s - 20)) ]; }; then
			python3 "$here/cpu-state.py" "$mon" "$sysmap" "$out/exceptions.log" >"$out/cpu-state.txt" 2>&1 || true
			return
		fi
	done
}

start=$SECONDS
rc=0
timeout --kill-after=10 "$timeout_s" qemu-system-aarch64 "${qemu_args[@]}" </dev/null >"$out/qemu.log" 2>&1 &
qpid=$!
watch_cpus $qpid &
wpid=$!
wait $qpid || rc=$?
kill $wpid 2>/dev/null || true
wait $wpid 2>/dev/null || true
rm -f "$mon"
elapsed=$((SECONDS - start))
# The userland copy is large and the cache keeps the original.
[ "$rootfs" = 1 ] && rm -f "$out/initrd.img"

touch "$out/result.log"
# Everything but the verdict is the script's output.
grep -av '^VTC-VERDICT:' "$out/result.log" || true

reason=
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	reason="timeout after ${timeout_s}s"
elif grep -aq '^VTC-VERDICT: PASS' "$out/result.log"; then
	reason=
elif grep -aq '^VTC-VERDICT: FAIL' "$out/result.log"; then
	reason=$(grep -a '^VTC-VERDICT: FAIL' "$out/result.log" | tail -n 1)
elif grep -aqE -f "$vm/kernel-errors.re" "$out/console.log" 2>/dev/null; then
	reason="kernel: $(grep -aE -f "$vm/kernel-errors.re" "$out/console.log" | head -n 1)"
else
	reason="no verdict (qemu exit $rc)"
fi
bad_lines() {
	if [ -n "$allow_warn" ]; then
		grep -aE -f "$vm/kernel-errors.re" "$out/console.log" | grep -av "WARNING: at $allow_warn+"
	else
		grep -aE -f "$vm/kernel-errors.re" "$out/console.log"
	fi
}
if [ -z "$reason" ] && bad_lines >/dev/null; then
	reason="kernel: $(bad_lines | head -n 1)"
fi

if [ -n "$reason" ]; then
	echo "run.sh: FAIL ($(basename "$script") gic=v$gic mode=$mode, ${elapsed}s): $reason" >&2
	echo "run.sh: console log: $out/console.log; last lines:" >&2
	tail -n 25 "$out/console.log" | sed 's/^/  | /' >&2 || true
	if [ -s "$out/cpu-state.txt" ]; then
		echo "run.sh: where the CPUs were (QEMU monitor, $out/cpu-state.txt):" >&2
		# Without the raw register dump, which stays in the file.
		sed '/^--- info registers/,/^--- exceptions/{/^--- exceptions/!d}' "$out/cpu-state.txt" |
			sed 's/^/  | /' >&2
	fi
	exit 1
fi
echo "run.sh: PASS ($(basename "$script") gic=v$gic mode=$mode, ${elapsed}s)" >&2
