# vtimer-cache: top-level entry points. See README.md.
#
#   make demo       boot the arm64 KVM host, load, toggle, show stats
#   make check      every test; last line "N passed, N failed"
#   make module     build vtimer_cache.ko (KDIR=..., default: test kernel)
#   make klp-diff   the delta of the mirrored functions against the kernel
#   make unit       the userspace model test only
#   make deps       install the Debian packages the rig needs (root)

SERIES ?= 7.2
ARCH ?= arm64
CROSS_COMPILE ?= aarch64-linux-gnu-
export ARCH CROSS_COMPILE

ifeq ($(KDIR),)
KDIR_CMD = $$(tests/kernel/build.sh $(SERIES))/linux
else
KDIR_CMD = $(KDIR)
endif

.PHONY: all module clean demo check unit klp-diff deps vmm bench checkpatch

all: module

module:
	@kdir=$(KDIR_CMD) && $(MAKE) -C "$$kdir" M=$(CURDIR) modules

clean:
	@kdir=$(KDIR_CMD) && $(MAKE) -C "$$kdir" M=$(CURDIR) clean || true
	rm -rf gen tests/unit/build
	$(MAKE) -C tests/vmm clean

vmm:
	$(MAKE) -C tests/vmm

unit:
	$(MAKE) -C tests/unit run

deps:
	@scripts/deps.sh

demo:
	@tests/demo.sh

check:
	@tests/run-all.sh

bench:
	@tests/bench.sh

klp-diff:
	@scripts/klp-diff.sh $(if $(KDIR),$(KDIR),$$(tests/kernel/build.sh $(SERIES))/linux)

checkpatch:
	@kdir=$(KDIR_CMD) && "$$kdir/scripts/checkpatch.pl" --no-tree -f \
		--ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES \
		src/*.c include/*.h
