#!/bin/bash
# Install the Debian packages the rig needs (cross compiler, QEMU, kernel
# build tools). Run as root; as another user it only says what is missing.
set -euo pipefail

pkgs=(
	gcc make perl python3 bc bison flex cpio xz-utils kmod rsync
	libssl-dev libelf-dev dpkg-dev
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu
	qemu-system-arm shellcheck
	# arm64 userland of the DKMS tests (tests/userland/build.sh), the kernel's
	# Debian packages (tests/kernel/debs.sh) and "make deb"
	mmdebstrap arch-test qemu-user-static binfmt-support debhelper dh-dkms file
	# the package's checks: lintian, and groff for the manual page
	lintian groff-base
	# checkpatch's SPDX check of the upstream series (patches/)
	python3-ply python3-git
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} = 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}" >&2
	echo "deps.sh: run 'sudo make deps' (or apt-get install them)" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
