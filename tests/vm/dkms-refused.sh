#!/bin/sh
# DKMS refuses, with a message that says why, kernels the module cannot work
# on, and builds, installs and loads nothing (run.sh --rootfs, with Debian's
# stock headers unpacked in /usr/src by tests/userland/stock-headers.sh):
#   7.2.13+deb14-arm64   sid's stock arm64 kernel: no CONFIG_LIVEPATCH
#   7.2.13+deb14-amd64   an x86 kernel of the supported series
#   6.1.0-50-arm64       bookworm's kernel: an unsupported series
#   7.2.99-vtc           a 7.2 release the mirrors do not cover (a stable
#                        update): headers of sid's stock 7.2 kernel under
#                        that name
# usage: dkms-refused.sh
. /vtc/lib.sh

ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' /vtc/src/dkms.conf)
echo "# vtimer-cache $ver, dkms $(dpkg-query -W -f='${Version}' dkms), running $(uname -r) ($(uname -m))"

for r in 7.2.13+deb14-arm64 7.2.13+deb14-amd64 6.1.0-50-arm64; do
	mkdir -p "/lib/modules/$r"
	ln -sfn "/usr/src/linux-headers-$r" "/lib/modules/$r/build"
done
mkdir -p /lib/modules/7.2.99-vtc
ln -sfn /usr/src/linux-headers-7.2.13+deb14-arm64 /lib/modules/7.2.99-vtc/build

# nothing_built KVER: no trace of a build for KVER, no module anywhere.
nothing_built() {
	# dkms add makes an empty build/; a build would copy the source there.
	vtc_check "$1: nothing built (no /var/lib/dkms/vtimer-cache/$ver/$1, build/ empty)" \
		sh -c "[ ! -e /var/lib/dkms/vtimer-cache/$ver/$1 ] && [ -z \"\$(ls -A /var/lib/dkms/vtimer-cache/$ver/build 2>/dev/null)\" ]"
	left=$(find /var/lib/dkms /usr/src /lib/modules/ -name '*.ko*' -path '*vtimer*' 2>/dev/null)
	vtc_check "$1: no vtimer_cache.ko anywhere${left:+ (found: $left)}" test -z "$left"
	vtc_check "$1: vtimer_cache not loaded" sh -c '! grep -q "^vtimer_cache " /proc/modules'
}

# refused NAME EXPECTED_RC REASON CMD...: CMD fails with EXPECTED_RC, and
# prints dkms's BUILD_EXCLUSIVE line and our reason.
refused() {
	r_name=$1 r_want=$2 r_reason=$3
	shift 3
	"$@" >/tmp/refusal.log 2>&1
	rc=$?
	echo "# $*: exit $rc; it said:"
	grep -E 'vtimer-cache:|BUILD_EXCLUSIVE|[Ee]rror' /tmp/refusal.log | sed 's/^/#   /'
	vtc_expect "$r_name: exit status" "$rc" "==" "$r_want"
	vtc_check "$r_name: says '$r_reason'" grep -qF "$r_reason" /tmp/refusal.log
	vtc_check "$r_name: dkms names the BUILD_EXCLUSIVE directive" \
		grep -q 'BUILD_EXCLUSIVE directive which does not match' /tmp/refusal.log
}

# make dkms-install from a checkout, for sid's stock 7.2 kernel (it adds the
# source to dkms, then the build is refused).
refused "make dkms-install KVER=7.2.13+deb14-arm64" 2 \
	"vtimer-cache: not building for kernel 7.2.13+deb14-arm64 (aarch64): the kernel has no CONFIG_LIVEPATCH" \
	make -C /vtc/src dkms-install KVER=7.2.13+deb14-arm64
vtc_check "vtimer-cache/$ver added to dkms" test -d "/var/lib/dkms/vtimer-cache/$ver/source"
nothing_built 7.2.13+deb14-arm64

refused "dkms build -k 7.2.13+deb14-arm64 (stock, no LIVEPATCH)" 77 \
	"vtimer-cache: not building for kernel 7.2.13+deb14-arm64 (aarch64): the kernel has no CONFIG_LIVEPATCH" \
	dkms build "vtimer-cache/$ver" -k 7.2.13+deb14-arm64
nothing_built 7.2.13+deb14-arm64

refused "dkms build -k 7.2.13+deb14-amd64 (x86)" 77 \
	"vtimer-cache: not building for kernel 7.2.13+deb14-amd64 (aarch64): the kernel is built for X86_64, not arm64 (no CONFIG_ARM64)" \
	dkms build "vtimer-cache/$ver" -k 7.2.13+deb14-amd64
nothing_built 7.2.13+deb14-amd64

refused "dkms install -k 6.1.0-50-arm64 (unsupported series)" 77 \
	"vtimer-cache: not building for kernel 6.1.0-50-arm64 (aarch64): Linux 6.1.0 is not a release the module mirrors (supported: 7.2.13 7.3.4" \
	dkms install "vtimer-cache/$ver" -k 6.1.0-50-arm64
nothing_built 6.1.0-50-arm64

refused "dkms build -k 7.2.99-vtc (a 7.2 release not mirrored)" 77 \
	"vtimer-cache: not building for kernel 7.2.99-vtc (aarch64): Linux 7.2.99 is not a release the module mirrors (supported: 7.2.13 7.3.4" \
	dkms build "vtimer-cache/$ver" -k 7.2.99-vtc
nothing_built 7.2.99-vtc
dkms autoinstall -k 7.2.99-vtc >/tmp/autoinstall.log 2>&1
echo "# dkms autoinstall -k 7.2.99-vtc: exit $?"
vtc_check "dkms autoinstall -k 7.2.99-vtc (a stable update) says why it builds nothing" \
	grep -qF "vtimer-cache: not building for kernel 7.2.99-vtc (aarch64): Linux 7.2.99 is not a release" /tmp/autoinstall.log
nothing_built 7.2.99-vtc

# What a kernel package's hook runs: autoinstall skips it and says why.
dkms autoinstall -k 6.1.0-50-arm64 >/tmp/autoinstall.log 2>&1
echo "# dkms autoinstall -k 6.1.0-50-arm64: exit $?"
sed 's/^/#   /' /tmp/autoinstall.log
vtc_check "dkms autoinstall -k 6.1.0-50-arm64 says why it skips vtimer-cache" \
	grep -qF "vtimer-cache: not building for kernel 6.1.0-50-arm64" /tmp/autoinstall.log
vtc_check "dkms autoinstall: no reason printed for a kernel dkms has not named yet" \
	sh -c '! grep -q "not building for kernel  (" /tmp/autoinstall.log'
nothing_built 6.1.0-50-arm64

vtc_check "dkms status: added only, built for no kernel" \
	sh -c "dkms status vtimer-cache/$ver | grep -q ': added\$' && ! dkms status vtimer-cache/$ver | grep -qE 'built|installed'"
vtc_check "make dkms-remove" make -C /vtc/src dkms-remove
vtc_dkms_clean "$ver"
vtc_done
