// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes LoadLinux with bzImage-like input: either raw bytes, or a valid
// synthetic bzImage (core/boot/test_images.h) with fuzzer bytes written over
// it at a fuzzer-chosen offset, so the header checks and the loader past
// them are both reached (the synthetic image may also be cut short right
// after the overlay). Also varies the cmdline length, initramfs size and
// vCPU count. A successful load is checked against the image's header
// (fuzz/boot_fuzz_common.h: entry, zero page, cmdline, initramfs).
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
    petrel::boot::testing::TestBzImage bz;
    bz.init_size = h.flags & 2 ? 0x2000000 : bz.init_size;
    kernel = bz.Build();
    const size_t at =
        (static_cast<size_t>(h.overlay_byte << 8) | (h.flags >> 2)) % (kernel.size() + 1);
    bf::Overlay(kernel, at, rest);
    if (h.vcpu_byte & 0x80) kernel.resize(at + rest.size());  // truncated after the overlay
  } else {
    kernel.assign(rest.begin(), rest.end());
  }
  bf::Load(kernel, h, h.vcpu_byte % 48, bf::Seed(data, size));
  return 0;
}
