// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RawImage and the probed-raw write guard (see raw_image.h).
#include "devices/block/image/raw_image.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/base/log.h"
#include "devices/block/io_request_util.h"
#include "devices/block/sync_io.h"

namespace petrel {
namespace {

// Detection looks at most this far into the file for a magic that a write
// to the first sector could create ("# Disk DescriptorFile" is the longest).
constexpr size_t kMagicBytes = 32;

// The file engine of a probed raw image, refusing writes that would change
// what detection sees. Everything else passes through unchanged.
class ProbedRawEngine final : public IoEngine {
 public:
  ProbedRawEngine(DiskFile& file, std::unique_ptr<IoEngine> inner)
      : file_(file), inner_(std::move(inner)) {}

  Result<void> Submit(std::span<const IoRequest> requests) override {
    bool guarded = false;
    for (const IoRequest& r : requests)
      guarded |= r.op == IoRequest::Op::kWrite && r.offset < kMagicBytes && Changes(r);
    if (!guarded) return inner_->Submit(requests);
    // Rare: submit the others, complete the refused ones ourselves.
    std::vector<IoRequest> pass;
    for (const IoRequest& r : requests) {
      if (r.op == IoRequest::Op::kWrite && r.offset < kMagicBytes && Changes(r)) {
        PETREL_LOG_ONCE(kWarn, "probed-raw:" + file_.path())
            << file_.path() << ": refused a guest write that would make this raw disk "
            << "look like another image format (pass image_type=raw to allow it)";
        refused_.push_back({r.user_data, -EPERM});
      } else {
        pass.push_back(r);
      }
    }
    if (!pass.empty()) {
      if (auto rc = inner_->Submit(pass); !rc.ok()) {
        refused_.clear();
        return rc;
      }
    }
    inner_->completion_notifier()->Signal();
    return Ok();
  }
  std::vector<IoCompletion> Reap() override {
    std::vector<IoCompletion> out = inner_->Reap();
    out.insert(out.end(), refused_.begin(), refused_.end());
    refused_.clear();
    return out;
  }
  std::shared_ptr<Notifier> completion_notifier() override { return inner_->completion_notifier(); }
  size_t in_flight() const override { return inner_->in_flight() + refused_.size(); }
  size_t queue_depth() const override { return inner_->queue_depth(); }
  const char* name() const override { return inner_->name(); }

 private:
  // The first kMagicBytes as they would be after the write.
  bool Changes(const IoRequest& r) const {
    uint8_t head[kMagicBytes];
    if (PreadFull(file_, 0, head) != 0) return true;  // cannot tell: refuse
    std::vector<uint8_t> data(kMagicBytes - r.offset);
    const size_t n = CopyFromIovecs(r.iov, data.data(), data.size());
    std::memcpy(head + r.offset, data.data(), n);
    return DetectImageType(head, {}) != ImageType::kRaw;
  }

  DiskFile& file_;
  std::unique_ptr<IoEngine> inner_;
  std::vector<IoCompletion> refused_;
};

}  // namespace

RawImage::RawImage(std::string path, std::unique_ptr<DiskFile> file, uint64_t size, bool probed,
                   ImageType type)
    : DiskImage(std::move(path), std::move(file)), type_(type), size_(size), probed_(probed) {}

int RawImage::Map(MapPurpose, uint64_t offset, uint64_t length, std::vector<ImageExtent>& out) {
  out.clear();
  if (int rc = CheckRange(offset, length); rc != 0) return rc;
  if (length > 0)
    out.push_back({.kind = ImageExtent::Kind::kFile, .offset = offset, .length = length,
                   .file_offset = offset});
  return 0;
}

// Discard and write-zeroes as the file engines do them (fallocate, or
// writing zeros where the file system has no ZERO_RANGE).
int RawImage::RangedSync(IoRequest::Op op, uint64_t offset, uint64_t length) {
  if (int rc = CheckRange(offset, length); rc != 0) return rc;
  IoRequest r;
  r.op = op;
  r.offset = offset;
  r.length = length;
  return static_cast<int>(ExecuteSync(data_file(), r));
}

int RawImage::Discard(uint64_t offset, uint64_t length) {
  return RangedSync(IoRequest::Op::kDiscard, offset, length);
}

int RawImage::WriteZeroes(uint64_t offset, uint64_t length) {
  return RangedSync(IoRequest::Op::kWriteZeroes, offset, length);
}

Result<void> RawImage::Grow(uint64_t new_size) {
  if (type_ != ImageType::kRaw) return DiskImage::Grow(new_size);
  const uint64_t old_size = size();
  if (new_size < old_size) {
    return Error(ErrorCode::kInvalidArgument,
                 path() + ": " + std::to_string(new_size) + " bytes is smaller than the disk's " +
                     std::to_string(old_size) + ": shrinking would drop guest data");
  }
  if (readonly()) return Error(ErrorCode::kFailedPrecondition, path() + ": the disk is read-only");
  if (data_file().is_block_device()) {
    uint64_t device_size = 0;
    if (::ioctl(data_file().fd(), BLKGETSIZE64, &device_size) != 0) {
      return Error::FromErrno(path() + ": BLKGETSIZE64");
    }
    if (device_size != new_size) {
      return Error(ErrorCode::kInvalidArgument,
                   path() + ": the block device has " + std::to_string(device_size) +
                       " bytes; resize it first (e.g. lvextend), then ask for that size");
    }
  } else if (::ftruncate(data_file().fd(), static_cast<off_t>(new_size)) != 0) {
    return Error::FromErrno(path() + ": growing to " + std::to_string(new_size) + " bytes");
  }
  size_.store(new_size, std::memory_order_release);
  return Ok();
}

Result<std::unique_ptr<IoEngine>> RawImage::MakeEngine(IoEngineKind kind, uint32_t queue_depth) {
  PETREL_ASSIGN_OR_RETURN(auto engine, MakeIoEngine(kind, data_file(), queue_depth));
  if (!probed_ || readonly()) return engine;
  return std::unique_ptr<IoEngine>(new ProbedRawEngine(data_file(), std::move(engine)));
}

}  // namespace petrel
