// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// DiskImage: a virtual disk as a format presents it -- raw, qcow2, VHD, VHDX
// or VMDK -- over the host file(s) that store it.
//
// virtio-blk sees only the virtual disk: its size, whether it is read-only,
// and IoEngines (MakeEngine) that take IoRequests in virtual-disk offsets.
// A format says where each byte of the virtual disk lives (Map) and does
// itself what needs its metadata (allocation, copy-on-write from a backing
// image, compressed clusters, discard). Everything else -- the bulk of reads
// and writes to data already allocated -- goes to the host file through the
// ordinary engines, synchronous or io_uring (MappedEngine). Raw images skip
// the mapping: their engine is the plain file engine.
//
// Threading: a disk with several queues has one engine per queue, each on
// its own worker thread, all over one DiskImage. The data-path methods below
// are therefore thread-safe; formats with metadata take their own lock.
//
// Errors on the data path are 0 or -errno, as IoCompletion carries them:
// -EIO for a corrupt image (the format logs what it found, once), -ENOSPC,
// -EROFS for writes to a read-only image, -EINVAL for a range past the end.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "devices/block/disk_file.h"
#include "devices/block/image/image_lock.h"
#include "devices/block/image/image_type.h"
#include "devices/block/io_engine.h"

namespace petrel {

// One piece of a virtual-disk byte range, as the format maps it.
struct ImageExtent {
  enum class Kind : uint8_t {
    kFile,    // stored at file_offset in data_file(): read or write it there
    kZero,    // reads as zeros (unallocated and no backing, or a zero cluster)
    kFormat,  // the format must do it: ReadFormat / WriteFormat
  };
  Kind kind = Kind::kZero;
  uint64_t offset = 0;  // in the virtual disk
  uint64_t length = 0;
  uint64_t file_offset = 0;  // kFile only

  bool operator==(const ImageExtent&) const = default;
};

// A file an image uses: its own (a VMDK has several), or one of its backing
// chain's (opened read-only).
struct ImageFileUse {
  std::string path;
  bool backing = false;
  bool operator==(const ImageFileUse&) const = default;
};

// Why a range is mapped.
enum class MapPurpose : uint8_t {
  kRead,
  // For a write: kFile extents may be written in place (allocated, not
  // shared, not compressed); everything else comes back kFormat, and
  // WriteFormat allocates it (data first, then the metadata that points at
  // it). Map never allocates; a format may record the first write (VHDX
  // gives its headers new write GUIDs then, as its spec requires).
  kWrite,
};

class DiskImage {
 public:
  virtual ~DiskImage() = default;
  DiskImage(const DiskImage&) = delete;
  DiskImage& operator=(const DiskImage&) = delete;

  virtual ImageType type() const = 0;
  // The virtual disk's size in bytes.
  virtual uint64_t size() const = 0;
  // The file kFile extents refer to (the image file itself, or a VMDK's
  // first extent); engines do their I/O on it.
  DiskFile& data_file() const { return *data_file_; }
  // The path the user gave.
  const std::string& path() const { return path_; }
  bool readonly() const { return data_file_->readonly(); }
  uint32_t logical_block_size() const { return data_file_->logical_block_size(); }
  // What virtio-blk may advertise.
  virtual bool discard_supported() const { return false; }

  // Maps [offset, offset + length) -- which must lie within size() -- into
  // `out` (cleared first): extents in order, covering the range exactly,
  // adjacent ones of the same kind merged. 0 or -errno.
  virtual int Map(MapPurpose purpose, uint64_t offset, uint64_t length,
                  std::vector<ImageExtent>& out) = 0;
  // Reads / writes a range Map returned as kFormat. A format that maps
  // kFormat overrides them; the defaults return -EIO.
  virtual int ReadFormat(uint64_t offset, std::span<uint8_t> out);
  virtual int WriteFormat(uint64_t offset, std::span<const uint8_t> data);
  // Frees [offset, offset + length) where the format can (whole clusters or
  // blocks); the range then reads as zeros. Parts it cannot free are left
  // as they are (discard is a hint). Default: -EOPNOTSUPP.
  virtual int Discard(uint64_t offset, uint64_t length);
  // Makes the range read as zeros. Default: Write()s zeros.
  virtual int WriteZeroes(uint64_t offset, uint64_t length);
  // Makes everything written so far durable: metadata the format holds,
  // then fdatasync of the file(s). Default: fdatasync of data_file().
  virtual int Flush();
  // Grows the virtual disk to `new_size` bytes (vm.resize-disk) while
  // requests may be in flight; size() reports it once done. Never shrinks:
  // kInvalidArgument below size(). Default: kUnsupported naming the format.
  virtual Result<void> Grow(uint64_t new_size);

  // Calls `fn` for every file the disk keeps open: data_file() by default;
  // formats with more files (a backing chain, VMDK extents) override it.
  // `backing`: a backing image's file (read-only, shared).
  virtual void ForEachFile(const std::function<void(const DiskFile&, bool backing)>& fn) const;
  // Every file the disk uses (for Landlock rules): path() and ForEachFile's.
  void ListFiles(std::vector<ImageFileUse>& out) const;

  // OFD locks on every file (image_lock.h): exclusive on the disk's own
  // files when writable, shared on read-only ones and backing files.
  // OpenDiskImage takes them; a VMM handing its disk to another (live
  // migration) releases them with Unlock and may take them again.
  Result<void> Lock(LockGranularity granularity);
  void Unlock();
  bool locked() const { return locked_; }

  // An engine serving this disk (see io_engine.h for the contract, with
  // offsets in the virtual disk). Default: a MappedEngine over Map.
  virtual Result<std::unique_ptr<IoEngine>> MakeEngine(IoEngineKind kind, uint32_t queue_depth);

  // Synchronous whole-range helpers over Map/ReadFormat/WriteFormat and the
  // data file (pread/pwrite), for backing images, tests and tools.
  int Read(uint64_t offset, std::span<uint8_t> out);
  int Write(uint64_t offset, std::span<const uint8_t> data);

 protected:
  DiskImage(std::string path, std::unique_ptr<DiskFile> data_file)
      : path_(std::move(path)), data_file_(std::move(data_file)) {}
  // 0 if [offset, offset + length) lies within size(), else -EINVAL.
  int CheckRange(uint64_t offset, uint64_t length) const;

 private:
  std::string path_;
  std::unique_ptr<DiskFile> data_file_;
  bool locked_ = false;
};

// Appends `e` (which follows out.back() in the virtual disk) to a map,
// merged into the last extent when they are of one kind and, for kFile,
// contiguous in the file: what Map promises its callers.
void AppendExtent(std::vector<ImageExtent>& out, const ImageExtent& e);

// pread/pwrite loops on a file that continue short transfers; a read past
// the end of the file fills the rest with zeros (as a hole reads). 0 or -errno.
int PreadFull(const DiskFile& file, uint64_t offset, std::span<uint8_t> out);
int PwriteFull(const DiskFile& file, uint64_t offset, std::span<const uint8_t> data);

}  // namespace petrel
