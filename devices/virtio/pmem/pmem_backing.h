// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PmemBacking: the host side of one virtio-pmem device: its file, opened and
// mapped as Cloud Hypervisor does (MAP_SHARED | MAP_NORESERVE, or
// MAP_PRIVATE with discard_writes=on and the file opened read-only), and the
// flush the guest's requests ask for (fsync(2)).
//
//   PETREL_ASSIGN_OR_RETURN(auto backing, PmemBacking::Open(config));
//   vm.MapDeviceMemory(gpa, backing->size(), backing->data());
#pragma once

#include <cstdint>
#include <memory>

#include "core/base/result.h"
#include "core/base/unique_fd.h"
#include "devices/virtio/pmem/pmem_config.h"

namespace petrel::virtio {

class PmemBacking {
 public:
  // Opens and maps config.file (Validate(config) first). Errors name the
  // file: missing, a directory without size=, a size= larger than the file
  // (the guest would fault past its end), a size not whole 2 MiB (the
  // file's own size when size= is not given), an empty file.
  static Result<std::unique_ptr<PmemBacking>> Open(const PmemConfig& config);
  ~PmemBacking();
  PmemBacking(const PmemBacking&) = delete;
  PmemBacking& operator=(const PmemBacking&) = delete;

  uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  // The guest's flush: the file's data and metadata to stable storage
  // (fsync; with discard_writes=on there is nothing of the guest's to keep,
  // and fsync of the untouched file succeeds). Thread-safe.
  Result<void> Flush() const;

 private:
  PmemBacking(UniqueFd fd, uint8_t* data, uint64_t size)
      : fd_(std::move(fd)), data_(data), size_(size) {}
  UniqueFd fd_;
  uint8_t* data_;
  uint64_t size_;
};

}  // namespace petrel::virtio
