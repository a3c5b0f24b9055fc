// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// OptionParser: the one parser for Cloud Hypervisor style option strings,
// "key=value,key=value" (e.g. --cpus boot=2,max=4, --memory size=1G).
//
// Syntax (follows Cloud Hypervisor's option_parser crate):
//   - items are separated by ','; a ',' inside [...] or "..." does not split,
//     so list values like "affinity=[0@[1,2]]" and quoted values like
//     cmdline="console=ttyS0,115200" stay whole. The double quotes are removed;
//     brackets are kept in the value. Unbalanced brackets or quotes are errors.
//   - an item is "key=value" (split at the first '='), or just "key" for a key
//     declared valueless (the mode words of --serial: "tty", "off", ...).
//   - no whitespace is trimmed: keys and values are taken byte for byte.
//   - "key=" (an empty value) means "not set", as in Cloud Hypervisor: the
//     key counts as given once but Get() returns nullopt, so the default
//     applies. CH's own README runs --net "tap=,mac=,ip=,mask=".
//   - errors: empty text, empty item, unknown key (the message lists the known
//     keys), a value key without '=' ("key"), a valueless key with a value, a
//     key given twice, unbalanced brackets or quotes.
//
// Every error message is one line, "<option>: <what went wrong>", naming the
// option, the key and the value so the CLI can print it as is. User text in a
// message is escaped (non-printable bytes as \xNN) and shortened if very long.
//
// Value conversions (each returns nullopt if the key was not given):
//   GetU64:  decimal, or hex with a 0x/0X prefix. No sign, no spaces.
//   GetSize: decimal digits with an optional binary suffix K, M, G or T
//            (case-insensitive; 1K = 1024). "KiB"/"MB" forms are NOT accepted,
//            as in Cloud Hypervisor, so "512MiB" is an error rather than a guess.
//            Overflow of 64 bits is an error.
//   GetBool: on, off, true, false (case-insensitive, like CH's Toggle).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/field_error.h"  // EscapeForMessage, for the parsers
#include "core/base/result.h"
#include "vmm/config/option_table.h"

namespace petrel::config {

class OptionParser {
 public:
  // `option` is the CLI option name used in messages, e.g. "--memory";
  // `known_keys` are the keys that take a value; `valueless_keys` those that
  // are given alone (e.g. "tty").
  OptionParser(std::string option, std::vector<std::string> known_keys,
               std::vector<std::string> valueless_keys = {});
  // The option's keys from the option table (option_table.h): a key with no
  // value form is valueless; a key marked `refused` is known, but Parse()
  // refuses it with "<option>: <key>=<value>: not supported by Petrel yet".
  explicit OptionParser(const OptionDoc& doc);

  // Parses `text`, replacing the result of any earlier Parse(). After an
  // error no key is set.
  Result<void> Parse(std::string_view text);

  const std::string& option() const { return option_; }

  // True if `key` was given with a value, or is a valueless key that was given.
  bool Has(std::string_view key) const;
  // The raw value; "" for a valueless key that was given; nullopt if absent
  // or given empty ("key=").
  std::optional<std::string> Get(std::string_view key) const;
  // The keys given with a value or valueless, in the order they appeared
  // ("key=" is not among them).
  std::vector<std::string> GivenKeys() const;

  Result<std::optional<uint64_t>> GetU64(std::string_view key) const;
  Result<std::optional<uint64_t>> GetSize(std::string_view key) const;
  Result<std::optional<bool>> GetBool(std::string_view key) const;

  // "<option>: <key>=<value>: <problem>", the one format for value errors;
  // used by the Parse* functions for their range checks too.
  Error ValueError(std::string_view key, std::string_view value, std::string_view problem) const;

 private:
  bool IsValueKey(std::string_view key) const;
  bool IsValuelessKey(std::string_view key) const;
  Result<void> ParseItems(std::string_view text);
  Result<void> AddItem(std::string_view item, std::string_view text);

  std::string option_;
  std::vector<std::string> value_keys_;
  std::vector<std::string> valueless_keys_;
  std::vector<std::string> refused_keys_;
  std::vector<std::pair<std::string, std::string>> given_;  // in order of appearance
};

// Free-standing conversions, shared with the CLI. nullopt = not well formed.
std::optional<uint64_t> ParseU64(std::string_view text);
// A list of numbers as CH's IntegerList writes it: "[0-3,6]", "[3,4]", "5"
// (the brackets may be left out for a single item, as "--numa cpus=0-3"):
// each item decimal, or a range "a-b" with a < b that stands for a..b. Each
// value at most `max_value`, at most `max_length` values in all (kOutOfRange
// when longer, so "[0-4000000000]" is refused before it is expanded).
// Duplicates are kept; the caller decides. Error::message() says what is
// wrong, without the text.
Result<std::vector<uint64_t>> ParseIntegerList(std::string_view text, uint64_t max_value,
                                               size_t max_length);
// A list of fd numbers in that form (each at most INT_MAX, at most
// kMaxFdListLength in all).
inline constexpr size_t kMaxFdListLength = 256;
Result<std::vector<int>> ParseFdList(std::string_view text);
// Error::message() explains: "expected a size like 512M" or "too large ...".
Result<uint64_t> ParseSize(std::string_view text);

}  // namespace petrel::config
