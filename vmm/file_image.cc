// FileImage (see file_image.h).
#include "vmm/file_image.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace petrel::vmm {

Result<FileImage> FileImage::Open(const std::string& path, const std::string& what) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::FromErrno("cannot open " + what + " " + path);
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    Error e = Error::FromErrno("cannot stat " + what + " " + path);
    close(fd);
    return e;
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return Error(ErrorCode::kInvalidArgument, what + " " + path + " is not a regular file");
  }
  if (st.st_size == 0) {
    close(fd);
    return Error(ErrorCode::kMalformed, what + " " + path + " is empty");
  }
  void* p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (p == MAP_FAILED) return Error::FromErrno("cannot map " + what + " " + path);
  return FileImage(static_cast<const uint8_t*>(p), static_cast<size_t>(st.st_size));
}

FileImage& FileImage::operator=(FileImage&& o) noexcept {
  if (this != &o) {
    if (data_ != nullptr) munmap(const_cast<uint8_t*>(data_), size_);
    data_ = o.data_;
    size_ = o.size_;
    o.data_ = nullptr;
    o.size_ = 0;
  }
  return *this;
}

FileImage::~FileImage() {
  if (data_ != nullptr) munmap(const_cast<uint8_t*>(data_), size_);
}

}  // namespace petrel::vmm
