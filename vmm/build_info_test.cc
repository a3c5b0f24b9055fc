// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// BuildInfoTest: the version strings and the drop-in names.
#include "vmm/build_info.h"

#include <gtest/gtest.h>

#include <regex>

namespace petrel::build_info {
namespace {

TEST(BuildInfoTest, TheBuildVersionStartsWithTheProjectVersion) {
  EXPECT_TRUE(std::regex_match(std::string(Version()), std::regex(R"(\d+\.\d+\.\d+)")));
  EXPECT_EQ(BuildVersion().substr(0, 1 + Version().size()), "v" + std::string(Version()));
}

TEST(BuildInfoTest, PetrelNamesAnswerWithTheBuildVersion) {
  const ProgramName p = IdentifyProgram("/usr/bin/petrel", "petrel", "cloud-hypervisor");
  EXPECT_FALSE(p.cloud_hypervisor);
  EXPECT_EQ(p.VersionText(), "petrel " + std::string(BuildVersion()));
  EXPECT_EQ(p.UsageErrorStatus(), 1);
  // Any other name (a renamed copy, a relative path) is petrel.
  EXPECT_EQ(IdentifyProgram("./petrel-dev", "petrel", "cloud-hypervisor").name, "petrel");
  EXPECT_EQ(IdentifyProgram(nullptr, "petrel-remote", "ch-remote").name, "petrel-remote");
}

TEST(BuildInfoTest, CloudHypervisorNamesAnswerInItsFormat) {
  const ProgramName ch = IdentifyProgram("/usr/bin/cloud-hypervisor", "petrel", "cloud-hypervisor");
  EXPECT_TRUE(ch.cloud_hypervisor);
  EXPECT_EQ(ch.UsageErrorStatus(), 2);
  const std::string text = ch.VersionText("0");
  EXPECT_EQ(text, "cloud-hypervisor " + std::string(kCloudHypervisorVersion) + " (petrel " +
                      std::string(BuildVersion()) + ")\nMigration Protocol Versions: 0");
  // What libvirt's ch driver does: skip "cloud-hypervisor v", read
  // <major>.<minor>.<micro> and stop at the first other character.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(text, m, std::regex(R"(^cloud-hypervisor v(\d+)\.(\d+)\.(\d+)\D)")));
  EXPECT_GE(std::stoi(m[1]), 15);  // libvirt's minimum is v15.0
  EXPECT_TRUE(IdentifyProgram("ch-remote", "petrel-remote", "ch-remote").cloud_hypervisor);
}

}  // namespace
}  // namespace petrel::build_info
