// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Writes the MP spec 1.4 table (see mptable.h).
#include "core/boot/mptable.h"

#include <cstring>
#include <string>
#include <vector>

#include "core/arch/x86_layout.h"
#include "core/base/bytes.h"

namespace petrel::boot {
namespace {

// MP spec 4.3, table 4-3: entry types.
constexpr uint8_t kEntryProcessor = 0;
constexpr uint8_t kEntryBus = 1;
constexpr uint8_t kEntryIoapic = 2;
constexpr uint8_t kEntryIoInterrupt = 3;
constexpr uint8_t kEntryLocalInterrupt = 4;
// MP spec 4.3.4, table 4-10: interrupt types.
constexpr uint8_t kIntTypeInt = 0;
constexpr uint8_t kIntTypeNmi = 1;
constexpr uint8_t kIntTypeExtInt = 3;
constexpr uint8_t kSpecRev14 = 4;         // MP spec 4.1: 1.4 = 04h
constexpr uint8_t kCpuEnabled = 1 << 0;   // MP spec 4.3.1, CPU flags EN
constexpr uint8_t kCpuBsp = 1 << 1;       // CPU flags BP
constexpr uint8_t kLapicVersion = 0x14;   // integrated xAPIC (SDM 3A 11.4.8)
constexpr uint8_t kIoapicVersion = 0x11;  // 82093AA-compatible, as KVM's IOAPIC
constexpr uint8_t kIoapicEnabled = 1;     // MP spec 4.3.3 flags EN
// CPU signature family 6 and feature flags FPU (bit 0) | APIC (bit 9) (MP spec 4.3.1).
constexpr uint32_t kCpuSignature = 0x600;
constexpr uint32_t kCpuFeatures = (1u << 0) | (1u << 9);
constexpr uint8_t kIsaBusId = 0;
constexpr uint8_t kIsaIrqs = 16;
constexpr uint8_t kAllLapics = 0xff;  // MP spec 4.3.5 destination "all local APICs"

// One entry per ISA IRQ, identity-mapped to IOAPIC pins: KVM's in-kernel
// irqchip routes GSI n to IOAPIC pin n by default (virt/kvm/irqchip.c,
// kvm_setup_default_irq_routing), so IRQ0 (the PIT) arrives on pin 0. Telling
// Linux "pin 2" as on real boards makes its timer check fail.
constexpr uint64_t kInterruptEntries = kIsaIrqs;

class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& bytes) : bytes_(bytes) {}
  void U8(uint8_t v) { bytes_.push_back(v); }
  void U16(uint16_t v) {
    U8(static_cast<uint8_t>(v & 0xff));
    U8(static_cast<uint8_t>(v >> 8));
  }
  void U32(uint32_t v) {
    U16(static_cast<uint16_t>(v & 0xffff));
    U16(static_cast<uint16_t>(v >> 16));
  }
  void Text(const char* s, size_t n) {  // space padded (MP spec 4.2 OEM/product ids)
    const size_t len = std::strlen(s);
    for (size_t i = 0; i < n; ++i) U8(i < len ? static_cast<uint8_t>(s[i]) : ' ');
  }
  void Interrupt(uint8_t type, uint8_t kind, uint8_t src_irq, uint8_t dst_id, uint8_t dst_pin) {
    U8(type);
    U8(kind);
    U16(0);  // polarity/trigger: conforms to the bus
    U8(kIsaBusId);
    U8(src_irq);
    U8(dst_id);
    U8(dst_pin);
  }

 private:
  std::vector<uint8_t>& bytes_;
};

}  // namespace

uint64_t MptableSize(uint32_t vcpus) {
  return kMpFloatingPointerSize + kMpConfigHeaderSize + uint64_t{vcpus} * kMpProcessorEntrySize +
         kMpSmallEntrySize * (2 + kInterruptEntries + 2);
}

static_assert(x86::kMptableStart + kMpFloatingPointerSize + kMpConfigHeaderSize +
                  kMaxMptableVcpus * kMpProcessorEntrySize +
                  kMpSmallEntrySize * (2 + kInterruptEntries + 2) <=
              x86::kEbdaStart);

Result<void> WriteMptable(GuestMemory& memory, uint32_t vcpus) {
  if (vcpus == 0 || vcpus > kMaxMptableVcpus) {
    return Error(ErrorCode::kInvalidArgument, "MP table: " + std::to_string(vcpus) +
                                                  " vCPUs, need 1.." +
                                                  std::to_string(kMaxMptableVcpus));
  }
  const uint32_t table_addr = static_cast<uint32_t>(x86::kMptableStart + kMpFloatingPointerSize);
  const auto ioapic_id = static_cast<uint8_t>(vcpus);

  // Configuration table (MP spec 4.2); header fields filled in at the end.
  std::vector<uint8_t> table(kMpConfigHeaderSize, 0);
  Writer w(table);
  for (uint32_t i = 0; i < vcpus; ++i) {
    w.U8(kEntryProcessor);
    w.U8(static_cast<uint8_t>(i));
    w.U8(kLapicVersion);
    w.U8(kCpuEnabled | (i == 0 ? kCpuBsp : 0));
    w.U32(kCpuSignature);
    w.U32(kCpuFeatures);
    w.U32(0);
    w.U32(0);
  }
  w.U8(kEntryBus);
  w.U8(kIsaBusId);
  w.Text("ISA", 6);
  w.U8(kEntryIoapic);
  w.U8(ioapic_id);
  w.U8(kIoapicVersion);
  w.U8(kIoapicEnabled);
  w.U32(static_cast<uint32_t>(x86::kIoapicStart));
  for (uint8_t irq = 0; irq < kIsaIrqs; ++irq) {
    w.Interrupt(kEntryIoInterrupt, kIntTypeInt, irq, ioapic_id, irq);
  }
  w.Interrupt(kEntryLocalInterrupt, kIntTypeExtInt, 0, 0, 0);
  w.Interrupt(kEntryLocalInterrupt, kIntTypeNmi, 0, kAllLapics, 1);
  const uint64_t entry_count = vcpus + 2 + kInterruptEntries + 2;

  std::span<uint8_t> hdr(table.data(), kMpConfigHeaderSize);
  std::memcpy(hdr.data(), "PCMP", 4);
  StoreLe<uint16_t>(hdr, 4, static_cast<uint16_t>(table.size()));  // base table length
  hdr[6] = kSpecRev14;
  std::memcpy(hdr.data() + 8, "PETREL  ", 8);        // OEM id
  std::memcpy(hdr.data() + 16, "PETRELVMM   ", 12);  // product id
  StoreLe<uint16_t>(hdr, 34, static_cast<uint16_t>(entry_count));
  StoreLe<uint32_t>(hdr, 36, static_cast<uint32_t>(x86::kLapicStart));
  hdr[7] = ChecksumByte(table);

  // Floating pointer structure (MP spec 4.1).
  std::vector<uint8_t> mpf(kMpFloatingPointerSize, 0);
  std::memcpy(mpf.data(), "_MP_", 4);
  StoreLe<uint32_t>(mpf, 4, table_addr);
  mpf[8] = 1;  // length in 16-byte units
  mpf[9] = kSpecRev14;
  // Feature byte 1 = 0: a configuration table is present; byte 2 IMCRP = 0.
  mpf[10] = ChecksumByte(mpf);

  PETREL_TRY(memory.Write(x86::kMptableStart, mpf).Wrap("writing MP floating pointer"));
  return memory.Write(table_addr, table).Wrap("writing MP configuration table");
}

}  // namespace petrel::boot
