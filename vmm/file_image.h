// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// FileImage: a private in-memory copy of a whole file (kernel, initramfs).
// The file is read once, with read(2), when it is opened: nothing maps it, so
// another process truncating or rewriting the file later cannot fault the
// VMM (a shrunk MAP_PRIVATE mapping raises SIGBUS on access) nor change what
// the guest boots mid-load.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/base/result.h"

namespace petrel::vmm {

// The largest kernel or initramfs accepted. Both are loaded below 4 GiB (the
// initramfs below the boot protocol's initrd_addr_max, at most 2 GiB - 1), so
// a larger file could never boot.
inline constexpr size_t kMaxFileImageBytes = size_t{2} << 30;

class FileImage {
 public:
  // Reads the regular file at `path`. Errors: it cannot be opened or read,
  // is not a regular file, is empty, is larger than kMaxFileImageBytes, or
  // changes size while it is read. `what` names the file in errors
  // ("kernel", "initramfs").
  static Result<FileImage> Open(const std::string& path, const std::string& what);
  FileImage() = default;

  std::span<const uint8_t> bytes() const { return bytes_; }

 private:
  explicit FileImage(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
  std::vector<uint8_t> bytes_;
};

}  // namespace petrel::vmm
