# vtimer-cache: top-level entry points. See README.md.
#
#   make demo       boot the arm64 KVM host, load, toggle, show stats
#   make check      every test, one KTAP stream; last line "N passed, N failed, N skipped"
#                   (T=NAME [GIC=v2] [MODE=nvhe] [SERIES=7.3]: one test in
#                   its configurations, tests/README.md; logs in build/check-only/)
#   make check-slow make check plus DKMS from a checkout, 7.3 DKMS, DKMS on
#                   stock headers (refused), all 7.3 configs, longer stress,
#                   package boots (Secure Boot too), the native kernel
#   make module     build vtimer_cache.ko (KDIR=..., default: test kernel)
#   make klp-diff   the delta of the mirrored functions against the kernel
#   make unit       the userspace model test only
#   make bench      stock against cached per workload: CSV, markdown, PNG,
#                   and the cost tool's table
#   make cost       host kernel instructions per guest exit (tools/cost)
#   make deps       install the Debian packages the rig needs (root)
#   make dkms-install  on an arm64 host: copy the tree to /usr/src, dkms
#                   add/build/install for KVER (default: running kernel)
#   make dkms-remove   dkms remove --all, delete /usr/src/vtimer-cache-<ver>
#   make deb        the vtimer-cache-dkms Debian package, into build/

SERIES ?= 7.2
ARCH ?= arm64
CROSS_COMPILE ?= aarch64-linux-gnu-
export ARCH CROSS_COMPILE

ifeq ($(KDIR),)
KDIR_CMD = $$(tests/kernel/build.sh $(SERIES))/linux
else
KDIR_CMD = $(KDIR)
endif

.PHONY: all module clean demo check check-slow unit klp-diff deps vmm bench bench-host checkpatch
.PHONY: cost
.PHONY: dkms-install dkms-remove deb

all: module

module:
	@kdir=$(KDIR_CMD) && $(MAKE) -C "$$kdir" M=$(CURDIR) modules

clean:
	@kdir=$(KDIR_CMD) && $(MAKE) -C "$$kdir" M=$(CURDIR) clean || true
	rm -rf gen tests/unit/build
	$(MAKE) -C tools/vmm clean

vmm:
	$(MAKE) -C tools/vmm

unit:
	$(MAKE) -C tests/unit run

deps:
	@scripts/deps.sh

demo:
	@tests/demo.sh

# The rig's own SERIES (7.2) is the module's default, not a test filter.
CHECK_ENV = T="$(T)" GIC="$(GIC)" MODE="$(MODE)" \
	SERIES="$(if $(filter command line environment,$(origin SERIES)),$(SERIES))"

check:
	@$(CHECK_ENV) tests/check.sh

# make check plus what does not fit CI's time: the @slow lines of
# tests/check.sh's table.
check-slow:
	@$(CHECK_ENV) VTC_SLOW=1 tests/check.sh

bench-host:
	@tests/bench.sh --host

bench:
	@tests/bench.sh

cost:
	@tools/cost/run.sh

klp-diff:
	@scripts/klp-diff.sh $(if $(KDIR),$(KDIR),$$(tests/kernel/build.sh $(SERIES))/linux)

# The mirrors keep upstream's own text, including its few style slips
# (switch(, no blank line after declarations): those two types are ignored
# there, and only there, so that the delta stays what klp-diff shows.
checkpatch:
	@kdir=$(KDIR_CMD) && \
	"$$kdir/scripts/checkpatch.pl" --no-tree -q -f \
		src/*.c src/mirror/*.c include/*.h tests/modules/*.c && \
	echo "checkpatch: clean"

# DKMS: the version is written once, in dkms.conf. The source tree dkms
# builds is Kbuild, src/, include/ and scripts/gen-expect.sh, without build
# products; dkms runs Kbuild natively, so ARCH/CROSS_COMPILE are not passed.
VTC_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' dkms.conf)
DKMS_SRC = /usr/src/vtimer-cache-$(VTC_VERSION)
DKMS = env -u ARCH -u CROSS_COMPILE -u MAKEFLAGS -u MFLAGS -u MAKELEVEL dkms
KVER ?= $(shell uname -r)
dkms_tree_files = dkms.conf Kbuild src include scripts/gen-expect.sh
# copy the DKMS source tree to $(1)
dkms_tree_copy = rm -rf "$(1)" && mkdir -p "$(1)" && \
	tar -c --exclude='*.o' --exclude='.*.cmd' --exclude='*.ko' --exclude='*.mod' \
		--exclude='*.mod.c' --exclude='*.order' --exclude=Module.symvers \
		$(dkms_tree_files) | tar -x -C "$(1)"

dkms-install:
	@[ -n "$(VTC_VERSION)" ] || { echo "dkms-install: no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }
	@[ "$$(id -u)" = 0 ] || { echo "dkms-install: run as root" >&2; exit 1; }
	@command -v dkms >/dev/null || { echo "dkms-install: dkms is not installed (apt-get install dkms)" >&2; exit 1; }
	@if [ -n "$$($(DKMS) status -m vtimer-cache -v $(VTC_VERSION))" ]; then \
		echo "dkms remove vtimer-cache/$(VTC_VERSION) --all (reinstalling)"; \
		$(DKMS) remove vtimer-cache/$(VTC_VERSION) --all >/dev/null || exit 1; fi
	$(call dkms_tree_copy,$(DKMS_SRC))
	$(DKMS) add vtimer-cache/$(VTC_VERSION)
	$(DKMS) build vtimer-cache/$(VTC_VERSION) -k $(KVER)
	$(DKMS) install vtimer-cache/$(VTC_VERSION) -k $(KVER)

dkms-remove:
	@[ "$$(id -u)" = 0 ] || { echo "dkms-remove: run as root" >&2; exit 1; }
	@if [ -n "$$($(DKMS) status -m vtimer-cache -v $(VTC_VERSION) 2>/dev/null)" ]; then \
		echo "$(DKMS) remove vtimer-cache/$(VTC_VERSION) --all"; \
		$(DKMS) remove vtimer-cache/$(VTC_VERSION) --all || exit 1; \
	else echo "dkms-remove: vtimer-cache/$(VTC_VERSION) is not in dkms"; fi
	rm -rf $(DKMS_SRC)

# vtimer-cache-dkms_<ver>_all.deb with Debian's dh_dkms (dh-dkms, debhelper),
# built in a copy under build/deb/ (debian/changelog carries the package's
# version: dkms.conf's, or it with a local +SUFFIX; debian/rules checks).
# Also the source package (dpkg-source: .dsc and .tar.xz), so that a source
# build is known to work. Everything the .changes names lands in build/
# beside it (lintian build/*.changes).
deb_files = $(dkms_tree_files) Makefile debian scripts/vtimer-cache \
	scripts/vtimer-cache.8 scripts/vtimer-cache.bash-completion \
	scripts/vtimer-cache.service scripts/vtc-cache.bt scripts/vtc-load-lat.bt \
	scripts/vtc-writes.bt scripts/vtc-cache_example.txt \
	scripts/vtc-load-lat_example.txt scripts/vtc-writes_example.txt
deb:
	@[ -n "$(VTC_VERSION)" ] || { echo "deb: no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }
	@command -v dh_dkms >/dev/null || { echo "deb: dh_dkms not found (apt-get install dh-dkms debhelper, or make deps)" >&2; exit 1; }
	@v=$$(dpkg-parsechangelog -SVersion) && d=build/deb/vtimer-cache-$$v && \
	rm -rf build/deb build/vtimer-cache_* build/vtimer-cache-dkms_* && mkdir -p "$$d" && \
	tar -c --exclude='*.o' --exclude='.*.cmd' --exclude='*.ko' --exclude='*.mod' \
		--exclude='*.mod.c' --exclude='*.order' --exclude=Module.symvers \
		$(deb_files) | tar -x -C "$$d" && \
	{ (cd "$$d" && env -u ARCH -u CROSS_COMPILE -u MAKEFLAGS dpkg-buildpackage -us -uc) >build/deb/build.log 2>&1 || \
		{ tail -n 30 build/deb/build.log; echo "deb: dpkg-buildpackage failed, log: build/deb/build.log" >&2; exit 1; }; } && \
	mv build/deb/vtimer-cache_$$v* build/deb/vtimer-cache-dkms_$${v}_all.deb build/ && \
	echo "build/vtimer-cache-dkms_$${v}_all.deb"
