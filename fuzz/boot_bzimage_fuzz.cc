// Fuzzes LoadLinux with bzImage-like input: either raw bytes, or a valid
// synthetic bzImage (core/boot/test_images.h) with fuzzer bytes written over
// it at a fuzzer-chosen offset, so the header checks and the loader past
// them are both reached. Also varies the cmdline length, initramfs size and
// vCPU count.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/boot/linux_loader.h"
#include "core/boot/test_images.h"

namespace {

constexpr uint64_t kGuestRam = 64ULL << 20;
constexpr uint64_t kMaxInitramfs = 80ULL << 20;  // more than the guest has, to hit the error

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
  const uint32_t vcpus = data[1] % 48;
  const size_t cmdline_len = (data[2] | (data[3] << 8)) % 0x11000;
  const uint64_t initramfs_size =
      (static_cast<uint64_t>(data[4]) << 16 | data[5] << 8 | data[6]) * 8 % kMaxInitramfs;
  const uint16_t overlay_at = static_cast<uint16_t>(data[7] << 8);
  data += 8;
  size -= 8;

  std::vector<uint8_t> kernel;
  if (flags & 1) {
    petrel::boot::testing::TestBzImage bz;
    bz.init_size = flags & 2 ? 0x2000000 : bz.init_size;
    kernel = bz.Build();
    const size_t at = (overlay_at | (flags >> 2)) % (kernel.size() + 1);
    if (kernel.size() < at + size) kernel.resize(at + size);
    for (size_t i = 0; i < size; ++i) kernel[at + i] = data[i];
  } else {
    kernel.assign(data, data + size);
  }
  petrel::boot::LinuxBootConfig config;
  config.kernel = kernel;
  config.initramfs = std::span<const uint8_t>(Zeros().data(), initramfs_size);
  config.cmdline = std::string(cmdline_len, 'c');
  config.vcpus = vcpus;
  (void)petrel::boot::LoadLinux(Memory(), config);
  return 0;
}
