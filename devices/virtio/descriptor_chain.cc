// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ChainReader and ChainWriter (see descriptor_chain.h).
#include "devices/virtio/descriptor_chain.h"

#include <algorithm>

namespace petrel::virtio {
namespace {

Error Short(const char* what, size_t want, uint32_t have) {
  return Error(ErrorCode::kMalformed, std::string(what) + ": need " + std::to_string(want) +
                                          " bytes, chain has " + std::to_string(have) + " left");
}

Error Inconsistent() {
  return Error(ErrorCode::kInternal, "descriptor chain lengths disagree with its buffers");
}

}  // namespace

ChainReader::ChainReader(const GuestMemory& memory, const DescriptorChain& chain)
    : memory_(memory), chain_(chain), remaining_(chain.readable_len) {}

Result<void> ChainReader::Consume(uint8_t* out, uint32_t len) {
  while (len > 0) {
    if (index_ >= chain_.buffers.size() || chain_.buffers[index_].writable) return Inconsistent();
    const ChainBuffer& buf = chain_.buffers[index_];
    const uint32_t take = std::min(len, buf.len - offset_);
    if (take == 0) {
      ++index_;
      offset_ = 0;
      continue;
    }
    if (out != nullptr) {
      PETREL_TRY(memory_.Read(buf.gpa + offset_, std::span<uint8_t>(out, take)));
      out += take;
    }
    offset_ += take;
    remaining_ -= take;
    len -= take;
  }
  return Ok();
}

Result<void> ChainReader::Read(std::span<uint8_t> out) {
  if (out.size() > remaining_) return Short("reading request", out.size(), remaining_);
  return Consume(out.data(), static_cast<uint32_t>(out.size()));
}

Result<size_t> ChainReader::ReadSome(std::span<uint8_t> out) {
  const auto n = static_cast<uint32_t>(std::min<size_t>(out.size(), remaining_));
  PETREL_TRY(Consume(out.data(), n));
  return size_t{n};
}

Result<void> ChainReader::Skip(uint32_t len) {
  if (len > remaining_) return Short("skipping request bytes", len, remaining_);
  return Consume(nullptr, len);
}

ChainWriter::ChainWriter(GuestMemory& memory, const DescriptorChain& chain)
    : memory_(memory), chain_(chain), remaining_(chain.writable_len) {
  while (index_ < chain_.buffers.size() && !chain_.buffers[index_].writable) ++index_;
}

Result<void> ChainWriter::Write(std::span<const uint8_t> in) {
  if (in.size() > remaining_) return Short("writing response", in.size(), remaining_);
  PETREL_ASSIGN_OR_RETURN(size_t n, WriteSome(in));
  if (n != in.size()) return Inconsistent();
  return Ok();
}

Result<size_t> ChainWriter::WriteSome(std::span<const uint8_t> in) {
  auto len = static_cast<uint32_t>(std::min<size_t>(in.size(), remaining_));
  const uint8_t* src = in.data();
  size_t done = 0;
  while (len > 0) {
    if (index_ >= chain_.buffers.size() || !chain_.buffers[index_].writable) return Inconsistent();
    const ChainBuffer& buf = chain_.buffers[index_];
    const uint32_t take = std::min(len, buf.len - offset_);
    if (take == 0) {
      ++index_;
      offset_ = 0;
      continue;
    }
    PETREL_TRY(memory_.Write(buf.gpa + offset_, std::span<const uint8_t>(src + done, take)));
    offset_ += take;
    remaining_ -= take;
    written_ += take;
    done += take;
    len -= take;
  }
  return done;
}

}  // namespace petrel::virtio
