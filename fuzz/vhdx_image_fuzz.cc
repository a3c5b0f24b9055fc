// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes the VHDX opener and data path (devices/block/image/vhdx_*.cc).
// A VHDX file is at least a few MiB of mostly zeros, so after the
// operations header (image_fuzz_common.h) the input describes the file
// sparsely: a u16 size in 64 KiB units (at most 64 MiB), then pieces of
// [u32 offset][u16 length <= 4096][bytes]. fuzz/make_image_seeds.py turns
// qemu-img images into this form.
#include "fuzz/image_fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace petrel::fuzz;
  const uint8_t* rest;
  size_t rest_size;
  const std::vector<uint8_t> ops = SplitOps(data, size, &rest, &rest_size);
  FuzzInput in(rest, rest_size);
  const uint64_t file_size = (uint64_t{in.U16()} % 1024 + 1) << 16;
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> pieces;
  while (!in.empty()) {
    const uint64_t offset = (uint64_t{in.U16()} | uint64_t{in.U16()} << 16) % file_size;
    const size_t length = std::min<uint64_t>(in.U16() % 4097, file_size - offset);
    pieces.emplace_back(offset, in.Bytes(length));
  }
  MemFile file;
  file.Set(file_size, pieces);
  RunImageOps({.path = file.path(), .type = petrel::ImageType::kVhdx}, ops);
  return 0;
}
