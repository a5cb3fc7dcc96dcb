#!/bin/sh
# DKMS on a running arm64 host (run.sh --rootfs, the Debian bookworm
# userland): the kernel's own Debian packages, then the project through
# "make dkms-install" (dkms add, build, install) from a checkout in /vtc/src,
# modprobe, a VM with skipped writes, "make dkms-remove", clean; then the
# vtimer-cache-dkms package from /vtc/pkg: dpkg -i builds and installs it
# through DKMS (autoinstall), it loads and works, dpkg --purge leaves nothing.
# usage: dkms.sh [checkout] [package]   (default: both; make check runs
#        checkout only, make check-slow both: each is a DKMS build under TCG)
. /vtc/lib.sh

ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' /vtc/src/dkms.conf)
kver=$(uname -r)
echo "# vtimer-cache $ver on $kver, $(gcc --version | head -n 1), dkms $(dpkg-query -W -f='${Version}' dkms)"

checkout() {
	vtc_kernel_debs || return
	vtc_dkms_clean "$ver"
	vtc_must "make dkms-install (dkms add, build, install for $kver)" \
		vtc_timed /tmp/dkms-install.log make -C /vtc/src dkms-install || {
		cat "/var/lib/dkms/vtimer-cache/$ver/build/make.log" 2>/dev/null | tail -n 20 | sed 's/^/#   /'
		return 1
	}
	grep -E '^(env .*)?dkms (add|build|install)' /tmp/dkms-install.log | sed 's/^/# ran: /'
	vtc_check "make dkms-install ran dkms add, build and install" \
		sh -c "[ \$(grep -cE '^env .* dkms (add|build|install) vtimer-cache/$ver' /tmp/dkms-install.log) = 3 ]"
	vtc_check "source tree at /usr/src/vtimer-cache-$ver without build products" \
		sh -c "[ -f /usr/src/vtimer-cache-$ver/dkms.conf ] && [ -z \"\$(find /usr/src/vtimer-cache-$ver -name '*.o')\" ]"
	vtc_dkms_works "$ver"
	vtc_check "make dkms-remove" vtc_timed /tmp/dkms-remove.log make -C /vtc/src dkms-remove
	vtc_dkms_clean "$ver"
}

package() {
	deb=$(ls /vtc/pkg/vtimer-cache-dkms_"$ver"_all.deb 2>/dev/null | head -n 1)
	vtc_must "vtimer-cache-dkms $ver package in /vtc/pkg" test -n "$deb" || return
	vtc_must "dpkg -i $(basename "$deb") (postinst: dkms add, build, install)" \
		vtc_timed /tmp/dpkg-dkms.log dpkg --force-unsafe-io -i "$deb" || return
	vtc_check "package installed" sh -c "dpkg-query -W -f='\${Status}' vtimer-cache-dkms | grep -q 'install ok installed'"
	vtc_dkms_works "$ver"
	vtc_check "dpkg --purge vtimer-cache-dkms (prerm: dkms remove --all)" \
		vtc_timed /tmp/dpkg-purge.log dpkg --purge vtimer-cache-dkms
	vtc_check "package gone" sh -c '! dpkg-query -W vtimer-cache-dkms >/dev/null 2>&1'
	vtc_dkms_clean "$ver"
}

phases=${*:-checkout package}
for p in $phases; do
	case $p in
	checkout) checkout ;;
	package)
		# alone, it needs the kernel packages the checkout phase installs
		[ "$phases" = package ] && vtc_kernel_debs
		package
		;;
	*) vtc_not_ok "unknown phase $p" ;;
	esac
done
vtc_done
