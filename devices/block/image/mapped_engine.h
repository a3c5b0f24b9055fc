// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// MappedEngine: the IoEngine of a formatted disk image (qcow2, VHDX, VMDK
// with several extents): requests in virtual-disk offsets are mapped by the
// image, and the pieces stored in the data file go to an ordinary file
// engine (synchronous or io_uring), so reads and writes of allocated data
// cost what they cost on a raw disk. Pieces the format must handle itself
// (zeros, backing data, compressed clusters, allocation) are done inside
// Submit(), synchronously, as SyncEngine would.
//
// A request that maps to one stretch of the file -- the usual case once a
// disk is allocated -- goes to the file engine whole, with its offset moved.
// Otherwise it completes when all its pieces have; its result is the
// request's byte count, or the first piece's -errno. Flush asks the image to make its
// metadata durable, then flushes the file through the inner engine.
//
// Submit() takes all the requests or none: kBusy when more would be in
// flight than queue_depth(). If the inner engine is full, a request's file
// pieces are done synchronously instead, so a request split into more pieces
// than the inner queue holds still completes.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "core/base/result.h"
#include "devices/block/image/disk_image.h"
#include "devices/block/io_engine.h"

namespace petrel {

class MappedEngine final : public IoEngine {
 public:
  // `image` must outlive the engine; `inner` is an engine on image.data_file().
  MappedEngine(DiskImage& image, std::unique_ptr<IoEngine> inner, uint32_t queue_depth);

  Result<void> Submit(std::span<const IoRequest> requests) override;
  std::vector<IoCompletion> Reap() override;
  std::shared_ptr<Notifier> completion_notifier() override { return inner_->completion_notifier(); }
  size_t in_flight() const override {
    return parents_.size() + ready_.size() + direct_in_flight_;
  }
  size_t queue_depth() const override { return queue_depth_; }
  const char* name() const override { return inner_->name(); }

 private:
  // A request with pieces still in the inner engine.
  struct Parent {
    uint64_t user_data = 0;
    uint64_t bytes = 0;    // the result on success
    int error = 0;         // first -errno
    size_t pending = 0;    // pieces not yet completed
  };
  // One piece in the inner engine: which parent, and for reads the iovecs
  // to zero-fill if the file is shorter than the piece.
  struct Piece {
    uint64_t parent = 0;
    uint64_t length = 0;
    std::vector<iovec> iov;
    bool read = false;
  };

  void Start(const IoRequest& request);
  void StartReadWrite(const IoRequest& request, uint64_t parent_id, Parent& parent);
  // A completion from the file engine: a piece, or a request passed whole.
  void CompleteInner(uint64_t user_data, int64_t result);
  void CompletePiece(uint64_t piece_id, int64_t result);
  void Finish(uint64_t parent_id);

  // Pieces' ids in the file engine carry this bit; requests passed through
  // whole keep their own user_data (which must not have it).
  static constexpr uint64_t kPieceTag = 1ull << 63;

  DiskImage& image_;
  size_t direct_in_flight_ = 0;
  std::unique_ptr<IoEngine> inner_;
  uint32_t queue_depth_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, Parent> parents_;
  std::unordered_map<uint64_t, Piece> pieces_;
  std::vector<IoRequest> to_submit_;
  std::vector<IoCompletion> ready_;
  std::vector<ImageExtent> extents_;
};

// Makes the file engine for `image`'s data file and the MappedEngine over it.
Result<std::unique_ptr<IoEngine>> MakeMappedEngine(DiskImage& image, IoEngineKind kind,
                                                   uint32_t queue_depth);

}  // namespace petrel
