// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// sim_script_fuzz: random bytes -> GuestScript (bounded) -> run on hv_sim
// against an IoDispatcher with a scratch PIO device, a scratch MMIO device, an
// interrupt-raising device, a software doorbell and 64 KiB of RAM. Two vCPUs
// split the input. Must never crash; also checks that a rerun in a fresh VM
// gives the same trace hash (determinism).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/io/io_dispatcher.h"
#include "hv_sim/script_decoder.h"
#include "hv_sim/sim_fake_devices.h"
#include "hv_sim/sim_hypervisor.h"

namespace {

using namespace petrel;       // NOLINT(build/namespaces): fuzz harness
using namespace petrel::sim;  // NOLINT(build/namespaces)

constexpr uint16_t kScratchPort = 0x100;
constexpr uint16_t kIrqPort = 0x108;
constexpr uint16_t kDoorbellPort = 0x110;
constexpr uint64_t kScratchMmio = 0xd0000000;
constexpr uint64_t kRamSize = 64 * 1024;

ScriptDecodeLimits Limits() {
  ScriptDecodeLimits l;
  l.pio = {{kScratchPort, 8}, {kIrqPort, 1}, {kDoorbellPort, 4}};
  l.mmio = {{kScratchMmio, 32}};
  l.ram = {{0, kRamSize}};
  l.max_steps = 128;
  l.max_pin = 7;
  return l;
}

uint64_t RunOnce(const GuestScript& s0, const GuestScript& s1, uint32_t quantum) {
  SimConfig c;
  c.quantum_steps = quantum;
  auto vm = MakeSimHypervisor(c)->CreateSimVm(hv::VmConfig{2}).value();
  IoDispatcher io;
  auto r1 = io.pio().Insert(kScratchPort, 8, std::make_shared<testing::ScratchDevice>(8)).value();
  auto r2 = io.pio()
                .Insert(kIrqPort, 1,
                        std::make_shared<testing::IrqOnWriteDevice>(vm->LegacyInterrupt(3).value()))
                .value();
  auto r3 =
      io.mmio().Insert(kScratchMmio, 32, std::make_shared<testing::ScratchDevice>(32)).value();
  auto bell = std::make_shared<InProcessNotifier>();
  auto line = vm->LegacyInterrupt(4).value();
  bell->SetHook([line] { line->Pulse(); });  // a doorbell that "completes" with an IRQ
  auto db = io.RegisterIoEvent(vm.get(), bell, {hv::IoEventAddr::Space::kPio, kDoorbellPort, 0},
                               std::nullopt)
                .value();
  auto mem = GuestMemory::Create({{0, kRamSize, HostRegion::Anonymous(kRamSize).value()}}).value();
  if (!vm->MapMemory(mem).ok()) std::abort();
  auto v0 = vm->CreateSimVcpu(0).value();
  auto v1 = vm->CreateSimVcpu(1).value();
  if (!v0->SetScript(s0).ok() || !v1->SetScript(s1).ok()) std::abort();  // decoder must be valid
  if (!vm->RunAll(io).ok()) std::abort();
  if (!v0->finished() || !v1->finished()) std::abort();
  return vm->trace().Hash();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint32_t quantum = 1 + data[0] % 16;
  const size_t split = 2 + (size - 2) * data[1] / 256;
  std::span<const uint8_t> bytes(data, size);
  GuestScript s0 = DecodeScript(bytes.subspan(2, split - 2), Limits());
  GuestScript s1 = DecodeScript(bytes.subspan(split), Limits());
  uint64_t h1 = RunOnce(s0, s1, quantum);
  uint64_t h2 = RunOnce(s0, s1, quantum);
  if (h1 != h2) std::abort();  // determinism violated
  return 0;
}
