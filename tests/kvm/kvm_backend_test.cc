// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// kvm_backend_test: the KVM backend against a real /dev/kvm.
//
// Skips (GTEST_SKIP with the reason) when /dev/kvm is missing or not
// accessible, or PETREL_FORCE_NO_KVM=1. Every guest runs under a watchdog that
// kicks the vCPU, so a broken backend fails instead of hanging.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <future>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/arch/boot_msrs.h"
#include "core/arch/cpuid.h"
#include "core/event/notifier.h"
#include "core/io/io_dispatcher.h"
#include "core/memory/guest_memory.h"
#include "hv_kvm/kvm_hypervisor.h"
#include "tests/guests/test_guests.h"

namespace petrel {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t kMemSize = 4ull << 20;
constexpr uint64_t kLoadAddr = testing::kNullGuestLoadAddress;

// Records every write; reads return 0. Optionally kicks the vCPU when a
// given (offset, value) is written, like a real reset or stop device would.
class CaptureDevice : public BusDevice {
 public:
  struct Access {
    uint64_t offset;
    uint8_t value;
  };
  void Read(uint64_t, std::span<uint8_t> data) override {
    std::memset(data.data(), 0, data.size());
  }
  void Write(uint64_t offset, std::span<const uint8_t> data) override {
    std::lock_guard lock(mu_);
    writes_.push_back({offset, data[0]});
    if (stop_kicker_ && (stop_offset_ < 0 || static_cast<uint64_t>(stop_offset_) == offset) &&
        (stop_value_ < 0 || stop_value_ == data[0])) {
      stopped_ = true;
      stop_kicker_->Kick();
    }
  }
  // Kick `kicker` on a write matching offset/value (-1 = any).
  void StopOn(std::shared_ptr<hv::VcpuKicker> kicker, int offset, int value) {
    std::lock_guard lock(mu_);
    stop_kicker_ = std::move(kicker);
    stop_offset_ = offset;
    stop_value_ = value;
  }
  std::vector<Access> writes() {
    std::lock_guard lock(mu_);
    return writes_;
  }
  bool stopped() {
    std::lock_guard lock(mu_);
    return stopped_;
  }

 private:
  std::mutex mu_;
  std::vector<Access> writes_;
  std::shared_ptr<hv::VcpuKicker> stop_kicker_;
  int stop_offset_ = -1;
  int stop_value_ = -1;
  bool stopped_ = false;
};

// Kicks `kicker` after `timeout` unless cancelled first.
class Watchdog {
 public:
  Watchdog(std::shared_ptr<hv::VcpuKicker> kicker, std::chrono::milliseconds timeout)
      : thread_([this, kicker, timeout] {
          std::unique_lock lock(mu_);
          if (!cv_.wait_for(lock, timeout, [this] { return cancelled_; })) {
            fired_ = true;
            kicker->Kick();
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mu_);
      cancelled_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  bool fired() {
    std::lock_guard lock(mu_);
    return fired_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool cancelled_ = false;
  bool fired_ = false;
  std::thread thread_;
};

class KvmBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* force = std::getenv("PETREL_FORCE_NO_KVM");
    if (force != nullptr && std::string(force) == "1") GTEST_SKIP() << "PETREL_FORCE_NO_KVM=1";
    if (access("/dev/kvm", F_OK) != 0) GTEST_SKIP() << "/dev/kvm does not exist on this host";
    if (access("/dev/kvm", R_OK | W_OK) != 0) GTEST_SKIP() << "/dev/kvm is not read/writable";
    auto hv = OpenKvm();
    ASSERT_TRUE(hv.ok()) << hv.error().message();
    hv_ = std::move(hv).value();
    auto vm = hv_->CreateVm(hv::VmConfig{1});
    ASSERT_TRUE(vm.ok()) << vm.error().message();
    vm_ = std::move(vm).value();
    auto host = HostRegion::Anonymous(kMemSize);
    ASSERT_TRUE(host.ok()) << host.error().message();
    auto mem = GuestMemory::Create({GuestRegion{0, kMemSize, std::move(host).value()}});
    ASSERT_TRUE(mem.ok()) << mem.error().message();
    memory_ = std::move(mem).value();
    auto mapped = vm_->MapMemory(memory_);
    ASSERT_TRUE(mapped.ok()) << mapped.error().message();
    auto vcpu = vm_->CreateVcpu(0);
    ASSERT_TRUE(vcpu.ok()) << vcpu.error().message();
    vcpu_ = std::move(vcpu).value();
  }

  void TearDown() override {
    if (leak_) {  // a vCPU thread is stuck in KVM_RUN: never free what it uses
      (void)vcpu_.release();
      new std::shared_ptr<hv::Vm>(std::move(vm_));
    }
  }

  void Load(std::span<const uint8_t> code) { ASSERT_TRUE(memory_->Write(kLoadAddr, code).ok()); }

  // 32-bit flat protected mode, paging off: what a PVH entry expects.
  void SetFlat32(uint64_t entry) {
    auto sregs = vcpu_->GetSregs();
    ASSERT_TRUE(sregs.ok()) << sregs.error().message();
    hv::Sregs s = *sregs;
    hv::Segment code;
    code.base = 0;
    code.limit = 0xffffffff;
    code.selector = 0x10;
    code.type = 0xb;  // execute/read, accessed (SDM 3A Table 3-1)
    code.present = true;
    code.db = true;
    code.s = true;
    code.g = true;
    hv::Segment data = code;
    data.selector = 0x18;
    data.type = 0x3;  // read/write, accessed
    s.cs = code;
    s.ds = s.es = s.fs = s.gs = s.ss = data;
    s.cr0 = 0x11;  // PE | ET (SDM 3A 2.5)
    s.cr4 = 0;
    s.efer = 0;
    ASSERT_TRUE(vcpu_->SetSregs(s).ok());
    hv::Regs r;
    r.rip = entry;
    r.rflags = 0x2;
    ASSERT_TRUE(vcpu_->SetRegs(r).ok());
  }

  // Runs until Run() returns something other than Handled, or `limit` calls.
  hv::VcpuExit RunToControlExit(int limit = 1000) {
    for (int i = 0; i < limit; ++i) {
      auto r = vcpu_->Run(io_);
      if (!r.ok()) return hv::exit::InternalError{"Run: " + r.error().message()};
      if (!std::holds_alternative<hv::exit::Handled>(*r)) return *r;
    }
    return hv::exit::InternalError{"no control exit"};
  }

  std::unique_ptr<hv::Hypervisor> hv_;
  std::shared_ptr<hv::Vm> vm_;
  std::shared_ptr<GuestMemory> memory_;
  std::unique_ptr<hv::Vcpu> vcpu_;
  IoDispatcher io_;
  bool leak_ = false;
};

TEST_F(KvmBackendTest, NullGuestWritesSerialDebugAndResets) {
  auto serial = std::make_shared<CaptureDevice>();
  auto debug = std::make_shared<CaptureDevice>();
  auto i8042 = std::make_shared<CaptureDevice>();
  auto r1 = io_.pio().Insert(0x3f8, 8, serial);
  auto r2 = io_.pio().Insert(0x80, 1, debug);
  auto r3 = io_.pio().Insert(0x60, 5, i8042);
  auto acpi_pm = std::make_shared<CaptureDevice>();  // FADT sleep control at 0x600
  auto r4 = io_.pio().Insert(0x600, 2, acpi_pm);
  ASSERT_TRUE(r1.ok() && r2.ok() && r3.ok() && r4.ok());
  // Offset 4 of 0x60 is the command port 0x64; 0xFE asks for a CPU reset.
  i8042->StopOn(vcpu_->kicker(), 4, testing::kNullGuestResetCommand);
  Load(testing::NullGuestBin());
  SetFlat32(kLoadAddr);

  Watchdog dog(vcpu_->kicker(), 10s);
  hv::VcpuExit exit = RunToControlExit();
  EXPECT_FALSE(dog.fired()) << "watchdog fired: the guest never asked for a reset";
  EXPECT_TRUE(std::holds_alternative<hv::exit::Interrupted>(exit)) << hv::DescribeExit(exit);

  std::string text;
  for (const auto& w : serial->writes()) {
    EXPECT_EQ(w.offset, 0u);
    text.push_back(static_cast<char>(w.value));
  }
  EXPECT_EQ(text, testing::kNullGuestSerialText);
  std::vector<uint8_t> codes;
  for (const auto& w : debug->writes()) codes.push_back(w.value);
  EXPECT_EQ(codes, (std::vector<uint8_t>{0x41, 0x42}));
  EXPECT_TRUE(i8042->stopped());
  // The guest first tries ACPI S5: (SLP_TYP 5 << 2) | SLP_EN to port 0x600.
  ASSERT_EQ(acpi_pm->writes().size(), 1u);
  EXPECT_EQ(acpi_pm->writes()[0].value, 0x34);
  EXPECT_EQ(io_.unclaimed_accesses(), 0u);

  // The OUT that requested the reset completed before Run() returned (the
  // kick came from inside that access): RIP is right after `out %al,$0x64`
  // (E6 64), on the following cli.
  auto bin = testing::NullGuestBin();
  const uint8_t out_64[] = {0xe6, 0x64};
  auto it = std::search(bin.begin(), bin.end(), std::begin(out_64), std::end(out_64));
  ASSERT_NE(it, bin.end());
  auto regs = vcpu_->GetRegs();
  ASSERT_TRUE(regs.ok());
  EXPECT_EQ(regs->rip, kLoadAddr + static_cast<uint64_t>(it - bin.begin()) + 2);
}

constexpr uint8_t kJmpSelf[] = {0xeb, 0xfe};  // jmp .

TEST_F(KvmBackendTest, KickFromAnotherThreadInterruptsGuestLoop) {
  Load(kJmpSelf);
  SetFlat32(kLoadAddr);
  auto kicker = vcpu_->kicker();
  for (int round = 0; round < 3; ++round) {
    std::promise<hv::VcpuExit> done;
    auto fut = done.get_future();
    std::thread t([&] { done.set_value(RunToControlExit()); });
    std::this_thread::sleep_for(20ms);
    kicker->Kick();
    if (fut.wait_for(10s) != std::future_status::ready) {
      leak_ = true;
      t.detach();
      FAIL() << "round " << round << ": Run() did not return after Kick()";
    }
    t.join();
    hv::VcpuExit exit = fut.get();
    EXPECT_TRUE(std::holds_alternative<hv::exit::Interrupted>(exit))
        << "round " << round << ": " << hv::DescribeExit(exit);
  }
  auto regs = vcpu_->GetRegs();
  ASSERT_TRUE(regs.ok());
  EXPECT_EQ(regs->rip, kLoadAddr);
}

TEST_F(KvmBackendTest, DirtyLogHasThePageTheGuestWrote) {
  constexpr uint64_t kTarget = 0x200000;
  constexpr uint8_t kWriteThenOut[] = {
      0xc7, 0x05, 0x00, 0x00, 0x20, 0x00, 0x42, 0x00, 0x00, 0x00,  // movl $0x42, 0x200000
      0xb0, 0x01,                                                  // mov $1, %al
      0xe6, 0x80,                                                  // out %al, $0x80
      0xeb, 0xfe};                                                 // jmp .
  auto debug = std::make_shared<CaptureDevice>();
  auto reg = io_.pio().Insert(0x80, 1, debug);
  ASSERT_TRUE(reg.ok());
  debug->StopOn(vcpu_->kicker(), 0, 1);
  Load(kWriteThenOut);
  SetFlat32(kLoadAddr);
  EXPECT_EQ(vm_->TakeDirtyLog().error().code(), ErrorCode::kFailedPrecondition);  // not logging
  ASSERT_TRUE(vm_->StartDirtyLog().ok());

  Watchdog dog(vcpu_->kicker(), 10s);
  hv::VcpuExit exit = RunToControlExit();
  EXPECT_FALSE(dog.fired());
  EXPECT_TRUE(debug->stopped()) << hv::DescribeExit(exit);
  EXPECT_EQ(memory_->ReadObj<uint32_t>(kTarget).value(), 0x42u);

  auto dirty = vm_->TakeDirtyLog();
  ASSERT_TRUE(dirty.ok()) << dirty.error().message();
  EXPECT_TRUE(dirty->SameShape(DirtyBitmap(*memory_)));
  EXPECT_TRUE(dirty->IsSet(kTarget));
  EXPECT_FALSE(dirty->IsSet(kTarget + 0x100000));  // never written
  auto again = vm_->TakeDirtyLog();
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->CountPages(), 0u);
  ASSERT_TRUE(vm_->StopDirtyLog().ok());
}

// virtio-pmem's way in: a file-like host mapping the guest writes at a GPA
// past RAM, without an exit, and not in the dirty log; unmapped, the same
// address is MMIO again (an exit to the VMM).
TEST_F(KvmBackendTest, DeviceMemoryTakesGuestWritesWithoutExits) {
  constexpr uint64_t kPmem = 0x4000'0000;  // 1 GiB, past the test's RAM
  constexpr uint8_t kWriteThenOut[] = {
      0xc7, 0x05, 0x10, 0x00, 0x00, 0x40, 0x42, 0x00, 0x00, 0x00,  // movl $0x42, 0x40000010
      0xb0, 0x01,                                                  // mov $1, %al
      0xe6, 0x80,                                                  // out %al, $0x80
      0xeb, 0xfe};                                                 // jmp .
  auto backing = HostRegion::Anonymous(0x200000);
  ASSERT_TRUE(backing.ok());
  EXPECT_FALSE(vm_->MapDeviceMemory(0, 0x1000, (*backing)->data()).ok());  // RAM
  auto id = vm_->MapDeviceMemory(kPmem, 0x200000, (*backing)->data());
  ASSERT_TRUE(id.ok()) << id.error().message();
  auto debug = std::make_shared<CaptureDevice>();
  auto reg = io_.pio().Insert(0x80, 1, debug);
  ASSERT_TRUE(reg.ok());
  debug->StopOn(vcpu_->kicker(), 0, 1);
  Load(kWriteThenOut);
  SetFlat32(kLoadAddr);
  ASSERT_TRUE(vm_->StartDirtyLog().ok());
  Watchdog dog(vcpu_->kicker(), 10s);
  hv::VcpuExit exit = RunToControlExit();
  EXPECT_FALSE(dog.fired());
  EXPECT_TRUE(debug->stopped()) << hv::DescribeExit(exit);
  uint32_t seen = 0;
  std::memcpy(&seen, (*backing)->data() + 0x10, 4);
  EXPECT_EQ(seen, 0x42u);
  // The log is RAM's shape: device memory is not in it (KVM may mark a RAM
  // page of its own meanwhile, so no page count is asserted).
  EXPECT_TRUE(vm_->TakeDirtyLog().value().SameShape(DirtyBitmap(*memory_)));
  ASSERT_TRUE(vm_->StopDirtyLog().ok());
  EXPECT_TRUE(vm_->UnmapDeviceMemory(*id).ok());
  EXPECT_EQ(vm_->UnmapDeviceMemory(*id).error().code(), ErrorCode::kNotFound);
}

TEST_F(KvmBackendTest, KickBeforeRunReturnsInterruptedAtOnce) {
  Load(kJmpSelf);
  SetFlat32(kLoadAddr);
  vcpu_->kicker()->Kick();
  Watchdog dog(vcpu_->kicker(), 10s);
  hv::VcpuExit exit = RunToControlExit();
  EXPECT_TRUE(std::holds_alternative<hv::exit::Interrupted>(exit)) << hv::DescribeExit(exit);
  EXPECT_FALSE(dog.fired());
}

TEST_F(KvmBackendTest, KernelIoEventfdTakesDoorbellWrites) {
  // mov $0x500,%dx; out %al,%dx; mov $0x3f8,%dx; out %al,%dx; jmp .
  const uint8_t code[] = {0x66, 0xba, 0x00, 0x05, 0xee, 0x66, 0xba, 0xf8, 0x03, 0xee, 0xeb, 0xfe};
  auto notifier = EventFdNotifier::Create();
  ASSERT_TRUE(notifier.ok());
  std::shared_ptr<EventFdNotifier> doorbell = std::move(notifier).value();
  auto reg = io_.RegisterIoEvent(vm_.get(), doorbell, {hv::IoEventAddr::Space::kPio, 0x500, 1},
                                 std::nullopt);
  ASSERT_TRUE(reg.ok()) << reg.error().message();
  auto stop = std::make_shared<CaptureDevice>();
  auto r = io_.pio().Insert(0x3f8, 8, stop);
  ASSERT_TRUE(r.ok());
  stop->StopOn(vcpu_->kicker(), -1, -1);
  Load(code);
  SetFlat32(kLoadAddr);
  Watchdog dog(vcpu_->kicker(), 10s);
  hv::VcpuExit exit = RunToControlExit();
  EXPECT_TRUE(std::holds_alternative<hv::exit::Interrupted>(exit)) << hv::DescribeExit(exit);
  EXPECT_TRUE(stop->stopped());
  EXPECT_EQ(doorbell->Consume(), 1u);
  EXPECT_EQ(io_.software_ioevents_signalled(), 0u);  // served in the kernel
  EXPECT_EQ(io_.unclaimed_accesses(), 0u);           // never reached userspace
}

// Signals an MSI vector from a BusDevice when the guest writes port 0x500.
class MsiOnWrite : public BusDevice {
 public:
  explicit MsiOnWrite(std::shared_ptr<hv::MsiInterrupt> msi) : msi_(std::move(msi)) {}
  void Read(uint64_t, std::span<uint8_t> data) override {
    std::memset(data.data(), 0, data.size());
  }
  void Write(uint64_t, std::span<const uint8_t>) override { msi_->Signal(); }

 private:
  std::shared_ptr<hv::MsiInterrupt> msi_;
};

TEST_F(KvmBackendTest, MsiInterruptReachesTheGuestThroughIrqfd) {
  constexpr uint8_t kVector = 0x40;
  constexpr uint64_t kGdt = 0x1000, kIdt = 0x2000, kStack = 0x8000;
  constexpr uint64_t kHandler = kLoadAddr + 0x100;
  // GDT: null, null, flat 32-bit code (0x10), flat data (0x18) (SDM 3A 3.4.5).
  const uint64_t gdt[4] = {0, 0, 0x00cf9b000000ffffull, 0x00cf93000000ffffull};
  ASSERT_TRUE(memory_->Write(kGdt, {reinterpret_cast<const uint8_t*>(gdt), sizeof(gdt)}).ok());
  // IDT entry kVector: 32-bit interrupt gate to kHandler (SDM 3A 6.11).
  const uint32_t gate[2] = {static_cast<uint32_t>((0x10u << 16) | (kHandler & 0xffff)),
                            static_cast<uint32_t>((kHandler & 0xffff0000u) | 0x8e00u)};
  ASSERT_TRUE(memory_->Write(kIdt + kVector * 8, {reinterpret_cast<const uint8_t*>(gate), 8}).ok());
  // Software-enable the LAPIC (SVR bit 8, SDM 3A 10.9), tell the host to
  // signal (out 0x500), then sti; hlt; jmp back to hlt.
  const uint8_t code[] = {0xa1, 0xf0, 0x00, 0xe0, 0xfe,         // mov 0xfee000f0,%eax
                          0x0d, 0x00, 0x01, 0x00, 0x00,         // or $0x100,%eax
                          0xa3, 0xf0, 0x00, 0xe0, 0xfe,         // mov %eax,0xfee000f0
                          0x66, 0xba, 0x00, 0x05, 0xee,         // mov $0x500,%dx; out %al,%dx
                          0xfb, 0xf4, 0xeb, 0xfd};              // sti; hlt; jmp hlt
  const uint8_t handler[] = {0x66, 0xba, 0xf8, 0x03, 0xee, 0xeb, 0xfe};  // out to 0x3f8; jmp .
  Load(code);
  ASSERT_TRUE(memory_->Write(kHandler, handler).ok());

  auto msi = vm_->CreateMsiInterrupt();
  ASSERT_TRUE(msi.ok()) << msi.error().message();
  // Fixed delivery to APIC id 0, edge (SDM 3A 10.11.1/10.11.2).
  ASSERT_TRUE((*msi)->SetMessage(hv::MsiMessage{0xfee00000, kVector}).ok());
  // A second vector is routed and released again: the table is rewritten.
  { ASSERT_TRUE(vm_->CreateMsiInterrupt().ok()); }
  auto doorbell = io_.pio().Insert(0x500, 1, std::make_shared<MsiOnWrite>(*msi));
  ASSERT_TRUE(doorbell.ok());  // the registration must stay alive: it is RAII
  auto stop = std::make_shared<CaptureDevice>();
  auto capture = io_.pio().Insert(0x3f8, 8, stop);
  ASSERT_TRUE(capture.ok());
  stop->StopOn(vcpu_->kicker(), -1, -1);

  SetFlat32(kLoadAddr);
  auto sregs = vcpu_->GetSregs();
  ASSERT_TRUE(sregs.ok());
  hv::Sregs s = *sregs;
  s.gdt = {kGdt, sizeof(gdt) - 1};
  s.idt = {kIdt, 256 * 8 - 1};
  ASSERT_TRUE(vcpu_->SetSregs(s).ok());
  auto regs = vcpu_->GetRegs();
  ASSERT_TRUE(regs.ok());
  hv::Regs r = *regs;
  r.gpr[hv::kRsp] = kStack;
  ASSERT_TRUE(vcpu_->SetRegs(r).ok());

  // IA32_APIC_BASE: xAPIC at 0xFEE00000, globally enabled (bit 11), BSP
  // (bit 8) (SDM 3A 10.4.4), so the LAPIC page is KVM's, not an MMIO exit.
  const hv::MsrEntry apic_base[] = {{0x1b, 0xfee00000ull | (1u << 11) | (1u << 8)}};
  ASSERT_TRUE(vcpu_->SetMsrs(apic_base).ok());

  Watchdog dog(vcpu_->kicker(), 10s);
  hv::VcpuExit exit = RunToControlExit();
  EXPECT_TRUE(std::holds_alternative<hv::exit::Interrupted>(exit)) << hv::DescribeExit(exit);
  EXPECT_EQ(io_.unclaimed_accesses(), 0u) << "the LAPIC accesses left the kernel";
  auto after = vcpu_->GetRegs();
  EXPECT_TRUE(stop->stopped()) << "the MSI handler never ran; rip 0x" << std::hex
                               << (after.ok() ? after->rip : 0);
  EXPECT_FALSE(dog.fired());
}

TEST_F(KvmBackendTest, RegistersRoundTrip) {
  SetFlat32(kLoadAddr);
  hv::Regs r;
  for (int i = 0; i < 16; ++i) r.gpr[i] = 0x1111ull * (i + 1);
  r.rip = kLoadAddr + 2;
  r.rflags = 0x202;
  ASSERT_TRUE(vcpu_->SetRegs(r).ok());
  auto back = vcpu_->GetRegs();
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, r);
  auto s = vcpu_->GetSregs();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->cs.selector, 0x10);
  EXPECT_TRUE(s->cs.db);
  EXPECT_EQ(s->cr0 & 1, 1u);
  EXPECT_TRUE(vcpu_->SetFpu(hv::Fpu{}).ok());
}

TEST_F(KvmBackendTest, CpuidAndBootMsrsAreAccepted) {
  auto supported = hv_->SupportedCpuid();
  ASSERT_TRUE(supported.ok()) << supported.error().message();
  bool kvm_signature = false;
  for (const auto& e : *supported) {
    if (e.function == 0x4000'0000) {
      char sig[13] = {};
      std::memcpy(sig, &e.ebx, 4);
      std::memcpy(sig + 4, &e.ecx, 4);
      std::memcpy(sig + 8, &e.edx, 4);
      kvm_signature = std::string(sig) == "KVMKVMKVM";
    }
  }
  EXPECT_TRUE(kvm_signature);
  auto cpuid = x86::BuildGuestCpuid(*supported, 0, 1);
  auto set = vcpu_->SetCpuid(cpuid);
  EXPECT_TRUE(set.ok()) << set.error().message();
  auto msrs = x86::BootMsrs();
  auto ok = vcpu_->SetMsrs(msrs);
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  std::vector<hv::MsrEntry> readback = {{x86::kMsrIa32SysenterCs, 0xdead},
                                        {x86::kMsrIa32MtrrDefType, 0}};
  auto got = vcpu_->GetMsrs(readback);
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(readback[0].value, 0u);
  EXPECT_EQ(readback[1].value, x86::kMtrrDefTypeBoot);
}

TEST_F(KvmBackendTest, VmClockCanBeSavedAndSetBack) {
  // What pause and resume do: read kvmclock, let host time pass, set the
  // saved value again; the guest's clock then reads the saved value plus
  // only the time since the set, not the time in between.
  if (!vm_->caps().vm_clock) GTEST_SKIP() << "KVM lacks KVM_CAP_ADJUST_CLOCK";
  auto saved = vm_->GetClock();
  ASSERT_TRUE(saved.ok()) << saved.error().message();
  std::this_thread::sleep_for(200ms);
  auto later = vm_->GetClock();
  ASSERT_TRUE(later.ok());
  EXPECT_GE(later->ns - saved->ns, 150'000'000u);  // kvmclock runs with the host
  ASSERT_TRUE(vm_->SetClock(*saved).ok());
  auto after = vm_->GetClock();
  ASSERT_TRUE(after.ok());
  EXPECT_GE(after->ns, saved->ns);
  EXPECT_LT(after->ns - saved->ns, 100'000'000u);  // the 200 ms are gone
}

TEST_F(KvmBackendTest, NotifyGuestPausedIsAcceptedBeforeTheGuestUsesKvmclock) {
  // KVM_KVMCLOCK_CTRL answers EINVAL until the guest enables kvmclock; a
  // pause must not fail on that (nor on a vCPU that never ran).
  auto told = vcpu_->NotifyGuestPaused();
  EXPECT_TRUE(told.ok()) << told.error().message();
}

TEST_F(KvmBackendTest, VmRejectsBadRequests) {
  EXPECT_FALSE(vm_->MapMemory(memory_).ok());  // only once
  EXPECT_FALSE(vm_->CreateVcpu(1).ok());       // VmConfig{1}
  auto pin = vm_->LegacyInterrupt(24);
  ASSERT_FALSE(pin.ok());
  EXPECT_EQ(pin.error().code(), ErrorCode::kOutOfRange);
  auto line = vm_->LegacyInterrupt(4);
  ASSERT_TRUE(line.ok());
  (*line)->Pulse();  // must not fail or crash
  EXPECT_TRUE(vm_->caps().kernel_irqchip);
  EXPECT_TRUE(vm_->caps().kernel_ioevents);
}

// The split irqchip (KVM_CAP_SPLIT_IRQCHIP), as the VMM builds every VM by
// default: no in-kernel PIC/IOAPIC/PIT, the VMM's IOAPIC pins as MSI routes
// at GSI = pin, nothing of an irqchip in the VM state.
TEST_F(KvmBackendTest, ASplitIrqchipVmHasPinRoutesAndNoKernelIoapic) {
  hv::VmConfig config;
  config.userspace_ioapic = true;
  auto split = hv_->CreateVm(config);
  ASSERT_TRUE(split.ok()) << split.error().message();
  hv::Vm& vm = **split;
  EXPECT_FALSE(vm.caps().kernel_ioapic);
  EXPECT_TRUE(vm.caps().kernel_irqchip);  // the LAPICs stay in KVM
  EXPECT_EQ(vm.LegacyInterrupt(4).error().code(), ErrorCode::kUnsupported);
  auto pin4 = vm.CreateIoapicPinInterrupt(4);
  ASSERT_TRUE(pin4.ok()) << pin4.error().message();
  EXPECT_TRUE((*pin4)->SetMessage({0xfee00000, 0x34}).ok());
  EXPECT_EQ(vm.CreateIoapicPinInterrupt(4).error().code(), ErrorCode::kAlreadyExists);
  auto msi = vm.CreateMsiInterrupt();  // PCI vectors from GSI 24 still work
  ASSERT_TRUE(msi.ok()) << msi.error().message();
  auto vcpu = vm.CreateVcpu(0);
  ASSERT_TRUE(vcpu.ok()) << vcpu.error().message();
  auto state = vm.SaveState();
  ASSERT_TRUE(state.ok()) << state.error().message();
  EXPECT_FALSE(state->irqchip.has_value());
  auto full_state = vm_->SaveState();  // the fixture's VM: the full irqchip
  ASSERT_TRUE(full_state.ok());
  ASSERT_TRUE(full_state->irqchip.has_value());
  EXPECT_FALSE(vm.RestoreState(*full_state).ok());
  EXPECT_FALSE(vm_->RestoreState(*state).ok());
}

// --- Full state save/restore (hv::VcpuState, hv::VmState) ---

// Guest CPUID on `vcpu`, as the VMM sets it before a restore (KVM checks
// XCR0 and some MSRs against it). Returns whether the guest has XSAVE.
bool SetGuestCpuid(hv::Hypervisor& hv, hv::Vcpu& vcpu) {
  auto supported = hv.SupportedCpuid();
  EXPECT_TRUE(supported.ok());
  if (!supported.ok()) return false;
  auto cpuid = x86::BuildGuestCpuid(*supported, 0, 1);
  auto set = vcpu.SetCpuid(cpuid);
  EXPECT_TRUE(set.ok()) << set.error().message();
  for (const auto& e : cpuid) {
    if (e.function == 1) return (e.ecx >> 26) & 1;  // CPUID.1:ECX.XSAVE
  }
  return false;
}

const hv::MsrEntry* FindMsr(const std::vector<hv::MsrEntry>& msrs, uint32_t index) {
  for (const auto& m : msrs) {
    if (m.index == index) return &m;
  }
  return nullptr;
}

// MSRs that move with time between two saves.
bool TimeDependentMsr(uint32_t index) {
  return index == 0x10 ||        // IA32_TIME_STAMP_COUNTER
         index == 0x40000010 ||  // HV_X64_MSR_VP_RUNTIME
         index == 0x40000020;    // HV_X64_MSR_TIME_REF_COUNT
}

constexpr size_t kLapicTpr = 0x80;  // SDM 3A table 11-1
constexpr uint32_t kMsrTsc = 0x10;  // IA32_TIME_STAMP_COUNTER
constexpr uint64_t kTsc = 1ull << 40;

TEST_F(KvmBackendTest, VcpuStateMovesToAnotherVm) {
  const bool xsave = SetGuestCpuid(*hv_, *vcpu_);
  SetFlat32(kLoadAddr);
  hv::Regs regs;
  for (int i = 0; i < 16; ++i) regs.gpr[i] = 0x0101'0101'0101'0101ull * (i + 1);
  regs.rip = kLoadAddr + 4;
  ASSERT_TRUE(vcpu_->SetRegs(regs).ok());
  // A TSC far from 0: Linux 6.1's kvm_synchronize_tsc takes a host write
  // within a second of the VM's last one (its vCPUs' creation, at 0) for
  // an attempt to synchronise vCPUs and keeps its own value instead.
  const hv::MsrEntry msrs[] = {{kMsrTsc, kTsc},
                               {x86::kMsrIa32SysenterCs, 0x10},
                               {x86::kMsrIa32SysenterEsp, 0x8000},
                               {x86::kMsrIa32SysenterEip, 0x1234}};
  ASSERT_TRUE(vcpu_->SetMsrs(msrs).ok());

  // The parts with no setter of their own go through RestoreState.
  auto s0 = vcpu_->SaveState();
  ASSERT_TRUE(s0.ok()) << s0.error().message();
  EXPECT_GE(s0->xsave.size(), hv::kXsaveMinSize);
  EXPECT_TRUE(std::is_sorted(s0->msrs.begin(), s0->msrs.end(),
                             [](const auto& a, const auto& b) { return a.index < b.index; }));
  hv::VcpuState want = *s0;
  want.lapic[kLapicTpr] = 0x20;
  want.debug.db = {0x1000, 0x2000, 0x3000, 0x4000};
  want.debug.dr7 = 0x401;  // L0, bit 10 reserved 1
  if (xsave) {
    ASSERT_FALSE(want.xcrs.empty()) << "the guest has XSAVE but KVM_GET_XCRS gave no XCR";
    EXPECT_EQ(want.xcrs[0].index, 0u);
    want.xcrs[0].value = 0x3;  // x87 | SSE
  } else {
    std::cout << "host without XSAVE: XCR0 not tested\n";
  }
  want.events.nmi.masked = true;  // (KVM_GET_VCPU_EVENTS always reports sipi_vector 0)
  want.mp_state = hv::MpState::kHalted;
  auto restored = vcpu_->RestoreState(want);
  ASSERT_TRUE(restored.ok()) << restored.error().message();
  auto s1 = vcpu_->SaveState();
  ASSERT_TRUE(s1.ok()) << s1.error().message();
  EXPECT_EQ(s1->regs, regs);
  EXPECT_EQ(s1->lapic[kLapicTpr], 0x20);
  EXPECT_EQ(s1->sregs.cr8, 2u);  // CR8 is TPR[7:4]
  EXPECT_EQ(s1->debug.db, want.debug.db);
  EXPECT_EQ(s1->debug.dr7, 0x401u);
  if (xsave) {
    EXPECT_EQ(s1->xcrs[0].value, 0x3u);
  }
  EXPECT_TRUE(s1->events.nmi.masked);
  ASSERT_NE(FindMsr(s1->msrs, kMsrTsc), nullptr);
  EXPECT_GE(FindMsr(s1->msrs, kMsrTsc)->value, kTsc);
  EXPECT_EQ(s1->mp_state, hv::MpState::kHalted);
  const hv::MsrEntry* cs = FindMsr(s1->msrs, x86::kMsrIa32SysenterCs);
  ASSERT_NE(cs, nullptr) << "IA32_SYSENTER_CS is not among the saved MSRs";
  EXPECT_EQ(cs->value, 0x10u);
  ASSERT_NE(FindMsr(s1->msrs, x86::kMsrIa32SysenterEip), nullptr);
  EXPECT_EQ(FindMsr(s1->msrs, x86::kMsrIa32SysenterEip)->value, 0x1234u);

  // A second VM takes it all.
  auto vm2 = hv_->CreateVm(hv::VmConfig{1});
  ASSERT_TRUE(vm2.ok()) << vm2.error().message();
  auto vcpu2 = (*vm2)->CreateVcpu(0);
  ASSERT_TRUE(vcpu2.ok()) << vcpu2.error().message();
  SetGuestCpuid(*hv_, **vcpu2);
  auto into2 = (*vcpu2)->RestoreState(*s1);
  ASSERT_TRUE(into2.ok()) << into2.error().message();
  auto s2 = (*vcpu2)->SaveState();
  ASSERT_TRUE(s2.ok()) << s2.error().message();
  EXPECT_EQ(s2->regs, s1->regs);
  EXPECT_EQ(s2->sregs, s1->sregs);
  EXPECT_EQ(s2->debug, s1->debug);
  EXPECT_EQ(s2->xcrs, s1->xcrs);
  EXPECT_EQ(s2->xsave, s1->xsave);
  EXPECT_EQ(s2->lapic, s1->lapic);
  EXPECT_EQ(s2->events, s1->events);
  EXPECT_EQ(s2->mp_state, s1->mp_state);
  ASSERT_EQ(s2->msrs.size(), s1->msrs.size());
  for (size_t i = 0; i < s1->msrs.size(); ++i) {
    const hv::MsrEntry& a = s1->msrs[i];
    const hv::MsrEntry& b = s2->msrs[i];
    ASSERT_EQ(b.index, a.index);
    if (a.index == kMsrTsc) {
      EXPECT_GE(b.value, a.value) << "the TSC went back";
      EXPECT_LT(b.value, a.value + (1ull << 36)) << "the TSC jumped ahead";
    } else if (!TimeDependentMsr(a.index)) {
      EXPECT_EQ(b.value, a.value) << "MSR 0x" << std::hex << a.index;
    }
  }
  std::cout << s1->msrs.size() << " MSRs, XSAVE " << s1->xsave.size() << " bytes, "
            << s1->xcrs.size() << " XCRs\n";
}

TEST_F(KvmBackendTest, VcpuRestoreRefusesWhatKvmCannotTake) {
  SetGuestCpuid(*hv_, *vcpu_);
  auto s = vcpu_->SaveState();
  ASSERT_TRUE(s.ok()) << s.error().message();
  hv::VcpuState short_xsave = *s;
  short_xsave.xsave.resize(100);
  auto r1 = vcpu_->RestoreState(short_xsave);
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(r1.error().code(), ErrorCode::kInvalidArgument) << r1.error().message();
  hv::VcpuState bogus_msr = *s;
  bogus_msr.msrs.push_back({0xdeadbeef, 1});
  auto r2 = vcpu_->RestoreState(bogus_msr);
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error().message().find("0xdeadbeef"), std::string::npos) << r2.error().message();
}

TEST_F(KvmBackendTest, VmIrqchipAndPitMoveToAnotherVm) {
  auto s0 = vm_->SaveState();
  ASSERT_TRUE(s0.ok()) << s0.error().message();
  ASSERT_TRUE(s0->irqchip.has_value());
  ASSERT_TRUE(s0->irqchip->pit.has_value());
  EXPECT_EQ(s0->clock.has_value(), vm_->caps().vm_clock);
  EXPECT_EQ(s0->irqchip->ioapic.base_address, 0xfec00000u);
  hv::VmState want = *s0;
  hv::IrqchipState& chip = *want.irqchip;
  chip.pic[0].irq_base = 0x20;
  chip.pic[0].imr = 0xfb;
  chip.pic[1].irq_base = 0x28;
  chip.pic[1].imr = 0xff;
  chip.pic[1].elcr = 0x0c;
  // Pin 4: vector 0x24, level, masked, destination 1 (82093AA 3.2.4).
  chip.ioapic.redirection[4] = 0x0100'0000'0001'8024ull;
  // Channel 2 (the speaker's: no interrupt, so nothing changes under us):
  // mode 3, lobyte/hibyte, count 0x1234.
  hv::PitChannelState& ch2 = chip.pit->channels[2];
  ch2.mode = 3;
  ch2.rw_mode = 3;
  ch2.count = 0x1234;
  auto restored = vm_->RestoreState(want);
  ASSERT_TRUE(restored.ok()) << restored.error().message();
  auto s1 = vm_->SaveState();
  ASSERT_TRUE(s1.ok()) << s1.error().message();
  EXPECT_EQ(s1->irqchip->pic[0].imr, 0xfb);
  EXPECT_EQ(s1->irqchip->pic[1].irq_base, 0x28);
  EXPECT_EQ(s1->irqchip->ioapic.redirection[4], 0x0100'0000'0001'8024ull);
  EXPECT_EQ(s1->irqchip->pit->channels[2].count, 0x1234u);
  EXPECT_EQ(s1->irqchip->pit->channels[2].mode, 3);

  auto vm2 = hv_->CreateVm(hv::VmConfig{1});
  ASSERT_TRUE(vm2.ok()) << vm2.error().message();
  auto into2 = (*vm2)->RestoreState(*s1);
  ASSERT_TRUE(into2.ok()) << into2.error().message();
  auto s2 = (*vm2)->SaveState();
  ASSERT_TRUE(s2.ok()) << s2.error().message();
  EXPECT_EQ(s2->irqchip->pic, s1->irqchip->pic);
  EXPECT_EQ(s2->irqchip->ioapic, s1->irqchip->ioapic);
  hv::PitState pit1 = *s1->irqchip->pit;
  hv::PitState pit2 = *s2->irqchip->pit;
  for (size_t i = 0; i < 3; ++i) {  // KVM_SET_PIT2 reloads the counts now
    pit1.channels[i].count_load_time = 0;
    pit2.channels[i].count_load_time = 0;
  }
  EXPECT_EQ(pit2, pit1);
  if (s1->clock) {
    ASSERT_TRUE(s2->clock.has_value());
    EXPECT_GE(s2->clock->ns, s1->clock->ns);
    EXPECT_LT(s2->clock->ns - s1->clock->ns, 5'000'000'000u);
  }

  hv::VmState no_chip = *s1;
  no_chip.irqchip.reset();
  auto refused = (*vm2)->RestoreState(no_chip);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace petrel
