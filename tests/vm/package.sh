#!/bin/sh
# The vtimer-cache-dkms package as a host operator meets it, in the arm64
# Debian userland with systemd as PID 1 (run.sh --systemd), over several
# boots of one state disk (run.sh --disk): each STAGE is one boot.
#
#   install     the kernel's packages, the key DKMS signs with (the kernel
#               build's own key: it stands in for an enrolled MOK), then
#               apt install of the package: DKMS builds and signs, the boot
#               unit is enabled, nothing is loaded; with the module taken
#               out of this kernel's tree the unit succeeds with nothing to
#               load (7) and status says why; with it back, the unit loads
#               it, and a user who is not root is told debugfs needs root;
#               a guest unit in machine.slice; the root's changes go to the
#               state disk
#   boot        the patch came up at boot, before the guest; stopping the
#               unit leaves it; an upgrade of the package with the patch
#               loaded leaves the running patch; purge leaves no file and
#               says what stays loaded
#   killswitch  vtimer_cache.enable=0 on the kernel command line: the unit
#               does not run, modprobe loads the module with the patch off
#   secure      module.sig_enforce=1 lockdown=integrity: the DKMS-signed
#               module loads at boot; an unsigned one and one signed by an
#               unknown key are refused, and the command says why; status
#               and stats work without debugfs
#   nomodule    another kernel (the 7.3 test kernel: an update whose headers
#               were not installed, so DKMS built nothing for it): the unit
#               ran at boot and succeeded with nothing to load (7), no unit
#               failed, status says why
#
# usage: package.sh STAGE      (boots install first, the others after it)
. /vtc/lib.sh

C=/usr/sbin/vtimer-cache
kver=$(uname -r)
LP=/sys/kernel/livepatch/vtimer_cache
deb=$(ls /vtc/pkg/vtimer-cache-dkms_*_all.deb 2>/dev/null | sort -V | head -n 1)
deb_new=$(ls /vtc/pkg/vtimer-cache-dkms_*_all.deb 2>/dev/null | sort -V | tail -n 1)
ver=$(dpkg-deb -f "$deb" Version 2>/dev/null)
ver_new=$(dpkg-deb -f "$deb_new" Version 2>/dev/null)
echo "# stage $1 on $kver, systemd $(dpkg-query -W -f='${Version}' systemd), packages $ver and $ver_new"

rc() { "$@" >/tmp/cmd.out 2>&1; echo $?; }

# The boot unit's result and the guest's record of the patch at its start.
unit_prop() { systemctl show -P "$2" "$1"; }

# unit_nothing_to_load: vtimer-cache.service ran load, which found nothing
# to load (7), and counts that as a success.
unit_nothing_to_load() {
	u=vtimer-cache.service
	vtc_check "the unit is active, its result success ($(unit_prop $u ActiveState), $(unit_prop $u Result))" \
		[ "$(unit_prop $u ActiveState)/$(unit_prop $u Result)" = active/success ]
	vtc_check "load exited 7, nothing to load ($(unit_prop $u ExecMainStatus))" \
		[ "$(unit_prop $u ExecMainStatus)" = 7 ]
	vtc_check "the unit has not failed" sh -c "! systemctl is-failed --quiet $u"
	journalctl -b -u $u -o cat --no-pager | sed 's/^/# journal: /'
	vtc_check "journal: nothing to load, and why" \
		sh -c "journalctl -b -u $u -o cat --no-pager | grep -q '^vtimer-cache: nothing to load: no vtimer_cache module for kernel $kver: '"
	vtc_check "nothing loaded" [ ! -d /sys/module/vtimer_cache ]
}

# status_says_why TEXT: status (in /tmp/cmd.out) has a why: line for this
# kernel that says TEXT.
status_says_why() {
	sed 's/^/# /' /tmp/cmd.out
	vtc_check "status says why: $1" \
		grep -q "^why: no vtimer_cache module for kernel $kver: .*$1" /tmp/cmd.out
}

stage_install() {
	vtc_must "packages $ver and $ver_new (a newer one, for the upgrade) in /vtc/pkg" \
		sh -c "[ -n '$ver' ] && [ '$ver' != '$ver_new' ]" || return
	vtc_must "systemd is PID 1" [ "$(cat /proc/1/comm)" = systemd ] || return
	vtc_kernel_debs || return
	# What an enrolled MOK is to a Secure Boot host, the build's key is to
	# the test kernel: the key its keyring trusts.
	mkdir -p /var/lib/dkms
	cp /vtc/mok/signing_key.pem /var/lib/dkms/mok.key
	cp /vtc/mok/signing_key.x509 /var/lib/dkms/mok.pub
	vtc_must "apt install ./$(basename "$deb") (dkms build, sign, install)" \
		vtc_timed /tmp/apt.log apt-get install -y --no-install-recommends "$deb" || return
	grep -E '^vtimer-cache:|Signing|sign' /tmp/apt.log | sed 's/^/# /'
	vtc_check "postinst: says the patch comes at the next boot" \
		grep -q 'vtimer-cache.service loads the patch at the next boot' /tmp/apt.log
	vtc_check "dkms status: vtimer-cache/$ver installed for $kver" \
		sh -c "dkms status vtimer-cache/$ver -k $kver | grep ': installed' >/dev/null"
	signer=$(modinfo -F signer vtimer_cache 2>/dev/null)
	vtc_check "DKMS signed the module with the MOK (signer: ${signer:-none})" \
		[ "$signer" = "$(openssl x509 -in /var/lib/dkms/mok.pub -inform DER -noout -subject -nameopt multiline |
			sed -n 's/^ *commonName *= //p')" ]
	for f in /usr/sbin/vtimer-cache /usr/share/vtimer-cache/vtc-cache.bt \
		/usr/share/vtimer-cache/vtc-load-lat.bt /usr/share/vtimer-cache/vtc-writes.bt \
		/usr/share/bash-completion/completions/vtimer-cache \
		/lib/systemd/system/vtimer-cache.service; do
		vtc_check "installed: $f" test -f "$f"
	done
	vtc_check "the command runs: vtimer-cache status says not loaded (3)" [ "$(rc $C status)" = 3 ]
	vtc_check "the boot unit is enabled" [ "$(systemctl is-enabled vtimer-cache.service)" = enabled ]
	vtc_check "install loaded nothing" [ ! -d /sys/module/vtimer_cache ]
	vtc_check "install started nothing" [ "$(systemctl is-active vtimer-cache.service)" = inactive ]

	# The boot unit where DKMS built nothing (a kernel the module does not
	# support, a build that failed): the module out of this kernel's tree,
	# the unit started as boot starts it. Nothing to load is a notice, not
	# a failure. (The nomodule stage does this at a real boot.)
	vtc_must "dkms uninstall vtimer-cache/$ver -k $kver" \
		vtc_timed /tmp/dkms-un.log dkms uninstall "vtimer-cache/$ver" -k "$kver" || return
	vtc_check "systemctl start vtimer-cache with no module: succeeds" \
		systemctl start vtimer-cache.service
	unit_nothing_to_load
	vtc_expect "status: not loaded (3)" "$(rc $C status)" "==" 3
	status_says_why "DKMS installed none"
	vtc_must "dkms install vtimer-cache/$ver -k $kver (the build DKMS kept)" \
		vtc_timed /tmp/dkms-in.log dkms install "vtimer-cache/$ver" -k "$kver" || return

	# With the module back, the unit loads it; debugfs is root's, so a
	# user who is not root is told that, not "lockdown" (issue 22, item 7).
	vtc_check "systemctl restart vtimer-cache: loads the module" \
		systemctl restart vtimer-cache.service
	vtc_check "the patch is enabled" [ "$(cat $LP/enabled 2>/dev/null)" = 1 ]
	vtc_expect "status as nobody: works without debugfs (0)" \
		"$(rc runuser -u nobody -- $C status)" "==" 0
	sed 's/^/# /' /tmp/cmd.out
	vtc_check "status as nobody: debugfs needs root" \
		grep -q '^debugfs: not readable (needs root)' /tmp/cmd.out
	vtc_expect "stats as nobody: the sysfs counters (0)" "$(rc runuser -u nobody -- $C stats)" "==" 0
	sed 's/^/# /' /tmp/cmd.out
	# (no VM has run since the load: the counters are there, at 0)
	vtc_check "stats as nobody: the counters, and debugfs needs root" \
		sh -c "grep -qE '^loads [0-9]+$' /tmp/cmd.out && grep -q 'debugfs not readable (needs root)' /tmp/cmd.out"
	vtc_expect "vcpus as nobody: needs debugfs (1)" "$(rc runuser -u nobody -- $C vcpus)" "==" 1
	sed 's/^/# /' /tmp/cmd.out
	vtc_check "vcpus as nobody: says it needs root" grep -q '(needs root): vcpus needs it' /tmp/cmd.out
	# Back to what install leaves: nothing loaded, the unit not started.
	vtc_expect "disable" "$(rc $C disable)" "==" 0
	vtc_expect "unload" "$(rc $C unload)" "==" 0
	systemctl stop vtimer-cache.service
	vtc_check "nothing loaded again" [ ! -d /sys/module/vtimer_cache ]

	# A guest, as libvirt would start one: a unit in machine.slice that
	# records what it found when it started, and knows nothing of us.
	mkdir -p /var/lib/vtc-guest
	cat >/usr/local/sbin/vtc-guest-record <<-'EOF'
	#!/bin/sh
	lp=/sys/kernel/livepatch/vtimer_cache
	echo "enabled=$(cat $lp/enabled 2>/dev/null || echo -)" \
		"transition=$(cat $lp/transition 2>/dev/null || echo -)" >/var/lib/vtc-guest/at-start
	EOF
	chmod 755 /usr/local/sbin/vtc-guest-record
	cat >/etc/systemd/system/vtc-guest.service <<-'EOF'
	[Unit]
	Description=a guest of the test host

	[Service]
	Slice=machine.slice
	ExecStartPre=/usr/local/sbin/vtc-guest-record
	ExecStart=/vtc/bin/vtc-vmm --quiet --until-signal wfi

	[Install]
	WantedBy=multi-user.target
	EOF
	vtc_check "enable the guest unit" systemctl enable --quiet vtc-guest.service
	vtc_state_save
}

stage_boot() {
	vtc_must "state restored: the package is installed" \
		sh -c "dpkg-query -W -f='\${Status}' vtimer-cache-dkms | grep -q 'install ok installed'" || return
	vtc_check "vtimer-cache.service is active" [ "$(systemctl is-active vtimer-cache.service)" = active ]
	journalctl -b -u vtimer-cache.service -o short-monotonic --no-pager | sed 's/^/# journal: /'
	n=$(journalctl -b -u vtimer-cache.service -o cat --no-pager | grep -c '^vtimer-cache: ')
	vtc_check "one line from vtimer-cache in the journal ($n)" [ "$n" = 1 ]
	vtc_check "it says loaded and enabled, with the version" \
		sh -c "journalctl -b -u vtimer-cache.service -o cat --no-pager | grep -qx 'vtimer-cache: loaded and enabled ($ver)'"
	vtc_check "the patch is enabled" [ "$(cat $LP/enabled 2>/dev/null)" = 1 ]
	vtc_check "the signed module taints no E (unsigned)" \
		sh -c "! grep -q E /sys/module/vtimer_cache/taint"
	at=$(cat /var/lib/vtc-guest/at-start 2>/dev/null)
	vtc_check "the guest unit found the patch enabled, its transition done ($at)" \
		[ "$at" = "enabled=1 transition=0" ]
	t_patch=$(unit_prop vtimer-cache.service ActiveEnterTimestampMonotonic)
	t_guest=$(unit_prop vtc-guest.service ExecMainStartTimestampMonotonic)
	vtc_expect "the patch was up before the guest started (monotonic us)" "$t_patch" "<" "$t_guest"
	vtc_check "the guest runs" [ "$(systemctl is-active vtc-guest.service)" = active ]

	vtc_check "systemctl stop vtimer-cache" systemctl stop vtimer-cache.service
	vtc_check "stopping the unit leaves the patch enabled" [ "$(cat $LP/enabled 2>/dev/null)" = 1 ]
	vtc_check "systemctl start vtimer-cache again (load is idempotent)" systemctl start vtimer-cache.service
	vtc_check "journal: already loaded and enabled" \
		sh -c "journalctl -b -u vtimer-cache.service -o cat --no-pager | grep -q '^vtimer-cache: already loaded and enabled'"

	# An upgrade with the patch loaded: DKMS builds the new module; the
	# running patch stays (replacing it is a transition under the guests,
	# for the operator to start).
	vtc_must "apt install ./$(basename "$deb_new") with the patch loaded" \
		vtc_timed /tmp/apt-up.log apt-get install -y --no-install-recommends "$deb_new" || return
	grep '^vtimer-cache:' /tmp/apt-up.log | sed 's/^/# /'
	vtc_check "postinst says the running patch ($ver) stays and $ver_new comes at the next boot" \
		grep -q "the running patch (version $ver) stays as it is; version $ver_new takes over at the next boot" /tmp/apt-up.log
	vtc_check "the running patch is still $ver, enabled" \
		sh -c "[ \"\$(cat /sys/module/vtimer_cache/version)\" = $ver ] && [ \"\$(cat $LP/enabled)\" = 1 ]"
	vtc_check "modprobe would load $ver_new now" [ "$(modinfo -F version vtimer_cache)" = "$ver_new" ]
	vtc_check "the guest still runs" [ "$(systemctl is-active vtc-guest.service)" = active ]

	dpkg -L vtimer-cache-dkms >/tmp/files
	vtc_must "apt purge vtimer-cache-dkms" \
		vtc_timed /tmp/apt-purge.log apt-get purge -y vtimer-cache-dkms || return
	grep '^vtimer-cache:' /tmp/apt-purge.log | sed 's/^/# /'
	vtc_check "prerm says the module stays loaded until reboot, and how to remove it" \
		grep -q 'vtimer_cache module (patch enabled) stays loaded until reboot; to remove it now' /tmp/apt-purge.log
	vtc_check "the patch is still enabled" [ "$(cat $LP/enabled 2>/dev/null)" = 1 ]
	left=$(while read -r f; do
		[ -d "$f" ] && continue # /lib and the like: merged-usr links to directories
		{ [ -f "$f" ] || [ -L "$f" ]; } && echo "$f"
	done </tmp/files)
	vtc_check "no file of the package left${left:+: $left}" [ -z "$left" ]
	left=$(find / -xdev \( -path /vtc -o -path /proc -o -path /sys \) -prune -o \
		\( -name '*vtimer*' -o -name 'vtimer_cache*' \) -print | tr '\n' ' ')
	vtc_check "nothing named vtimer* anywhere${left:+: $left}" [ -z "$left" ]
	vtc_check "the boot unit is gone" sh -c "! systemctl cat vtimer-cache.service >/dev/null 2>&1"
	vtc_check "dkms knows no vtimer-cache" sh -c "! dkms status | grep vtimer-cache >/dev/null"
	# What the operator is told to do.
	echo 0 >$LP/enabled
	vtc_until 60 [ ! -d $LP ] || vtc_not_ok "the patch did not disable"
	vtc_check "rmmod vtimer_cache, as prerm said" rmmod vtimer_cache
}

stage_killswitch() {
	vtc_check "the kernel command line has the kill switch" grep -qw 'vtimer_cache.enable=0' /proc/cmdline
	vtc_check "vtimer-cache.service did not run (condition)" \
		[ "$(unit_prop vtimer-cache.service ConditionResult)" = no ]
	vtc_check "nothing loaded" [ ! -d /sys/module/vtimer_cache ]
	at=$(cat /var/lib/vtc-guest/at-start 2>/dev/null)
	vtc_check "the guest started without the patch ($at)" [ "$at" = "enabled=- transition=-" ]
	vtc_check "modprobe vtimer_cache" modprobe vtimer_cache
	vtc_check "modprobe applied vtimer_cache.enable=0: the patch is off" \
		sh -c "[ \"\$(cat /sys/module/vtimer_cache/parameters/enable)\" = N ] && [ ! -d $LP ]"
	vtc_expect "vtimer-cache load: leaves it off" "$(rc $C load)" "==" 0
	vtc_check "load says why it left the patch off" grep -q 'enable=0' /tmp/cmd.out
	vtc_check "the stock code is counted meanwhile (loads > 0)" \
		sh -c "[ \"\$($C stats | awk '\$1 == \"loads\" { print \$2 }')\" -gt 0 ]"
	vtc_expect "vtimer-cache enable: the operator turns it on" "$(rc $C enable)" "==" 0
	vtc_check "the patch is enabled" [ "$(cat $LP/enabled 2>/dev/null)" = 1 ]
}

stage_secure() {
	vtc_check "signatures enforced" [ "$(cat /sys/module/module/parameters/sig_enforce)" = Y ]
	vtc_check "lockdown: integrity" grep -q '\[integrity\]' /sys/kernel/security/lockdown
	vtc_check "the boot unit loaded the DKMS-signed module" \
		[ "$(systemctl is-active vtimer-cache.service)" = active ]
	vtc_check "the patch is enabled" [ "$(cat $LP/enabled 2>/dev/null)" = 1 ]
	vtc_expect "status under lockdown" "$(rc $C status)" "==" 0
	sed 's/^/# /' /tmp/cmd.out
	vtc_check "status says what is unavailable" grep -q '^debugfs: not readable' /tmp/cmd.out
	vtc_expect "stats under lockdown (sysfs)" "$(rc $C stats)" "==" 0
	vtc_check "stats: loads counted by the patch" grep -qE '^loads [1-9][0-9]*$' /tmp/cmd.out
	vtc_expect "vcpus under lockdown: unavailable (1)" "$(rc $C vcpus)" "==" 1
	vtc_check "vcpus says why" grep -q 'kernel lockdown' /tmp/cmd.out
	vtc_expect "disable under lockdown" "$(rc $C disable)" "==" 0
	vtc_expect "unload" "$(rc $C unload)" "==" 0

	vtc_expect "load of an unsigned module: refused (1)" "$(rc $C load /vtc/vtimer_cache.ko)" "==" 1
	sed 's/^/# /' /tmp/cmd.out
	vtc_check "the command says it is unsigned and what to do" \
		grep -q 'loads only signed modules .* is not signed; DKMS signs' /tmp/cmd.out
	vtc_check "the kernel said so too" sh -c "dmesg | grep -q 'Loading of unsigned module is rejected'"
	# The same module signed by a key the kernel does not know.
	openssl req -new -x509 -nodes -days 1 -subj "/CN=vtc untrusted key" -newkey rsa:2048 \
		-keyout /tmp/other.key -outform DER -out /tmp/other.der >/dev/null 2>&1
	cp /vtc/vtimer_cache.ko /tmp/other.ko
	vtc_check "sign a copy with an unknown key" \
		"/lib/modules/$kver/build/scripts/sign-file" sha512 /tmp/other.key /tmp/other.der /tmp/other.ko
	vtc_expect "load of a module signed by an unknown key: refused (1)" "$(rc $C load /tmp/other.ko)" "==" 1
	sed 's/^/# /' /tmp/cmd.out
	vtc_check "the command names the signer and says to enroll" \
		grep -q 'signed by "vtc untrusted key", a key this kernel does not trust; enroll it' /tmp/cmd.out
	vtc_expect "vtimer-cache load: the signed DKMS module again" "$(rc $C load)" "==" 0
	vtc_check "the patch is enabled" [ "$(cat $LP/enabled 2>/dev/null)" = 1 ]
}

stage_nomodule() {
	vtc_must "state restored: the package is installed" \
		sh -c "dpkg-query -W -f='\${Status}' vtimer-cache-dkms | grep -q 'install ok installed'" || return
	vtc_must "no vtimer_cache module for this kernel ($kver)" \
		sh -c "! modinfo -k $kver -n vtimer_cache >/dev/null 2>&1" || return
	unit_nothing_to_load
	failed=$(systemctl list-units --failed --plain --no-legend | awk '{ printf "%s ", $1 }')
	vtc_check "no unit failed: the system is not degraded${failed:+ (failed: $failed)}" \
		[ "$(systemctl show -P NFailedUnits)" = 0 ]
	vtc_expect "status: not loaded (3)" "$(rc $C status)" "==" 3
	status_says_why "its headers are not installed"
}

case $1 in
install|boot|killswitch|secure|nomodule) "stage_$1" ;;
*) vtc_not_ok "unknown stage '$1'" ;;
esac
vtc_done
