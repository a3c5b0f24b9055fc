// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ManPageTest: the pages list every option, key and command of the tables,
// and groff renders them without a warning.
#include "vmm/docgen/man_page.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "vmm/api/remote_cli.h"
#include "vmm/build_info.h"
#include "vmm/config/option_table.h"

namespace petrel::docgen {
namespace {

TEST(ManPageTest, RoffEscapeKeepsTextLiteral) {
  EXPECT_EQ(RoffEscape("--disk"), "\\-\\-disk");
  EXPECT_EQ(RoffEscape("a\\b"), "a\\eb");
  EXPECT_EQ(RoffEscape(".TH"), "\\&.TH");
  EXPECT_EQ(RoffEscape("'x"), "\\&'x");
  EXPECT_EQ(RoffEscape("one\n.two"), "one\n\\&.two");
  EXPECT_EQ(RoffEscape("a:b"), "a:\\:b");
}

TEST(ManPageTest, PetrelPageListsEveryOptionKeyAndDefault) {
  const std::string page = PetrelManPage("v9.9.9");
  EXPECT_EQ(page.find(".TH PETREL 1"), page.find(".TH"));
  EXPECT_NE(page.find("v9.9.9"), std::string::npos);
  for (const config::OptionDoc& o : config::PetrelOptions()) {
    EXPECT_NE(page.find("\\fB" + RoffEscape(o.name) + "\\fR"), std::string::npos) << o.name;
    if (!o.example.empty()) {
      EXPECT_NE(page.find(RoffEscape(o.example)), std::string::npos) << o.name;
    }
    for (const config::KeyDoc& k : o.keys) {
      EXPECT_NE(page.find("\\fB" + RoffEscape(k.key) + "\\fR"), std::string::npos)
          << o.name << " " << k.key;
      if (!k.fallback.empty()) {
        EXPECT_NE(page.find("Default: " + RoffEscape(k.fallback)), std::string::npos) << k.key;
      }
    }
  }
  for (const char* section : {".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS",
                              ".SH EXIT STATUS", ".SH EXAMPLES", ".SH SEE ALSO"}) {
    EXPECT_NE(page.find(section), std::string::npos) << section;
  }
}

TEST(ManPageTest, RemotePageListsEveryCommandAndItsKeys) {
  const std::string page = PetrelRemoteManPage("v9.9.9");
  for (const api::RemoteCommand& c : api::RemoteCommands()) {
    EXPECT_NE(page.find(".TP\n\\fB" + RoffEscape(c.name) + "\\fR"), std::string::npos) << c.name;
    EXPECT_NE(page.find("/api/v1/" + RoffEscape(c.endpoint)), std::string::npos) << c.name;
  }
  for (const config::OptionDoc& o : config::RemoteArguments()) {
    for (const config::KeyDoc& k : o.keys) {
      EXPECT_NE(page.find("\\fB" + RoffEscape(k.key) + "\\fR"), std::string::npos) << k.key;
    }
  }
}

// groff with every warning enabled: the pages are well-formed man(7). The
// text comes out plain (-P-cbou: no overstriking for bold).
std::string RenderWithGroff(const std::string& page, int* status) {
  char path[] = "/tmp/petrel-man-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return "mkstemp failed";
  close(fd);
  std::ofstream(path) << page;
  const std::string command = "groff -man -Tascii -ww -P-cbou " + std::string(path) + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  char buffer[4096];
  size_t n = 0;
  while (pipe != nullptr && (n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  *status = pipe != nullptr ? pclose(pipe) : -1;
  unlink(path);
  return out;
}

TEST(ManPageTest, GroffRendersBothPagesWithoutWarnings) {
  if (system("command -v groff >/dev/null 2>&1") != 0) GTEST_SKIP() << "groff is not installed";
  for (const std::string& page : {PetrelManPage("v1"), PetrelRemoteManPage("v1")}) {
    int status = 0;
    const std::string text = RenderWithGroff(page, &status);
    EXPECT_EQ(status, 0) << text;
    EXPECT_EQ(text.find("warning"), std::string::npos) << text.substr(0, 2000);
  }
  int status = 0;
  const std::string text = RenderWithGroff(PetrelManPage("v1"), &status);
  // What a reader sees: plain ASCII options and keys.
  for (const char* literal : {"--kernel", "--disk", "path=<file>", "Default: 512M",
                              "petrel --api-socket path=/tmp/petrel.sock &"}) {
    EXPECT_NE(text.find(literal), std::string::npos) << literal << "\n" << text.substr(0, 3000);
  }
}

}  // namespace
}  // namespace petrel::docgen
