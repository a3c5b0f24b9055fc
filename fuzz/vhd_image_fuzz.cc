// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes the fixed VHD opener (devices/block/image/vhd_image.cc): after the
// operations header (image_fuzz_common.h) the input is the whole VHD file,
// footer last. Read-write opens let writes reach the RawImage.
#include "fuzz/image_fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace petrel::fuzz;
  const uint8_t* rest;
  size_t rest_size;
  const std::vector<uint8_t> ops = SplitOps(data, size, &rest, &rest_size);
  MemFile file;
  file.Set(rest_size, {{0, std::vector<uint8_t>(rest, rest + rest_size)}});
  RunImageOps({.path = file.path(), .type = petrel::ImageType::kVhd}, ops);
  return 0;
}
