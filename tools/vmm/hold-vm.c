// SPDX-License-Identifier: GPL-2.0
/*
 * vtc-hold-vm: create one KVM VM with no vcpus and hold it until killed.
 *
 * Why: with one short VM after another, the rig's emulated host (QEMU
 * TCG) sometimes ran a vcpu on a CPU where it had not been loaded, or
 * loaded it on one where it had not been put. The first shows as an RCU
 * stall: on VHE an unexpected EL2 exception around guest entry sends the
 * hyp panic path through the host context's vcpu, which is NULL because
 * kvm_vcpu_load_vhe() never ran on that CPU, and it loops on the data
 * abort at EL2 (FAR 0x1b0, ELR __guest_exit+0x8) for ever. The second is
 * the stock KVM_BUG_ON(SYSREGS_ON_CPU) in kvm_vcpu_load_debug(). Both
 * happen with the module never loaded.
 *
 * The likely mechanism: each KVM_CREATE_VM or VM destruction that moves
 * the VM count between 0 and 1 rewrites code that every context switch
 * runs, the branches of preempt_notifier_key (kvm_create_vm() calls
 * preempt_notifier_inc()) that call kvm_sched_out() and kvm_sched_in(),
 * i.e. vcpu put and load. A CPU that goes on running the old branches
 * skips them. One idle VM held for the whole test keeps the count at 1 or
 * more, so that code is never rewritten while the tests run: 2,500 short
 * VMs then ran without either failure, where without it the stall came
 * after about 400 and 1,000 VMs (README: known issues). The VM has no
 * vcpus and never touches the timer or the module's state.
 *
 * Its own 0 -> 1 rewrite is the one left, and it once went wrong for a
 * whole boot (CI, a faster machine): every VM of a GICv3 VHE boot died of
 * SIGSEGV, as a vcpu thread does when no kvm_sched_out() puts its vcpu on
 * VHE (TPIDR_EL0 is switched only at put and load there) and the next task
 * saves the guest's TLS pointer as its own. So the rig boots with one CPU
 * online (maxcpus=1), /init creates this VM, then brings the others
 * online: no other CPU runs the code while it is rewritten.
 *
 * usage: vtc-hold-vm   (prints "held" once the VM exists; SIGTERM ends it)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

int main(void)
{
	int kvm, vm;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(stderr, "vtc-hold-vm: /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		fprintf(stderr, "vtc-hold-vm: KVM_CREATE_VM: %s\n", strerror(errno));
		return 1;
	}
	printf("held\n");
	fflush(stdout);
	for (;;)
		pause();
}
