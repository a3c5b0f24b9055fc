// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for MemDevice and VirtioMemConfig (virtio 1.2 §5.15) through a fake
// transport context: the config space at every offset and width, PLUG /
// UNPLUG / UNPLUG_ALL / STATE and plugged_size following them, every ERROR
// and NACK case, unplugged blocks going back to the host (they read zero),
// requested-size changes, reset keeping the blocks, save/restore, bounded
// work per notify, quiesce, and malformed chains failing only the device.
#include "devices/virtio/mem/mem_device.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/base/bytes.h"
#include "core/base/clock.h"
#include "core/event/deterministic_event_loop.h"
#include "devices/testing/device_state_suite.h"
#include "devices/virtio/testing/fake_virtio_context.h"
#include "devices/virtio/testing/virtq_driver.h"

namespace petrel::virtio {
namespace {

using testing::FakeVirtioContext;
using testing::VirtqDriver;

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kBlock = 2 * kMiB;
constexpr uint64_t kRegion = 128 * kMiB;  // [128 MiB, 256 MiB): 64 blocks
constexpr uint64_t kRegionSize = 128 * kMiB;
constexpr uint64_t kRamSize = 256 * kMiB;

VirtioMemConfig Config(uint64_t requested = 16 * kMiB) {
  return {.addr = kRegion, .size = kRegionSize, .requested_size = requested};
}

std::vector<uint8_t> Req(uint16_t type, uint64_t addr = 0, uint16_t nb_blocks = 0) {
  std::vector<uint8_t> r(kMemReqSize, 0);
  StoreLe<uint16_t>(r, kMemReqType, type);
  StoreLe<uint64_t>(r, kMemReqAddr, addr);
  StoreLe<uint16_t>(r, kMemReqNbBlocks, nb_blocks);
  return r;
}

uint64_t BlockAddr(uint64_t i) {
  return kRegion + i * kBlock;
}

struct Resp {
  uint16_t type = 0xffff;
  uint16_t state = 0xffff;
  uint32_t used_len = 0;
};

class MemDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override { Make(Config()); }

  void Make(const VirtioMemConfig& config, uint16_t queue_size = 16, bool indirect = false) {
    auto dev = MemDevice::Create(config);
    ASSERT_TRUE(dev.ok()) << dev.error().message();
    dev_ = std::move(dev).value();
    ctx_ = std::make_unique<FakeVirtioContext>(mem_, loop_, 1, dev_->device_features());
    auto drv = VirtqDriver::Create(mem_, {.size = queue_size, .indirect = indirect});
    ASSERT_TRUE(drv.ok());
    drv_ = std::make_unique<VirtqDriver>(std::move(drv).value());
    ASSERT_TRUE(ctx_->ActivateQueue(0, drv_->QueueConfig()).ok());
  }
  void Activate() { ASSERT_TRUE(dev_->Activate(*ctx_).ok()); }

  // Sends one request and returns the device's response.
  Resp Send(const std::vector<uint8_t>& req) {
    auto r = drv_->AddRequest({req}, {kMemRespSize});
    EXPECT_TRUE(r.ok());
    EXPECT_TRUE(drv_->Kick().ok());
    dev_->QueueNotified(0);
    Resp out;
    auto used = drv_->PopUsed();
    EXPECT_TRUE(used.ok() && used->has_value());
    if (!used.ok() || !used->has_value()) return out;
    out.used_len = (*used)->len;
    auto bytes = drv_->ReadBytes(r->segments.back().gpa, kMemRespSize);
    EXPECT_TRUE(bytes.ok());
    out.type = LoadLe<uint16_t>(*bytes, kMemRespType);
    out.state = LoadLe<uint16_t>(*bytes, kMemRespState);
    return out;
  }
  uint16_t SendType(const std::vector<uint8_t>& req) { return Send(req).type; }
  uint16_t State(uint64_t addr, uint16_t nb) {
    Resp r = Send(Req(kMemReqState, addr, nb));
    EXPECT_EQ(r.type, kMemRespAck);
    return r.state;
  }
  uint64_t Config64(uint64_t offset) {
    uint8_t b[8];
    dev_->ReadConfig(offset, b);
    return LoadLe<uint64_t>(b, 0);
  }
  uint8_t Byte(uint64_t gpa) { return mem_->ReadObj<uint8_t>(gpa).value(); }

  VirtualClock clock_;
  DeterministicEventLoop loop_{clock_};
  std::shared_ptr<GuestMemory> mem_ = *GuestMemory::CreateX86(kRamSize);
  std::unique_ptr<VirtqDriver> drv_;
  std::unique_ptr<FakeVirtioContext> ctx_;
  std::unique_ptr<MemDevice> dev_;
};

TEST(VirtioMemConfigTest, ValidateNamesTheFieldAndTheLimit) {
  EXPECT_TRUE(Validate(Config()).ok());
  EXPECT_TRUE(Validate(Config(kRegionSize)).ok());
  auto bad = [](VirtioMemConfig c, const std::string& starts) {
    Result<void> r = Validate(c);
    ASSERT_FALSE(r.ok()) << starts;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().message().rfind(starts, 0), 0u) << r.error().message();
  };
  VirtioMemConfig c = Config();
  c.block_size = 3 * kMiB;
  bad(c, "block_size=3145728: must be a power of two");
  c.block_size = kMiB;
  bad(c, "block_size=1048576:");
  c.block_size = uint64_t{2} << 30;
  bad(c, "block_size=");
  c = Config();
  c.addr = kRegion + kMiB;
  bad(c, "addr=0x8100000: must be a multiple of block_size");
  c = Config(0);
  c.size = 0;
  bad(c, "size=0: must not be 0");
  c.size = 64 * kMiB;
  bad(c, "size=67108864: must be a multiple of 128 MiB");
  c = Config();
  c.block_size = 256 * kMiB;
  c.addr = 256 * kMiB;
  bad(c, "size=134217728: must be a multiple of block_size");
  c = Config();
  c.size = (uint64_t{64} << 40) + kRegionSize;
  bad(c, "size=");
  c = Config();
  c.addr = (uint64_t{1} << 52) - kBlock;
  bad(c, "size=134217728: puts the region's end past 2^52");
  c.addr = ~uint64_t{0} - kBlock + 1;  // aligned, near the top: no wrap
  bad(c, "size=");
  bad(Config(kMiB), "requested_size=1048576: must be a multiple of block_size");
  bad(Config(kRegionSize + kBlock), "requested_size=136314880: is above the region's size");
  EXPECT_FALSE(MemDevice::Create(Config(kMiB)).ok());
}

TEST_F(MemDeviceTest, IdentityAndFeatures) {
  EXPECT_EQ(dev_->device_type(), 24);
  EXPECT_EQ(dev_->device_features(), 0u);  // no NUMA node, nothing else offered
  EXPECT_EQ(dev_->queue_count(), 1);
  EXPECT_EQ(dev_->max_queue_size(), 128);
  EXPECT_EQ(dev_->block_count(), 64u);
  VirtioMemConfig numa = Config();
  numa.numa_node = 3;
  auto with_node = MemDevice::Create(numa);
  ASSERT_TRUE(with_node.ok());
  EXPECT_EQ((*with_node)->device_features(), FeatureBit(kMemFAcpiPxm));
  uint8_t node[2];
  (*with_node)->ReadConfig(kMemConfigNodeId, node);
  EXPECT_EQ(LoadLe<uint16_t>(node, 0), 3);
}

TEST_F(MemDeviceTest, ConfigSpaceReadsAtEveryOffsetAndWidth) {
  VirtioMemConfig c = Config(8 * kMiB);
  c.numa_node = 0x1234;
  Make(c);
  Activate();
  ASSERT_EQ(SendType(Req(kMemReqPlug, BlockAddr(5), 2)), kMemRespAck);
  uint8_t want[kMemConfigSize] = {};
  StoreLe<uint64_t>(want, kMemConfigBlockSize, kBlock);
  StoreLe<uint16_t>(want, kMemConfigNodeId, 0x1234);
  StoreLe<uint64_t>(want, kMemConfigAddr, kRegion);
  StoreLe<uint64_t>(want, kMemConfigRegionSize, kRegionSize);
  StoreLe<uint64_t>(want, kMemConfigUsableRegionSize, kRegionSize);
  StoreLe<uint64_t>(want, kMemConfigPluggedSize, 2 * kBlock);
  StoreLe<uint64_t>(want, kMemConfigRequestedSize, 8 * kMiB);
  for (size_t width : {1, 2, 4, 8}) {
    for (uint64_t off = 0; off < kMemConfigSize + 16; ++off) {
      std::vector<uint8_t> got(width, 0xee);
      dev_->ReadConfig(off, got);
      for (size_t i = 0; i < width; ++i) {
        const uint8_t expect = off + i < kMemConfigSize ? want[off + i] : 0;
        ASSERT_EQ(got[i], expect) << "offset " << off << " width " << width << " byte " << i;
      }
    }
  }
  // The driver writes nothing (§5.15.4.1): ignored.
  uint8_t junk[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  for (uint64_t off = 0; off < kMemConfigSize; off += 8) dev_->WriteConfig(off, junk);
  EXPECT_EQ(Config64(kMemConfigRequestedSize), 8 * kMiB);
  EXPECT_EQ(Config64(kMemConfigPluggedSize), 2 * kBlock);
  EXPECT_EQ(Config64(kMemConfigBlockSize), kBlock);
}

TEST_F(MemDeviceTest, PlugUnplugStateAndUnplugAll) {
  Activate();
  EXPECT_EQ(State(BlockAddr(0), 64), kMemStateUnplugged);
  Resp plug = Send(Req(kMemReqPlug, BlockAddr(0), 4));
  EXPECT_EQ(plug.type, kMemRespAck);
  EXPECT_EQ(plug.used_len, kMemRespSize);
  EXPECT_EQ(Config64(kMemConfigPluggedSize), 4 * kBlock);
  EXPECT_EQ(dev_->plugged_size(), 4 * kBlock);
  EXPECT_EQ(State(BlockAddr(0), 4), kMemStatePlugged);
  EXPECT_EQ(State(BlockAddr(2), 4), kMemStateMixed);
  EXPECT_EQ(State(BlockAddr(4), 60), kMemStateUnplugged);
  EXPECT_EQ(State(BlockAddr(3), 1), kMemStatePlugged);
  ASSERT_EQ(SendType(Req(kMemReqPlug, BlockAddr(63), 1)), kMemRespAck);  // the last block
  EXPECT_EQ(State(BlockAddr(0), 64), kMemStateMixed);
  EXPECT_EQ(SendType(Req(kMemReqUnplug, BlockAddr(1), 2)), kMemRespAck);
  EXPECT_EQ(Config64(kMemConfigPluggedSize), 3 * kBlock);
  EXPECT_EQ(State(BlockAddr(1), 2), kMemStateUnplugged);
  EXPECT_EQ(State(BlockAddr(0), 1), kMemStatePlugged);
  EXPECT_EQ(SendType(Req(kMemReqUnplugAll, 0xdead'beef, 7)), kMemRespAck);  // data ignored
  EXPECT_EQ(Config64(kMemConfigPluggedSize), 0u);
  EXPECT_EQ(Config64(kMemConfigUsableRegionSize), kRegionSize);  // not shrunk
  EXPECT_EQ(State(BlockAddr(0), 64), kMemStateUnplugged);
  const auto c = dev_->Counters();
  EXPECT_EQ(c.at("plugs"), 2u);
  EXPECT_EQ(c.at("unplugs"), 1u);
  EXPECT_EQ(c.at("unplug_alls"), 1u);
  EXPECT_EQ(c.at("states"), 9u);
  EXPECT_EQ(c.at("errors"), 0u);
  EXPECT_EQ(c.at("plugged_bytes"), 0u);
  EXPECT_EQ(c.at("requested_bytes"), 16 * kMiB);
  EXPECT_EQ(c.at("region_bytes"), kRegionSize);
  EXPECT_EQ(ctx_->config_changes(), 0u);  // plugged_size changes are not announced
  EXPECT_TRUE(ctx_->failures().empty());
}

TEST_F(MemDeviceTest, PaddingAndTrailingBytesAreIgnored) {
  Activate();
  std::vector<uint8_t> req = Req(kMemReqPlug, BlockAddr(2), 1);
  for (uint32_t i : {2u, 3u, 4u, 5u, 6u, 7u, 18u, 19u, 20u, 21u, 22u, 23u}) req[i] = 0xff;
  req.push_back(0x55);  // a longer readable part than a request
  EXPECT_EQ(SendType(req), kMemRespAck);
  EXPECT_EQ(State(BlockAddr(2), 1), kMemStatePlugged);
}

TEST_F(MemDeviceTest, BadRangesGetErrorAndChangeNothing) {
  Activate();
  ASSERT_EQ(SendType(Req(kMemReqPlug, BlockAddr(10), 2)), kMemRespAck);
  const uint64_t top = ~uint64_t{0} - kBlock + 1;  // block aligned, 2^64 - 2 MiB
  const std::vector<std::pair<uint64_t, uint16_t>> bad = {
      {BlockAddr(0) + 4096, 1},  // misaligned
      {BlockAddr(0) + kMiB, 1},  // misaligned by half a block
      {BlockAddr(0), 0},         // no blocks
      {kRegion - kBlock, 1},     // below the region
      {0, 1},                    // guest RAM, not the device's
      {BlockAddr(63), 2},        // runs past the end
      {BlockAddr(64), 1},        // just past the end
      {BlockAddr(0), 65},        // longer than the region
      {BlockAddr(0), 0xffff},    // nb_blocks at its maximum
      {top, 1},                  // near 2^64
      {top, 0xffff},             // would wrap
      {kRegion + kRamSize * 1024, 1},
  };
  for (uint16_t type : {kMemReqPlug, kMemReqUnplug, kMemReqState}) {
    for (auto [addr, nb] : bad) {
      EXPECT_EQ(SendType(Req(type, addr, nb)), kMemRespError)
          << "type " << type << " addr 0x" << std::hex << addr << " nb " << nb;
    }
  }
  // Blocks in the wrong state.
  EXPECT_EQ(SendType(Req(kMemReqPlug, BlockAddr(10), 1)), kMemRespError);    // plugged
  EXPECT_EQ(SendType(Req(kMemReqPlug, BlockAddr(9), 2)), kMemRespError);     // half plugged
  EXPECT_EQ(SendType(Req(kMemReqUnplug, BlockAddr(12), 1)), kMemRespError);  // unplugged
  EXPECT_EQ(SendType(Req(kMemReqUnplug, BlockAddr(11), 2)), kMemRespError);  // half unplugged
  EXPECT_EQ(SendType(Req(4)), kMemRespError);  // unknown request types
  EXPECT_EQ(SendType(Req(0xffff)), kMemRespError);
  EXPECT_EQ(dev_->plugged_size(), 2 * kBlock);
  EXPECT_EQ(State(BlockAddr(10), 2), kMemStatePlugged);
  EXPECT_EQ(State(BlockAddr(8), 2), kMemStateUnplugged);
  EXPECT_EQ(State(BlockAddr(12), 52), kMemStateUnplugged);
  EXPECT_EQ(dev_->Counters().at("errors"), 3 * bad.size() + 6);
  EXPECT_TRUE(ctx_->failures().empty());
}

TEST_F(MemDeviceTest, PlugsBeyondTheRequestedSizeAreNacked) {
  Make(Config(4 * kMiB));  // two blocks
  Activate();
  EXPECT_EQ(SendType(Req(kMemReqPlug, BlockAddr(0), 3)), kMemRespNack);
  EXPECT_EQ(dev_->plugged_size(), 0u);
  EXPECT_EQ(SendType(Req(kMemReqPlug, BlockAddr(0), 2)), kMemRespAck);
  EXPECT_EQ(SendType(Req(kMemReqPlug, BlockAddr(2), 1)), kMemRespNack);
  // The spec's ERROR cases come first: a bad range or a plugged block is an
  // error even when the plug would also exceed the request.
  EXPECT_EQ(SendType(Req(kMemReqPlug, BlockAddr(2) + 4096, 1)), kMemRespError);
  EXPECT_EQ(SendType(Req(kMemReqPlug, BlockAddr(1), 1)), kMemRespError);
  // A larger request lets the guest plug more; a smaller one only stops plugs.
  ASSERT_TRUE(dev_->SetRequestedSize(6 * kMiB).ok());
  EXPECT_EQ(SendType(Req(kMemReqPlug, BlockAddr(2), 1)), kMemRespAck);
  ASSERT_TRUE(dev_->SetRequestedSize(0).ok());
  EXPECT_EQ(SendType(Req(kMemReqPlug, BlockAddr(3), 1)), kMemRespNack);
  EXPECT_EQ(dev_->plugged_size(), 6 * kMiB);  // nothing taken away by the device
  EXPECT_EQ(SendType(Req(kMemReqUnplug, BlockAddr(0), 3)), kMemRespAck);
  const auto c = dev_->Counters();
  EXPECT_EQ(c.at("nacks"), 3u);
  EXPECT_EQ(c.at("errors"), 2u);
}

TEST_F(MemDeviceTest, UnpluggedBlocksGoBackToTheHost) {
  Activate();
  ASSERT_EQ(SendType(Req(kMemReqPlug, BlockAddr(4), 3)), kMemRespAck);
  ASSERT_TRUE(mem_->Fill(BlockAddr(4), 0xab, 3 * kBlock).ok());
  ASSERT_TRUE(mem_->Fill(kRegion - 4096, 0xcd, 4096).ok());  // RAM just below the region
  ASSERT_EQ(SendType(Req(kMemReqUnplug, BlockAddr(5), 1)), kMemRespAck);
  EXPECT_EQ(Byte(BlockAddr(4) + kBlock - 1), 0xab);
  EXPECT_EQ(Byte(BlockAddr(5)), 0);
  EXPECT_EQ(Byte(BlockAddr(5) + kBlock / 2), 0);
  EXPECT_EQ(Byte(BlockAddr(5) + kBlock - 1), 0);
  EXPECT_EQ(Byte(BlockAddr(6)), 0xab);
  ASSERT_EQ(SendType(Req(kMemReqUnplugAll)), kMemRespAck);
  EXPECT_EQ(Byte(BlockAddr(4)), 0);
  EXPECT_EQ(Byte(BlockAddr(6) + kBlock - 1), 0);
  EXPECT_EQ(Byte(kRegion - 1), 0xcd);  // outside the region: untouched
  EXPECT_EQ(dev_->Counters().at("discard_errors"), 0u);
}

TEST_F(MemDeviceTest, ActivateDiscardsUnpluggedBlocksAndKeepsPluggedOnes) {
  MemDeviceState state{.requested_size = 16 * kMiB, .plugged = std::vector<uint8_t>(8, 0)};
  state.plugged[0] = 0b0000'0101;  // blocks 0 and 2
  state.plugged[7] = 0x80;         // block 63
  ASSERT_TRUE(dev_->Restore(state).ok());
  ASSERT_TRUE(mem_->Fill(kRegion, 0x5a, kRegionSize).ok());
  Activate();
  EXPECT_EQ(Byte(BlockAddr(0)), 0x5a);
  EXPECT_EQ(Byte(BlockAddr(1)), 0);
  EXPECT_EQ(Byte(BlockAddr(2) + kBlock - 1), 0x5a);
  EXPECT_EQ(Byte(BlockAddr(3)), 0);
  EXPECT_EQ(Byte(BlockAddr(62) + kBlock - 1), 0);
  EXPECT_EQ(Byte(BlockAddr(63)), 0x5a);
  EXPECT_EQ(dev_->plugged_size(), 3 * kBlock);
  EXPECT_EQ(State(BlockAddr(0), 3), kMemStateMixed);
  EXPECT_EQ(State(BlockAddr(63), 1), kMemStatePlugged);
}

TEST_F(MemDeviceTest, ActivateRefusesARegionOutsideGuestRam) {
  VirtioMemConfig c = Config();
  c.addr = kRamSize;  // right after RAM
  Make(c);
  EXPECT_EQ(dev_->Activate(*ctx_).error().code(), ErrorCode::kFailedPrecondition);
}

TEST_F(MemDeviceTest, SetRequestedSizeChecksAndShowsInTheConfig) {
  EXPECT_EQ(Config64(kMemConfigRequestedSize), 16 * kMiB);  // the config's at boot
  EXPECT_EQ(dev_->SetRequestedSize(kBlock + 4096).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(dev_->SetRequestedSize(kMiB).ok());
  EXPECT_FALSE(dev_->SetRequestedSize(kRegionSize + kBlock).ok());
  EXPECT_FALSE(dev_->SetRequestedSize(~uint64_t{0}).ok());
  EXPECT_EQ(dev_->requested_size(), 16 * kMiB);
  ASSERT_TRUE(dev_->SetRequestedSize(kRegionSize).ok());
  EXPECT_EQ(Config64(kMemConfigRequestedSize), kRegionSize);
  ASSERT_TRUE(dev_->SetRequestedSize(0).ok());
  EXPECT_EQ(Config64(kMemConfigRequestedSize), 0u);
  EXPECT_EQ(dev_->Counters().at("requested_bytes"), 0u);
}

TEST_F(MemDeviceTest, DeviceResetKeepsTheBlocksSystemResetUnplugsThem) {
  Activate();
  ASSERT_EQ(SendType(Req(kMemReqPlug, BlockAddr(0), 3)), kMemRespAck);
  EXPECT_EQ(dev_->UnplugAllForSystemReset().error().code(), ErrorCode::kBusy);
  dev_->Reset();
  ctx_->ResetQueues();
  dev_->QueueNotified(0);  // ignored after reset
  // §5.15.5.2: a device reset leaves the blocks as they are.
  EXPECT_EQ(dev_->plugged_size(), 3 * kBlock);
  EXPECT_EQ(Config64(kMemConfigPluggedSize), 3 * kBlock);
  ASSERT_TRUE(dev_->UnplugAllForSystemReset().ok());
  EXPECT_EQ(dev_->plugged_size(), 0u);
  EXPECT_EQ(dev_->requested_size(), 16 * kMiB);
  const MemDeviceState s = dev_->Save();
  for (uint8_t b : s.plugged) EXPECT_EQ(b, 0);
}

TEST_F(MemDeviceTest, SaveRestoreRoundTrips) {
  Activate();
  ASSERT_EQ(SendType(Req(kMemReqPlug, BlockAddr(0), 3)), kMemRespAck);
  ASSERT_EQ(SendType(Req(kMemReqPlug, BlockAddr(9), 1)), kMemRespAck);
  ASSERT_TRUE(dev_->SetRequestedSize(32 * kMiB).ok());
  ASSERT_EQ(SendType(Req(kMemReqPlug, BlockAddr(60), 4)), kMemRespAck);
  const MemDeviceState s = dev_->Save();
  EXPECT_EQ(s.requested_size, 32 * kMiB);
  ASSERT_EQ(s.plugged.size(), 8u);
  EXPECT_EQ(s.plugged[0], 0b0000'0111);
  EXPECT_EQ(s.plugged[1], 0b0000'0010);
  EXPECT_EQ(s.plugged[7], 0xf0);
  EXPECT_EQ(dev_->Restore(s).error().code(), ErrorCode::kBusy);  // active

  auto fresh = MemDevice::Create(Config());
  ASSERT_TRUE(fresh.ok());
  ASSERT_TRUE((*fresh)->Restore(s).ok());
  EXPECT_EQ((*fresh)->Save(), s);
  EXPECT_EQ((*fresh)->plugged_size(), 8 * kBlock);
  EXPECT_EQ((*fresh)->requested_size(), 32 * kMiB);
  uint8_t b[8];
  (*fresh)->ReadConfig(kMemConfigPluggedSize, b);
  EXPECT_EQ(LoadLe<uint64_t>(b, 0), 8 * kBlock);

  // States that do not fit: refused, the device unchanged.
  std::vector<MemDeviceState> invalid(5, s);
  invalid[0].requested_size = kBlock + 4096;
  invalid[1].requested_size = kRegionSize + kBlock;
  invalid[2].plugged.pop_back();
  invalid[3].plugged.push_back(0);
  invalid[4].plugged.clear();
  for (size_t i = 0; i < invalid.size(); ++i) {
    auto dev = MemDevice::Create(Config());
    ASSERT_TRUE(dev.ok());
    const MemDeviceState before = (*dev)->Save();
    EXPECT_EQ((*dev)->Restore(invalid[i]).error().code(), ErrorCode::kInvalidArgument) << i;
    EXPECT_EQ((*dev)->Save(), before) << i;
  }
  // A region whose block count is not a multiple of 8: bits past it refused.
  VirtioMemConfig three{.addr = 1ULL << 30, .size = 384 * kMiB, .block_size = 128 * kMiB};
  auto small = MemDevice::Create(three);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ((*small)->block_count(), 3u);
  EXPECT_TRUE((*small)->Restore({.requested_size = 0, .plugged = {0b111}}).ok());
  EXPECT_EQ((*small)->plugged_size(), 384 * kMiB);
  EXPECT_FALSE((*small)->Restore({.requested_size = 0, .plugged = {0b1000}}).ok());
  EXPECT_EQ((*small)->plugged_size(), 384 * kMiB);
}

TEST_F(MemDeviceTest, AShortRequestFailsTheDevice) {
  Activate();
  ASSERT_TRUE(drv_->AddRequest({std::vector<uint8_t>(16, 0)}, {kMemRespSize}).ok());
  ASSERT_TRUE(drv_->Kick().ok());
  dev_->QueueNotified(0);
  ASSERT_EQ(ctx_->failures().size(), 1u);
  EXPECT_NE(ctx_->failures()[0].find("virtio-mem"), std::string::npos);
  // Failed: nothing more is served until a reset.
  ASSERT_TRUE(drv_->AddRequest({Req(kMemReqPlug, BlockAddr(0), 1)}, {kMemRespSize}).ok());
  ASSERT_TRUE(drv_->Kick().ok());
  dev_->QueueNotified(0);
  EXPECT_EQ(dev_->plugged_size(), 0u);
  EXPECT_EQ(ctx_->failures().size(), 1u);
}

TEST_F(MemDeviceTest, NoRoomForTheResponseFailsTheDevice) {
  for (uint32_t writable : {0u, 8u, 9u}) {
    Make(Config());
    Activate();
    std::vector<uint32_t> lens;
    if (writable != 0) lens.push_back(writable);
    ASSERT_TRUE(drv_->AddRequest({Req(kMemReqPlug, BlockAddr(0), 1)}, lens).ok());
    ASSERT_TRUE(drv_->Kick().ok());
    dev_->QueueNotified(0);
    EXPECT_EQ(ctx_->failures().size(), 1u) << writable;
    EXPECT_EQ(dev_->plugged_size(), 0u) << writable;  // checked before acting
  }
}

TEST_F(MemDeviceTest, AResponseSplitAcrossBuffersIsFine) {
  Activate();
  auto req = drv_->AllocBytes(Req(kMemReqState, BlockAddr(0), 1));
  auto r1 = drv_->Alloc(4);
  auto r2 = drv_->Alloc(6);
  ASSERT_TRUE(req.ok() && r1.ok() && r2.ok());
  ASSERT_TRUE(
      drv_->AddChain({{*req, 12, false}, {*req + 12, 12, false}, {*r1, 4, true}, {*r2, 6, true}})
          .ok());
  ASSERT_TRUE(drv_->Kick().ok());
  dev_->QueueNotified(0);
  auto used = drv_->PopUsed();
  ASSERT_TRUE(used.ok() && used->has_value());
  EXPECT_EQ((*used)->len, kMemRespSize);
  EXPECT_EQ(LoadLe<uint16_t>(*drv_->ReadBytes(*r2, 6), 4), kMemStateUnplugged);
  EXPECT_TRUE(ctx_->failures().empty());
}

TEST_F(MemDeviceTest, AMalformedRingFailsTheDeviceOnly) {
  Activate();
  ASSERT_TRUE(drv_->AddChain({{0xffff'ffff'0000, 24, false}, {0x20'0000, 10, true}}).ok());
  ASSERT_TRUE(drv_->Kick().ok());
  dev_->QueueNotified(0);
  EXPECT_EQ(ctx_->failures().size(), 1u);
  // A reset and a new activation serve again; the blocks are as they were.
  dev_->Reset();
  Make(Config());
  Activate();
  EXPECT_EQ(SendType(Req(kMemReqPlug, BlockAddr(0), 1)), kMemRespAck);
}

TEST_F(MemDeviceTest, WorkPerNotifyIsBounded) {
  Make(Config(), 256, /*indirect=*/true);  // one descriptor per chain in the ring
  ctx_->set_device(dev_.get());
  Activate();
  constexpr uint32_t kChains = kMaxChainsPerTurn + 10;
  for (uint32_t i = 0; i < kChains; ++i) {
    ASSERT_TRUE(
        drv_->AddRequest({Req(kMemReqState, BlockAddr(i % 64), 1)}, {kMemRespSize}, true).ok());
  }
  ASSERT_TRUE(drv_->Kick().ok());
  dev_->QueueNotified(0);
  EXPECT_EQ(ctx_->notify_again(0), 1u);
  EXPECT_EQ(dev_->Counters().at("states"), kMaxChainsPerTurn);
  loop_.RunUntilIdle();
  EXPECT_EQ(dev_->Counters().at("states"), kChains);
  uint32_t used = 0;
  while (true) {
    auto u = drv_->PopUsed();
    if (!u.ok() || !u->has_value()) break;
    ++used;
  }
  EXPECT_EQ(used, kChains);
}

TEST_F(MemDeviceTest, QuiescedTakesNothingUntilResumed) {
  Activate();
  bool done = false;
  dev_->QuiesceQueueGroup(0, [&] { done = true; });
  EXPECT_TRUE(done);
  ASSERT_TRUE(drv_->AddRequest({Req(kMemReqPlug, BlockAddr(0), 1)}, {kMemRespSize}).ok());
  ASSERT_TRUE(drv_->Kick().ok());
  dev_->QueueNotified(0);
  EXPECT_EQ(dev_->plugged_size(), 0u);
  dev_->ResumeQueueGroup(0);
  EXPECT_EQ(dev_->plugged_size(), kBlock);
  auto used = drv_->PopUsed();
  EXPECT_TRUE(used.ok() && used->has_value());
}

// The shared snapshot suite (devices/testing/device_state_suite.h): blocks
// plugged through the guest-request queue and a new requested size.
struct MemTraits {
  using Device = MemDevice;
  VirtualClock clock;
  DeterministicEventLoop loop{clock};
  std::shared_ptr<GuestMemory> mem = *GuestMemory::CreateX86(kRamSize);
  std::unique_ptr<MemDevice> Make() { return std::move(MemDevice::Create(Config())).value(); }
  void Drive(MemDevice& d) {
    FakeVirtioContext ctx(mem, loop, 1);
    auto drv = std::move(VirtqDriver::Create(mem, {.size = 16})).value();
    ASSERT_TRUE(ctx.ActivateQueue(0, drv.QueueConfig()).ok());
    ASSERT_TRUE(d.Activate(ctx).ok());
    ASSERT_TRUE(d.SetRequestedSize(64 * kMiB).ok());
    for (uint64_t first : {0u, 7u, 40u}) {
      ASSERT_TRUE(drv.AddRequest({Req(kMemReqPlug, BlockAddr(first), 3)}, {kMemRespSize}).ok());
    }
    ASSERT_TRUE(drv.Kick().ok());
    d.QueueNotified(0);
    d.Reset();
    ASSERT_EQ(d.plugged_size(), 9 * kBlock);
  }
  std::vector<uint8_t> Observe(MemDevice& d) {
    std::vector<uint8_t> v(kMemConfigSize);
    d.ReadConfig(0, v);
    return v;
  }
  std::vector<MemDeviceState> Invalid(const MemDeviceState& good) {
    std::vector<MemDeviceState> bad(4, good);
    bad[0].requested_size += 4096;
    bad[1].requested_size = kRegionSize * 2;
    bad[2].plugged.resize(good.plugged.size() + 1);
    bad[3].plugged.resize(good.plugged.size() - 1);
    return bad;
  }
};

}  // namespace
}  // namespace petrel::virtio

namespace petrel::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(VirtioMem, DeviceStateTest, virtio::MemTraits);
}  // namespace petrel::testing
