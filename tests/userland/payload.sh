#!/bin/bash
# Stage what the DKMS tests add to the arm64 userland (run.sh --rootfs):
#   DIR/src/    a checkout for "make dkms-install": Makefile, dkms.conf,
#               Kbuild, src/, include/, scripts/gen-expect.sh
#   DIR/pkg/    vtimer-cache-dkms_<ver>_all.deb ("make deb") and, for the
#               upgrade test, the same at <ver>+1 (the patch level bumped)
#   DIR/mok/    the test kernel's module signing key and certificate: what
#               DKMS signs with in the package test (an enrolled MOK's part)
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
mkdir -p "$dir/src/scripts" "$dir/pkg" "$dir/debs" "$dir/mok"
cd "$top"
tar -c --exclude='*.o' --exclude='.*.cmd' --exclude='*.ko' --exclude='*.mod' \
	--exclude='*.mod.c' --exclude='*.order' --exclude=Module.symvers \
	Makefile dkms.conf Kbuild src include scripts/gen-expect.sh | tar -x -C "$dir/src"
deb=$(make -s deb | tail -n 1) || die "make deb failed"
[ -f "$deb" ] || die "make deb printed no package: $deb"
cp "$deb" "$dir/pkg/"
# The upgrade: the tree "make deb" built, one patch level up.
ver=$(dpkg-deb -f "$deb" Version)
up=${ver%.*}.$((${ver##*.} + 1))
rm -rf build/deb-up
mkdir -p build/deb-up
cp -a "build/deb/vtimer-cache-$ver" "build/deb-up/vtimer-cache-$up"
(
	cd "build/deb-up/vtimer-cache-$up" &&
	sed -i "s/^PACKAGE_VERSION=\"$ver\"/PACKAGE_VERSION=\"$up\"/" dkms.conf &&
	{ printf 'vtimer-cache (%s) unstable; urgency=medium\n\n  * Test upgrade.\n\n -- %s  %s\n\n' \
		"$up" "$(sed -n 's/^Maintainer: //p' debian/control)" "$(date -R)"; cat debian/changelog; } >debian/changelog.new &&
	mv debian/changelog.new debian/changelog &&
	env -u ARCH -u CROSS_COMPILE -u MAKEFLAGS dpkg-buildpackage -b -us -uc >../build.log 2>&1
) || die "the upgrade package $up did not build (build/deb-up/build.log)"
cp "build/deb-up/vtimer-cache-dkms_${up}_all.deb" "$dir/pkg/"
entry=$(dirname "$debs")
cp "$entry/linux/certs/signing_key.pem" "$entry/linux/certs/signing_key.x509" "$dir/mok/" ||
	die "no module signing key in $entry/linux/certs (CONFIG_MODULE_SIG)"
cp "$debs"/linux-image-*.deb "$debs"/linux-headers-*.deb "$dir/debs/"
cp "$debs/Image" "$dir/Image"
echo "$dir"
