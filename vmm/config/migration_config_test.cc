// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// vm.send-migration and vm.receive-migration bodies: CH's documented
// requests parse with CH's defaults; what Petrel does not do yet (several
// connections, post-copy, TLS) and every bad value get a one-line error.
#include "vmm/config/migration_config.h"

#include <gtest/gtest.h>

namespace petrel::config {
namespace {

void ExpectInvalid(const Result<SendMigrationConfig>& r, std::string_view text) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find(text), std::string::npos) << r.error().message();
}

TEST(MigrationConfig, SendTakesCloudHypervisorsBodiesWithItsDefaults) {
  // ch-remote send-migration unix:/tmp/sock
  auto plain = SendMigrationConfigFromJson(R"({"destination_url":"unix:/tmp/sock","local":false})");
  ASSERT_TRUE(plain.ok()) << plain.error().message();
  EXPECT_EQ(plain->destination_url, "unix:/tmp/sock");
  EXPECT_FALSE(plain->local);
  EXPECT_EQ(plain->downtime.count(), 300);
  EXPECT_EQ(plain->timeout.count(), 3600);
  EXPECT_EQ(plain->timeout_strategy, MigrationTimeoutStrategy::kCancel);

  auto full = SendMigrationConfigFromJson(
      R"({"destination_url":"tcp:127.0.0.1:6000","downtime_ms":50,"timeout_s":10,)"
      R"("timeout_strategy":"Ignore","connections":1,"memory_mode":"Precopy"})");
  ASSERT_TRUE(full.ok()) << full.error().message();
  EXPECT_EQ(full->downtime.count(), 50);
  EXPECT_EQ(full->timeout.count(), 10);
  EXPECT_EQ(full->timeout_strategy, MigrationTimeoutStrategy::kIgnore);

  auto local = SendMigrationConfigFromJson(R"({"destination_url":"unix:/s","local":true})");
  ASSERT_TRUE(local.ok());
  EXPECT_TRUE(local->local);
  // What petrel-remote sends reads back the same.
  EXPECT_EQ(SendMigrationConfigFromJson(SendMigrationConfigToJson(*full)).value(), *full);
}

TEST(MigrationConfig, SendRefusesBadValuesAndWhatPetrelDoesNotDo) {
  ExpectInvalid(SendMigrationConfigFromJson("{}"), "destination_url: missing");
  ExpectInvalid(SendMigrationConfigFromJson(R"({"destination_url":"file:///x"})"), "destination_url");
  ExpectInvalid(SendMigrationConfigFromJson(R"({"destination_url":"tcp:h"})"), "destination_url");
  ExpectInvalid(SendMigrationConfigFromJson(R"({"destination_url":"unix:/s","downtime_ms":0})"),
                "downtime_ms");
  ExpectInvalid(SendMigrationConfigFromJson(R"({"destination_url":"unix:/s","timeout_s":-1})"),
                "timeout_s");
  ExpectInvalid(SendMigrationConfigFromJson(R"({"destination_url":"unix:/s","timeout_s":"9"})"),
                "timeout_s: expected a whole number");
  ExpectInvalid(
      SendMigrationConfigFromJson(R"({"destination_url":"unix:/s","timeout_strategy":"Later"})"),
      "timeout_strategy");
  ExpectInvalid(SendMigrationConfigFromJson(R"({"destination_url":"unix:/s","connections":4})"),
                "one connection");
  ExpectInvalid(SendMigrationConfigFromJson(R"({"destination_url":"unix:/s","connections":129})"),
                "connections");
  ExpectInvalid(
      SendMigrationConfigFromJson(R"({"destination_url":"unix:/s","memory_mode":"Postcopy"})"),
      "Postcopy is not supported");
  ExpectInvalid(SendMigrationConfigFromJson(R"({"destination_url":"unix:/s","tls_dir":"/t"})"),
                "tls_dir: not supported");
  ExpectInvalid(SendMigrationConfigFromJson(R"({"destination_url":"tcp:h:1","local":true})"),
                "local");
  ExpectInvalid(SendMigrationConfigFromJson(R"({"destination_url":"unix:/s","bogus":1})"),
                "unknown field 'bogus'");
  ExpectInvalid(SendMigrationConfigFromJson("[1]"), "not a JSON object");
}

TEST(MigrationConfig, ChRemoteOptionStringsAsItsDocsWriteThem) {
  // CH's docs/live_migration.md, verbatim.
  auto local = ParseSendMigration("destination_url=unix:/tmp/sock,local=on");
  ASSERT_TRUE(local.ok()) << local.error().message();
  EXPECT_EQ(local->destination_url, "unix:/tmp/sock");
  EXPECT_TRUE(local->local);
  auto tcp = ParseSendMigration(
      "destination_url=tcp:192.168.1.2:6000,downtime_ms=200,timeout_s=3600,timeout_strategy=cancel");
  ASSERT_TRUE(tcp.ok()) << tcp.error().message();
  EXPECT_EQ(tcp->downtime.count(), 200);
  EXPECT_EQ(tcp->timeout_strategy, MigrationTimeoutStrategy::kCancel);
  auto ignore = ParseSendMigration("destination_url=unix:/s,timeout_strategy=ignore,preserve_source=on");
  ASSERT_TRUE(ignore.ok()) << ignore.error().message();
  EXPECT_EQ(ignore->timeout_strategy, MigrationTimeoutStrategy::kIgnore);
  EXPECT_TRUE(ignore->preserve_source);
  auto receive = ParseReceiveMigration("receiver_url=tcp:0.0.0.0:6000");
  ASSERT_TRUE(receive.ok()) << receive.error().message();
  EXPECT_EQ(receive->receiver_url, "tcp:0.0.0.0:6000");
  // Older ch-remote: the bare URL.
  EXPECT_EQ(ParseSendMigration("unix:/tmp/sock")->destination_url, "unix:/tmp/sock");
  EXPECT_EQ(ParseReceiveMigration("unix:/tmp/sock")->receiver_url, "unix:/tmp/sock");

  auto bad = ParseSendMigration("destination_url=unix:/s,downtime_ms=soon");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("downtime_ms"), std::string::npos) << bad.error().message();
  auto zero = ParseSendMigration("destination_url=unix:/s,timeout_s=0");
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.error().message().find("send-migration: timeout_s"), std::string::npos)
      << zero.error().message();
  EXPECT_FALSE(ParseSendMigration("local=on").ok());  // no URL
  EXPECT_FALSE(ParseSendMigration("destination_url=unix:/s,colour=red").ok());
  EXPECT_FALSE(ParseReceiveMigration("receiver_url=unix:/s,zone_updates=[a@0]").ok());
}

TEST(MigrationConfig, Receive) {
  auto r = ReceiveMigrationConfigFromJson(R"({"receiver_url":"unix:/tmp/sock"})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->receiver_url, "unix:/tmp/sock");
  EXPECT_EQ(ReceiveMigrationConfigFromJson(ReceiveMigrationConfigToJson(*r)).value(), *r);
  EXPECT_FALSE(ReceiveMigrationConfigFromJson("{}").ok());
  EXPECT_FALSE(ReceiveMigrationConfigFromJson(R"({"receiver_url":"tcp:[::1"})").ok());
  EXPECT_FALSE(ReceiveMigrationConfigFromJson(R"({"receiver_url":"unix:/s","zone_updates":[]})").ok());
  EXPECT_FALSE(
      ReceiveMigrationConfigFromJson(R"({"receiver_url":"unix:/s","memory_mode":"Postcopy"})").ok());
}

}  // namespace
}  // namespace petrel::config
