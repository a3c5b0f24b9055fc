// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Decompressing qcow2 compressed clusters (qcow2.txt "Compressed Clusters
// Descriptor"; compression_type in the v3 header): zlib's raw deflate (no
// zlib header, as QEMU writes it) or a zstd frame. The stored data is padded
// to a sector boundary, so decompression stops once the cluster is full.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace petrel::qcow2 {

// Fills `out` (one cluster) from `in`. 0, or -EIO if the data is malformed
// or decompresses to less than a cluster.
int DecompressCluster(uint8_t compression_type, std::span<const uint8_t> in,
                      std::span<uint8_t> out);

// Compresses `in` (one cluster) for tests and tools: raw deflate or a zstd
// frame. Empty if it does not fit `max_bytes`.
std::vector<uint8_t> CompressCluster(uint8_t compression_type, std::span<const uint8_t> in,
                                     size_t max_bytes);

}  // namespace petrel::qcow2
