#!/bin/bash
# The emulator for kvm-arm.mode=nested. Bookworm's QEMU 7.2 has no FEAT_NV
# (a host kernel says "VHE mode" there); trixie's QEMU 10.0 has it, and
# the same kernel says "VHE+NV2 mode initialized successfully". This makes
# an amd64 trixie root with qemu-system-arm in the cache (mmdebstrap
# --variant=apt, a few minutes the first time; the system is not touched)
# and prints a directory holding a `qemu-system-aarch64` that runs it with
# the root's own loader and libraries. tests/rig/run.sh --mode nested puts
# that directory first in PATH; every other mode keeps bookworm's QEMU.
#
#   tests/rig/qemu-nv.sh     prints the directory on stdout
set -euo pipefail

cache=${VTC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vtimer-cache}
suite=trixie
mirror=http://deb.debian.org/debian
# The entry changes with this script (what it installs and how it runs it).
key=$suite-$(sha256sum "$0" | cut -c1-16)
entry=$cache/qemu-nv/$key
log() { echo "qemu-nv.sh: $*" >&2; }
die() { log "$*"; exit 1; }

if [ -x "$entry/bin/qemu-system-aarch64" ]; then
	echo "$entry/bin"
	exit 0
fi
command -v mmdebstrap >/dev/null || die "mmdebstrap not installed (scripts/deps.sh)"

mkdir -p "$cache/qemu-nv"
work=$(mktemp -d "$cache/qemu-nv/.tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT
log "an amd64 $suite root with qemu-system-arm (first time only)"
start=$SECONDS
mmdebstrap --quiet --variant=apt --include=qemu-system-arm "$suite" "$work/root" "$mirror" \
	>"$work/mmdebstrap.log" 2>&1 || { tail -n 20 "$work/mmdebstrap.log" >&2; die "mmdebstrap failed"; }

# Run from the host's file system (the kernel, initramfs and sockets are
# host paths): the root's loader and libraries, its data directory (-L).
mkdir -p "$work/bin"
# Its modules too: by default QEMU would try the system's, of another build.
cat >"$work/bin/qemu-system-aarch64" <<EOF
#!/bin/sh
r=$entry/root
QEMU_MODULE_DIR=\$r/usr/lib/x86_64-linux-gnu/qemu
export QEMU_MODULE_DIR
exec "\$r/lib64/ld-linux-x86-64.so.2" --library-path "\$r/lib/x86_64-linux-gnu:\$r/usr/lib/x86_64-linux-gnu" \\
	"\$r/usr/bin/qemu-system-aarch64" -L "\$r/usr/share/qemu" "\$@"
EOF
chmod +x "$work/bin/qemu-system-aarch64"
# The wrapper names the final path: move first, then check it runs there.
rm -rf "$entry"
mv "$work" "$entry"
trap - EXIT
if ! v=$("$entry/bin/qemu-system-aarch64" --version | head -n 1); then
	rm -rf "$entry"
	die "the $suite QEMU does not run"
fi
log "$v, in $((SECONDS - start)) s"
echo "$entry/bin"
