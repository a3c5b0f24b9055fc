// Shared by the boot loader fuzzers (boot_bzimage_fuzz, boot_pvh_fuzz): the
// 8-byte input header both decode, the overlay of fuzzer bytes onto a valid
// synthetic image, and the LoadLinux call into one reused 64 MiB guest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/boot/linux_loader.h"

namespace petrel::boot::fuzz {

inline constexpr uint64_t kGuestRam = 64ULL << 20;
inline constexpr uint64_t kMaxInitramfs = 80ULL << 20;  // more than the guest has, to hit the error
inline constexpr size_t kHeaderSize = 8;

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

// Loads `kernel` with the header's cmdline and initramfs sizes; the result is
// ignored (errors are expected), crashes and sanitizer reports are not.
inline void Load(std::span<const uint8_t> kernel, const Header& h, uint32_t vcpus) {
  static auto memory = GuestMemory::CreateX86(kGuestRam).value();
  static const std::vector<uint8_t> zeros(kMaxInitramfs, 0);
  LinuxBootConfig config;
  config.kernel = kernel;
  config.initramfs = std::span<const uint8_t>(zeros.data(), h.initramfs_size);
  config.cmdline = std::string(h.cmdline_len, 'c');
  config.vcpus = vcpus;
  (void)LoadLinux(*memory, config);
}

}  // namespace petrel::boot::fuzz
