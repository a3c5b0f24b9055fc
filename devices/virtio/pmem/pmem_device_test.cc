// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for virtio-pmem: PmemConfig's checks, PmemBacking on real files
// (sizes, directories, discard_writes, flush), and PmemDevice (virtio 1.2
// §5.19) through a fake transport context, with its snapshot state in the
// shared DeviceStateTest.
#include "devices/virtio/pmem/pmem_device.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/clock.h"
#include "core/event/deterministic_event_loop.h"
#include "devices/testing/device_state_suite.h"
#include "devices/virtio/pmem/pmem_backing.h"
#include "devices/virtio/pmem/pmem_config.h"
#include "devices/virtio/testing/fake_virtio_context.h"
#include "devices/virtio/testing/virtq_driver.h"

namespace petrel::virtio {
namespace {

using testing::FakeVirtioContext;
using testing::VirtqDriver;

constexpr uint64_t kMiB = 1 << 20;

// A file of `size` bytes, each byte (offset % 251), in the test's temp dir.
std::string MakeFile(const std::string& name, uint64_t size) {
  const std::string path = ::testing::TempDir() + "pmem_" + name + "_" + std::to_string(::getpid());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (uint64_t i = 0; i < size; ++i) out.put(static_cast<char>(i % 251));
  return path;
}

std::vector<uint8_t> FileBytes(const std::string& path, uint64_t offset, size_t n) {
  std::vector<uint8_t> v(n);
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(n));
  return v;
}

TEST(PmemConfigTest, ChecksTheFileSizeIommuAndSegment) {
  EXPECT_TRUE(Validate(PmemConfig{.file = "/f"}).ok());
  EXPECT_TRUE(Validate(PmemConfig{.file = "/f", .size = 4 * kMiB}).ok());
  EXPECT_NE(Validate(PmemConfig{}).error().message().find("file="), std::string::npos);
  EXPECT_NE(Validate(PmemConfig{.file = "/f", .size = 3 * kMiB}).error().message().find("2 MiB"),
            std::string::npos);
  EXPECT_FALSE(Validate(PmemConfig{.file = "/f", .size = 0}).ok());
  EXPECT_TRUE(Validate(PmemConfig{.file = "/f", .iommu = true}).ok()) << "behind the virtio-iommu";
  EXPECT_FALSE(Validate(PmemConfig{.file = "/f", .pci_segment = 1}).ok());
}

TEST(PmemBackingTest, MapsTheFileSharedAndFlushes) {
  const std::string path = MakeFile("shared", 2 * kMiB);
  auto b = PmemBacking::Open({.file = path});
  ASSERT_TRUE(b.ok()) << b.error().message();
  EXPECT_EQ((*b)->size(), 2 * kMiB);
  EXPECT_EQ((*b)->data()[300], 300 % 251);
  std::memcpy((*b)->data() + 4096, "guest", 5);
  EXPECT_TRUE((*b)->Flush().ok());
  const auto bytes = FileBytes(path, 4096, 5);
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "guest");
  ::unlink(path.c_str());
}

TEST(PmemBackingTest, DiscardWritesLeavesTheFileUntouched) {
  const std::string path = MakeFile("discard", 2 * kMiB);
  auto b = PmemBacking::Open({.file = path, .discard_writes = true});
  ASSERT_TRUE(b.ok()) << b.error().message();
  std::memcpy((*b)->data() + 4096, "guest", 5);
  EXPECT_TRUE((*b)->Flush().ok());
  EXPECT_EQ(FileBytes(path, 4096, 1)[0], 4096 % 251);
  ::chmod(path.c_str(), 0444);  // read-only files are fine with discard_writes
  EXPECT_TRUE(PmemBacking::Open({.file = path, .discard_writes = true}).ok());
  ::unlink(path.c_str());
}

TEST(PmemBackingTest, SizesAndDirectories) {
  const std::string odd = MakeFile("odd", 3 * kMiB);
  auto b = PmemBacking::Open({.file = odd});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message().find("multiple of 2 MiB"), std::string::npos) << b.error().message();
  // size= takes the first 2 MiB of a larger file; more than the file is refused.
  EXPECT_TRUE(PmemBacking::Open({.file = odd, .size = 2 * kMiB}).ok());
  b = PmemBacking::Open({.file = odd, .size = 4 * kMiB});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message().find("fewer than size="), std::string::npos) << b.error().message();
  ::unlink(odd.c_str());
  EXPECT_FALSE(PmemBacking::Open({.file = "/nonexistent/pmem"}).ok());
  const std::string dir = ::testing::TempDir();
  b = PmemBacking::Open({.file = dir});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message().find("needs size="), std::string::npos);
  b = PmemBacking::Open({.file = dir, .size = 2 * kMiB});
  ASSERT_TRUE(b.ok()) << b.error().message();  // O_TMPFILE: nothing left behind
  EXPECT_EQ((*b)->data()[12345], 0);
}

class PmemDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mem_ = *GuestMemory::CreateX86(4 << 20);
    drv_ = std::make_unique<VirtqDriver>(*VirtqDriver::Create(mem_, {.size = 16}));
    ctx_ = std::make_unique<FakeVirtioContext>(mem_, loop_, 1);
    ASSERT_TRUE(ctx_->ActivateQueue(0, drv_->QueueConfig()).ok());
    ASSERT_TRUE(dev_.Activate(*ctx_).ok());
  }
  // One request of `type`; the used length and the response.
  std::pair<uint32_t, uint32_t> Request(uint32_t type) {
    std::vector<uint8_t> req(4);
    StoreLe<uint32_t>(req, 0, type);
    auto r = *drv_->AddRequest({req}, {4});
    EXPECT_TRUE(drv_->Kick().ok());
    dev_.QueueNotified(0);
    auto used = *drv_->PopUsed();
    EXPECT_TRUE(used.has_value());
    auto resp = *drv_->ReadBytes(r.segments[1].gpa, 4);
    return {used ? used->len : 0, LoadLe<uint32_t>(resp, 0)};
  }

  VirtualClock clock_;
  DeterministicEventLoop loop_{clock_};
  std::shared_ptr<GuestMemory> mem_;
  std::unique_ptr<VirtqDriver> drv_;
  std::unique_ptr<FakeVirtioContext> ctx_;
  int flushes_ = 0;
  bool flush_fails_ = false;
  PmemDevice dev_{0x1'0000'0000ull, 4 * kMiB, [this]() -> Result<void> {
                    ++flushes_;
                    if (flush_fails_) return Error(ErrorCode::kSystem, "disk gone", EIO);
                    return Ok();
                  }};
};

TEST_F(PmemDeviceTest, IdentityAndConfigSpace) {
  EXPECT_EQ(dev_.device_type(), 27);
  EXPECT_EQ(dev_.device_features(), 0u);
  EXPECT_EQ(dev_.queue_count(), 1);
  std::vector<uint8_t> cfg(20, 0xaa);
  dev_.ReadConfig(0, cfg);
  EXPECT_EQ(LoadLe<uint64_t>(cfg, 0), 0x1'0000'0000ull);
  EXPECT_EQ(LoadLe<uint64_t>(cfg, 8), 4 * kMiB);
  EXPECT_EQ(LoadLe<uint32_t>(cfg, 16), 0u);  // past the end
  std::vector<uint8_t> one(4);
  dev_.ReadConfig(8, one);
  EXPECT_EQ(LoadLe<uint32_t>(one, 0), 4 * kMiB);
  const std::vector<uint8_t> junk(8, 0xff);
  dev_.WriteConfig(0, junk);  // read-only
  dev_.ReadConfig(0, cfg);
  EXPECT_EQ(LoadLe<uint64_t>(cfg, 0), 0x1'0000'0000ull);
}

TEST_F(PmemDeviceTest, AFlushRunsTheFlushAndAnswersOk) {
  EXPECT_EQ(Request(kPmemReqTypeFlush), std::make_pair(4u, kPmemRespOk));
  EXPECT_EQ(flushes_, 1);
  EXPECT_EQ(ctx_->signals(0), 1u);
  EXPECT_EQ(dev_.Counters().at("flushes"), 1u);
}

TEST_F(PmemDeviceTest, AFailedFlushIsEioAndTheDeviceCarriesOn) {
  flush_fails_ = true;
  EXPECT_EQ(Request(kPmemReqTypeFlush).second, kPmemRespEio);
  flush_fails_ = false;
  EXPECT_EQ(Request(kPmemReqTypeFlush).second, kPmemRespOk);
  EXPECT_EQ(dev_.Counters().at("flush_errors"), 1u);
  EXPECT_TRUE(ctx_->failures().empty());
}

TEST_F(PmemDeviceTest, AnUnknownTypeIsEioWithoutAFlush) {
  EXPECT_EQ(Request(7).second, kPmemRespEio);
  EXPECT_EQ(flushes_, 0);
  EXPECT_TRUE(ctx_->failures().empty());
}

TEST_F(PmemDeviceTest, AChainWithoutRoomForTheAnswerFailsTheDevice) {
  ASSERT_TRUE(drv_->AddRequest({{0, 0, 0, 0}}, {2}).ok());
  ASSERT_TRUE(drv_->Kick().ok());
  dev_.QueueNotified(0);
  ASSERT_EQ(ctx_->failures().size(), 1u);
  EXPECT_EQ(flushes_, 0);
  // Failed: nothing more is served until reset.
  ASSERT_TRUE(drv_->AddRequest({{0, 0, 0, 0}}, {4}).ok());
  ASSERT_TRUE(drv_->Kick().ok());
  dev_.QueueNotified(0);
  EXPECT_EQ(flushes_, 0);
}

TEST_F(PmemDeviceTest, AShortRequestFailsTheDevice) {
  ASSERT_TRUE(drv_->AddRequest({{0, 0}}, {4}).ok());
  ASSERT_TRUE(drv_->Kick().ok());
  dev_.QueueNotified(0);
  EXPECT_EQ(ctx_->failures().size(), 1u);
}

TEST(PmemRestoreTest, TheMemoryMustBeWhereTheSnapshotHadIt) {
  PmemDevice dev(0x1'0000'0000ull, 2 * kMiB, nullptr);
  EXPECT_TRUE(dev.Restore({0x1'0000'0000ull, 2 * kMiB}).ok());
  EXPECT_FALSE(dev.Restore({0x1'0020'0000ull, 2 * kMiB}).ok());
  EXPECT_FALSE(dev.Restore({0x1'0000'0000ull, 4 * kMiB}).ok());
}

// The shared snapshot suite. A device's state is fixed at creation, so
// Drive() cannot change it: the suite's second Make() (its "default"
// device) is the one with another size; Invalid() lists other placements.
struct PmemTraits {
  using Device = PmemDevice;
  int made = 0;
  std::unique_ptr<PmemDevice> Make() {
    return std::make_unique<PmemDevice>(0x1'0000'0000ull, (++made == 2 ? 2 : 4) * kMiB, nullptr);
  }
  void Drive(PmemDevice&) {}
  std::vector<uint8_t> Observe(PmemDevice& d) {
    std::vector<uint8_t> cfg(16);
    d.ReadConfig(0, cfg);
    return cfg;
  }
  std::vector<PmemDeviceState> Invalid(const PmemDeviceState& good) {
    return {{good.start + kPmemAlignment, good.size}, {good.start, good.size * 2}};
  }
};

}  // namespace
}  // namespace petrel::virtio

namespace petrel::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(VirtioPmem, DeviceStateTest, virtio::PmemTraits);
}  // namespace petrel::testing
