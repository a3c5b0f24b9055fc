#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# ci/nested/make-qemu-payload.sh DIR: fills DIR with the host's QEMU laid out as
# DIR/bin/qemu-system-x86_64 + DIR/share/qemu/{bios-microvm.bin,pvh.bin,...}
# (QEMU finds its firmware in ../share/qemu beside the binary), for the
# selftest's l2-linux-qemu test and the QEMU side of the boot benchmark.
# run.sh adds the shared libraries ldd lists.
set -euo pipefail
dir=${1:?usage: make-qemu-payload.sh DIR}
mkdir -p "$dir/bin" "$dir/share/qemu"
cp -L /usr/bin/qemu-system-x86_64 "$dir/bin/"
# qemu-img: the qcow2 configurations of perf/io_bench.sh make their image with it.
[ -x /usr/bin/qemu-img ] && cp -L /usr/bin/qemu-img "$dir/bin/"
# microvm firmware (qboot) and the PVH / Linux boot option ROMs it loads.
for f in bios-microvm.bin qboot.rom pvh.bin linuxboot_dma.bin; do
  cp -L "/usr/share/qemu/$f" "$dir/share/qemu/"
done
echo "make-qemu-payload: $(du -sm "$dir" | cut -f1) MiB in $dir"
