// Small system helpers for the KVM backend: an owning file descriptor and
// ioctl wrappers that retry EINTR (for every ioctl except KVM_RUN, whose
// EINTR means "kicked") and turn failures into Error values.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/base/result.h"

namespace petrel::kvm {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// ioctl(fd, request, arg), retried on EINTR. Returns the ioctl's non-negative
// result or a kSystem error "<name>: <strerror>".
Result<int> Ioctl(int fd, unsigned long request, std::string_view name, uintptr_t arg = 0);

template <class T>
Result<int> IoctlPtr(int fd, unsigned long request, std::string_view name, T* arg) {
  return Ioctl(fd, request, name, reinterpret_cast<uintptr_t>(arg));
}

}  // namespace petrel::kvm
