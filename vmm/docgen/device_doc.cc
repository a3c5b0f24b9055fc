// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// docs/devices.md's generated part (see the header).
#include "vmm/docgen/device_doc.h"

#include "vmm/config/option_table.h"

namespace petrel::docgen {
namespace {

// A table cell: '|' would end it.
std::string Cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\";
    out += c;
  }
  return out;
}

}  // namespace

std::string DeviceOptionsMarkdown() {
  std::string md;
  for (std::string_view name : kDeviceOptions) {
    const config::OptionDoc& o = config::Option(name);
    md += "\n### `" + std::string(o.name) + "`\n\n" + std::string(o.summary);
    if (o.repeatable) md += " Repeatable.";
    if (!o.fallback.empty()) md += " Default: `" + std::string(o.fallback) + "`.";
    if (!o.example.empty()) {
      md += " Example: `" + std::string(o.name) + " " + std::string(o.example) + "`.";
    }
    md += "\n";
    if (o.keys.empty()) continue;
    md += "\n| key | value | default | meaning |\n|---|---|---|---|\n";
    for (const config::KeyDoc& k : o.keys) {
      // Forms and defaults as code: "<path>" would otherwise read as HTML.
      md += "| `" + std::string(k.key) + "` | " + (k.value.empty() ? "" : "`" + Cell(k.value) + "`") +
            " | " + (k.fallback.empty() ? std::string("-") : "`" + Cell(k.fallback) + "`") + " | " +
            Cell(k.help) +
            (k.refused ? " (Cloud Hypervisor's; refused by Petrel for now)" : "") + " |\n";
    }
  }
  return md;
}

std::optional<std::string> WithDeviceOptions(std::string_view document) {
  const size_t begin = document.find(kDevicesBegin);
  if (begin == std::string_view::npos) return std::nullopt;
  const size_t body = begin + kDevicesBegin.size();
  const size_t end = document.find(kDevicesEnd, body);
  if (end == std::string_view::npos) return std::nullopt;
  return std::string(document.substr(0, body)) + "\n" + DeviceOptionsMarkdown() + "\n" +
         std::string(document.substr(end));
}

}  // namespace petrel::docgen
