// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// x86emu_bench: the instruction emulator's speed on hv_sim (issue 11 item 8).
//
//   BM_EmulatedMmioStore   one MMIO store emulated as MSHV's intercept path
//                          emulates it: x86emu::Emulator::Step given the
//                          instruction bytes (mov %eax,(%rbx)), registers from
//                          a RegisterFile, the store dispatched through an
//                          IoDispatcher to the test device's scratch window.
//                          items/s = emulated MMIO accesses per second.
//   BM_InterpretedLoop     hv_sim's interpreter (SimInterpreter) running a
//                          guest loop from guest RAM: add, dec, jnz.
//                          items/s = simulated instructions per second.
//   BM_InterpretedMmioLoop the same with an MMIO store to the test device
//                          in the loop (4 instructions, 1 MMIO access per
//                          iteration). items/s = instructions per second;
//                          the "mmio/s" counter = MMIO accesses per second.
//
// Numbers, not assertions: docs/performance.md records them.
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <vector>

#include "core/arch/x86_layout.h"
#include "core/boot/boot_state.h"
#include "core/hv/x86_state.h"
#include "core/io/io_dispatcher.h"
#include "core/memory/guest_memory.h"
#include "core/x86emu/cpu_state.h"
#include "core/x86emu/emulator.h"
#include "core/x86emu/page_walk.h"
#include "core/x86emu/zydis_decoder.h"
#include "devices/testdev/test_device.h"
#include "hv_sim/sim_interpreter.h"

namespace petrel {
namespace {

class NoInterrupt final : public hv::InterruptLine {
 public:
  void SetLevel(bool) override {}
};
class NoMsi final : public hv::MsiInterrupt {
 public:
  Result<void> SetMessage(const hv::MsiMessage&) override { return Ok(); }
  void Signal() override {}
};

// A VM's worth of devices for the loops: the test device on an IoDispatcher.
struct Devices {
  Devices() {
    device = std::make_shared<TestDevice>(std::make_shared<NoInterrupt>(), std::make_shared<NoMsi>());
    mmio = io.mmio().Insert(x86::kTestDeviceStart, TestDevice::kMmioSize, device->mmio()).value();
  }
  IoDispatcher io;
  std::shared_ptr<TestDevice> device;
  Bus::Registration mmio;
};

// Guest RAM for x86emu's Platform, MMIO to the dispatcher (paging off).
class BenchPlatform final : public x86emu::Platform {
 public:
  BenchPlatform(GuestMemory& memory, IoDispatcher& io) : memory_(memory), io_(io) {}
  Result<x86emu::Translation> Translate(uint64_t gva, x86emu::Access, const x86emu::PagingContext&) override {
    return x86emu::Translation{gva, {}};
  }
  Result<void> ReadMemory(uint64_t gpa, std::span<uint8_t> data) override {
    if (memory_.Contains(gpa, data.size())) return memory_.Read(gpa, data);
    io_.MmioRead(0, gpa, data);
    return Ok();
  }
  Result<void> WriteMemory(uint64_t gpa, std::span<const uint8_t> data) override {
    if (memory_.Contains(gpa, data.size())) return memory_.Write(gpa, data);
    io_.MmioWrite(0, gpa, data);
    return Ok();
  }
  Result<void> PortIn(uint16_t port, std::span<uint8_t> data) override {
    io_.PioRead(0, port, data);
    return Ok();
  }
  Result<void> PortOut(uint16_t port, std::span<const uint8_t> data) override {
    io_.PioWrite(0, port, data);
    return Ok();
  }

 private:
  GuestMemory& memory_;
  IoDispatcher& io_;
};

constexpr uint64_t kCodeGpa = 0x100000;

void BM_EmulatedMmioStore(benchmark::State& state) {
  Devices devices;
  auto memory = GuestMemory::CreateX86(16 << 20).value();
  BenchPlatform platform(*memory, devices.io);
  static const x86emu::ZydisInstructionDecoder decoder;
  x86emu::Emulator emulator(decoder);
  hv::BootVcpuState boot = boot::PvhBootState(kCodeGpa, 0);
  const uint8_t mov_store[] = {0x89, 0x03};  // mov %eax,(%ebx)
  for (auto _ : state) {
    boot.regs.rip = kCodeGpa;
    boot.regs.gpr[hv::kRbx] = x86::kTestDeviceStart + TestDevice::kScratchStart;
    x86emu::StructRegisterFile file(boot.regs, boot.sregs);
    x86emu::CpuState cpu(file);
    auto outcome = emulator.Step(cpu, platform, mov_store);
    if (!outcome.ok() || !std::holds_alternative<x86emu::Completed>(*outcome)) {
      state.SkipWithError("the store was not emulated");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EmulatedMmioStore);

// Runs `code` (32-bit, at kCodeGpa) on the interpreter in chunks of 10000
// instructions; `per_mmio`: instructions per MMIO access (0: none).
void RunLoop(benchmark::State& state, const std::vector<uint8_t>& code, unsigned per_mmio) {
  Devices devices;
  auto memory = GuestMemory::CreateX86(16 << 20).value();
  if (!memory->Write(kCodeGpa, code).ok()) {
    state.SkipWithError("writing the code");
    return;
  }
  hv::BootVcpuState boot = boot::PvhBootState(kCodeGpa, 0);
  boot.regs.gpr[hv::kRcx] = 0xffffffff;
  boot.regs.gpr[hv::kRbx] = x86::kTestDeviceStart + TestDevice::kScratchStart;
  constexpr uint32_t kChunk = 10000;
  const sim::SimInterpreter::Recorder record = [](sim::TraceKind, uint64_t, std::span<const uint8_t>) {};
  const sim::SimInterpreter::StepBudget budget{kChunk, nullptr, nullptr};
  for (auto _ : state) {
    auto stop = sim::SimInterpreter::Run(boot.regs, boot.sregs, *memory, 0, devices.io, record, budget);
    if (!stop.ok()) {
      state.SkipWithError(stop.error().message().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kChunk);
  if (per_mmio != 0) {
    state.counters["mmio/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * kChunk / per_mmio,
                                                  benchmark::Counter::kIsRate);
  }
}

void BM_InterpretedLoop(benchmark::State& state) {
  // 1: add $1,%eax; dec %ecx; jnz 1b
  RunLoop(state, {0x83, 0xc0, 0x01, 0x49, 0x75, 0xfa}, 0);
}
BENCHMARK(BM_InterpretedLoop);

void BM_InterpretedMmioLoop(benchmark::State& state) {
  // 1: mov %eax,(%ebx); add $1,%eax; dec %ecx; jnz 1b
  RunLoop(state, {0x89, 0x03, 0x83, 0xc0, 0x01, 0x49, 0x75, 0xf8}, 4);
}
BENCHMARK(BM_InterpretedMmioLoop);

}  // namespace
}  // namespace petrel

BENCHMARK_MAIN();
