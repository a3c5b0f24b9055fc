// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for vmm/config/restored_net_fds.h: CH's net_fds in both doors, the
// fds an API request carried attached in order, and the checks against the
// snapshot's config (every fd-backed net gets new fds, counts match).
#include "vmm/config/restored_net_fds.h"

#include <gtest/gtest.h>

#include "vmm/config/snapshot_config.h"

namespace petrel::config {
namespace {

using virtio::kNetStaleFd;

std::string ErrorOf(const Result<void>& r) { return r.ok() ? "" : r.error().message(); }

TEST(RestoredNetFdsTest, CommandLineForm) {
  auto r = ParseRestore("source_url=file:///s,net_fds=[net1@[23,24],net2@[25]]");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->net_fds, (std::vector<RestoredNetFds>{{"net1", {23, 24}}, {"net2", {25}}}));
  r = ParseRestore("source_url=file:///s,net_fds=[net1@7]");  // a bare fd, as CH's Vec<u64>
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->net_fds, (std::vector<RestoredNetFds>{{"net1", {7}}}));
  for (const char* bad : {"net_fds=[net1]", "net_fds=[@[3]]", "net_fds=[net1@[x]]",
                          "net_fds=net1@[3]", "net_fds=[net1@[3],net1@[4]]"}) {
    auto e = ParseRestore(std::string("source_url=file:///s,") + bad);
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_EQ(e.error().message().rfind("--restore: net_fds=", 0), 0u) << e.error().message();
  }
}

// CH's RestoredNetConfig: {"id", "num_fds", "fds"}; fd numbers in a body are
// meaningless (the fds travel as SCM_RIGHTS), so they read as -1.
TEST(RestoredNetFdsTest, JsonFormAndAttachingReceivedFds) {
  auto r = RestoreConfigFromJson(
      R"({"source_url":"file:///s","net_fds":[{"id":"net1","num_fds":2,"fds":[23,24]},)"
      R"({"id":"net2","num_fds":1}]})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->net_fds, (std::vector<RestoredNetFds>{{"net1", {kNetStaleFd, kNetStaleFd}},
                                                     {"net2", {kNetStaleFd}}}));
  EXPECT_EQ(ErrorOf(AttachReceivedFds(r->net_fds, std::vector<int>{40, 41})),
            "net_fds want 3 fds, the request carried 2");
  EXPECT_EQ(r->net_fds[0].fds[0], kNetStaleFd);  // a refusal changes nothing
  ASSERT_EQ(ErrorOf(AttachReceivedFds(r->net_fds, std::vector<int>{40, 41, 42})), "");
  EXPECT_EQ(r->net_fds, (std::vector<RestoredNetFds>{{"net1", {40, 41}}, {"net2", {42}}}));
  // What petrel-remote sends: ids and counts, the fds beside the body.
  auto back = RestoreConfigFromJson(RestoreConfigToJson(*r));
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->net_fds, (std::vector<RestoredNetFds>{{"net1", {kNetStaleFd, kNetStaleFd}},
                                                        {"net2", {kNetStaleFd}}}));
  for (const char* bad : {
           R"({"source_url":"file:///s","net_fds":{}})",
           R"({"source_url":"file:///s","net_fds":[{"num_fds":1}]})",
           R"({"source_url":"file:///s","net_fds":[{"id":"n","num_fds":1,"fds":[3,4]}]})",
           R"({"source_url":"file:///s","net_fds":[{"id":"n","num_fds":-1}]})",
           R"({"source_url":"file:///s","net_fds":[{"id":"n","num_fds":1,"x":1}]})",
           R"({"source_url":"file:///s","net_fds":[{"id":"n","num_fds":1},{"id":"n","num_fds":1}]})",
       }) {
    auto e = RestoreConfigFromJson(bad);
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_EQ(e.error().message().rfind("net_fds", 0), 0u) << e.error().message();
  }
}

VmConfig SnapshotConfigWithNets() {
  VmConfig config;
  config.nets.push_back({.tap = "tap7", .id = "_net0"});
  config.nets.push_back({.num_queues = 4, .id = "net1", .fds = std::vector<int>{-1, -1}});
  return config;
}

TEST(RestoredNetFdsTest, AppliedToTheSnapshotsFdBackedNets) {
  VmConfig config = SnapshotConfigWithNets();
  ASSERT_EQ(ErrorOf(ApplyRestoredNetFds({{"net1", {23, 24}}}, config)), "");
  EXPECT_EQ(config.nets[1].fds, (std::vector<int>{23, 24}));
  EXPECT_FALSE(config.nets[0].fds);  // a tap by name is reopened by name
}

TEST(RestoredNetFdsTest, RefusalsChangeNothing) {
  struct Case {
    std::vector<RestoredNetFds> given;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {{}, "net_fds: net 'net1' was backed by tap fds; give it new ones "
                "(net_fds=[net1@[<fd>,...]])"},
           {{{"net1", {23}}}, "net_fds: net1: 1 fd(s) given, the snapshot's net has 2"},
           {{{"net1", {23, 24}}, {"net9", {25}}}, "net_fds: net9: no such net in the snapshot"},
           {{{"net1", {23, 24}}, {"_net0", {25}}},
            "net_fds: _net0: not backed by tap fds in the snapshot (tap tap7 is reopened by "
            "name)"},
           {{{"net1", {2, 24}}}, "net_fds: net1: fd=[2,24]: fd 2 is stdin/stdout/stderr, not a tap"},
       }) {
    VmConfig config = SnapshotConfigWithNets();
    EXPECT_EQ(ErrorOf(ApplyRestoredNetFds(c.given, config)), c.error);
    EXPECT_EQ(config, SnapshotConfigWithNets());
  }
}

}  // namespace
}  // namespace petrel::config
