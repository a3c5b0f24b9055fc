// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Shared by the boot loader fuzzers (boot_bzimage_fuzz, boot_pvh_fuzz): the
// 8-byte input header both decode, the overlay of fuzzer bytes onto a valid
// synthetic image, the LoadLinux call into one reused 64 MiB guest, and the
// oracles checked whenever LoadLinux succeeds (CheckLoaded):
//  - the command line in guest memory at x86::kCmdlineStart is the given one
//    with its NUL, and the boot structure points at it;
//  - bzImage (boot.rst, 64-bit boot protocol): rip = 1 MiB + 0x200 lies
//    inside the protected-mode kernel written at 1 MiB, rsi = the zero page;
//    the zero page has type_of_loader 0xff, cmd_line_ptr, and
//    ramdisk_image/ramdisk_size naming a page-aligned copy of the given
//    initramfs bytes below initrd_addr_max and clear of the kernel (its
//    file bytes and init_size at 1 MiB, and init_size at pref_address);
//  - PVH (xen start_info.h): rip = the note's entry, inside a PT_LOAD
//    segment; rbx = hvm_start_info with its magic, version 1, cmdline_paddr,
//    and one module (the initramfs bytes, page aligned, above every loaded
//    segment) exactly when an initramfs was given.
// Guest memory is reused between inputs (64 MiB; clearing it would dominate
// the run), so the command line and initramfs bytes depend on a per-input
// seed: bytes left from an earlier input do not pass for this input's.
// Work per input: one LoadLinux of at most the input size plus kMaxInitramfs.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "core/arch/x86_layout.h"
#include "core/boot/bzimage.h"
#include "core/boot/elf64.h"
#include "core/boot/linux_loader.h"
#include "core/boot/pvh.h"

namespace petrel::boot::fuzz {

inline constexpr uint64_t kGuestRam = 64ULL << 20;
inline constexpr uint64_t kMaxInitramfs = 80ULL << 20;  // more than the guest has, to hit the error
inline constexpr size_t kHeaderSize = 8;
inline constexpr uint64_t kPageSize = 4096;

// Input bytes 0-7: flags, vCPU byte, cmdline length (16 bits), initramfs
// size (24 bits, in 8-byte units), overlay position byte.
struct Header {
  uint8_t flags;
  uint8_t vcpu_byte;
  size_t cmdline_len;
  uint64_t initramfs_size;
  uint8_t overlay_byte;
};

inline Header DecodeHeader(const uint8_t* data) {
  return {data[0], data[1], static_cast<size_t>((data[2] | (data[3] << 8)) % 0x11000),
          (static_cast<uint64_t>(data[4]) << 16 | data[5] << 8 | data[6]) * 8 % kMaxInitramfs,
          data[7]};
}

// Writes `bytes` over `image` at `at` (modulo its size + 1), growing it as needed.
inline void Overlay(std::vector<uint8_t>& image, size_t at, std::span<const uint8_t> bytes) {
  at %= image.size() + 1;
  if (image.size() < at + bytes.size()) image.resize(at + bytes.size());
  for (size_t i = 0; i < bytes.size(); ++i) image[at + i] = bytes[i];
}

// 0..250 from the whole input: which cmdline and initramfs bytes to use.
inline uint8_t Seed(const uint8_t* data, size_t size) {
  uint32_t h = 0;
  for (size_t i = 0; i < size; ++i) h = h * 31 + data[i];
  return static_cast<uint8_t>(h % 251);
}

inline void Check(bool ok) {
  if (!ok) std::abort();
}

template <typename T>
T LoadAt(std::span<const uint8_t> bytes, uint64_t offset) {
  T v{};
  std::memcpy(&v, bytes.data() + offset, sizeof(T));  // x86: little-endian
  return v;
}

template <typename T>
T GuestAt(const GuestMemory& memory, uint64_t gpa) {
  auto v = memory.ReadObj<T>(gpa);
  Check(v.ok());
  return *v;
}

// The bytes at [gpa, gpa + bytes.size()) equal `bytes`.
inline void CheckGuestBytes(const GuestMemory& memory, uint64_t gpa,
                            std::span<const uint8_t> bytes) {
  if (bytes.empty()) return;
  const uint8_t* host = memory.HostPointer(gpa, bytes.size());
  Check(host != nullptr && std::memcmp(host, bytes.data(), bytes.size()) == 0);
}

inline void CheckBzImage(const GuestMemory& memory, const LinuxBootConfig& config,
                         const LoadedKernel& loaded) {
  namespace bz = bzimage;
  const std::span<const uint8_t> image = config.kernel;
  const uint64_t setup_sects = image[bz::kSetupSects] == 0 ? 4 : image[bz::kSetupSects];
  const uint64_t payload = image.size() - (setup_sects + 1) * 512;
  const uint64_t init_size = LoadAt<uint32_t>(image, bz::kInitSize);
  const uint64_t pref_address = LoadAt<uint64_t>(image, bz::kPrefAddress);
  uint64_t initrd_max = LoadAt<uint32_t>(image, bz::kInitrdAddrMax);
  if (initrd_max == 0) initrd_max = bz::kDefaultInitrdAddrMax;

  // boot.rst "64-bit boot protocol": entry at load address + 0x200, rsi =
  // boot_params. The entry must be a byte of the kernel actually loaded.
  Check(loaded.entry == x86::kHighRamStart + bz::kEntry64Offset);
  Check(loaded.vcpu.regs.rip == loaded.entry);
  Check(loaded.vcpu.regs.gpr[hv::kRsi] == x86::kZeroPageStart);
  Check(loaded.entry - x86::kHighRamStart < payload);

  const uint64_t zp = x86::kZeroPageStart;
  Check(GuestAt<uint8_t>(memory, zp + bz::kTypeOfLoader) == bz::kTypeOfLoaderUndefined);
  Check(GuestAt<uint32_t>(memory, zp + bz::kCmdLinePtr) == x86::kCmdlineStart);
  const uint64_t rd_addr = GuestAt<uint32_t>(memory, zp + bz::kRamdiskImage);
  const uint64_t rd_size = GuestAt<uint32_t>(memory, zp + bz::kRamdiskSize);
  Check(rd_size == config.initramfs.size());
  if (rd_size != 0) {
    Check(rd_addr % kPageSize == 0);
    Check(rd_addr + rd_size - 1 <= initrd_max);
    Check(rd_addr >= x86::kHighRamStart + std::max(payload, init_size));
    Check(rd_addr >= pref_address + init_size);
    CheckGuestBytes(memory, rd_addr, config.initramfs);
  }
}

inline void CheckPvh(const GuestMemory& memory, const LinuxBootConfig& config,
                     const LoadedKernel& loaded) {
  auto elf = elf::ParseElf64(config.kernel);
  Check(elf.ok());
  Check(loaded.vcpu.regs.rip == loaded.entry);
  Check(loaded.vcpu.regs.gpr[hv::kRbx] == x86::kPvhInfoStart);
  bool entry_loaded = false;
  uint64_t kernel_end = x86::kHighRamStart;
  for (const elf::ProgramHeader& ph : elf->phdrs) {
    if (ph.type != elf::kPtLoad || ph.memsz == 0) continue;
    entry_loaded |= loaded.entry >= ph.paddr && loaded.entry - ph.paddr < ph.memsz;
    kernel_end = std::max(kernel_end, ph.paddr + ph.memsz);
  }
  Check(entry_loaded);

  // struct hvm_start_info: magic, version, flags, nr_modules, modlist_paddr,
  // cmdline_paddr, rsdp_paddr, memmap_paddr, memmap_entries.
  const uint64_t si = x86::kPvhInfoStart;
  Check(GuestAt<uint32_t>(memory, si) == pvh::kStartInfoMagic);
  Check(GuestAt<uint32_t>(memory, si + 4) == pvh::kStartInfoVersion);
  Check(GuestAt<uint64_t>(memory, si + 24) == x86::kCmdlineStart);
  const uint32_t nr_modules = GuestAt<uint32_t>(memory, si + 12);
  Check(nr_modules == (config.initramfs.empty() ? 0u : 1u));
  if (nr_modules == 1) {
    // struct hvm_modlist_entry: paddr, size, cmdline_paddr, reserved.
    const uint64_t mod = GuestAt<uint64_t>(memory, si + 16);
    const uint64_t addr = GuestAt<uint64_t>(memory, mod);
    Check(GuestAt<uint64_t>(memory, mod + 8) == config.initramfs.size());
    Check(addr % kPageSize == 0 && addr >= kernel_end);
    CheckGuestBytes(memory, addr, config.initramfs);
  }
}

// The oracles for a successful load (see the file comment).
inline void CheckLoaded(const GuestMemory& memory, const LinuxBootConfig& config,
                        const LoadedKernel& loaded) {
  std::vector<uint8_t> cmdline(config.cmdline.begin(), config.cmdline.end());
  cmdline.push_back(0);
  CheckGuestBytes(memory, x86::kCmdlineStart, cmdline);
  if (loaded.format == KernelFormat::kBzImage) {
    CheckBzImage(memory, config, loaded);
  } else {
    CheckPvh(memory, config, loaded);
  }
}

// Loads `kernel` with the header's cmdline and initramfs sizes. Errors are
// expected and ignored; crashes, sanitizer reports and a success that breaks
// an oracle are not. `seed` varies the cmdline and initramfs bytes.
inline void Load(std::span<const uint8_t> kernel, const Header& h, uint32_t vcpus, uint8_t seed) {
  static auto memory = GuestMemory::CreateX86(kGuestRam).value();
  static const std::vector<uint8_t> pattern = [] {
    std::vector<uint8_t> p(kMaxInitramfs + 256);
    for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<uint8_t>(i % 251);
    return p;
  }();
  LinuxBootConfig config;
  config.kernel = kernel;
  config.initramfs = std::span<const uint8_t>(pattern.data() + seed, h.initramfs_size);
  config.cmdline.resize(h.cmdline_len);
  for (size_t i = 0; i < h.cmdline_len; ++i) {
    config.cmdline[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
  }
  config.vcpus = vcpus;
  auto loaded = LoadLinux(*memory, config);
  if (loaded.ok()) CheckLoaded(*memory, config, *loaded);
}

}  // namespace petrel::boot::fuzz
