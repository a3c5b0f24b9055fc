// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// --tpm on a whole VmInstance on hv_sim (issue 15, item 5), against a real
// swtpm (skipped, saying so, without the swtpm package): the CRB page at
// 0xFED40000 takes a command the way Linux's tpm_crb writes it and answers
// from swtpm on the TPM's worker thread; the ACPI tables describe it; a
// snapshot is refused with the reason; a VM whose swtpm is not there is not
// created and the error says what to start.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/acpi/tables.h"
#include "core/arch/x86_layout.h"
#include "core/base/bytes.h"
#include "devices/tpm/crb_registers.h"
#include "devices/tpm/testing/swtpm_process.h"
#include "tests/vmm/pausable_vm.h"

namespace petrel::vmm {
namespace {

using testing::PausableVm;
using testing::WaitFor;

constexpr uint64_t Crb(uint64_t offset) { return x86::kTpmCrbStart + offset; }

uint32_t Read32(VmInstance& vm, uint64_t gpa) {
  uint8_t b[4] = {};
  vm.io().MmioRead(0, gpa, b);
  return LoadLe<uint32_t>(b, 0);
}

void Write32(VmInstance& vm, uint64_t gpa, uint32_t value) {
  uint8_t b[4];
  StoreLe<uint32_t>(b, 0, value);
  vm.io().MmioWrite(0, gpa, b);
}

std::function<void(config::VmConfig&)> WithTpm(const std::string& socket) {
  return [socket](config::VmConfig& c) { c.tpm = config::TpmConfig{socket}; };
}

class VmTpmSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = swtpm_.Start();
    if (!why.empty()) GTEST_SKIP() << why;
  }
  tpm::testing::SwtpmProcess swtpm_;
};

TEST_F(VmTpmSimTest, AGuestCommandThroughTheCrbPageIsAnsweredBySwtpm) {
  PausableVm t(1, true, nullptr, nullptr, {}, 0, WithTpm(swtpm_.socket()));
  ASSERT_TRUE(t.ok()) << t.error()->message();
  VmInstance& vm = t.vm();
  // The ACPI area holds a TPM2 table.
  std::vector<uint8_t> acpi(acpi::kAcpiAreaEnd - x86::kEbdaStart);
  ASSERT_TRUE(vm.memory().Read(x86::kEbdaStart, acpi).ok());
  const std::string tpm2 = "TPM2";
  EXPECT_NE(std::search(acpi.begin(), acpi.end(), tpm2.begin(), tpm2.end()), acpi.end());

  // What tpm_crb does: locality, cmdReady, the command, START, poll.
  Write32(vm, Crb(tpm::kLocCtrl), tpm::kLocCtrlRequestAccess);
  EXPECT_EQ(Read32(vm, Crb(tpm::kLocSts)), tpm::kLocStsGranted);
  Write32(vm, Crb(tpm::kCtrlReq), tpm::kCtrlReqCmdReady);
  const std::vector<uint8_t> get_random = {0x80, 0x01, 0x00, 0x00, 0x00, 0x0c,
                                           0x00, 0x00, 0x01, 0x7b, 0x00, 0x10};
  vm.io().MmioWrite(0, Crb(tpm::kDataBuffer), get_random);
  Write32(vm, Crb(tpm::kCtrlStart), tpm::kCtrlStartInvoke);
  ASSERT_TRUE(WaitFor([&] { return Read32(vm, Crb(tpm::kCtrlStart)) == 0; }));
  std::vector<uint8_t> response(28);
  vm.io().MmioRead(0, Crb(tpm::kDataBuffer), response);
  EXPECT_EQ(LoadBe<uint32_t>(response, 2), 28u) << "header, TPM2B size, 16 bytes";
  EXPECT_EQ(LoadBe<uint32_t>(response, 6), 0u) << "TPM_RC_SUCCESS";
  EXPECT_EQ(Read32(vm, Crb(tpm::kCtrlSts)) & tpm::kCtrlStsError, 0u);
}

TEST_F(VmTpmSimTest, ASnapshotIsRefusedAndSaysWhy) {
  PausableVm t(1, true, nullptr, nullptr, {}, 0, WithTpm(swtpm_.socket()));
  ASSERT_TRUE(t.ok()) << t.error()->message();
  t.Start();
  ASSERT_TRUE(t.vm().Pause().ok());
  auto saved = t.vm().SaveSnapshotState();
  ASSERT_FALSE(saved.ok());
  EXPECT_NE(saved.error().message().find("swtpm"), std::string::npos) << saved.error().message();
  EXPECT_TRUE(t.vm().Resume().ok()) << "the VM runs on";
}

TEST(VmTpmSimErrorsTest, WithoutSwtpmTheVmIsNotCreatedAndTheErrorSaysWhatToStart) {
  PausableVm t(1, true, nullptr, nullptr, {}, 0, WithTpm("/nonexistent/petrel-swtpm.sock"));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error()->message().find("--tpm"), std::string::npos) << t.error()->message();
  EXPECT_NE(t.error()->message().find("swtpm socket --tpm2"), std::string::npos)
      << t.error()->message();
}

}  // namespace
}  // namespace petrel::vmm
