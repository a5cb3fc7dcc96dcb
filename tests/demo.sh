#!/bin/bash
# make demo: boot the emulated arm64 KVM host (QEMU, GICv3, VHE), run a
# guest, load vtimer_cache, and show its stats with the patch on, off, on.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/deps.sh
echo "demo: building the test kernel if needed (first time: about 8-20 minutes)"
kentry=$(tests/kernel/build.sh 7.2)
make -s module KDIR="$kentry/linux"
make -s -C tools/vmm
echo "demo: booting the arm64 KVM host under QEMU"
tests/rig/run.sh --gic 3 --mode vhe --timeout 600 --out build/demo \
	--add vtimer_cache.ko tests/vm/demo.sh v3 "${DEMO_ITERS:-3000}"
