// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes the flat VMDK descriptor parser and multi-extent image
// (devices/block/image/vmdk_*.cc). After the operations header
// (image_fuzz_common.h) the input is the descriptor. Four extent files
// "e0".."e3" of 64 KiB live next to it in a private directory; a
// descriptor naming any other file is only parsed, never opened, so the
// fuzzer cannot reach the host's files.
#include <fcntl.h>
#include <stdlib.h>

#include <string_view>

#include "devices/block/image/vmdk_descriptor.h"
#include "fuzz/image_fuzz_common.h"

namespace {

const std::string& Dir() {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/petrel-vmdk-fuzz-XXXXXX";
    petrel::fuzz::Check(mkdtemp(tmpl) != nullptr);
    return std::string(tmpl);
  }();
  return dir;
}

void WriteFile(const std::string& path, const uint8_t* data, size_t size, uint64_t length) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  petrel::fuzz::Check(fd >= 0);
  petrel::fuzz::Check(size == 0 || write(fd, data, size) == static_cast<ssize_t>(size));
  petrel::fuzz::Check(ftruncate(fd, static_cast<off_t>(length)) == 0);
  close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace petrel::fuzz;
  const uint8_t* rest;
  size_t rest_size;
  const std::vector<uint8_t> ops = SplitOps(data, size, &rest, &rest_size);
  const std::string_view text(reinterpret_cast<const char*>(rest), rest_size);
  auto parsed = petrel::ParseVmdkDescriptor(text);
  if (!parsed.ok()) {
    Check(!parsed.error().message().empty());
    return 0;
  }
  for (const petrel::VmdkExtent& e : parsed->extents)
    if (e.file.size() != 2 || e.file[0] != 'e' || e.file[1] < '0' || e.file[1] > '3') return 0;
  const std::string& dir = Dir();
  for (char c = '0'; c <= '3'; ++c) {
    const uint8_t fill[1] = {static_cast<uint8_t>(c)};
    WriteFile(dir + "/e" + c, fill, 1, 64 << 10);
  }
  WriteFile(dir + "/d.vmdk", rest, rest_size, rest_size);
  RunImageOps({.path = dir + "/d.vmdk", .type = petrel::ImageType::kVmdk}, ops);
  return 0;
}
