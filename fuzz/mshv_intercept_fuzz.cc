// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzz target for the MSHV backend's intercept handling: random hv_messages
// (up to 16 per input) through MshvVcpu::Run on the fake driver, with a
// GuestIo that records accesses and 64 KiB of guest RAM at GPA 0 (random
// contents), after random register values (GPRs, CR0/CR3/CR4/EFER and
// segments in the fake's register map, which answers the emulation's
// HVCALL_GET_VP_REGISTERS).
//
// Per message the input gives a control byte and the 256 message bytes.
// Control bit 0: make the VP index the vCPU's (so the handlers get past
// that check); bit 1: clamp payload_size to the 240 payload bytes; bit 2:
// make it an MMIO intercept (UNMAPPED_GPA, at most 16 instruction bytes,
// payload size of the memory message): the random instruction bytes reach
// the x86 emulator; bit 3: make it a string port I/O intercept (string op,
// size 1/2/4, read or write, a non-zero instruction length); bits 4-5: pick
// CPUID / MSR intercepts. Invariants: Run never crashes, one message makes a
// bounded number of accesses, and the register accessors keep working.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "fuzz/fuzz_input.h"
#include "hv_mshv/mshv_hypervisor.h"
#include "hv_mshv/mshv_intercept.h"
#include "hv_mshv/mshv_vcpu.h"
#include "hv_mshv/testing/fake_mshv_driver.h"
#include "hv_mshv/testing/recording_guest_io.h"

namespace {

using namespace petrel;
using namespace petrel::mshv;

constexpr uint32_t kVcpu = 1;
constexpr uint64_t kRam = 64 * 1024;

uint64_t U64(fuzz::FuzzInput& in) {
  const auto b = in.PaddedBytes(8);
  uint64_t v;
  std::memcpy(&v, b.data(), 8);
  return v;
}

void Shape(HvMessage& m, uint8_t control) {
  if (control & 4) {
    m.header.message_type = kHvMsgUnmappedGpa;
    m.header.payload_size = sizeof(HvX64MemoryInterceptMessage);
    HvX64MemoryInterceptMessage mem;
    std::memcpy(&mem, m.payload, sizeof mem);
    mem.instruction_byte_count %= 17;
    std::memcpy(m.payload, &mem, sizeof mem);
  } else if (control & 8) {
    m.header.message_type = kHvMsgX64IoPortIntercept;
    m.header.payload_size = sizeof(HvX64IoPortInterceptMessage);
    HvX64IoPortInterceptMessage io;
    std::memcpy(&io, m.payload, sizeof io);
    static constexpr uint8_t kSizes[3] = {1, 2, 4};
    io.access_info = static_cast<uint8_t>(kSizes[io.access_info % 3] | kIoAccessStringOp |
                                          (io.access_info & kIoAccessRepPrefix));
    io.header.intercept_access_type &= 1;
    if ((io.header.instruction_length_cr8 & kInstructionLengthMask) == 0) {
      io.header.instruction_length_cr8 |= 1;
    }
    io.instruction_byte_count %= 17;
    std::memcpy(m.payload, &io, sizeof io);
  } else if (control & 0x30) {
    m.header.message_type = (control & 0x10) ? kHvMsgX64CpuidIntercept : kHvMsgX64MsrIntercept;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzInput in(data, size);
  auto driver = std::make_shared<FakeMshvDriver>();
  auto hv = OpenMshvWith(driver, "/dev/mshv");
  if (!hv.ok()) std::abort();
  auto vm = (*hv)->CreateVm(hv::VmConfig{2, true});
  if (!vm.ok()) std::abort();
  auto host = HostRegion::Anonymous(kRam);
  if (!host.ok()) std::abort();
  auto memory = GuestMemory::Create({GuestRegion{0, kRam, *host}});
  if (!memory.ok()) std::abort();
  if (!(*vm)->MapMemory(*memory).ok()) std::abort();
  auto created = (*vm)->CreateVcpu(kVcpu);
  if (!created.ok()) std::abort();
  auto* vcpu = static_cast<MshvVcpu*>(created->get());

  hv::Regs regs;
  for (auto& r : regs.gpr) r = U64(in);
  if (!vcpu->SetRegs(regs).ok()) std::abort();
  for (uint32_t name : {kHvX64RegCr0, kHvX64RegCr3, kHvX64RegCr4, kHvX64RegEfer}) {
    driver->SetRegister(kVcpu, name, HvRegisterValue{U64(in), 0});
  }
  for (uint32_t name = kHvX64RegEs; name <= kHvX64RegGs; ++name) {
    driver->SetRegister(kVcpu, name, HvRegisterValue{U64(in), U64(in)});
  }
  const std::vector<uint8_t> ram = in.PaddedBytes(256);
  for (uint64_t at = 0; at < kRam; at += ram.size()) {
    if (!(*memory)->Write(at, ram).ok()) std::abort();
  }
  hv::CpuidEntry leaf;
  leaf.function = in.Byte() & 0x1f;
  leaf.ebx = static_cast<uint32_t>(U64(in));
  const hv::CpuidEntry table[1] = {leaf};
  if (!vcpu->SetCpuid(table).ok()) std::abort();

  RecordingGuestIo io;
  // An emulated REP MOVS between two MMIO pages: a read and a write per
  // iteration, each possibly split at a page.
  const size_t max_accesses = 4 * size_t{kMmioRepChunk} * kMmioRepChunksPerExit;
  for (int i = 0; i < 16 && !in.empty(); ++i) {
    const uint8_t control = in.Byte();
    const std::vector<uint8_t> bytes = in.PaddedBytes(sizeof(HvMessage));
    HvMessage m;
    std::memcpy(&m, bytes.data(), sizeof m);
    Shape(m, control);
    if (control & 1) std::memcpy(m.payload, &kVcpu, sizeof kVcpu);  // VP index
    if ((control & 2) && m.header.payload_size > kHvMessagePayloadBytes) {
      m.header.payload_size = kHvMessagePayloadBytes;
    }
    driver->QueueMessage(m);
    const size_t before = io.accesses.size();
    // Handled messages continue into the next (absent) one: ENODATA.
    auto exit = vcpu->Run(io);
    (void)exit;
    if (io.accesses.size() - before > max_accesses) std::abort();
    if (driver->queued_messages() != 0) std::abort();
    io.accesses.clear();
  }
  auto back = vcpu->GetRegs();
  if (!back.ok()) std::abort();
  return 0;
}
