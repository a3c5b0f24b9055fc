// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// docs/devices.md's generated part is the option table's rendering: a key,
// form or default changed in vmm/config/option_table.cc without
// `petrel-docgen --devices-md docs/devices.md` fails here.
#include "vmm/docgen/device_doc.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

namespace petrel::docgen {
namespace {

TEST(DeviceDocTest, DocsDevicesMdIsTheOptionTablesRendering) {
  std::ifstream in(PETREL_DEVICES_MD, std::ios::binary);
  ASSERT_TRUE(in.good()) << PETREL_DEVICES_MD;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto expected = WithDeviceOptions(text);
  ASSERT_TRUE(expected.has_value()) << "docs/devices.md lost its generated-part markers";
  EXPECT_TRUE(*expected == text)
      << "docs/devices.md is stale: run build/vmm/docgen/petrel-docgen --devices-md docs/devices.md";
}

TEST(DeviceDocTest, EveryDeviceOptionHasItsKeysAndDefaults) {
  const std::string md = DeviceOptionsMarkdown();
  for (std::string_view name : kDeviceOptions) {
    EXPECT_NE(md.find("### `" + std::string(name) + "`"), std::string::npos) << name;
  }
  EXPECT_NE(md.find("| `discard_writes` | `on\\|off` | `off` |"), std::string::npos);
  EXPECT_NE(md.find("| `num_queues` |"), std::string::npos);
  EXPECT_EQ(WithDeviceOptions("no markers"), std::nullopt);
}

}  // namespace
}  // namespace petrel::docgen
