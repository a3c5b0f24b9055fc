// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VmMigrationSource on hv_sim (issue 10, item 4): a running 2-vCPU VM that
// counts in RAM is sent with SendMigration to a receiver that places its
// memory in a copy. Between the first full memory round and the next, the
// VM's virtio-rng serves entropy requests -- the device writes guest RAM
// (buffers, used ring) while the dirty logs run -- and the vCPUs keep
// writing their counters. At the switch the copy equals the source's memory
// byte for byte: every page the guest or a device wrote travelled again.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cstring>
#include <future>

#include "devices/block/block_test_util.h"
#include "devices/block/image/open_image.h"
#include "tests/vmm/pausable_vm.h"
#include "vmm/migration/receiver.h"
#include "vmm/vm_migration_source.h"

namespace petrel::vmm {
namespace {

using namespace std::chrono_literals;
using testing::PausableVm;
using testing::RngDriver;
using testing::WaitFor;

// Places the sent memory in a GuestMemory of the same layout; keeps the
// state payload.
class CopyTarget final : public migration::MigrationTarget {
 public:
  explicit CopyTarget(uint64_t size) : size_(size) {}
  Result<void> Configure(std::span<const uint8_t>) override {
    PETREL_ASSIGN_OR_RETURN(memory, GuestMemory::CreateX86(size_));
    return Ok();
  }
  Result<void> WriteMemory(uint64_t gpa, std::span<const uint8_t> bytes) override {
    ++memory_writes;
    return memory->Write(gpa, bytes);
  }
  Result<void> Restore(std::span<const uint8_t> payload) override {
    state.assign(payload.begin(), payload.end());
    return Ok();
  }
  Result<void> Complete(bool) override {
    completed = true;
    return Ok();
  }
  void Abandon() override { memory.reset(); }

  std::shared_ptr<GuestMemory> memory;
  std::string state;
  bool completed = false;
  int memory_writes = 0;

 private:
  uint64_t size_;
};

bool SameMemory(const GuestMemory& a, const GuestMemory& b) {
  if (a.regions().size() != b.regions().size()) return false;
  for (size_t i = 0; i < a.regions().size(); ++i) {
    const GuestRegion& x = a.regions()[i];
    const GuestRegion& y = b.regions()[i];
    if (x.gpa != y.gpa || x.size != y.size) return false;
    if (std::memcmp(x.host->data(), y.host->data(), x.size) != 0) return false;
  }
  return true;
}

TEST(VmMigrationSimTest, PagesTheGuestAndADeviceWriteDuringPreCopyTravelAgain) {
  PausableVm src(2);
  ASSERT_TRUE(src.ok());
  RngDriver rng(src.vm());
  src.Start();
  ASSERT_TRUE(src.AllCountPast({0, 0}));
  ASSERT_TRUE(rng.SetUp());

  config::VmConfig config = testing::NullGuestConfig();
  config.cpus.boot_vcpus = config.cpus.max_vcpus = 2;
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  UniqueFd a(fds[0]), b(fds[1]);
  CopyTarget target(config.memory.size);
  auto received = std::async(std::launch::async, [&] {
    migration::FdStream stream(b.get());
    migration::MigrationChannel channel(stream);
    return migration::ReceiveMigration(channel, target);
  });

  VmMigrationSource source(src.vm(), config, /*paused=*/false);
  uint16_t served = 0;
  migration::SendProgress progress = [&](std::string_view step) {
    if (step != "memory") return;
    // After the full round, with the dirty logs on: the device writes RAM.
    for (int i = 0; i < 4; ++i) EXPECT_TRUE(rng.Post());
    EXPECT_TRUE(WaitFor([&] { return rng.UsedIdx() >= 4; }));
    served = rng.UsedIdx();
  };
  migration::FdStream stream(a.get());
  migration::MigrationChannel channel(stream);
  MonotonicClock clock;
  Result<migration::SendReport> sent =
      migration::SendMigration(channel, source, {}, clock, progress);
  ASSERT_TRUE(sent.ok()) << sent.error().message();
  Result<void> got = received.get();
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(served, 4);
  EXPECT_TRUE(target.completed);
  EXPECT_EQ(src.vm().state(), VmRunState::kPaused);  // the source stops at the switch
  ASSERT_NE(target.memory, nullptr);
  EXPECT_TRUE(SameMemory(*target.memory, src.vm().memory()));
  EXPECT_EQ(target.memory->LoadAtomic<uint16_t>(rng.UsedIdxGpa()).value(), 4);
  EXPECT_NE(target.state.find("petrel_snapshot"), std::string::npos);
  // The first round skipped all-zero pages: far less than 2 x guest RAM went.
  EXPECT_LT(sent->memory_bytes, 2 * config.memory.size);
}

// Cloud Hypervisor's disk lock hand-over: the source holds its disks' image
// locks until the VM is paused for good, and releases them with the state,
// so the destination -- on the same host, or sharing the storage -- can open
// the disks as it builds the VM from that state. A migration that fails
// after that gives them back to the source as it resumes.
TEST(VmMigrationSimTest, TheSourceHandsItsDiskLocksOverWithTheState) {
  block_test::TempDisk disk(1 << 20);
  const std::vector<virtio::DiskConfig> disks = {{.path = disk.path()}};
  PausableVm src(1, true, nullptr, nullptr, disks);
  ASSERT_TRUE(src.ok()) << src.error()->message();
  src.Start();
  auto other_can_open = [&] { return OpenDiskImage({.path = disk.path()}).ok(); };
  EXPECT_FALSE(other_can_open());  // the running VM holds it

  config::VmConfig config = testing::NullGuestConfig();
  config.disks = disks;
  VmMigrationSource source(src.vm(), config, /*paused=*/false);
  ASSERT_TRUE(source.Pause().ok());
  EXPECT_FALSE(other_can_open());  // paused is not handed over
  ASSERT_TRUE(source.StatePayload().ok());
  EXPECT_TRUE(other_can_open());   // the destination may open it now
  ASSERT_TRUE(source.Resume().ok());  // the migration failed: the VM runs on here
  EXPECT_FALSE(other_can_open());

  // preserve_source: the source keeps its disks.
  VmMigrationSource keeping(src.vm(), config, /*paused=*/false, /*release_disks=*/false);
  ASSERT_TRUE(keeping.Pause().ok());
  ASSERT_TRUE(keeping.StatePayload().ok());
  EXPECT_FALSE(other_can_open());
  ASSERT_TRUE(keeping.Resume().ok());
}

}  // namespace
}  // namespace petrel::vmm
