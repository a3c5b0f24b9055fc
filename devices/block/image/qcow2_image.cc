// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Qcow2Image (see qcow2_image.h).
#include "devices/block/image/qcow2_image.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/base/bytes.h"
#include "core/base/log.h"
#include "devices/block/image/image_formats.h"
#include "devices/block/image/qcow2_compress.h"

namespace petrel {

using namespace qcow2;  // NOLINT(build/namespaces): this file is qcow2's

namespace {

// The backing format names QEMU writes in the backing format extension.
Result<ImageType> BackingType(const std::string& format) {
  if (format.empty()) return ImageType::kUnknown;
  if (format == "vpc") return ImageType::kVhd;
  return ParseImageType(format);
}

size_t L2CacheTables(uint64_t cluster_size) {
  return std::max<size_t>(2, Qcow2Image::kL2CacheBytes / cluster_size);
}

}  // namespace

Qcow2Image::Qcow2Image(std::string path, std::unique_ptr<DiskFile> file, const Header& header)
    : DiskImage(std::move(path), std::move(file)),
      header_(header),
      g_(Geometry::From(header)),
      l2_cache_(data_file(), g_.cluster_size, L2CacheTables(g_.cluster_size)),
      refcounts_(data_file(), g_, header.refcount_table_offset, header.refcount_table_clusters) {}

Result<std::unique_ptr<Qcow2Image>> Qcow2Image::Open(std::unique_ptr<DiskFile> file,
                                                      const ImageOptions& options, int depth) {
  const std::string path = options.path.empty() ? file->path() : options.path;
  std::vector<uint8_t> c0(std::min<uint64_t>(file->size(), 1ull << kMaxClusterBits));
  if (int rc = PreadFull(*file, 0, c0); rc != 0)
    return Error(ErrorCode::kSystem, path + ": reading the qcow2 header", -rc);
  PETREL_ASSIGN_OR_RETURN(Header header, ParseHeader(c0).Wrap(path));
  const bool writable = !file->readonly();
  PETREL_TRY(CheckFeatures(header, writable).Wrap(path));

  std::unique_ptr<Qcow2Image> image(new Qcow2Image(path, std::move(file), header));
  image->sparse_ = options.sparse;
  std::string problem;
  if (image->LoadL1(problem) != 0 || image->refcounts_.Load(problem) != 0)
    return Error(ErrorCode::kInvalidArgument,
                 path + ": qcow2: " + (problem.empty() ? "reading the tables failed" : problem));
  if (!header.backing_file.empty()) {
    const std::string backing = ResolveImageRelativePath(path, header.backing_file);
    if (!options.backing_files)
      return Error(ErrorCode::kInvalidArgument,
                   path + ": the image has a backing file (" + backing +
                       "); pass backing_files=on to use it");
    PETREL_ASSIGN_OR_RETURN(ImageType type, BackingType(header.backing_format).Wrap(path));
    PETREL_ASSIGN_OR_RETURN(image->backing_,
                            OpenBackingImage(backing, type, options, depth + 1)
                                .Wrap(path + ": opening its backing file"));
  }
  if (writable && (header.incompatible_features & kIncompatDirty) != 0) {
    PETREL_LOG(kWarn) << path << ": qcow2 image is dirty (lazy refcounts); repairing refcounts";
    if (image->RepairRefcounts(problem) != 0)
      return Error(ErrorCode::kInvalidArgument,
                   path + ": qcow2: repairing the dirty image failed" +
                       (problem.empty() ? "" : ": " + problem) + "; try qemu-img check -r all");
  }
  if (writable && header.version == 3 && header.autoclear_features != 0) {
    // Autoclear features (bitmaps, raw external data) describe data this
    // image's writers keep in step; Petrel does not, so it clears them, as
    // QEMU does for the ones it does not know.
    if (image->ClearAutoclear() != 0)
      return Error(ErrorCode::kSystem, path + ": qcow2: clearing the autoclear features");
  }
  return image;
}

int Qcow2Image::LoadL1(std::string& problem) {
  std::vector<uint8_t> bytes(static_cast<size_t>(header_.l1_size) * 8);
  if (int rc = PreadFull(data_file(), header_.l1_table_offset, bytes); rc != 0) return rc;
  l1_.resize(header_.l1_size);
  for (size_t i = 0; i < l1_.size(); ++i) {
    const uint64_t entry = LoadBe<uint64_t>(bytes, i * 8);
    if ((entry & kL1ReservedMask) != 0 || (entry & kOffsetMask & (g_.cluster_size - 1)) != 0) {
      problem = "L1 entry " + std::to_string(i) + " is malformed";
      return -EIO;
    }
    l1_[i] = entry;
  }
  return 0;
}

int Qcow2Image::RepairRefcounts(std::string& problem) {
  const uint64_t cs = g_.cluster_size;
  struct stat st;
  if (fstat(data_file().fd(), &st) != 0) return -errno;
  // Everything referenced lies in the file (data is written before what
  // points at it), which also bounds `want`.
  const uint64_t file_clusters = (static_cast<uint64_t>(st.st_size) + cs - 1) / cs;
  std::vector<uint64_t> want;  // cluster index -> references found
  bool past_end = false;
  auto add = [&](uint64_t offset, uint64_t length) {
    if (((offset + length - 1) >> g_.cluster_bits) >= file_clusters) {
      past_end = true;
      return;
    }
    for (uint64_t c = offset >> g_.cluster_bits; c <= (offset + length - 1) >> g_.cluster_bits; ++c) {
      if (c >= want.size()) want.resize(c + 1, 0);
      ++want[c];
    }
  };
  add(0, cs);
  if (header_.l1_size > 0) add(header_.l1_table_offset, static_cast<uint64_t>(header_.l1_size) * 8);
  add(refcounts_.table_offset(), static_cast<uint64_t>(refcounts_.table_clusters()) * cs);
  for (const auto& [index, block] : refcounts_.Blocks()) add(block, cs);
  for (uint64_t l1_entry : l1_) {
    const uint64_t l2 = l1_entry & kOffsetMask;
    if (l2 == 0) continue;
    if (OverlapsMetadata(l2)) {
      problem = "an L2 table over other metadata";
      return -EIO;
    }
    add(l2, cs);
    Table table;
    if (int rc = l2_cache_.Get(l2, table); rc != 0) return rc;
    for (uint64_t i = 0; i < g_.l2_entries; ++i) {
      Cluster c;
      if (Decode(LoadBe<uint64_t>(*table, i * 8), c) != 0) {
        problem = "a malformed L2 entry";
        return -EIO;
      }
      if (c.state == State::kNormal || c.state == State::kZeroAllocated) add(c.host, cs);
      if (c.state == State::kCompressed) add(c.host, c.compressed_bytes);
    }
  }
  if (past_end) {
    problem = "metadata points past the end of the file";
    return -EIO;
  }
  // Leaks first (nothing is allocated by lowering a count), then the counts
  // lazy refcounts left too low; new refcount blocks go past every cluster
  // in use.
  for (const auto& [index, block] : refcounts_.Blocks()) {
    for (uint64_t c = index * g_.refcount_block_entries;
         c < (index + 1) * g_.refcount_block_entries; ++c) {
      uint64_t have;
      if (int rc = refcounts_.Get(c, have); rc != 0) return rc;
      const uint64_t expected = c < want.size() ? want[c] : 0;
      if (have != 0 && expected == 0)
        if (int rc = refcounts_.Set(c, 0); rc != 0) return rc;
    }
  }
  refcounts_.SetAllocationFloor(want.size());
  for (uint64_t c = 0; c < want.size(); ++c) {
    uint64_t have;
    if (int rc = refcounts_.Get(c, have); rc != 0) return rc;
    if (have != want[c])
      if (int rc = refcounts_.Set(c, want[c]); rc != 0) return rc;
  }
  refcounts_.SetAllocationFloor(0);
  if (fdatasync(data_file().fd()) != 0) return -errno;
  uint8_t bytes[8];
  StoreBe<uint64_t>(bytes, 0, header_.incompatible_features & ~kIncompatDirty);
  if (int rc = PwriteFull(data_file(), kOffIncompatibleFeatures, bytes); rc != 0) return rc;
  header_.incompatible_features &= ~kIncompatDirty;
  return 0;
}

int Qcow2Image::ClearAutoclear() {
  uint8_t zero[8] = {};
  if (int rc = PwriteFull(data_file(), kOffAutoclearFeatures, zero); rc != 0) return rc;
  header_.autoclear_features = 0;
  return 0;
}

bool Qcow2Image::corrupt() const {
  std::lock_guard lock(mu_);
  return corrupt_;
}

uint64_t Qcow2Image::l2_cache_misses() const {
  std::lock_guard lock(mu_);
  return l2_cache_.misses();
}

int Qcow2Image::Corrupt(const std::string& what) {
  if (!corrupt_) {
    PETREL_LOG(kError) << path() << ": qcow2 image is corrupt (" << what
                       << "); further writes fail. Repair it with qemu-img check -r all";
    corrupt_ = true;
    if (!readonly() && header_.version == 3) {
      uint8_t bytes[8];
      StoreBe<uint64_t>(bytes, 0, header_.incompatible_features | kIncompatCorrupt);
      if (PwriteFull(data_file(), kOffIncompatibleFeatures, bytes) == 0)
        header_.incompatible_features |= kIncompatCorrupt;
    }
  }
  return -EIO;
}

bool Qcow2Image::OverlapsMetadata(uint64_t cluster) const {
  auto overlaps = [&](uint64_t start, uint64_t length) {
    return length != 0 && cluster < start + length && start < cluster + g_.cluster_size;
  };
  return overlaps(0, g_.cluster_size) ||
         overlaps(header_.l1_table_offset, static_cast<uint64_t>(header_.l1_size) * 8) ||
         overlaps(refcounts_.table_offset(),
                  static_cast<uint64_t>(refcounts_.table_clusters()) * g_.cluster_size);
}

int Qcow2Image::Decode(uint64_t entry, Cluster& c) {
  c = Cluster{};
  c.entry = entry;
  if (entry & kOflagCompressed) {
    // Compressed Clusters Descriptor: x = 62 - (cluster_bits - 8) bits of
    // offset, then the count of additional 512-byte sectors.
    const uint32_t x = 62 - (g_.cluster_bits - 8);
    const uint64_t offset = entry & ((1ull << x) - 1);
    const uint64_t sectors = ((entry & ~kOflagCopied & ~kOflagCompressed) >> x) + 1;
    if ((entry & kOflagCopied) != 0 || offset == 0 || offset >= kMaxHostOffset)
      return Corrupt("malformed compressed cluster descriptor");
    c.state = State::kCompressed;
    c.host = offset;
    c.compressed_bytes = sectors * 512 - (offset & 511);
    return 0;
  }
  if ((entry & kL2ReservedMask) != 0) return Corrupt("reserved bits set in an L2 entry");
  c.host = entry & kOffsetMask;
  c.copied = (entry & kOflagCopied) != 0;
  if ((c.host & (g_.cluster_size - 1)) != 0) return Corrupt("a misaligned data cluster offset");
  if (entry & kOflagZero) {
    c.state = c.host != 0 ? State::kZeroAllocated : State::kZero;
  } else {
    c.state = c.host != 0 ? State::kNormal : State::kUnallocated;
  }
  if (c.host != 0 && OverlapsMetadata(c.host))
    return Corrupt("a data cluster over the header, the L1 table or the refcount table");
  return 0;
}

int Qcow2Image::Lookup(uint64_t offset, Cluster& out) {
  out = Cluster{};
  const uint64_t l1_index = g_.L1Index(offset);
  if (l1_index >= l1_.size()) return 0;
  const uint64_t l2_offset = l1_[l1_index] & kOffsetMask;
  if (l2_offset == 0) return 0;
  if (OverlapsMetadata(l2_offset))
    return Corrupt("an L2 table over the header, the L1 table or the refcount table");
  Table table;
  if (int rc = l2_cache_.Get(l2_offset, table); rc != 0) return rc;
  return Decode(LoadBe<uint64_t>(*table, g_.L2Index(offset) * 8), out);
}

int Qcow2Image::Map(MapPurpose purpose, uint64_t offset, uint64_t length,
                    std::vector<ImageExtent>& out) {
  out.clear();
  if (int rc = CheckRange(offset, length); rc != 0) return rc;
  const bool write = purpose == MapPurpose::kWrite;
  if (write && readonly()) return -EROFS;
  std::lock_guard lock(mu_);
  if (write && corrupt_) return -EIO;
  while (length > 0) {
    const uint64_t in = g_.ClusterOffset(offset);
    const uint64_t n = std::min(length, g_.cluster_size - in);
    Cluster c;
    if (int rc = Lookup(offset, c); rc != 0) return rc;
    ImageExtent e{.kind = ImageExtent::Kind::kFormat, .offset = offset, .length = n};
    if (write) {
      if (c.state == State::kNormal && c.copied) {
        e.kind = ImageExtent::Kind::kFile;
        e.file_offset = c.host + in;
      }
    } else {
      switch (c.state) {
        case State::kUnallocated:
          if (!backing_) e.kind = ImageExtent::Kind::kZero;
          break;
        case State::kZero:
        case State::kZeroAllocated: e.kind = ImageExtent::Kind::kZero; break;
        case State::kNormal:
          e.kind = ImageExtent::Kind::kFile;
          e.file_offset = c.host + in;
          break;
        case State::kCompressed: break;
      }
    }
    AppendExtent(out, e);
    offset += n;
    length -= n;
  }
  return 0;
}

void Qcow2Image::ForEachFile(const std::function<void(const DiskFile&, bool)>& fn) const {
  DiskImage::ForEachFile(fn);
  if (backing_) backing_->ForEachFile([&](const DiskFile& file, bool) { fn(file, true); });
}

int Qcow2Image::ReadBacking(uint64_t offset, std::span<uint8_t> out) {
  std::fill(out.begin(), out.end(), 0);
  if (!backing_ || offset >= backing_->size()) return 0;
  const uint64_t n = std::min<uint64_t>(out.size(), backing_->size() - offset);
  return backing_->Read(offset, out.first(n));
}

int Qcow2Image::Decompress(const Cluster& c, std::span<uint8_t> out) {
  if (decompressed_entry_ == c.entry && decompressed_.size() == g_.cluster_size) {
    std::memcpy(out.data(), decompressed_.data(), out.size());
    return 0;
  }
  std::vector<uint8_t> in(c.compressed_bytes);
  if (int rc = PreadFull(data_file(), c.host, in); rc != 0) return rc;
  decompressed_.resize(g_.cluster_size);
  if (DecompressCluster(header_.compression_type, in, decompressed_) != 0) {
    decompressed_entry_ = 0;
    PETREL_LOG_ONCE(kError, "qcow2-decompress:" + path())
        << path() << ": a compressed cluster does not decompress";
    return -EIO;
  }
  decompressed_entry_ = c.entry;
  std::memcpy(out.data(), decompressed_.data(), out.size());
  return 0;
}

int Qcow2Image::ReadCluster(uint64_t cluster_offset, const Cluster& c, std::span<uint8_t> out) {
  switch (c.state) {
    case State::kUnallocated: return ReadBacking(cluster_offset, out);
    case State::kZero:
    case State::kZeroAllocated: std::fill(out.begin(), out.end(), 0); return 0;
    case State::kNormal: return PreadFull(data_file(), c.host, out);
    case State::kCompressed: return Decompress(c, out);
  }
  return -EIO;
}

int Qcow2Image::ReadFormat(uint64_t offset, std::span<uint8_t> out) {
  if (int rc = CheckRange(offset, out.size()); rc != 0) return rc;
  std::lock_guard lock(mu_);
  std::vector<uint8_t> cluster;
  while (!out.empty()) {
    const uint64_t in = g_.ClusterOffset(offset);
    const uint64_t n = std::min<uint64_t>(out.size(), g_.cluster_size - in);
    Cluster c;
    if (int rc = Lookup(offset, c); rc != 0) return rc;
    int rc = 0;
    switch (c.state) {
      case State::kUnallocated: rc = ReadBacking(offset, out.first(n)); break;
      case State::kZero:
      case State::kZeroAllocated: std::fill_n(out.begin(), n, 0); break;
      case State::kNormal: rc = PreadFull(data_file(), c.host + in, out.first(n)); break;
      case State::kCompressed:
        cluster.resize(g_.cluster_size);
        rc = Decompress(c, cluster);
        if (rc == 0) std::memcpy(out.data(), cluster.data() + in, n);
        break;
    }
    if (rc != 0) return rc;
    offset += n;
    out = out.subspan(n);
  }
  return 0;
}

int Qcow2Image::WritableL2(uint64_t offset, Table& table, uint64_t& table_offset) {
  const uint64_t l1_index = g_.L1Index(offset);
  if (l1_index >= l1_.size()) return Corrupt("an offset past the L1 table");
  const uint64_t entry = l1_[l1_index];
  const uint64_t old = entry & kOffsetMask;
  if (old != 0 && (entry & kOflagCopied) != 0) {
    table_offset = old;
    return l2_cache_.Get(old, table);
  }
  // A new table: zeroed, or a copy of the shared one.
  auto fresh = std::make_shared<std::vector<uint8_t>>(g_.cluster_size, 0);
  if (old != 0) {
    Table shared;
    if (int rc = l2_cache_.Get(old, shared); rc != 0) return rc;
    *fresh = *shared;
  }
  uint64_t cluster;
  if (int rc = refcounts_.Allocate(cluster); rc != 0) return rc;
  const uint64_t at = cluster << g_.cluster_bits;
  if (at >= kMaxHostOffset) return -ENOSPC;
  if (int rc = PwriteFull(data_file(), at, *fresh); rc != 0) return rc;
  l2_cache_.Put(at, fresh);
  uint8_t bytes[8];
  StoreBe<uint64_t>(bytes, 0, at | kOflagCopied);
  if (int rc = PwriteFull(data_file(), header_.l1_table_offset + l1_index * 8, bytes); rc != 0)
    return rc;
  l1_[l1_index] = at | kOflagCopied;
  if (old != 0) {
    uint64_t now;
    if (refcounts_.Release(old >> g_.cluster_bits, now) != 0)
      return Corrupt("a shared L2 table had no refcount");
    if (now == 0) l2_cache_.Forget(old);
  }
  table = std::move(fresh);
  table_offset = at;
  return 0;
}

int Qcow2Image::SetL2Entry(uint64_t offset, uint64_t entry) {
  Table table;
  uint64_t table_offset;
  if (int rc = WritableL2(offset, table, table_offset); rc != 0) return rc;
  const uint64_t index = g_.L2Index(offset);
  StoreBe<uint64_t>(*table, index * 8, entry);
  return PwriteFull(data_file(), table_offset + index * 8, std::span(*table).subspan(index * 8, 8));
}

int Qcow2Image::ReleaseHost(const Cluster& c) {
  uint64_t first = 0, last = 0;
  switch (c.state) {
    case State::kNormal:
    case State::kZeroAllocated: first = last = c.host >> g_.cluster_bits; break;
    case State::kCompressed:
      first = c.host >> g_.cluster_bits;
      last = (c.host + c.compressed_bytes - 1) >> g_.cluster_bits;
      break;
    default: return 0;
  }
  for (uint64_t cluster = first; cluster <= last; ++cluster) {
    uint64_t now;
    if (refcounts_.Release(cluster, now) != 0)
      return Corrupt("a cluster in use had refcount 0");
    if (now == 0 && sparse_) {
      // Give the space back to the host (best effort, as a discard).
      (void)fallocate(data_file().fd(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                      static_cast<off_t>(cluster << g_.cluster_bits),
                      static_cast<off_t>(g_.cluster_size));
    }
  }
  if (c.state == State::kCompressed && decompressed_entry_ == c.entry) decompressed_entry_ = 0;
  return 0;
}

int Qcow2Image::WriteCluster(uint64_t offset, std::span<const uint8_t> data) {
  const uint64_t in = g_.ClusterOffset(offset);
  Cluster c;
  if (int rc = Lookup(offset, c); rc != 0) return rc;
  if (c.state == State::kNormal && c.copied) return PwriteFull(data_file(), c.host + in, data);

  // The whole new cluster: the old content with the guest's bytes over it.
  const uint64_t cluster_offset = offset - in;
  std::vector<uint8_t> whole;
  std::span<const uint8_t> content = data;
  if (data.size() != g_.cluster_size) {
    whole.resize(g_.cluster_size);
    if (int rc = ReadCluster(cluster_offset, c, whole); rc != 0) return rc;
    std::memcpy(whole.data() + in, data.data(), data.size());
    content = whole;
  }
  // Make sure the L2 table is ours before allocating the data cluster, so
  // the order on disk is: table, data, entry.
  Table table;
  uint64_t table_offset;
  if (int rc = WritableL2(offset, table, table_offset); rc != 0) return rc;
  uint64_t target;
  const bool reuse = c.state == State::kZeroAllocated && c.copied;
  if (reuse) {
    target = c.host;
  } else {
    uint64_t cluster;
    if (int rc = refcounts_.Allocate(cluster); rc != 0) return rc;
    target = cluster << g_.cluster_bits;
    if (target >= kMaxHostOffset) return -ENOSPC;
  }
  if (int rc = PwriteFull(data_file(), target, content); rc != 0) return rc;
  if (int rc = SetL2Entry(offset, target | kOflagCopied); rc != 0) return rc;
  return reuse ? 0 : ReleaseHost(c);
}

int Qcow2Image::WriteFormat(uint64_t offset, std::span<const uint8_t> data) {
  if (readonly()) return -EROFS;
  if (int rc = CheckRange(offset, data.size()); rc != 0) return rc;
  std::lock_guard lock(mu_);
  if (corrupt_) return -EIO;
  while (!data.empty()) {
    const uint64_t n = std::min<uint64_t>(data.size(), g_.cluster_size - g_.ClusterOffset(offset));
    if (int rc = WriteCluster(offset, data.first(n)); rc != 0) return rc;
    offset += n;
    data = data.subspan(n);
  }
  return 0;
}

int Qcow2Image::ZeroClusters(uint64_t offset, uint64_t length, bool discard) {
  std::lock_guard lock(mu_);
  if (corrupt_) return -EIO;
  for (uint64_t end = offset + length; offset < end; offset += g_.cluster_size) {
    Cluster c;
    if (int rc = Lookup(offset, c); rc != 0) return rc;
    // What reads as zeros without holding space: an unallocated entry when
    // nothing shows through, else the v3 zero flag.
    uint64_t entry;
    if (!backing_) {
      entry = 0;
    } else if (header_.version >= 3) {
      entry = kOflagZero;
    } else {
      if (discard) continue;  // v2 with a backing image: keep the data
      return -ENOTSUP;        // the caller writes zeros instead
    }
    if (c.entry == entry) continue;
    if (c.state == State::kUnallocated && entry == 0) continue;
    if (int rc = SetL2Entry(offset, entry); rc != 0) return rc;
    if (int rc = ReleaseHost(c); rc != 0) return rc;
  }
  return 0;
}

int Qcow2Image::Discard(uint64_t offset, uint64_t length) {
  if (readonly()) return -EROFS;
  if (int rc = CheckRange(offset, length); rc != 0) return rc;
  // Whole clusters only: discard is a hint.
  const uint64_t first = (offset + g_.cluster_size - 1) & ~(g_.cluster_size - 1);
  const uint64_t end = std::min(offset + length, g_.size);
  const uint64_t last = end == g_.size ? end : end & ~(g_.cluster_size - 1);
  if (last <= first) return 0;
  return ZeroClusters(first, last - first, true);
}

int Qcow2Image::WriteZeroes(uint64_t offset, uint64_t length) {
  if (readonly()) return -EROFS;
  if (int rc = CheckRange(offset, length); rc != 0) return rc;
  // Whole clusters change their L2 entries; the partial ones at either end
  // are written with zeros.
  const uint64_t end = offset + length;
  const uint64_t first = (offset + g_.cluster_size - 1) & ~(g_.cluster_size - 1);
  const uint64_t last = end == g_.size ? end : end & ~(g_.cluster_size - 1);
  if (first >= last) return DiskImage::WriteZeroes(offset, length);
  const int rc = ZeroClusters(first, last - first, false);
  if (rc == -ENOTSUP) return DiskImage::WriteZeroes(offset, length);  // v2 over a backing image
  if (rc != 0) return rc;
  if (first > offset)
    if (int head = DiskImage::WriteZeroes(offset, first - offset); head != 0) return head;
  return end > last ? DiskImage::WriteZeroes(last, end - last) : 0;
}

Result<std::unique_ptr<DiskImage>> OpenQcow2Image(std::unique_ptr<DiskFile> file,
                                                  const ImageOptions& options, int depth) {
  PETREL_ASSIGN_OR_RETURN(auto image, Qcow2Image::Open(std::move(file), options, depth));
  return std::unique_ptr<DiskImage>(std::move(image));
}

}  // namespace petrel
