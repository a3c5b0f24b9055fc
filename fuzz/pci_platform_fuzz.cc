// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes BAR programming and moves through the VMM's PCI platform
// (vmm/pci_platform): the input decodes into guest config accesses through
// 0xCF8/0xCFC on a real IoDispatcher (select a device and register, then
// write or read the data port with any width), biased towards what firmware
// and drivers do to BARs: sizing with all ones, restoring the allocated
// address, moving a BAR onto another BAR or onto the ECAM window, and
// toggling the command register's decode enables. Two fake devices carry
// MMIO BARs (32-bit and a 64-bit prefetchable one); the platform refuses I/O
// BARs in AddDevice, so none are fuzzed here.
// Oracles, after every operation:
//  - BarMoved callbacks agree with DecodedBarAddress() and with the address
//    the previous callback reported;
//  - a BAR that decodes (its command enable set and an address programmed,
//    PciConfigSpace's rule) and overlaps neither another decoding BAR nor
//    a platform range (0xCF8, ECAM) is reachable on the MMIO bus at exactly
//    its decoded address: its first and last byte reach that BAR at
//    offsets 0 and size - 1;
//  - nowhere else: at every address any BAR ever decoded at, a BAR mapping
//    found there belongs to a BAR that decodes now, at the offset its
//    decoded address gives (no stale mapping survives a move or a disable).
// Work per input: at most kMaxOps config accesses, each followed by a check
// of a bounded set of probe addresses (at most 2 per BAR move).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <vector>

#include "core/arch/x86_layout.h"
#include "core/bus/bus.h"
#include "core/io/io_dispatcher.h"
#include "devices/pci/pci_bus.h"
#include "devices/pci/pci_device.h"
#include "vmm/pci_platform.h"

namespace {

using petrel::kPciBarCount;

constexpr int kMaxOps = 64;
constexpr uint64_t kRamEnd = 256ull << 20;    // the 64-bit window starts at 4 GiB
constexpr uint32_t kCf8Enable = 0x8000'0000;  // PCI 3.0 §3.2.2.3.2: CONFIG_ADDRESS bit 31

// Aborts with the failing line, so a crash names its oracle.
void Check(bool ok, int line = __builtin_LINE()) {
  if (ok) return;
  std::fprintf(stderr, "pci_platform_fuzz: check at line %d failed\n", line);
  std::abort();
}

// The BarRead a probe caused, if any.
struct LastRead {
  const void* device = nullptr;
  int bar = -1;
  uint64_t offset = 0;
};
LastRead last_read;

class FakeDevice final : public petrel::PciDevice {
 public:
  struct BarSpec {
    int index;
    uint64_t size;
    petrel::PciBarKind kind;
  };
  explicit FakeDevice(std::span<const BarSpec> bars)
      : config_({.vendor_id = 0x1af4, .device_id = 0x10f0, .class_code = 0xff0000}) {
    for (const BarSpec& b : bars) {
      Check(config_.AddBar(b.index, b.size, b.kind, b.kind == petrel::PciBarKind::kMmio64).ok());
    }
  }
  petrel::PciConfigSpace& config() override { return config_; }
  void BarRead(int bar, uint64_t offset, std::span<uint8_t> data) override {
    last_read = {this, bar, offset};
    std::fill(data.begin(), data.end(), uint8_t{0});
  }
  void BarMoved(int bar, uint64_t old_addr, uint64_t new_addr) override {
    Check(bar >= 0 && bar < kPciBarCount);
    Check(old_addr == reported[bar]);
    Check(new_addr == config_.DecodedBarAddress(bar).value_or(0));
    reported[bar] = new_addr;
  }
  uint64_t reported[kPciBarCount] = {};  // the last BarMoved new_addr per BAR

 private:
  petrel::PciConfigSpace config_;
};

struct Placed {
  std::shared_ptr<FakeDevice> device;
  uint8_t slot = 0;
  std::vector<int> bars;                  // BAR indices (low register)
  uint64_t allocated[kPciBarCount] = {};  // what AddDevice programmed
};

class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return at_ >= size_; }
  uint8_t Byte() { return at_ < size_ ? data_[at_++] : 0; }
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{Byte()} << (8 * i);
    return v;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

struct Range {
  uint64_t base;
  uint64_t size;
};
bool Overlaps(const Range& a, const Range& b) {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

class Harness {
 public:
  Harness() {
    auto platform = petrel::vmm::PciPlatform::Create(io_, petrel::vmm::PciHostWindows(kRamEnd));
    Check(platform.ok());
    platform_ = std::move(*platform);
    static constexpr FakeDevice::BarSpec kA[] = {{0, 0x1000, petrel::PciBarKind::kMmio32},
                                                 {2, 0x4000, petrel::PciBarKind::kMmio64}};
    static constexpr FakeDevice::BarSpec kB[] = {{0, 0x100, petrel::PciBarKind::kMmio32},
                                                 {1, 0x10000, petrel::PciBarKind::kMmio32}};
    Add(kA);
    Add(kB);
  }
  ~Harness() {
    // The platform clears the callbacks before the devices may go.
    platform_.reset();
  }

  void Op(Input& in) {
    const uint8_t op = in.Byte();
    const Placed& d = devices_[(op >> 2) % devices_.size()];
    uint8_t reg = 0;
    switch (op >> 3 & 3) {
      case 0: reg = petrel::kPciCommand; break;
      case 1:
      case 2: reg = static_cast<uint8_t>(petrel::kPciBar0 + 4 * (in.Byte() % kPciBarCount)); break;
      default: reg = static_cast<uint8_t>(in.Byte() & 0xfc); break;
    }
    const uint8_t slot = (op & 0x20) ? static_cast<uint8_t>(in.Byte() & 0x1f) : d.slot;
    PioWrite32(petrel::PciConfigIo::kBase, kCf8Enable | uint32_t{slot} << 11 | reg);
    if (op & 0x40) {  // a read of the data port, e.g. after sizing
      uint8_t buf[4];
      io_.PioRead(0, static_cast<uint16_t>(petrel::PciConfigIo::kBase + 4), buf);
      return;
    }
    const uint8_t mode = in.Byte();
    uint32_t value = 0;
    switch (mode % 8) {
      case 0: value = 0xffff'ffff; break;             // sizing
      case 1: value = AllocatedDword(d, reg); break;  // back where AddDevice put it
      case 2: {                                       // onto another BAR (its low dword)
        const Placed& o = devices_[mode / 8 % devices_.size()];
        value = static_cast<uint32_t>(o.allocated[o.bars[mode / 16 % o.bars.size()]]);
        break;
      }
      case 3: value = static_cast<uint32_t>(petrel::x86::kPciMmconfigStart); break;
      case 4: value = 0; break;
      case 5: value = petrel::kPciCommandMemorySpace | (mode >> 3 & 5); break;
      default: value = in.U32(); break;
    }
    const size_t width = size_t{1} << (in.Byte() % 3);
    // The data port byte the access starts at (naturally aligned).
    const uint16_t port =
        static_cast<uint16_t>(petrel::PciConfigIo::kBase + 4 + ((op & 3) & ~(width - 1)));
    uint8_t buf[4];
    for (size_t i = 0; i < width; ++i) buf[i] = static_cast<uint8_t>(value >> (8 * i));
    io_.PioWrite(0, port, std::span<const uint8_t>(buf, width));
  }

  void CheckMappings() {
    std::vector<Range> decoding;
    struct Decoded {
      const Placed* d;
      int bar;
      Range r;
    };
    std::vector<Decoded> all;
    for (const Placed& d : devices_) {
      for (int b : d.bars) {
        const uint64_t addr = d.device->config().DecodedBarAddress(b).value_or(0);
        Check(addr == d.device->reported[b]);
        if (addr == 0) continue;
        const Range r{addr, *d.device->config().BarSize(b)};
        all.push_back({&d, b, r});
        probes_.insert(addr);
        probes_.insert(addr + r.size - 1);
      }
    }
    const Range ecam{petrel::x86::kPciMmconfigStart, petrel::PciConfigMmio::kBusSize};
    for (const Decoded& x : all) {
      bool free = !Overlaps(x.r, ecam);
      for (const Decoded& y : all) {
        if (&x != &y && Overlaps(x.r, y.r)) free = false;
      }
      if (!free) continue;
      Check(Probe(x.r.base) == Hit{x.d->device.get(), x.bar, 0});
      Check(Probe(x.r.base + x.r.size - 1) == Hit{x.d->device.get(), x.bar, x.r.size - 1});
    }
    // Nowhere else: every BAR mapping found is where that BAR decodes now.
    for (uint64_t p : probes_) {
      const Hit h = Probe(p);
      if (h.device == nullptr) continue;
      bool ok = false;
      for (const Decoded& x : all) {
        if (x.d->device.get() == h.device && x.bar == h.bar && p >= x.r.base &&
            p - x.r.base == h.offset) {
          ok = true;
        }
      }
      Check(ok);
    }
  }

 private:
  struct Hit {
    const void* device = nullptr;
    int bar = -1;
    uint64_t offset = 0;
    bool operator==(const Hit&) const = default;
  };

  // Which BAR (if any) the MMIO bus sends a 1-byte access at `addr` to.
  Hit Probe(uint64_t addr) {
    petrel::Bus::Target t;
    if (!io_.mmio().Lookup(addr, 1, &t)) return {};
    last_read = {};
    uint8_t byte;
    t.device->Read(t.offset, {&byte, 1});
    if (last_read.device == nullptr) return {};  // not a BAR (ECAM)
    return {last_read.device, last_read.bar, last_read.offset};
  }

  // The register's dword as AddDevice programmed it (0 if no BAR there).
  static uint32_t AllocatedDword(const Placed& d, uint8_t reg) {
    if (reg < petrel::kPciBar0 || reg >= petrel::kPciBar0 + 4 * kPciBarCount) return 0;
    const int idx = (reg - petrel::kPciBar0) / 4;
    if (d.allocated[idx] != 0) return static_cast<uint32_t>(d.allocated[idx]);
    if (idx > 0 && d.allocated[idx - 1] != 0)
      return static_cast<uint32_t>(d.allocated[idx - 1] >> 32);
    return 0;
  }

  void PioWrite32(uint64_t port, uint32_t v) {
    const uint8_t buf[4] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8),
                            static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 24)};
    io_.PioWrite(0, static_cast<uint16_t>(port), buf);
  }

  void Add(std::span<const FakeDevice::BarSpec> bars) {
    Placed p;
    p.device = std::make_shared<FakeDevice>(bars);
    auto slot = platform_->AddDevice(p.device);
    Check(slot.ok());
    p.slot = *slot;
    for (const auto& b : bars) {
      p.bars.push_back(b.index);
      p.allocated[b.index] = *p.device->config().BarAddress(b.index);
      probes_.insert(p.allocated[b.index]);
    }
    devices_.push_back(std::move(p));
  }

  petrel::IoDispatcher io_;
  std::unique_ptr<petrel::vmm::PciPlatform> platform_;
  std::vector<Placed> devices_;
  std::set<uint64_t> probes_;  // addresses any BAR was allocated or decoded at
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  Harness h;
  h.CheckMappings();
  for (int i = 0; i < kMaxOps && !in.empty(); ++i) {
    h.Op(in);
    h.CheckMappings();
  }
  return 0;
}
