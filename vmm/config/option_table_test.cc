// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// OptionTableTest: the option table (option_table.h) says what the parsers
// do. Every key it lists is known to its parser, every key it marks refused
// is refused with "not supported by Petrel yet", every option is in --help,
// the examples parse, and the numeric defaults are the config structs'.
#include "vmm/config/option_table.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "devices/virtio/blk/disk_config.h"
#include "devices/virtio/net/net_config.h"
#include "devices/virtio/rng/rng_config.h"
#include "vmm/config/api_socket.h"
#include "vmm/config/cli.h"
#include "vmm/config/device_config.h"
#include "vmm/config/event_monitor_config.h"
#include "vmm/config/migration_config.h"
#include "vmm/config/snapshot_config.h"
#include "vmm/config/vm_config.h"

namespace petrel::config {
namespace {

// The parser of each option that takes key=value strings: "" when the text
// parses, else the error message.
using ParseFn = std::function<std::string(std::string_view)>;

template <class F>
ParseFn Wrap(F parse) {
  return [parse](std::string_view text) {
    auto r = parse(text);
    return r.ok() ? std::string() : r.error().message();
  };
}

const std::map<std::string, ParseFn>& Parsers() {
  static const auto* parsers = new std::map<std::string, ParseFn>{
      {"--cpus", Wrap(ParseCpus)},
      {"--memory", Wrap([](std::string_view t) { return ParseMemory(t); })},
      {"--memory-zone", Wrap([](std::string_view t) { return ParseMemoryZone(t, MemoryConfig{}); })},
      {"--numa", Wrap(ParseNuma)},
      {"--serial", Wrap(ParseSerial)},
      {"--console", Wrap(ParseConsole)},
      {"--disk", Wrap(ParseDisk)},
      {"--rate-limit-group", Wrap(ParseRateLimitGroup)},
      {"--net", Wrap(ParseNet)},
      {"--rng", Wrap(ParseRng)},
      {"--balloon", Wrap(ParseBalloon)},
      {"--pmem", Wrap(ParsePmem)},
      {"--vsock", Wrap(ParseVsock)},
      {"--tpm", Wrap(ParseTpm)},
      {"--api-socket", Wrap(ParseApiSocket)},
      {"--event-monitor", Wrap(ParseEventMonitor)},
      {"--restore", Wrap(ParseRestore)},
      {"restore", Wrap(ParseRestore)},  // petrel-remote restore: the same string
      {"--landlock-rules", Wrap(ParseLandlockRule)},
      {"send-migration", Wrap(ParseSendMigration)},
      {"receive-migration", Wrap(ParseReceiveMigration)},
  };
  return *parsers;
}

std::vector<const OptionDoc*> AllOptions() {
  std::vector<const OptionDoc*> all;
  for (const OptionDoc& o : PetrelOptions()) all.push_back(&o);
  for (const OptionDoc& o : RemoteArguments()) all.push_back(&o);
  return all;
}

TEST(OptionTableTest, EveryOptionWithKeysHasItsParser) {
  for (const OptionDoc* o : AllOptions()) {
    if (o->keys.empty()) continue;
    EXPECT_TRUE(Parsers().count(std::string(o->name)) != 0) << o->name;
    EXPECT_EQ(&Option(o->name), o);
  }
  EXPECT_TRUE(Option("--no-such-option").keys.empty());
}

TEST(OptionTableTest, EveryListedKeyIsKnownToItsParser) {
  for (const auto& [name, parse] : Parsers()) {
    for (const KeyDoc& k : Option(name).keys) {
      const std::string text = k.value.empty() ? std::string(k.key) : std::string(k.key) + "=1";
      const std::string error = parse(text);
      SCOPED_TRACE(name + " " + text + ": " + error);
      EXPECT_EQ(error.find("unknown key"), std::string::npos);
      EXPECT_EQ(error.find("unknown mode"), std::string::npos);
      if (k.refused) {
        EXPECT_NE(error.find("not supported by Petrel yet"), std::string::npos);
      }
    }
  }
}

TEST(OptionTableTest, AKeyMissingFromTheTableIsUnknown) {
  for (const auto& [name, parse] : Parsers()) {
    // --api-socket takes a bare path too: give it a key first.
    const std::string error = parse(name == "--api-socket" ? "path=/s,no_such_key=1" : "no_such_key=1");
    EXPECT_NE(error.find("unknown"), std::string::npos) << name << ": " << error;
  }
}

TEST(OptionTableTest, TheExamplesParse) {
  for (const auto& [name, parse] : Parsers()) {
    const OptionDoc& o = Option(name);
    ASSERT_FALSE(o.example.empty()) << name;
    EXPECT_EQ(parse(o.example), "") << name << " " << o.example;
  }
}

TEST(OptionTableTest, EveryPetrelOptionIsInTheHelp) {
  const char* argv[] = {"petrel", "--help"};
  const CliOutcome out = ParseCommandLine(2, argv);
  ASSERT_EQ(out.exit_code, 0);
  for (const OptionDoc& o : PetrelOptions()) {
    EXPECT_NE(out.message.find(std::string(o.name)), std::string::npos) << o.name;
    EXPECT_NE(out.message.find(std::string(o.summary).substr(0, 30)), std::string::npos)
        << o.name;
  }
  EXPECT_NE(out.message.find(KeySyntax(Option("--disk"))), std::string::npos);
}

std::string Fallback(std::string_view option, std::string_view key) {
  for (const KeyDoc& k : Option(option).keys)
    if (k.key == key) return std::string(k.fallback);
  return "(no such key)";
}

TEST(OptionTableTest, TheDefaultsAreTheConfigStructs) {
  const virtio::DiskConfig disk;
  EXPECT_EQ(Fallback("--disk", "num_queues"), std::to_string(disk.num_queues));
  EXPECT_EQ(Fallback("--disk", "queue_size"), std::to_string(disk.queue_size));
  EXPECT_EQ(Fallback("--disk", "readonly"), disk.readonly ? "on" : "off");
  EXPECT_EQ(Fallback("--disk", "sparse"), disk.sparse ? "on" : "off");
  EXPECT_EQ(Fallback("--disk", "backing_files"), disk.backing_files ? "on" : "off");
  const virtio::NetConfig net;
  EXPECT_EQ(Fallback("--net", "num_queues"), std::to_string(net.num_queues));
  EXPECT_EQ(Fallback("--net", "queue_size"), std::to_string(net.queue_size));
  EXPECT_EQ(Fallback("--net", "ip"), "192.168.249.1");
  auto ip = ParseNet("tap=t0");
  ASSERT_TRUE(ip.ok());
  EXPECT_EQ(ip->ip, net.ip);
  EXPECT_EQ(Fallback("--memory", "size"), "512M");
  EXPECT_EQ(kDefaultMemorySize, 512ULL << 20);
  EXPECT_EQ(Fallback("--rng", "src"), virtio::RngConfig{}.src);
  EXPECT_EQ(Fallback("--cpus", "boot"), "1");
  EXPECT_EQ(ParseCpus("max=2")->boot_vcpus, 1u);
}

TEST(OptionTableTest, KeySyntaxJoinsModesWithBarsAndKeysWithCommas) {
  EXPECT_EQ(KeySyntax(Option("--serial")), "off|null|tty|pty|file=<path>|socket=<path>");
  EXPECT_EQ(KeySyntax(Option("--landlock-rules")), "path=<file or directory>,access=r|w|rw");
  // Refused keys are not offered.
  EXPECT_EQ(KeySyntax(Option("--disk")).find("vhost_user"), std::string::npos);
}

}  // namespace
}  // namespace petrel::config
