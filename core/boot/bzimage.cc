// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// bzImage parsing and loading (see bzimage.h).
#include "core/boot/bzimage.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include "core/arch/x86_layout.h"
#include "core/base/hex.h"
#include "core/boot/boot_state.h"
#include "core/base/bytes.h"
#include "core/boot/cmdline.h"
#include "core/boot/e820.h"
#include "core/boot/initramfs.h"

namespace petrel::boot {
namespace {

namespace bz = bzimage;

Error Malformed(const std::string& what) {
  return Error(ErrorCode::kMalformed, "bzImage: " + what);
}

}  // namespace

Result<BzImageHeader> ParseBzImageHeader(std::span<const uint8_t> image) {
  if (image.size() < bz::kVersion + 2) {
    return Malformed("truncated: " + std::to_string(image.size()) +
                     " bytes, too small for a setup header");
  }
  if (const auto flag = LoadLe<uint16_t>(image, bz::kBootFlag); flag != bz::kBootFlagMagic) {
    return Malformed("bad magic: boot_flag is " + Hex(flag) + ", not 0xaa55");
  }
  if (LoadLe<uint32_t>(image, bz::kHeader) != bz::kHeaderMagic) {
    return Malformed("bad magic: no \"HdrS\" setup header signature");
  }
  BzImageHeader h;
  h.version = LoadLe<uint16_t>(image, bz::kVersion);
  if (h.version < bz::kMinVersion) {
    return Malformed("boot protocol " + std::to_string(h.version >> 8) + "." +
                     std::to_string(h.version & 0xff) + " too old, need 2.12 or later");
  }
  h.header_end = bz::kHeader + image[bz::kJump + 1];
  if (h.header_end < bz::kMinHeaderEnd) {
    return Malformed("setup header ends at " + Hex(h.header_end) + ", protocol 2.12 needs " +
                     Hex(bz::kMinHeaderEnd));
  }
  if (h.header_end > image.size()) {
    return Malformed("truncated: setup header ends at " + Hex(h.header_end) + " past the " +
                     std::to_string(image.size()) + "-byte file");
  }
  h.loadflags = image[bz::kLoadflags];
  h.xloadflags = LoadLe<uint16_t>(image, bz::kXloadflags);
  h.initrd_addr_max = LoadLe<uint32_t>(image, bz::kInitrdAddrMax);
  h.cmdline_size = LoadLe<uint32_t>(image, bz::kCmdlineSize);
  h.init_size = LoadLe<uint32_t>(image, bz::kInitSize);
  h.pref_address = LoadLe<uint64_t>(image, bz::kPrefAddress);
  if ((h.xloadflags & bz::kXlfKernel64) == 0) {
    return Malformed("no 64-bit entry point (XLF_KERNEL_64 not set in xloadflags)");
  }
  if ((h.loadflags & bz::kLoadedHigh) == 0) {
    return Malformed("not a high-loaded kernel (LOADED_HIGH not set in loadflags)");
  }
  const uint64_t setup_sects = image[bz::kSetupSects] == 0 ? 4 : image[bz::kSetupSects];
  h.setup_size = (setup_sects + 1) * 512;
  if (h.setup_size >= image.size()) {
    return Malformed("truncated: " + std::to_string(setup_sects) + " setup sectors leave no " +
                     "protected-mode kernel in the " + std::to_string(image.size()) + "-byte file");
  }
  // boot.rst "64-bit boot protocol": the entry is at load address + 0x200,
  // so the protected-mode kernel must reach past it.
  if (image.size() - h.setup_size <= bz::kEntry64Offset) {
    return Malformed("truncated: the " + std::to_string(image.size() - h.setup_size) +
                     "-byte protected-mode kernel ends before its 64-bit entry at offset " +
                     Hex(bz::kEntry64Offset));
  }
  return h;
}

Result<LoadedKernel> LoadBzImage(GuestMemory& memory, const LinuxBootConfig& config) {
  PETREL_ASSIGN_OR_RETURN(const BzImageHeader h, ParseBzImageHeader(config.kernel));
  const std::span<const uint8_t> payload = config.kernel.subspan(h.setup_size);

  // The kernel needs init_size bytes from its load address (boot.rst, init_size),
  // all inside the identity map the 64-bit boot protocol requires.
  const uint64_t kernel_span = std::max<uint64_t>(payload.size(), h.init_size);
  if (x86::kHighRamStart + kernel_span > kIdentityMappedSize) {
    return Error(ErrorCode::kOutOfRange, "bzImage: kernel needs " + std::to_string(kernel_span) +
                                             " bytes at 1 MiB, beyond the 1 GiB identity map");
  }
  if (!memory.Contains(x86::kHighRamStart, kernel_span)) {
    return Error(ErrorCode::kOutOfRange, "bzImage: kernel needs " + std::to_string(kernel_span) +
                                             " bytes of RAM at 1 MiB; guest RAM is too small");
  }
  // Without KASLR a relocatable kernel decompresses to pref_address
  // (LOAD_PHYSICAL_ADDR, usually 16 MiB) and uses init_size bytes there; the
  // initramfs must stay clear of that too.
  uint64_t kernel_end = x86::kHighRamStart + kernel_span;
  if (const auto run_end = CheckedAdd(h.pref_address, h.init_size)) {
    kernel_end = std::max(kernel_end, *run_end);
  } else {
    return Malformed("pref_address + init_size wraps");
  }
  PETREL_TRY(memory.Write(x86::kHighRamStart, payload).Wrap("writing kernel"));
  PETREL_TRY(WriteCmdline(memory, config.cmdline, h.cmdline_size).Wrap("bzImage"));

  const uint64_t initrd_max =
      h.initrd_addr_max == 0 ? bz::kDefaultInitrdAddrMax : h.initrd_addr_max;
  PETREL_ASSIGN_OR_RETURN(const InitramfsPlacement initrd,
                          PlaceInitramfs(memory, config.initramfs, kernel_end, initrd_max + 1));
  PETREL_ASSIGN_OR_RETURN(const std::vector<E820Entry> e820, BuildE820(memory));

  // Zero page: a clean boot_params with the file's setup header (boot.rst,
  // "the 64-bit boot protocol": the header is copied, the rest zeroed).
  std::vector<uint8_t> zp(bz::kZeroPageSize, 0);
  const uint64_t copy_end = std::min(h.header_end, bz::kZpSetupHeaderEnd);
  std::copy(config.kernel.begin() + bz::kSetupSects, config.kernel.begin() + copy_end,
            zp.begin() + bz::kSetupSects);
  zp[bz::kTypeOfLoader] = bz::kTypeOfLoaderUndefined;
  StoreLe<uint32_t>(zp, bz::kCmdLinePtr, static_cast<uint32_t>(x86::kCmdlineStart));
  StoreLe<uint32_t>(zp, bz::kRamdiskImage, static_cast<uint32_t>(initrd.addr));
  StoreLe<uint32_t>(zp, bz::kRamdiskSize, static_cast<uint32_t>(initrd.size));
  StoreLe<uint64_t>(zp, bz::kZpAcpiRsdpAddr, config.rsdp_addr);  // older kernels ignore it
  zp[bz::kZpE820Entries] = static_cast<uint8_t>(e820.size());
  for (size_t i = 0; i < e820.size(); ++i) {
    const uint64_t off = bz::kZpE820Table + i * bz::kE820EntrySize;
    StoreLe<uint64_t>(zp, off, e820[i].addr);
    StoreLe<uint64_t>(zp, off + 8, e820[i].size);
    StoreLe<uint32_t>(zp, off + 16, e820[i].type);
  }
  PETREL_TRY(memory.Write(x86::kZeroPageStart, zp).Wrap("writing zero page"));
  PETREL_TRY(WriteLongModeTables(memory));

  const uint64_t entry = x86::kHighRamStart + bz::kEntry64Offset;
  return LoadedKernel{KernelFormat::kBzImage, LongModeBootState(entry, x86::kZeroPageStart), entry};
}

}  // namespace petrel::boot
