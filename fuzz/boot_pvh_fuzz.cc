// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes LoadLinux with ELF input: either raw bytes behind a forced ELF
// magic, or a valid synthetic PVH ELF (core/boot/test_images.h) with fuzzer
// bytes written over it at a fuzzer-chosen offset, so the header, program
// header and note parsers and the segment loader are all reached. A
// successful load is checked against the image (fuzz/boot_fuzz_common.h:
// entry, hvm_start_info, cmdline, initramfs module).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/boot/test_images.h"
#include "fuzz/boot_fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace bf = petrel::boot::fuzz;
  if (size < bf::kHeaderSize) return 0;
  const bf::Header h = bf::DecodeHeader(data);
  const std::span<const uint8_t> rest(data + bf::kHeaderSize, size - bf::kHeaderSize);

  std::vector<uint8_t> kernel;
  if (h.flags & 1) {
    petrel::boot::testing::TestElf elf;
    elf.entry_desc_size = h.flags & 2 ? 4 : 8;
    elf.extra_note = (h.flags & 4) != 0;
    if (h.flags & 8) elf.segments.push_back({0x300000, {}, 0x1000000});  // a large bss
    kernel = elf.Build();
    // Most of the interesting bytes (headers, notes) are in the first 512.
    bf::Overlay(kernel, static_cast<size_t>(h.overlay_byte) * 2 + (h.flags >> 4), rest);
  } else {
    kernel.assign(rest.begin(), rest.end());
    const uint8_t magic[] = {0x7f, 'E', 'L', 'F'};
    if (kernel.size() < 4) kernel.resize(4);
    for (int i = 0; i < 4; ++i) kernel[i] = magic[i];
  }
  bf::Load(kernel, h, 1 + h.vcpu_byte % 4, bf::Seed(data, size));
  return 0;
}
