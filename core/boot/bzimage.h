// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// bzImage loading: Linux boot protocol 2.12+ with the 64-bit entry point
// (Documentation/arch/x86/boot.rst; zero page layout in
// arch/x86/include/uapi/asm/bootparam.h).
//
// The protected-mode kernel (everything after the setup sectors) goes to
// 1 MiB; the zero page (boot_params with the file's setup header) to
// x86::kZeroPageStart; the vCPU starts in long mode at 1 MiB + 0x200.
#pragma once

#include <cstdint>
#include <span>

#include "core/base/result.h"
#include "core/boot/linux_loader.h"
#include "core/memory/guest_memory.h"

namespace petrel::boot {

// boot.rst "The real-mode kernel header": offsets in the file and zero page.
namespace bzimage {
inline constexpr uint64_t kSetupSects = 0x1f1;     // u8; 0 means 4
inline constexpr uint64_t kBootFlag = 0x1fe;       // u16 0xaa55
inline constexpr uint64_t kJump = 0x200;           // 0x202 + byte at 0x201 = header end
inline constexpr uint64_t kHeader = 0x202;         // u32 "HdrS"
inline constexpr uint64_t kVersion = 0x206;        // u16 protocol version
inline constexpr uint64_t kTypeOfLoader = 0x210;   // u8
inline constexpr uint64_t kLoadflags = 0x211;      // u8
inline constexpr uint64_t kRamdiskImage = 0x218;   // u32
inline constexpr uint64_t kRamdiskSize = 0x21c;    // u32
inline constexpr uint64_t kCmdLinePtr = 0x228;     // u32
inline constexpr uint64_t kInitrdAddrMax = 0x22c;  // u32, last byte the initrd may use
inline constexpr uint64_t kXloadflags = 0x236;     // u16
inline constexpr uint64_t kCmdlineSize = 0x238;    // u32, max cmdline length without NUL
inline constexpr uint64_t kPrefAddress = 0x258;    // u64, where a relocatable kernel runs
inline constexpr uint64_t kInitSize = 0x260;       // u32, memory needed from the load address
inline constexpr uint64_t kMinHeaderEnd = 0x264;   // protocol 2.12 has at least up to init_size
// bootparam.h: struct boot_params.
inline constexpr uint64_t kZeroPageSize = 0x1000;
inline constexpr uint64_t kZpAcpiRsdpAddr = 0x070;    // u64, boot_params.acpi_rsdp_addr (protocol 2.14)
inline constexpr uint64_t kZpE820Entries = 0x1e8;     // u8
inline constexpr uint64_t kZpSetupHeaderEnd = 0x290;  // edd_mbr_sig_buffer follows the header
inline constexpr uint64_t kZpE820Table = 0x2d0;       // boot_e820_entry[128], 20 bytes each
inline constexpr uint64_t kE820EntrySize = 20;

inline constexpr uint16_t kBootFlagMagic = 0xaa55;
inline constexpr uint32_t kHeaderMagic = 0x53726448;  // "HdrS"
inline constexpr uint16_t kMinVersion = 0x020c;       // 2.12: xloadflags
inline constexpr uint8_t kLoadedHigh = 1 << 0;        // loadflags bit 0
inline constexpr uint16_t kXlfKernel64 = 1 << 0;      // xloadflags bit 0
inline constexpr uint8_t kTypeOfLoaderUndefined = 0xff;
inline constexpr uint64_t kEntry64Offset = 0x200;              // 64-bit entry: load address + 0x200
inline constexpr uint32_t kDefaultInitrdAddrMax = 0x37ffffff;  // boot.rst, protocol <= 2.02
}  // namespace bzimage

struct BzImageHeader {
  uint16_t version = 0;
  uint8_t loadflags = 0;
  uint16_t xloadflags = 0;
  uint32_t initrd_addr_max = 0;
  uint32_t cmdline_size = 0;
  uint32_t init_size = 0;
  uint64_t pref_address = 0;
  uint64_t setup_size = 0;  // bytes before the protected-mode kernel
  uint64_t header_end = 0;  // file offset just past the setup header
};

// Validates the setup header of `image` (every field the loader uses).
Result<BzImageHeader> ParseBzImageHeader(std::span<const uint8_t> image);

// Loads a bzImage with its initramfs, cmdline and e820 map.
Result<LoadedKernel> LoadBzImage(GuestMemory& memory, const LinuxBootConfig& config);

}  // namespace petrel::boot
