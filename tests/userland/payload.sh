#!/bin/bash
# Stage what the DKMS tests add to the arm64 userland (run.sh --rootfs):
#   DIR/src/    a checkout for "make dkms-install": Makefile, dkms.conf,
#               Kbuild, src/, include/, scripts/gen-expect.sh
#   DIR/pkg/    vtimer-cache-dkms_<ver>-1_all.deb ("make deb")
#   DIR/debs/   the test kernel's linux-image and linux-headers packages
#               (tests/kernel/debs.sh SERIES)
# and print DIR. Add them with --add DIR/src:/vtc/ --add DIR/pkg:/vtc/
# --add DIR/debs:/vtc/; boot DIR/Image (the kernel in linux-image).
#
# usage: payload.sh DIR [SERIES]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
dir=${1:?usage: payload.sh DIR [SERIES]}
series=${2:-7.2}

die() { echo "payload.sh: error: $*" >&2; exit 1; }

debs=$("$top/tests/kernel/debs.sh" "$series") || die "no kernel packages (tests/kernel/debs.sh $series)"
rm -rf "$dir"
mkdir -p "$dir/src/scripts" "$dir/pkg" "$dir/debs"
cd "$top"
tar -c --exclude='*.o' --exclude='.*.cmd' --exclude='*.ko' --exclude='*.mod' \
	--exclude='*.mod.c' --exclude='*.order' --exclude=Module.symvers \
	Makefile dkms.conf Kbuild src include scripts/gen-expect.sh | tar -x -C "$dir/src"
deb=$(make -s deb | tail -n 1) || die "make deb failed"
[ -f "$deb" ] || die "make deb printed no package: $deb"
cp "$deb" "$dir/pkg/"
cp "$debs"/linux-image-*.deb "$debs"/linux-headers-*.deb "$dir/debs/"
cp "$debs/Image" "$dir/Image"
echo "$dir"
