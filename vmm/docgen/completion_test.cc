// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// CompletionTest: the generated scripts are valid bash and zsh, and bash
// completes options, keys after an option and keys after a comma.
#include "vmm/docgen/completion.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace petrel::docgen {
namespace {

class CompletionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/petrel-completion-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override { (void)system(("rm -rf " + dir_).c_str()); }

  std::string WriteScript(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  // Runs `command` in bash; returns its stdout and sets *status.
  static std::string Run(const std::string& command, int* status) {
    FILE* pipe = popen(command.c_str(), "r");
    std::string out;
    char buffer[4096];
    size_t n = 0;
    while (pipe != nullptr && (n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
    *status = pipe != nullptr ? pclose(pipe) : -1;
    return out;
  }

  // What bash's completion offers for the words typed so far.
  std::string Complete(const std::string& script, const std::string& function,
                       const std::string& words) {
    const std::string program = "source " + script + "; COMP_WORDS=(" + words +
                                "); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); " + function +
                                "; printf '%s\\n' \"${COMPREPLY[@]}\"";
    const std::string path = WriteScript("run.sh", program);
    int status = 0;
    std::string out = Run("bash " + path + " 2>&1", &status);
    EXPECT_EQ(status, 0) << out;
    return out;
  }

  std::string dir_;
};

TEST_F(CompletionTest, BashScriptsAreValid) {
  for (const auto& [name, text] : {std::pair{"petrel", PetrelBashCompletion()},
                                   std::pair{"petrel-remote", PetrelRemoteBashCompletion()}}) {
    int status = 0;
    const std::string out = Run("bash -n " + WriteScript(name, text) + " 2>&1", &status);
    EXPECT_EQ(status, 0) << name << ": " << out;
  }
}

TEST_F(CompletionTest, BashCompletesOptionsAndKeys) {
  const std::string script = WriteScript("petrel", PetrelBashCompletion());
  EXPECT_NE(Complete(script, "_petrel", "petrel --di").find("--disk\n"), std::string::npos);
  const std::string keys = Complete(script, "_petrel", "petrel --disk \"\"");
  EXPECT_NE(keys.find("path=\n"), std::string::npos) << keys;
  EXPECT_NE(keys.find("num_queues=\n"), std::string::npos) << keys;
  EXPECT_EQ(keys.find("vhost_user"), std::string::npos) << keys;  // refused keys are not offered
  const std::string after_comma = Complete(script, "_petrel", "petrel --disk path=/x,read");
  EXPECT_EQ(after_comma, "path=/x,readonly=\n");
  EXPECT_NE(Complete(script, "_petrel", "petrel --serial t").find("tty\n"), std::string::npos);
  const std::string remote = WriteScript("petrel-remote", PetrelRemoteBashCompletion());
  EXPECT_NE(Complete(remote, "_petrel_remote", "petrel-remote --api-socket /s sh")
                .find("shutdown-vmm\n"),
            std::string::npos);
  EXPECT_NE(Complete(remote, "_petrel_remote", "petrel-remote restore \"\"").find("source_url="),
            std::string::npos);
}

TEST_F(CompletionTest, ZshScriptsAreValid) {
  if (system("command -v zsh >/dev/null 2>&1") != 0) GTEST_SKIP() << "zsh is not installed";
  for (const auto& [name, text] : {std::pair{"_petrel", PetrelZshCompletion()},
                                   std::pair{"_petrel-remote", PetrelRemoteZshCompletion()}}) {
    int status = 0;
    const std::string out = Run("zsh -n " + WriteScript(name, text) + " 2>&1", &status);
    EXPECT_EQ(status, 0) << name << ": " << out;
    EXPECT_EQ(text.rfind("#compdef ", 0), 0u);
  }
}

}  // namespace
}  // namespace petrel::docgen
