// Fuzzes LoadLinux with ELF input: either raw bytes behind a forced ELF
// magic, or a valid synthetic PVH ELF (core/boot/test_images.h) with fuzzer
// bytes written over it at a fuzzer-chosen offset, so the header, program
// header and note parsers and the segment loader are all reached.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/boot/linux_loader.h"
#include "core/boot/test_images.h"

namespace {

constexpr uint64_t kGuestRam = 64ULL << 20;
constexpr uint64_t kMaxInitramfs = 80ULL << 20;

petrel::GuestMemory& Memory() {
  static auto memory = petrel::GuestMemory::CreateX86(kGuestRam).value();
  return *memory;
}

const std::vector<uint8_t>& Zeros() {
  static const std::vector<uint8_t> zeros(kMaxInitramfs, 0);
  return zeros;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8) return 0;
  const uint8_t flags = data[0];
  const uint32_t vcpus = 1 + data[1] % 4;
  const size_t cmdline_len = (data[2] | (data[3] << 8)) % 0x11000;
  const uint64_t initramfs_size =
      (static_cast<uint64_t>(data[4]) << 16 | data[5] << 8 | data[6]) * 8 % kMaxInitramfs;
  const uint8_t overlay_at = data[7];
  data += 8;
  size -= 8;

  std::vector<uint8_t> kernel;
  if (flags & 1) {
    petrel::boot::testing::TestElf elf;
    elf.entry_desc_size = flags & 2 ? 4 : 8;
    elf.extra_note = (flags & 4) != 0;
    if (flags & 8) elf.segments.push_back({0x300000, {}, 0x1000000});  // a large bss
    kernel = elf.Build();
    // Most of the interesting bytes (headers, notes) are in the first 512.
    const size_t at = (static_cast<size_t>(overlay_at) * 2 + (flags >> 4)) % (kernel.size() + 1);
    if (kernel.size() < at + size) kernel.resize(at + size);
    for (size_t i = 0; i < size; ++i) kernel[at + i] = data[i];
  } else {
    kernel.assign(data, data + size);
    const uint8_t magic[] = {0x7f, 'E', 'L', 'F'};
    if (kernel.size() < 4) kernel.resize(4);
    for (int i = 0; i < 4; ++i) kernel[i] = magic[i];
  }
  petrel::boot::LinuxBootConfig config;
  config.kernel = kernel;
  config.initramfs = std::span<const uint8_t>(Zeros().data(), initramfs_size);
  config.cmdline = std::string(cmdline_len, 'c');
  config.vcpus = vcpus;
  (void)petrel::boot::LoadLinux(Memory(), config);
  return 0;
}
