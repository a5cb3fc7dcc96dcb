# vtimer-cache: top-level entry points. See README.md.
#
#   make demo       boot the arm64 KVM host, load, toggle, show stats
#   make check      every test; last line "N passed, N failed"
#   make module     build vtimer_cache.ko (KDIR=..., default: test kernel)
#   make klp-diff   the delta of the mirrored functions against the kernel
#   make unit       the userspace model test only
#   make baseline   stock writes per load and GIC MMIO writes per exit
#   make bench      stock against cached per workload: CSV, markdown, PNG
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

.PHONY: all module fault-modules baseline clean demo check unit klp-diff deps vmm bench checkpatch

all: module

module:
	@kdir=$(KDIR_CMD) && $(MAKE) -C "$$kdir" M=$(CURDIR) modules

# Test-only variants that must refuse to load (see tests/guest/module-basic.sh).
fault-modules: module
	@kdir=$(KDIR_CMD) && for v in skew:-DVTC_FAULT_SKEW=8 missing:-DVTC_FAULT_MISSING; do \
		name=$${v%%:*}; d=build/fault-$$name; rm -rf $$d; mkdir -p $$d; \
		cp -r Kbuild src include scripts $$d/; \
		$(MAKE) -s -C "$$kdir" M=$(CURDIR)/$$d VTC_CFLAGS="$${v#*:}" modules || exit 1; \
		cp $$d/vtimer_cache.ko build/vtimer_cache-$$name.ko; \
	done

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

baseline:
	@tests/baseline.sh --md build/baseline.md --csv build/baseline.csv

klp-diff:
	@scripts/klp-diff.sh $(if $(KDIR),$(KDIR),$$(tests/kernel/build.sh $(SERIES))/linux)

# The mirrors keep upstream's own text, including its few style slips
# (switch(, no blank line after declarations): those two types are ignored
# there, and only there, so that the delta stays what klp-diff shows.
checkpatch:
	@kdir=$(KDIR_CMD) && \
	"$$kdir/scripts/checkpatch.pl" --no-tree -q -f src/*.c include/*.h && \
	"$$kdir/scripts/checkpatch.pl" --no-tree -q -f \
		--ignore SPACING,LINE_SPACING src/kernel-*/*.c && \
	echo "checkpatch: clean"
