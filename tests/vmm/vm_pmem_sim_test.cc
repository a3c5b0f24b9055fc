// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// --pmem on a whole VmInstance on hv_sim (issue 15, item 2): the file is
// mapped past RAM, in the 64-bit PCI window, at the address the device's
// config space gives; the scripted guest's writes there reach the file
// (MAP_SHARED) or, with discard_writes=on, never do; a flush request through
// the virtio-pci transport is answered OK on the device's worker; the
// snapshot state holds the address; the VMM's teardown unmaps it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "devices/virtio/pmem/pmem_device.h"
#include "hv_sim/sim_vm.h"
#include "tests/vmm/pausable_vm.h"

namespace petrel::vmm {
namespace {

using testing::Counter;
using testing::VirtioQueueDriver;
using testing::WaitFor;

constexpr uint64_t kMiB = 1 << 20;

std::string MakeFile(const std::string& name, uint64_t size) {
  const std::string path = ::testing::TempDir() + "vm_pmem_" + name + "_" + std::to_string(::getpid());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << std::string(size, '\x11');
  return path;
}

std::string FileBytes(const std::string& path, uint64_t offset, size_t n) {
  std::string s(n, '\0');
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(s.data(), static_cast<std::streamsize>(n));
  return s;
}

class PmemVm {
 public:
  PmemVm(const std::string& file, bool discard_writes, sim::GuestScript script) {
    config::VmConfig config = testing::NullGuestConfig();
    config.pmem.push_back({.file = file, .discard_writes = discard_writes, .id = "_pmem0"});
    VmOptions options = testing::CapturingOptions();
    sim::SimConfig sim_config;
    sim_config.vcpu_scripts[0] = std::move(script);
    auto factory = [sim_config] {
      return Result<std::unique_ptr<hv::Hypervisor>>(sim::MakeSimHypervisor(sim_config));
    };
    auto vm = VmInstance::Create(config, factory, std::move(options));
    EXPECT_TRUE(vm.ok()) << vm.error().message();
    if (vm.ok()) vm_ = std::move(vm).value();
  }
  ~PmemVm() {
    if (run_.valid()) {
      vm_->RequestStop({StopReason::Kind::kShutdown, "test over"});
      run_.wait();
    }
  }
  bool ok() const { return vm_ != nullptr; }
  VmInstance& vm() { return *vm_; }
  void Start() {
    run_ = std::async(std::launch::async, [this] { return vm_->Run(); });
    EXPECT_TRUE(WaitFor([this] { return vm_->state() != VmRunState::kCreated; }));
  }
  virtio::PmemDevice* Device() {
    for (const auto& p : vm_->virtio().devices()) {
      if (p.name == "_pmem0") return dynamic_cast<virtio::PmemDevice*>(&p.device->device());
    }
    return nullptr;
  }
  uint64_t Count() const { return vm_->memory().LoadAtomic<uint64_t>(Counter(0)).value(); }

 private:
  std::unique_ptr<VmInstance> vm_;
  std::future<Result<StopReason>> run_;
};

sim::GuestScript Counting() { return sim::ScriptBuilder().Count(Counter(0), UINT64_MAX).Build(); }

// Where a VM with this --pmem puts the file (placement is deterministic).
uint64_t PmemAddress(const std::string& file) {
  PmemVm probe(file, false, Counting());
  return probe.ok() && probe.Device() ? probe.Device()->start() : 0;
}

sim::GuestScript WriteThenCount(uint64_t gpa, const std::string& text) {
  return sim::ScriptBuilder()
      .WriteRam(gpa, std::vector<uint8_t>(text.begin(), text.end()))
      .Count(Counter(0), UINT64_MAX)
      .Build();
}

TEST(VmPmemSimTest, TheFileIsMappedPastRamWhereTheConfigSpaceSays) {
  const std::string file = MakeFile("where", 4 * kMiB);
  PmemVm t(file, false, Counting());
  ASSERT_TRUE(t.ok());
  virtio::PmemDevice* dev = t.Device();
  ASSERT_NE(dev, nullptr);
  EXPECT_EQ(dev->size(), 4 * kMiB);
  EXPECT_EQ(dev->start() % (2 * kMiB), 0u);
  EXPECT_GE(dev->start(), t.vm().memory().regions().back().end());
  auto* sim = sim::AsSim(&t.vm().hv_vm());
  const auto mapped = sim->device_memory();
  ASSERT_EQ(mapped.size(), 1u);
  EXPECT_EQ(mapped.begin()->second.gpa, dev->start());
  EXPECT_EQ(mapped.begin()->second.size, 4 * kMiB);
  ::unlink(file.c_str());
}

TEST(VmPmemSimTest, GuestWritesReachTheFileAndAFlushIsAnsweredOk) {
  const std::string file = MakeFile("shared", 2 * kMiB);
  const uint64_t gpa = PmemAddress(file);
  ASSERT_NE(gpa, 0u);
  PmemVm t(file, false, WriteThenCount(gpa + 0x1000, "petrel-pmem"));
  ASSERT_TRUE(t.ok());
  t.Start();
  ASSERT_TRUE(WaitFor([&] { return t.Count() > 10; }));
  EXPECT_EQ(FileBytes(file, 0x1000, 11), "petrel-pmem");
  VirtioQueueDriver guest(t.vm(), "_pmem0");
  ASSERT_TRUE(guest.SetUp());
  std::vector<uint8_t> flush(4, 0);  // VIRTIO_PMEM_REQ_TYPE_FLUSH
  ASSERT_TRUE(guest.Post({flush}, 4));
  ASSERT_TRUE(WaitFor([&] { return guest.Poll().has_value(); }));
  EXPECT_EQ(t.vm().memory().ReadObj<uint32_t>(guest.WritableGpa()).value(), virtio::kPmemRespOk);
  EXPECT_EQ(t.Device()->Counters().at("flushes"), 1u);
  ::unlink(file.c_str());
}

TEST(VmPmemSimTest, DiscardWritesKeepsTheFileAsItWas) {
  const std::string file = MakeFile("discard", 2 * kMiB);
  const uint64_t gpa = PmemAddress(file);
  ASSERT_NE(gpa, 0u);
  PmemVm t(file, true, WriteThenCount(gpa + 0x1000, "petrel-pmem"));
  ASSERT_TRUE(t.ok());
  t.Start();
  ASSERT_TRUE(WaitFor([&] { return t.Count() > 10; }));
  EXPECT_EQ(FileBytes(file, 0x1000, 4), std::string(4, '\x11'));
  ::unlink(file.c_str());
}

TEST(VmPmemSimTest, TheSnapshotHoldsWhereTheMemoryIs) {
  const std::string file = MakeFile("snap", 2 * kMiB);
  PmemVm t(file, false, Counting());
  ASSERT_TRUE(t.ok());
  t.Start();
  ASSERT_TRUE(t.vm().Pause().ok());
  auto state = t.vm().SaveSnapshotState();
  ASSERT_TRUE(state.ok()) << state.error().message();
  bool found = false;
  for (const auto& d : state->virtio) {
    if (d.id != "_pmem0") continue;
    const auto* pmem = std::get_if<virtio::PmemDeviceState>(&d.device);
    ASSERT_NE(pmem, nullptr);
    EXPECT_EQ(pmem->start, t.Device()->start());
    EXPECT_EQ(pmem->size, 2 * kMiB);
    found = true;
  }
  EXPECT_TRUE(found);
  ::unlink(file.c_str());
}

TEST(VmPmemSimTest, ABadFileFailsTheVmWithItsName) {
  config::VmConfig config = testing::NullGuestConfig();
  const std::string odd = MakeFile("odd", 3 * kMiB);
  config.pmem.push_back({.file = odd, .id = "_pmem0"});
  auto vm = VmInstance::Create(config, testing::SimFactory(), testing::CapturingOptions());
  ASSERT_FALSE(vm.ok());
  EXPECT_NE(vm.error().message().find(odd), std::string::npos) << vm.error().message();
  EXPECT_NE(vm.error().message().find("2 MiB"), std::string::npos) << vm.error().message();
  ::unlink(odd.c_str());
}

}  // namespace
}  // namespace petrel::vmm
