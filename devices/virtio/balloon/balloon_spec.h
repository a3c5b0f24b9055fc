// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The traditional memory balloon's wire format (virtio 1.2 §5.5): feature
// bits, the configuration space, page numbers and statistics tags.
#pragma once

#include <cstdint>

namespace petrel::virtio {

// §5.5.3 feature bits.
inline constexpr unsigned kBalloonFMustTellHost = 0;
inline constexpr unsigned kBalloonFStatsVq = 1;
inline constexpr unsigned kBalloonFDeflateOnOom = 2;
inline constexpr unsigned kBalloonFFreePageHint = 3;
inline constexpr unsigned kBalloonFPagePoison = 4;
inline constexpr unsigned kBalloonFPageReporting = 5;

// §5.5.6: inflate and deflate queues carry 32-bit page frame numbers of
// 4 KiB pages (VIRTIO_BALLOON_PFN_SHIFT 12), whatever the guest's page size.
inline constexpr unsigned kBalloonPfnShift = 12;
inline constexpr uint64_t kBalloonPageSize = uint64_t{1} << kBalloonPfnShift;

// §5.5.4 struct virtio_balloon_config, little-endian.
inline constexpr uint64_t kBalloonConfigNumPages = 0;  // le32, device writes: the target
inline constexpr uint64_t kBalloonConfigActual = 4;    // le32, driver writes: pages held
inline constexpr uint64_t kBalloonConfigFreePageHintCmdId = 8;  // le32, unused here
inline constexpr uint64_t kBalloonConfigPoisonVal = 12;          // le32, unused here
inline constexpr uint64_t kBalloonConfigSize = 16;

// §5.5.6.3 struct virtio_balloon_stat: le16 tag, le64 val, packed (10 bytes).
inline constexpr uint32_t kBalloonStatSize = 10;
enum BalloonStatTag : uint16_t {
  kBalloonStatSwapIn = 0,
  kBalloonStatSwapOut = 1,
  kBalloonStatMajorFaults = 2,
  kBalloonStatMinorFaults = 3,
  kBalloonStatFreeMemory = 4,
  kBalloonStatTotalMemory = 5,
  kBalloonStatAvailableMemory = 6,
  kBalloonStatDiskCaches = 7,
  kBalloonStatHugetlbAllocations = 8,
  kBalloonStatHugetlbFailures = 9,
  kBalloonStatTagCount = 10,
};

}  // namespace petrel::virtio
