// SPDX-License-Identifier: GPL-2.0-only
/*
 * LD_PRELOAD shim for the arm64 userland VM (tests/rig/run.sh --rootfs).
 *
 * The test kernel is built without CONFIG_FILE_LOCKING, whose stubs make
 * every fcntl() record lock fail with EACCES; dpkg and apt then refuse to
 * run ("dpkg frontend lock was locked by another process"). In the test VM
 * one script runs at a time, so this shim reports success for record locks
 * (and "unlocked" for F_GETLK) and passes every other fcntl() through;
 * flock() (debconf, through perl), whose syscall is ENOSYS there, and
 * lockf() succeed too. Drop it once the test kernel has FILE_LOCKING.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/file.h>
#include <unistd.h>

typedef int (*fcntl_fn)(int, int, ...);

static int vtc_fcntl(const char *sym, int fd, int cmd, void *arg)
{
	static fcntl_fn real_fcntl, real_fcntl64;
	fcntl_fn *real = sym[5] ? &real_fcntl64 : &real_fcntl;

	switch (cmd) {
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		return 0;
	case F_GETLK:
	case F_OFD_GETLK:
		((struct flock *)arg)->l_type = F_UNLCK;
		return 0;
	}
	if (!*real)
		*real = (fcntl_fn)dlsym(RTLD_NEXT, sym);
	return (*real)(fd, cmd, arg);
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return vtc_fcntl("fcntl", fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return vtc_fcntl("fcntl64", fd, cmd, arg);
}

int flock(int fd, int op)
{
	(void)fd;
	(void)op;
	return 0;
}

int lockf(int fd, int cmd, off_t len)
{
	(void)fd;
	(void)len;
	(void)cmd;
	return 0;
}
