// FileImage: a read-only view of a whole file (kernel, initramfs), mmap'd so
// the loader copies straight from the page cache into guest RAM.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/base/result.h"

namespace petrel::vmm {

class FileImage {
 public:
  // `what` names the file in errors ("kernel", "initramfs").
  static Result<FileImage> Open(const std::string& path, const std::string& what);
  FileImage() = default;
  FileImage(FileImage&& o) noexcept : data_(o.data_), size_(o.size_) {
    o.data_ = nullptr;
    o.size_ = 0;
  }
  FileImage& operator=(FileImage&& o) noexcept;
  ~FileImage();

  std::span<const uint8_t> bytes() const { return {data_, size_}; }

 private:
  FileImage(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace petrel::vmm
