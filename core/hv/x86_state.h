// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Backend-neutral x86_64 vCPU state.
//
// Every backend converts to and from these structs, so boot loaders,
// snapshots and tests never see a KVM or MSHV type. Field meanings follow the
// Intel SDM; segment attributes are unpacked for readability.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
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

// Debug registers (SDM 3B 18.2): DR0-DR3 breakpoint addresses, DR6
// status, DR7 control.
struct DebugRegs {
  std::array<uint64_t, 4> db{};
  uint64_t dr6 = 0xffff0ff0;  // SDM 3B 18.2.3 reset value
  uint64_t dr7 = 0x400;       // SDM 3B 18.2.4 reset value
  bool operator==(const DebugRegs&) const = default;
};

// Events the CPU holds between two instructions (SDM 3C 24.8.3 event
// injection; KVM's struct kvm_vcpu_events has the same parts): an
// exception, external interrupt or NMI being delivered, the interrupt
// shadow after STI/MOV SS, NMI blocking, and SMM. Saving them keeps a
// snapshot taken in the middle of a delivery correct.
struct VcpuEvents {
  struct Exception {
    bool injected = false;  // being delivered
    bool pending = false;   // raised, not yet delivered
    uint8_t vector = 0;
    bool has_error_code = false;
    uint32_t error_code = 0;
    bool has_payload = false;  // e.g. CR2 of a #PF not yet written
    uint64_t payload = 0;
    bool operator==(const Exception&) const = default;
  } exception;
  struct Interrupt {
    bool injected = false;
    uint8_t vector = 0;
    bool soft = false;    // INTn
    uint8_t shadow = 0;   // bit 0: STI blocking, bit 1: MOV SS blocking
    bool operator==(const Interrupt&) const = default;
  } interrupt;
  struct Nmi {
    bool injected = false;
    bool pending = false;
    bool masked = false;  // NMIs blocked until the next IRET
    bool operator==(const Nmi&) const = default;
  } nmi;
  uint8_t sipi_vector = 0;
  struct Smi {
    bool smm = false;
    bool pending = false;
    bool inside_nmi = false;
    bool latched_init = false;
    bool operator==(const Smi&) const = default;
  } smi;
  bool triple_fault_pending = false;
  bool operator==(const VcpuEvents&) const = default;
};

// A vCPU's multiprocessor state (the INIT/SIPI protocol, SDM 3A 8.4): an AP
// waits in kUninitialized for INIT-SIPI-SIPI; a halted vCPU waits for an
// interrupt.
enum class MpState : uint8_t { kRunnable, kUninitialized, kInitReceived, kHalted, kSipiReceived };

// An extended control register (XCR0 is the XSAVE feature mask, SDM 1 13.3).
struct XcrEntry {
  uint32_t index = 0;
  uint64_t value = 0;
  bool operator==(const XcrEntry&) const = default;
};

// The local APIC's register page, first 1 KiB, each register at its offset
// of SDM 3A table 11-1 (ID at 0x20, TPR at 0x80, ..., timer current count at
// 0x390), 16-byte stride. KVM's struct kvm_lapic_state is this page.
inline constexpr size_t kLapicStateSize = 0x400;
using LapicState = std::array<uint8_t, kLapicStateSize>;

// The legacy x87/SSE image at the start of an XSAVE area (SDM 1 13.4.1,
// the FXSAVE layout): offsets of the fields boot code sets.
inline constexpr size_t kXsaveFcwOffset = 0;
inline constexpr size_t kXsaveMxcsrOffset = 24;
// Legacy region (512) + XSAVE header (64): the smallest valid area.
inline constexpr size_t kXsaveMinSize = 576;

// Everything a paused vCPU holds, for snapshots and migration. A backend
// saves and restores all of it; what it has no notion of stays at the
// defaults here.
struct VcpuState {
  Regs regs;
  Sregs sregs;
  DebugRegs debug;
  // The MSRs the backend lists as needing save (KVM: KVM_GET_MSR_INDEX_LIST
  // less the ones it refuses to read), in index order.
  std::vector<MsrEntry> msrs;
  // The XSAVE area in the standard (non-compacted) format, SDM 1 13.4: x87,
  // SSE and every extended component the CPU has enabled; at least
  // kXsaveMinSize bytes.
  std::vector<uint8_t> xsave;
  std::vector<XcrEntry> xcrs;
  LapicState lapic{};
  VcpuEvents events;
  MpState mp_state = MpState::kRunnable;
  bool operator==(const VcpuState&) const = default;
};

// The 8259A PIC's registers (Intel 8259A datasheet; KVM's struct
// kvm_pic_state has the same fields), one per chip (master, slave).
struct PicState {
  uint8_t last_irr = 0;  // edge detection
  uint8_t irr = 0;       // interrupt request register
  uint8_t imr = 0;       // interrupt mask register
  uint8_t isr = 0;       // in-service register
  uint8_t priority_add = 0;
  uint8_t irq_base = 0;
  uint8_t read_reg_select = 0;
  bool poll = false;
  bool special_mask = false;
  uint8_t init_state = 0;
  bool auto_eoi = false;
  bool rotate_on_auto_eoi = false;
  bool special_fully_nested_mode = false;
  bool init4 = false;
  uint8_t elcr = 0;  // PIIX edge/level control
  uint8_t elcr_mask = 0;
  bool operator==(const PicState&) const = default;
};

// The I/O APIC (82093AA datasheet): 24 redirection entries, each the 64-bit
// register as the guest programs it.
inline constexpr size_t kIoapicPins = 24;
struct IoapicState {
  uint64_t base_address = 0xfec00000;
  uint32_t ioregsel = 0;
  uint32_t id = 0;
  uint32_t irr = 0;
  std::array<uint64_t, kIoapicPins> redirection{};
  bool operator==(const IoapicState&) const = default;
};

// One 8254 PIT channel (Intel 8254 datasheet; KVM's struct
// kvm_pit_channel_state). count_load_time is host time in ns on KVM: a
// restore moves it by the time that passed.
struct PitChannelState {
  uint32_t count = 0;  // can be 65536
  uint16_t latched_count = 0;
  uint8_t count_latched = 0;
  uint8_t status_latched = 0;
  uint8_t status = 0;
  uint8_t read_state = 0;
  uint8_t write_state = 0;
  uint8_t write_latch = 0;
  uint8_t rw_mode = 0;
  uint8_t mode = 0;
  uint8_t bcd = 0;
  uint8_t gate = 0;
  int64_t count_load_time = 0;
  bool operator==(const PitChannelState&) const = default;
};
struct PitState {
  std::array<PitChannelState, 3> channels{};
  uint32_t flags = 0;
  bool operator==(const PitState&) const = default;
};

// The interrupt controllers a backend emulates in the kernel.
struct IrqchipState {
  std::array<PicState, 2> pic{};  // master, slave
  IoapicState ioapic;
  std::optional<PitState> pit;
  bool operator==(const IrqchipState&) const = default;
};

// The full starting state a boot loader computes for the boot vCPU.
struct BootVcpuState {
  Regs regs;
  Sregs sregs;
  Fpu fpu;
};

}  // namespace petrel::hv
