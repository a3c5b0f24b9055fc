// Backend-neutral x86_64 vCPU state.
//
// Every backend converts to and from these structs, so boot loaders,
// snapshots and tests never see a KVM or MSHV type. Field meanings follow the
// Intel SDM; segment attributes are unpacked for readability.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace petrel::hv {

struct Segment {
  uint64_t base = 0;
  uint32_t limit = 0;
  uint16_t selector = 0;
  uint8_t type = 0;  // SDM 3A 3.4.5.1
  bool present = false;
  uint8_t dpl = 0;
  bool db = false;  // default operation size (32-bit)
  bool s = false;   // code/data (not system)
  bool l = false;   // 64-bit code
  bool g = false;   // 4 KiB granularity
  bool avl = false;
  bool unusable = false;
  bool operator==(const Segment&) const = default;
};

struct DescriptorTable {
  uint64_t base = 0;
  uint16_t limit = 0;
  bool operator==(const DescriptorTable&) const = default;
};

// General-purpose registers, in the SDM's encoding order.
enum Gpr : int { kRax, kRcx, kRdx, kRbx, kRsp, kRbp, kRsi, kRdi, kR8, kR9, kR10, kR11, kR12, kR13, kR14, kR15 };

struct Regs {
  std::array<uint64_t, 16> gpr{};
  uint64_t rip = 0;
  uint64_t rflags = 0x2;  // bit 1 is always set
  bool operator==(const Regs&) const = default;
};

struct Sregs {
  Segment cs, ds, es, fs, gs, ss, tr, ldt;
  DescriptorTable gdt, idt;
  uint64_t cr0 = 0, cr2 = 0, cr3 = 0, cr4 = 0, cr8 = 0;
  uint64_t efer = 0;
  uint64_t apic_base = 0;
  bool operator==(const Sregs&) const = default;
};

// x87/SSE control state a boot needs (SDM 3A 9.1.1 reset values).
struct Fpu {
  uint16_t fcw = 0x37f;
  uint32_t mxcsr = 0x1f80;
  bool operator==(const Fpu&) const = default;
};

struct CpuidEntry {
  uint32_t function = 0;
  uint32_t index = 0;
  uint32_t flags = 0;  // kCpuidFlagSignificantIndex when `index` matters
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
  bool operator==(const CpuidEntry&) const = default;
};
inline constexpr uint32_t kCpuidFlagSignificantIndex = 1;

struct MsrEntry {
  uint32_t index = 0;
  uint64_t value = 0;
  bool operator==(const MsrEntry&) const = default;
};

// The full starting state a boot loader computes for the boot vCPU.
struct BootVcpuState {
  Regs regs;
  Sregs sregs;
  Fpu fpu;
};

}  // namespace petrel::hv
