// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for OptionParser: every accepted form and every error kind, and the
// integer, size and boolean conversions.
#include "vmm/config/option_parser.h"

#include <gtest/gtest.h>

namespace petrel::config {
namespace {

OptionParser MemoryParser() {
  return OptionParser("--memory", {"size", "shared", "file"});
}

std::string ParseError(OptionParser& parser, std::string_view text) {
  auto result = parser.Parse(text);
  EXPECT_FALSE(result.ok()) << text;
  return result.ok() ? "" : result.error().message();
}

TEST(OptionParserTest, SingleKey) {
  auto p = MemoryParser();
  ASSERT_TRUE(p.Parse("size=512M").ok());
  EXPECT_TRUE(p.Has("size"));
  EXPECT_EQ(p.Get("size"), "512M");
  EXPECT_FALSE(p.Has("shared"));
  EXPECT_EQ(p.Get("shared"), std::nullopt);
  EXPECT_FALSE(p.Has("nonsense"));
}

TEST(OptionParserTest, SeveralKeysInAnyOrder) {
  auto p = MemoryParser();
  ASSERT_TRUE(p.Parse("shared=on,size=1G,file=/dev/shm/x").ok());
  EXPECT_EQ(p.Get("size"), "1G");
  EXPECT_EQ(p.Get("shared"), "on");
  EXPECT_EQ(p.Get("file"), "/dev/shm/x");
  EXPECT_EQ(p.GivenKeys(), (std::vector<std::string>{"shared", "size", "file"}));
}

TEST(OptionParserTest, ValueKeepsLaterEqualsSigns) {
  OptionParser p("--x", {"cmdline"});
  ASSERT_TRUE(p.Parse("cmdline=console=ttyS0").ok());
  EXPECT_EQ(p.Get("cmdline"), "console=ttyS0");
}

TEST(OptionParserTest, QuotesProtectCommasAndAreRemoved) {
  OptionParser p("--x", {"cmdline", "size"});
  ASSERT_TRUE(p.Parse("cmdline=\"console=ttyS0,9600n8\",size=1").ok());
  EXPECT_EQ(p.Get("cmdline"), "console=ttyS0,9600n8");
  EXPECT_EQ(p.Get("size"), "1");
}

TEST(OptionParserTest, BracketsProtectCommasAndAreKept) {
  OptionParser p("--cpus", {"affinity", "boot"});
  ASSERT_TRUE(p.Parse("affinity=[0@[1,2],1@[3]],boot=2").ok());
  EXPECT_EQ(p.Get("affinity"), "[0@[1,2],1@[3]]");
  EXPECT_EQ(p.Get("boot"), "2");
}

TEST(OptionParserTest, ValuelessKeys) {
  OptionParser p("--serial", {"file"}, {"tty", "off"});
  ASSERT_TRUE(p.Parse("tty").ok());
  EXPECT_TRUE(p.Has("tty"));
  EXPECT_EQ(p.Get("tty"), "");
  EXPECT_FALSE(p.Has("off"));
  EXPECT_EQ(ParseError(p, "tty=1"), "--serial: key 'tty' takes no value");
}

TEST(OptionParserTest, ParseReplacesEarlierResult) {
  auto p = MemoryParser();
  ASSERT_TRUE(p.Parse("size=1G").ok());
  ASSERT_TRUE(p.Parse("shared=on").ok());
  EXPECT_FALSE(p.Has("size"));
  EXPECT_TRUE(p.Has("shared"));
}

TEST(OptionParserTest, FailedParseLeavesNothing) {
  auto p = MemoryParser();
  EXPECT_FALSE(p.Parse("size=1G,bogus=1").ok());
  EXPECT_FALSE(p.Has("size"));
  EXPECT_FALSE(p.Parse("size=1G,shared=[on").ok());  // fails after the last item
  EXPECT_FALSE(p.Has("size"));
  EXPECT_TRUE(p.GivenKeys().empty());
}

// Cloud Hypervisor's option_parser: "key=" leaves the key unset, so the
// default applies (CH's README: --net "tap=,mac=,ip=,mask=").
TEST(OptionParserTest, EmptyValueMeansNotSet) {
  auto p = MemoryParser();
  ASSERT_TRUE(p.Parse("size=,shared=on").ok());
  EXPECT_FALSE(p.Has("size"));
  EXPECT_EQ(p.Get("size"), std::nullopt);
  EXPECT_EQ(*p.GetSize("size"), std::nullopt);
  EXPECT_EQ(p.GivenKeys(), std::vector<std::string>{"shared"});
  EXPECT_EQ(*p.Get("shared"), "on");
  // Still one key: giving it twice is refused even when one is empty.
  EXPECT_EQ(ParseError(p, "size=,size=1G"), "--memory: key 'size' given twice");
}

TEST(OptionParserTest, UnknownKeyListsKnownKeys) {
  auto p = MemoryParser();
  EXPECT_EQ(ParseError(p, "sise=1G"),
            "--memory: unknown key 'sise' (known keys: size, shared, file)");
  OptionParser q("--serial", {"file"}, {"tty"});
  EXPECT_EQ(ParseError(q, "pipe"), "--serial: unknown key 'pipe' (known keys: file, tty)");
}

TEST(OptionParserTest, MissingValue) {
  auto p = MemoryParser();
  EXPECT_EQ(ParseError(p, "size"), "--memory: key 'size' needs a value, like size=<value>");
  EXPECT_EQ(ParseError(p, "shared=on,size"),
            "--memory: key 'size' needs a value, like size=<value>");
}

TEST(OptionParserTest, DuplicateKey) {
  auto p = MemoryParser();
  EXPECT_EQ(ParseError(p, "size=1G,size=2G"), "--memory: key 'size' given twice");
}

TEST(OptionParserTest, EmptyTextAndEmptyItems) {
  auto p = MemoryParser();
  EXPECT_EQ(ParseError(p, ""), "--memory: empty value (expected key=value[,key=value...])");
  EXPECT_EQ(ParseError(p, "size=1G,,shared=on"), "--memory: empty item in 'size=1G,,shared=on'");
  EXPECT_EQ(ParseError(p, "size=1G,"), "--memory: empty item in 'size=1G,'");
  EXPECT_EQ(ParseError(p, ","), "--memory: empty item in ','");
  EXPECT_EQ(ParseError(p, "=1G"), "--memory: unknown key '' (known keys: size, shared, file)");
}

TEST(OptionParserTest, UnbalancedBracketsOrQuotes) {
  OptionParser p("--x", {"a"});
  EXPECT_EQ(ParseError(p, "a=[1,2"), "--x: unbalanced brackets or quotes in 'a=[1,2'");
  EXPECT_EQ(ParseError(p, "a=1]"), "--x: unbalanced brackets or quotes in 'a=1]'");
  EXPECT_EQ(ParseError(p, "a=\"1"), "--x: unbalanced brackets or quotes in 'a=\"1'");
  EXPECT_FALSE(p.Parse("a=[[1]]]").ok());
}

TEST(OptionParserTest, NoWhitespaceTrimming) {
  auto p = MemoryParser();
  EXPECT_EQ(ParseError(p, "size=1G, shared=on"),
            "--memory: unknown key ' shared' (known keys: size, shared, file)");
}

TEST(OptionParserTest, UserTextIsEscapedInMessages) {
  auto p = MemoryParser();
  EXPECT_EQ(ParseError(p, "a\nb=1"),
            "--memory: unknown key 'a\\x0ab' (known keys: size, shared, file)");
  const std::string long_key(500, 'k');
  const std::string message = ParseError(p, long_key + "=1");
  EXPECT_LT(message.size(), 220u);
  EXPECT_NE(message.find("kkk...'"), std::string::npos);
}

TEST(OptionParserTest, GetU64DecimalAndHex) {
  OptionParser p("--x", {"a", "b", "c", "d"});
  ASSERT_TRUE(p.Parse("a=0,b=18446744073709551615,c=0x1F,d=0XfF").ok());
  EXPECT_EQ(*p.GetU64("a"), 0u);
  EXPECT_EQ(*p.GetU64("b"), UINT64_MAX);
  EXPECT_EQ(*p.GetU64("c"), 0x1fu);
  EXPECT_EQ(*p.GetU64("d"), 0xffu);
  ASSERT_TRUE(p.Parse("a=1").ok());
  EXPECT_EQ(*p.GetU64("b"), std::nullopt);
}

TEST(OptionParserTest, GetU64Errors) {
  OptionParser p("--cpus", {"boot"});
  for (const char* bad : {"abc", "-1", "+1", "1.5", "0x", "0xg", " 1", "1K", "18446744073709551616",
                          "0x10000000000000000"}) {
    ASSERT_TRUE(p.Parse(std::string("boot=") + bad).ok()) << bad;
    auto value = p.GetU64("boot");
    ASSERT_FALSE(value.ok()) << bad;
    EXPECT_EQ(value.error().message(),
              std::string("--cpus: boot=") + bad + ": expected an unsigned integer");
  }
}

TEST(OptionParserTest, GetSizeSuffixes) {
  OptionParser p("--memory", {"size"});
  const std::pair<const char*, uint64_t> cases[] = {
      {"4096", 4096},
      {"0", 0},
      {"1K", 1ULL << 10},
      {"1k", 1ULL << 10},
      {"512M", 512ULL << 20},
      {"512m", 512ULL << 20},
      {"2G", 2ULL << 30},
      {"2g", 2ULL << 30},
      {"3T", 3ULL << 40},
      {"3t", 3ULL << 40},
      {"16777215T", 16777215ULL << 40},
  };
  for (const auto& [text, expected] : cases) {
    ASSERT_TRUE(p.Parse(std::string("size=") + text).ok()) << text;
    auto value = p.GetSize("size");
    ASSERT_TRUE(value.ok()) << text;
    EXPECT_EQ(*value, expected) << text;
  }
}

TEST(OptionParserTest, GetSizeErrors) {
  OptionParser p("--memory", {"size"});
  for (const char* bad : {"12Q", "M", "512MiB", "512MB", "1.5G", "-1G", "0x1000", "G1", " 1G"}) {
    ASSERT_TRUE(p.Parse(std::string("size=") + bad).ok()) << bad;
    auto value = p.GetSize("size");
    ASSERT_FALSE(value.ok()) << bad;
    EXPECT_EQ(value.error().message(),
              std::string("--memory: size=") + bad + ": expected a size like 512M");
  }
}

TEST(OptionParserTest, GetSizeOverflow) {
  OptionParser p("--memory", {"size"});
  for (const char* big : {"99999999999T", "16777216T", "17179869184G", "18446744073709551616",
                          "99999999999999999999999999"}) {
    ASSERT_TRUE(p.Parse(std::string("size=") + big).ok()) << big;
    auto value = p.GetSize("size");
    ASSERT_FALSE(value.ok()) << big;
    EXPECT_EQ(value.error().message(),
              std::string("--memory: size=") + big + ": too large (a size must fit in 64 bits)");
  }
  ASSERT_TRUE(p.Parse("size=18446744073709551615").ok());
  EXPECT_EQ(*p.GetSize("size"), UINT64_MAX);
}

TEST(OptionParserTest, GetBool) {
  OptionParser p("--memory", {"shared"});
  const std::pair<const char*, bool> cases[] = {
      {"on", true},   {"true", true},   {"ON", true},   {"True", true},
      {"off", false}, {"false", false}, {"OFF", false}, {"FALSE", false},
  };
  for (const auto& [text, expected] : cases) {
    ASSERT_TRUE(p.Parse(std::string("shared=") + text).ok());
    auto value = p.GetBool("shared");
    ASSERT_TRUE(value.ok()) << text;
    EXPECT_EQ(*value, expected) << text;
  }
  ASSERT_TRUE(p.Parse("shared=yes").ok());
  auto bad = p.GetBool("shared");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "--memory: shared=yes: expected on, off, true or false");
}

TEST(OptionParserTest, GettersOfAbsentKeyReturnNullopt) {
  OptionParser p("--memory", {"size", "shared"});
  ASSERT_TRUE(p.Parse("size=1G").ok());
  EXPECT_EQ(*p.GetBool("shared"), std::nullopt);
  EXPECT_EQ(*p.GetSize("shared"), std::nullopt);
  EXPECT_EQ(*p.GetU64("shared"), std::nullopt);
}

TEST(EscapeForMessageTest, EscapesAndCuts) {
  EXPECT_EQ(EscapeForMessage("plain text"), "plain text");
  EXPECT_EQ(EscapeForMessage(std::string("a\0b\x7f\xff", 5)), "a\\x00b\\x7f\\xff");
  EXPECT_EQ(EscapeForMessage(std::string(121, 'x')), std::string(120, 'x') + "...");
}

// CH's IntegerList, for --numa cpus= and pci_segments= (and fd lists).
TEST(ParseIntegerListTest, ChsIntegerList) {
  EXPECT_EQ(*ParseIntegerList("[0-2,9]", 100, 10), (std::vector<uint64_t>{0, 1, 2, 9}));
  EXPECT_EQ(*ParseIntegerList("7", 100, 10), (std::vector<uint64_t>{7}));
  EXPECT_EQ(*ParseIntegerList("[1,1]", 100, 10), (std::vector<uint64_t>{1, 1}));  // kept
  EXPECT_EQ(ParseIntegerList("[0-10]", 100, 10).error().message(),
            "more than 10 numbers in the list");
  EXPECT_EQ(ParseIntegerList("[0-10]", 100, 10).error().code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(ParseIntegerList("[101]", 100, 10).error().message(), "101 is above 100");
  for (const char* bad : {"", "[]", "[1,]", "[-1]", "[1-]", "[a]", "[1", "[1-2-3]", "[0x1]"}) {
    auto r = ParseIntegerList(bad, 100, 10);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message(), "expected a list of numbers like [0-3,6]") << bad;
  }
}

}  // namespace
}  // namespace petrel::config
