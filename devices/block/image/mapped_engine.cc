// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// MappedEngine (see mapped_engine.h).
#include "devices/block/image/mapped_engine.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include "devices/block/io_request_util.h"
#include "devices/block/sync_io.h"

namespace petrel {
namespace {

// The iovecs covering bytes [skip, skip + length) of `iov`.
std::vector<iovec> SliceIovecs(std::span<const iovec> iov, uint64_t skip, uint64_t length) {
  std::vector<iovec> out;
  for (const iovec& v : iov) {
    if (length == 0) break;
    if (skip >= v.iov_len) {
      skip -= v.iov_len;
      continue;
    }
    const size_t n = std::min<uint64_t>(v.iov_len - skip, length);
    out.push_back({static_cast<uint8_t*>(v.iov_base) + skip, n});
    skip = 0;
    length -= n;
  }
  return out;
}

void ZeroIovecs(std::span<const iovec> iov) {
  for (const iovec& v : iov) std::memset(v.iov_base, 0, v.iov_len);
}

}  // namespace

MappedEngine::MappedEngine(DiskImage& image, std::unique_ptr<IoEngine> inner, uint32_t queue_depth)
    : image_(image), inner_(std::move(inner)), queue_depth_(queue_depth) {}

Result<void> MappedEngine::Submit(std::span<const IoRequest> requests) {
  if (requests.empty()) return Ok();
  if (requests.size() > queue_depth_)
    return Error(ErrorCode::kInvalidArgument, "more requests than the queue depth");
  if (in_flight() + requests.size() > queue_depth_)
    return Error(ErrorCode::kBusy, "image engine: queue full");
  const size_t ready_before = ready_.size();
  to_submit_.clear();
  for (const IoRequest& request : requests) Start(request);
  if (!to_submit_.empty() && !inner_->Submit(to_submit_).ok()) {
    // The file engine is full (a request split into many pieces): do the
    // pieces here instead.
    for (const IoRequest& piece : to_submit_)
      CompleteInner(piece.user_data, ExecuteSync(image_.data_file(), piece));
  }
  to_submit_.clear();
  if (ready_.size() > ready_before) inner_->completion_notifier()->Signal();
  return Ok();
}

void MappedEngine::Start(const IoRequest& request) {
  const int checked = CheckRequest(image_.data_file(), request);
  int mapped = 0;
  const bool read_write =
      request.op == IoRequest::Op::kRead || request.op == IoRequest::Op::kWrite;
  if (checked == 0 && read_write) {
    const int64_t total = TotalIovLength(request.iov);
    mapped = total <= 0 ? (total < 0 ? -EINVAL : 0)
                        : image_.Map(request.op == IoRequest::Op::kRead ? MapPurpose::kRead
                                                                        : MapPurpose::kWrite,
                                     request.offset, static_cast<uint64_t>(total), extents_);
    // The common case -- all of it in one stretch of the file -- goes to
    // the file engine as it is: no pieces, no bookkeeping.
    if (mapped == 0 && total > 0 && extents_.size() == 1 &&
        extents_[0].kind == ImageExtent::Kind::kFile && (request.user_data & kPieceTag) == 0) {
      IoRequest direct = request;
      direct.offset = extents_[0].file_offset;
      to_submit_.push_back(std::move(direct));
      ++direct_in_flight_;
      return;
    }
    if (total <= 0) extents_.clear();
  }
  const uint64_t id = next_id_++;
  Parent& parent = parents_[id];
  parent.user_data = request.user_data;
  if (checked != 0) {
    parent.error = checked;
  } else if (mapped != 0) {
    parent.error = mapped;
  } else {
    switch (request.op) {
      case IoRequest::Op::kRead:
      case IoRequest::Op::kWrite: StartReadWrite(request, id, parent); break;
      case IoRequest::Op::kFlush: parent.error = image_.Flush(); break;
      case IoRequest::Op::kDiscard:
        parent.error = image_.Discard(request.offset, request.length);
        break;
      case IoRequest::Op::kWriteZeroes:
        parent.error = image_.WriteZeroes(request.offset, request.length);
        break;
    }
  }
  if (parent.pending == 0) Finish(id);
}

// `extents_` holds the request's map (Start made it).
void MappedEngine::StartReadWrite(const IoRequest& request, uint64_t parent_id, Parent& parent) {
  const bool read = request.op == IoRequest::Op::kRead;
  parent.bytes = static_cast<uint64_t>(TotalIovLength(request.iov));
  std::vector<uint8_t> bounce;
  for (const ImageExtent& e : extents_) {
    std::vector<iovec> part = SliceIovecs(request.iov, e.offset - request.offset, e.length);
    int rc = 0;
    switch (e.kind) {
      case ImageExtent::Kind::kFile: {
        const uint64_t piece_id = next_id_++ | kPieceTag;
        IoRequest sub;
        sub.op = request.op;
        sub.offset = e.file_offset;
        sub.iov = part;
        sub.user_data = piece_id;
        pieces_[piece_id] = Piece{parent_id, e.length, std::move(part), read};
        to_submit_.push_back(std::move(sub));
        ++parent.pending;
        break;
      }
      case ImageExtent::Kind::kZero:
        if (read) ZeroIovecs(part);
        else rc = -EIO;  // Map(kWrite) never returns kZero
        break;
      case ImageExtent::Kind::kFormat:
        bounce.resize(e.length);
        if (read) {
          rc = image_.ReadFormat(e.offset, bounce);
          if (rc == 0) CopyToIovecs(part, bounce.data(), bounce.size());
        } else {
          CopyFromIovecs(part, bounce.data(), bounce.size());
          rc = image_.WriteFormat(e.offset, bounce);
        }
        break;
    }
    if (rc != 0 && parent.error == 0) parent.error = rc;
  }
}

void MappedEngine::CompleteInner(uint64_t user_data, int64_t result) {
  if (user_data & kPieceTag) {
    CompletePiece(user_data, result);
    return;
  }
  // A request passed through whole: its result is the file engine's (a
  // read past the end of the file returns fewer bytes, as on a raw disk).
  --direct_in_flight_;
  ready_.push_back({user_data, result});
}

void MappedEngine::CompletePiece(uint64_t piece_id, int64_t result) {
  auto it = pieces_.find(piece_id);
  if (it == pieces_.end()) return;
  Piece piece = std::move(it->second);
  pieces_.erase(it);
  auto p = parents_.find(piece.parent);
  if (p == parents_.end()) return;
  Parent& parent = p->second;
  if (result < 0) {
    if (parent.error == 0) parent.error = static_cast<int>(result);
  } else if (static_cast<uint64_t>(result) < piece.length) {
    if (piece.read) {  // the file ends inside the piece: the rest reads as zeros
      AdvanceIovecs(piece.iov, static_cast<size_t>(result));
      ZeroIovecs(piece.iov);
    } else if (parent.error == 0) {
      parent.error = -EIO;
    }
  }
  if (--parent.pending == 0) Finish(piece.parent);
}

void MappedEngine::Finish(uint64_t parent_id) {
  auto it = parents_.find(parent_id);
  const Parent& parent = it->second;
  ready_.push_back({parent.user_data, parent.error != 0 ? static_cast<int64_t>(parent.error)
                                                         : static_cast<int64_t>(parent.bytes)});
  parents_.erase(it);
}

std::vector<IoCompletion> MappedEngine::Reap() {
  for (const IoCompletion& c : inner_->Reap()) CompleteInner(c.user_data, c.result);
  return std::exchange(ready_, {});
}

Result<std::unique_ptr<IoEngine>> MakeMappedEngine(DiskImage& image, IoEngineKind kind,
                                                   uint32_t queue_depth) {
  if (queue_depth == 0 || queue_depth > kMaxQueueDepth)
    return Error(ErrorCode::kInvalidArgument, "image engine: queue depth " +
                                                  std::to_string(queue_depth) + " not in 1.." +
                                                  std::to_string(kMaxQueueDepth));
  // Room for requests split in a few pieces each; more fall back to Submit's
  // synchronous path.
  const uint32_t inner_depth = std::min<uint32_t>(queue_depth * 4, kMaxQueueDepth);
  PETREL_ASSIGN_OR_RETURN(auto inner, MakeIoEngine(kind, image.data_file(), inner_depth));
  return std::unique_ptr<IoEngine>(new MappedEngine(image, std::move(inner), queue_depth));
}

}  // namespace petrel
