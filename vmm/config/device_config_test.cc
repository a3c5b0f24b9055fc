// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// --disk, --net, --rng parsing: Cloud Hypervisor's keys and defaults, and a
// one-line error naming the option and key for everything refused.
#include "vmm/config/device_config.h"

#include <gtest/gtest.h>

namespace petrel::config {
namespace {

std::string ErrorOf(const Result<DiskConfig>& r) { return r.ok() ? "" : r.error().message(); }

TEST(DiskConfigTest, DefaultsAndEveryKey) {
  auto d = ParseDisk("path=/tmp/a.img");
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->path, "/tmp/a.img");
  EXPECT_FALSE(d->readonly);
  EXPECT_FALSE(d->direct);
  EXPECT_EQ(d->num_queues, 1);
  EXPECT_EQ(d->queue_size, 128);
  d = ParseDisk("path=/x,readonly=on,direct=on,num_queues=4,queue_size=256,serial=disk-0,id=d0,"
                "image_type=raw,iommu=off,pci_segment=0");
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_TRUE(d->readonly);
  EXPECT_TRUE(d->direct);
  EXPECT_EQ(d->num_queues, 4);
  EXPECT_EQ(d->queue_size, 256);
  EXPECT_EQ(d->serial, "disk-0");
  EXPECT_EQ(d->id, "d0");
}

TEST(DiskConfigTest, ClearErrors) {
  EXPECT_EQ(ErrorOf(ParseDisk("readonly=on")), "--disk: path=<file> is required");
  EXPECT_NE(ErrorOf(ParseDisk("path=/x,queue_size=100")).find("power of two"), std::string::npos);
  EXPECT_NE(ErrorOf(ParseDisk("path=/x,num_queues=0")).find("num_queues"), std::string::npos);
  EXPECT_EQ(ErrorOf(ParseDisk("path=/x,num_queues=65")),
            "--disk: num_queues=65: must be from 1 to 64");
  // The device's limits and wording (DiskConfig's Validate), not a second copy.
  EXPECT_EQ(ErrorOf(ParseDisk("path=/x,queue_size=2048")),
            "--disk: queue_size=2048: must be a power of two from 2 to 1024");
  EXPECT_EQ(ErrorOf(ParseDisk("path=/x,queue_size=65536")),
            "--disk: queue_size=65536: must be at most 65535");
  EXPECT_EQ(ErrorOf(ParseDisk("path=")), "--disk: path=<file> is required");
  EXPECT_NE(ErrorOf(ParseDisk("path=/x,io_engine=aio")).find("io_engine"), std::string::npos);
  EXPECT_NE(ErrorOf(ParseDisk("path=/x,serial=123456789012345678901")).find("20 bytes"),
            std::string::npos);
  EXPECT_NE(ErrorOf(ParseDisk("path=/x,vhost_user=true")).find("not supported by Petrel yet"),
            std::string::npos);
  EXPECT_NE(ErrorOf(ParseDisk("path=/x,image_type=qcow3")).find("image_type=qcow3"),
            std::string::npos);
  EXPECT_NE(ErrorOf(ParseDisk("path=/x,lock_granularity=whole")).find("byte-range or full"),
            std::string::npos);
  EXPECT_NE(ErrorOf(ParseDisk("path=/x,backing_files=maybe")).find("backing_files"),
            std::string::npos);
  EXPECT_NE(ErrorOf(ParseDisk("path=/x,iommu=maybe")).find("iommu"), std::string::npos);
  EXPECT_NE(ErrorOf(ParseDisk("path=/x,pci_segment=1")).find("segment"), std::string::npos);
  EXPECT_NE(ErrorOf(ParseDisk("path=/x,bogus=1")).find("bogus"), std::string::npos);
  EXPECT_NE(ErrorOf(ParseDisk("path=/x,readonly=maybe")).find("readonly"), std::string::npos);
}

// Cloud Hypervisor's disk image keys, as its docs type them.
TEST(DiskConfigTest, ImageFormatKeys) {
  auto d = ParseDisk("path=/x.qcow2");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->image_type, ImageType::kUnknown);  // detect
  EXPECT_FALSE(d->backing_files);
  EXPECT_TRUE(d->sparse);
  EXPECT_EQ(d->lock_granularity, LockGranularity::kByteRange);
  d = ParseDisk("path=/x.qcow2,image_type=qcow2,backing_files=on,sparse=off,lock_granularity=full");
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->image_type, ImageType::kQcow2);
  EXPECT_TRUE(d->backing_files);
  EXPECT_FALSE(d->sparse);
  EXPECT_EQ(d->lock_granularity, LockGranularity::kFull);
  for (const char* type : {"raw", "vhd", "vhdx", "vmdk"})
    EXPECT_TRUE(ParseDisk(std::string("path=/x,image_type=") + type).ok()) << type;
}

// Cloud Hypervisor's README types these: "key=" means "use the default".
TEST(DiskConfigTest, EmptyValuesMeanDefaults) {
  auto d = ParseDisk("path=/x,readonly=,num_queues=,queue_size=,serial=,id=");
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(*d, DiskConfig{.path = "/x"});
}

TEST(DiskConfigTest, IoEngineIsAnOption) {
  EXPECT_EQ(ParseDisk("path=/x")->io_engine, IoEngineKind::kAuto);
  EXPECT_EQ(ParseDisk("path=/x,io_engine=sync")->io_engine, IoEngineKind::kSync);
  EXPECT_EQ(ParseDisk("path=/x,io_engine=io_uring")->io_engine, IoEngineKind::kUring);
  // Cloud Hypervisor's testing switches.
  EXPECT_EQ(ParseDisk("path=/x,_disable_io_uring=on")->io_engine, IoEngineKind::kSync);
  EXPECT_EQ(ParseDisk("path=/x,_disable_aio=on")->io_engine, IoEngineKind::kAuto);
  EXPECT_FALSE(ParseDisk("path=/x,_disable_io_uring=on,io_engine=io_uring").ok());
}

// CH's six rate limiter keys: a bucket where size and refill_time are given.
TEST(DiskConfigTest, RateLimiterKeys) {
  EXPECT_EQ(ParseDisk("path=/x")->rate_limiter_config, std::nullopt);
  auto d = ParseDisk(
      "path=/x,bw_size=1048576,bw_one_time_burst=4096,bw_refill_time=100,"
      "ops_size=500,ops_one_time_burst=10,ops_refill_time=1000");
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(
      d->rate_limiter_config,
      (ratelimit::RateLimiterConfig{.bandwidth = ratelimit::TokenBucketConfig{1048576, 4096, 100},
                                    .ops = ratelimit::TokenBucketConfig{500, 10, 1000}}));
  // One bucket; the burst defaults to 0 (CH: Some(0)); hex as elsewhere.
  d = ParseDisk("path=/x,ops_size=0x10,ops_refill_time=10");
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->rate_limiter_config,
            (ratelimit::RateLimiterConfig{.ops = ratelimit::TokenBucketConfig{16, 0, 10}}));
  // Zero size and refill time: CH's "no limit", so no limiter at all.
  d = ParseDisk("path=/x,bw_size=0,bw_refill_time=0,ops_size=,ops_refill_time=");
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(*d, DiskConfig{.path = "/x"});
  // The largest values are accepted.
  d = ParseDisk(
      "path=/x,bw_size=18446744073709551615,bw_one_time_burst=18446744073709551615,"
      "bw_refill_time=18446744073709");
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->rate_limiter_config->bandwidth->size, UINT64_MAX);
}

// Half a bucket would be no limit in CH, silently: refused here.
TEST(DiskConfigTest, RateLimiterErrors) {
  EXPECT_EQ(ErrorOf(ParseDisk("path=/x,bw_size=1000")),
            "--disk: rate_limiter_config: bandwidth.refill_time=0: must be from 1 to "
            "18446744073709 ms: a bucket needs both size and refill_time (--disk bw_size, "
            "bw_refill_time)");
  EXPECT_EQ(ErrorOf(ParseDisk("path=/x,ops_refill_time=10")),
            "--disk: rate_limiter_config: ops.size=0: must be at least 1: a bucket needs both "
            "size and refill_time (--disk ops_size, ops_refill_time)");
  EXPECT_EQ(ErrorOf(ParseDisk("path=/x,ops_one_time_burst=10")),
            "--disk: rate_limiter_config: ops.size=0: must be at least 1: a bucket needs both "
            "size and refill_time (--disk ops_size, ops_refill_time)");
  EXPECT_NE(
      ErrorOf(ParseDisk("path=/x,bw_refill_time=18446744073710,bw_size=1")).find("refill_time"),
      std::string::npos);
  EXPECT_NE(ErrorOf(ParseDisk("path=/x,bw_size=-1,bw_refill_time=1")).find("bw_size"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf(ParseDisk("path=/x,bw_size=18446744073709551616,bw_refill_time=1")).find("bw_size"),
      std::string::npos);
  // Still refused on --net: no rate limiter there yet.
  EXPECT_NE(ParseNet("bw_size=1000,bw_refill_time=100").error().message().find("not supported"),
            std::string::npos);
}

TEST(NetConfigTest, ChReadmeLineWithEmptyValues) {
  auto n = ParseNet("tap=,mac=,ip=,mask=");
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_EQ(*n, NetConfig{});
}

TEST(NetConfigTest, DefaultsFollowCloudHypervisor) {
  auto n = ParseNet("tap=tap0");
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_EQ(n->tap, "tap0");
  EXPECT_EQ(n->ip, (std::array<uint8_t, 4>{192, 168, 249, 1}));
  EXPECT_EQ(n->mask, (std::array<uint8_t, 4>{255, 255, 255, 0}));
  EXPECT_FALSE(n->mac.has_value());
  EXPECT_EQ(n->num_queues, 2);
  EXPECT_EQ(n->queue_size, 256);
  EXPECT_TRUE(n->offload_tso && n->offload_ufo && n->offload_csum);
}

TEST(NetConfigTest, EveryKey) {
  auto n = ParseNet("ip=10.0.0.1,mask=255.255.0.0,mac=52:54:00:AB:cd:01,host_mac=02:00:00:00:00:02,"
                    "mtu=9000,num_queues=4,queue_size=1024,offload_tso=off,offload_ufo=off,"
                    "offload_csum=on,id=n0");
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_EQ(n->tap, "");
  EXPECT_EQ(n->ip, (std::array<uint8_t, 4>{10, 0, 0, 1}));
  ASSERT_TRUE(n->mac.has_value());
  EXPECT_EQ(net::FormatMac(*n->mac), "52:54:00:ab:cd:01");
  EXPECT_EQ(*n->mtu, 9000);
  EXPECT_EQ(n->num_queues, 4);
  EXPECT_FALSE(n->offload_tso);
}

TEST(NetConfigTest, ClearErrors) {
  auto err = [](std::string_view t) {
    auto r = ParseNet(t);
    return r.ok() ? std::string() : r.error().message();
  };
  EXPECT_NE(err("ip=10.0.0.256").find("IPv4"), std::string::npos);
  EXPECT_NE(err("ip=10.0.0").find("IPv4"), std::string::npos);
  EXPECT_NE(err("mask=a.b.c.d").find("mask"), std::string::npos);
  EXPECT_NE(err("mac=52:54:00:ab:cd").find("mac"), std::string::npos);
  EXPECT_NE(err("mac=01:00:00:00:00:01").find("multicast"), std::string::npos);
  // A control byte in the value is escaped, never echoed raw (found by
  // config_option_parser_fuzz: the MAC parser's own message quoted it).
  const std::string bad_mac = err(std::string_view("mac=64\n1", 8));
  EXPECT_EQ(bad_mac.find('\n'), std::string::npos) << bad_mac;
  EXPECT_NE(bad_mac.find("mac=64\\x0a1"), std::string::npos) << bad_mac;
  EXPECT_NE(err("num_queues=3").find("even"), std::string::npos);
  EXPECT_NE(err("mtu=67").find("mtu"), std::string::npos);
  EXPECT_NE(err("tap=averyveryverylongname").find("15 bytes"), std::string::npos);
  EXPECT_NE(err("offload_csum=off,offload_tso=on").find("offload_csum"), std::string::npos);
  EXPECT_EQ(err("num_queues=514"), "--net: num_queues=514: must be an even number from 2 to 512");
  // Checksum offload off takes the segmentation offloads with it by default.
  auto n = ParseNet("offload_csum=off");
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_FALSE(n->offload_tso || n->offload_ufo);
}

// CH's fd=: caller-opened tap fds, one per rx/tx queue pair.
TEST(NetConfigTest, TapFds) {
  auto n = ParseNet("fd=[3,4],num_queues=4,mac=52:54:00:00:00:01");
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_EQ(n->fds, (std::vector<int>{3, 4}));
  EXPECT_TRUE(n->fd_backed());
  EXPECT_TRUE(n->tap.empty());
  n = ParseNet("fd=[3-5,9],num_queues=8");  // and ranges, as CH's IntegerList
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_EQ(n->fds, (std::vector<int>{3, 4, 5, 9}));
  n = ParseNet("fd=7");  // CH's IntegerList takes a bare number too
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_EQ(n->fds, (std::vector<int>{7}));
  n = ParseNet("tap=");
  ASSERT_TRUE(n.ok());
  EXPECT_FALSE(n->fd_backed());
}

TEST(NetConfigTest, TapFdErrors) {
  auto err = [](std::string_view t) {
    auto r = ParseNet(t);
    return r.ok() ? std::string() : r.error().message();
  };
  // CH: num_queues must be twice the number of fds (its default is 2).
  EXPECT_EQ(err("fd=[3,4]"),
            "--net: fd=[3,4]: 2 fd(s) serve 4 queues, but num_queues=2 (one fd per rx/tx pair)");
  EXPECT_NE(err("fd=[3],num_queues=4").find("num_queues=4"), std::string::npos);
  // CH refuses fds 0..2 (VnetReservedFd).
  EXPECT_NE(err("fd=[2]").find("stdin/stdout/stderr"), std::string::npos);
  EXPECT_NE(err("fd=[0,5],num_queues=4").find("fd 0"), std::string::npos);
  EXPECT_NE(err("fd=[-1]").find("list of fds"), std::string::npos);
  EXPECT_NE(err("fd=[3,x]").find("list of fds"), std::string::npos);
  EXPECT_NE(err("fd=[3,]").find("list of fds"), std::string::npos);
  EXPECT_NE(err("fd=[]").find("list of fds"), std::string::npos);
  EXPECT_NE(err("fd=[2147483648]").find("list of fds"), std::string::npos);
  EXPECT_NE(err("fd=[5-3]").find("list of fds"), std::string::npos);
  EXPECT_NE(err("fd=[3-3]").find("list of fds"), std::string::npos);
  EXPECT_NE(err("fd=[3-4-5]").find("list of fds"), std::string::npos);
  EXPECT_NE(err("fd=[3-2147483647]").find("more than 256 fds"), std::string::npos);
  EXPECT_EQ(err("tap=tap0,fd=[3]"),
            "--net: tap=tap0: give a tap name or tap fds (fd=), not both");
}

TEST(RngConfigTest, DefaultSourceAndErrors) {
  auto r = ParseRng("");
  EXPECT_FALSE(r.ok());  // an empty option string is an error, as for every option
  r = ParseRng("src=/dev/random");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->src, "/dev/random");
  EXPECT_EQ(RngConfig{}.src, "/dev/urandom");
  EXPECT_EQ(ParseRng("src=")->src, "/dev/urandom");  // empty: the default
  EXPECT_TRUE(ParseRng("iommu=on")->iommu);
  EXPECT_FALSE(ParseRng("src=/dev/urandom")->iommu);
  EXPECT_FALSE(ParseRng("size=1").ok());
}

}  // namespace
}  // namespace petrel::config
