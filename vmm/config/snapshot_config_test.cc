// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for vmm/config/snapshot_config.h: CH's documented snapshot and
// restore requests, verbatim, and every refusal.
#include "vmm/config/snapshot_config.h"

#include <gtest/gtest.h>

namespace petrel::config {
namespace {

TEST(SnapshotConfigTest, ChDocumentedRequestsParse) {
  // docs/snapshot_restore.md in Cloud Hypervisor.
  auto snap = SnapshotConfigFromJson(R"({"destination_url":"file:///home/foo/snapshot"})");
  ASSERT_TRUE(snap.ok()) << snap.error().message();
  EXPECT_EQ(snap->destination_url, "file:///home/foo/snapshot");
  auto cli = ParseRestore("source_url=file:///home/foo/snapshot");
  ASSERT_TRUE(cli.ok()) << cli.error().message();
  EXPECT_EQ(cli->source_url, "file:///home/foo/snapshot");
  EXPECT_FALSE(cli->prefault);
  EXPECT_FALSE(cli->resume);
  EXPECT_EQ(cli->memory_restore_mode, MemoryRestoreMode::kCopy);
  auto all = ParseRestore("source_url=file:///s,prefault=on,memory_restore_mode=ondemand,resume=true");
  ASSERT_TRUE(all.ok()) << all.error().message();
  EXPECT_TRUE(all->prefault);
  EXPECT_TRUE(all->resume);
  EXPECT_EQ(all->memory_restore_mode, MemoryRestoreMode::kOnDemand);
  auto json = RestoreConfigFromJson(
      R"({"source_url":"file:///s","prefault":true,"memory_restore_mode":"OnDemand","resume":true})");
  ASSERT_TRUE(json.ok()) << json.error().message();
  EXPECT_EQ(*json, *all);
  EXPECT_TRUE(RestoreConfigFromJson(R"({"source_url":"file:///s","net_fds":null})").ok());
  EXPECT_EQ(RestoreConfigFromJson(RestoreConfigToJson(*all)).value(), *all);
  EXPECT_EQ(SnapshotConfigFromJson(SnapshotConfigToJson(*snap)).value(), *snap);
}

TEST(SnapshotConfigTest, DirectoryFromUrl) {
  EXPECT_EQ(SnapshotDirectoryFromUrl("file:///var/snap/").value(), "/var/snap");
  EXPECT_EQ(SnapshotDirectoryFromUrl("file:///").value(), "/");
  EXPECT_FALSE(SnapshotDirectoryFromUrl("/var/snap").ok());
  EXPECT_FALSE(SnapshotDirectoryFromUrl("tcp://10.0.0.1/snap").ok());
  EXPECT_FALSE(SnapshotDirectoryFromUrl("file://relative").ok());
  EXPECT_FALSE(SnapshotDirectoryFromUrl("file://").ok());
}

TEST(SnapshotConfigTest, BadRequestsAreRefusedWithTheFieldNamed) {
  struct Case {
    std::string body;
    std::string needle;
  };
  for (const Case& c : std::vector<Case>{
           {"", "not valid JSON"},
           {"[]", "not a JSON object"},
           {"{}", "source_url: missing"},
           {R"({"source_url":5})", "source_url: expected a string"},
           {R"({"source_url":"/x"})", "only file://"},
           {R"({"source_url":"file:///x","prefault":"yes"})", "prefault: expected true or false"},
           {R"({"source_url":"file:///x","memory_restore_mode":"Lazy"})", "memory_restore_mode"},
           {R"({"source_url":"file:///x","vfio_fds":[{"id":"v0"}]})", "vfio_fds: not supported"},
           {R"({"source_url":"file:///x","surce":1})", "unknown field 'surce'"},
       }) {
    auto r = RestoreConfigFromJson(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message().find(c.needle), std::string::npos)
        << c.body << ": " << r.error().message();
  }
  EXPECT_FALSE(SnapshotConfigFromJson("{}").ok());
  EXPECT_FALSE(SnapshotConfigFromJson(R"({"destination_url":"file:///x","x":1})").ok());
  for (const char* text : {"", "prefault=on", "source_url=/x", "source_url=file:///x,prefault=maybe",
                           "source_url=file:///x,memory_restore_mode=lazy",
                           "source_url=file:///x,net_fds=[net0]", "source_url=file:///x,bogus=1"}) {
    auto r = ParseRestore(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().message().rfind("--restore", 0), 0u) << r.error().message();
  }
}

}  // namespace
}  // namespace petrel::config
