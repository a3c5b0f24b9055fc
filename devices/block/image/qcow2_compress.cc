// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// qcow2 cluster (de)compression with zlib and zstd (see qcow2_compress.h).
#include "devices/block/image/qcow2_compress.h"

#include <zlib.h>
#include <zstd.h>

#include <cerrno>

#include "devices/block/image/qcow2_header.h"

namespace petrel::qcow2 {
namespace {

int InflateRaw(std::span<const uint8_t> in, std::span<uint8_t> out) {
  z_stream z = {};
  // Negative window bits: raw deflate; 15 accepts any window QEMU uses (12).
  if (inflateInit2(&z, -15) != Z_OK) return -EIO;
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  const int ret = inflate(&z, Z_FINISH);
  const bool full = z.avail_out == 0;
  inflateEnd(&z);
  // Z_BUF_ERROR with a full output: the padding after the stream's end.
  return full && (ret == Z_STREAM_END || ret == Z_BUF_ERROR || ret == Z_OK) ? 0 : -EIO;
}

int DecompressZstd(std::span<const uint8_t> in, std::span<uint8_t> out) {
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  if (ctx == nullptr) return -ENOMEM;
  ZSTD_inBuffer src = {in.data(), in.size(), 0};
  ZSTD_outBuffer dst = {out.data(), out.size(), 0};
  int rc = 0;
  while (dst.pos < dst.size) {
    const size_t ret = ZSTD_decompressStream(ctx, &dst, &src);
    if (ZSTD_isError(ret)) {
      rc = -EIO;
      break;
    }
    if (ret == 0 || src.pos == src.size) break;  // frame done, or input used up
  }
  ZSTD_freeDCtx(ctx);
  return rc == 0 && dst.pos == dst.size ? 0 : -EIO;
}

}  // namespace

int DecompressCluster(uint8_t compression_type, std::span<const uint8_t> in,
                      std::span<uint8_t> out) {
  if (compression_type == kCompressionZstd) return DecompressZstd(in, out);
  if (compression_type == kCompressionZlib) return InflateRaw(in, out);
  return -EIO;
}

std::vector<uint8_t> CompressCluster(uint8_t compression_type, std::span<const uint8_t> in,
                                     size_t max_bytes) {
  std::vector<uint8_t> out(max_bytes);
  if (compression_type == kCompressionZstd) {
    const size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 1);
    if (ZSTD_isError(n)) return {};
    out.resize(n);
    return out;
  }
  z_stream z = {};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9, Z_DEFAULT_STRATEGY) != Z_OK)
    return {};
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  const int ret = deflate(&z, Z_FINISH);
  const size_t n = out.size() - z.avail_out;
  deflateEnd(&z);
  if (ret != Z_STREAM_END) return {};
  out.resize(n);
  return out;
}

}  // namespace petrel::qcow2
