// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// --tpm on a whole VmInstance on hv_sim (issue 15, item 5), against a real
// swtpm (skipped, saying so, without the swtpm package): the CRB page at
// 0xFED40000 takes a command the way Linux's tpm_crb writes it and answers
// from swtpm on the TPM's worker thread; the ACPI tables describe it; a
// snapshot carries the TPM (swtpm's state blobs) to a VM on another swtpm,
// where an extended PCR reads the same; a VM whose swtpm is not there is
// not created and the error says what to start.
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

// Runs one command the way tpm_crb does (the locality already requested)
// and returns the response.
std::vector<uint8_t> RunCommand(VmInstance& vm, const std::vector<uint8_t>& command) {
  Write32(vm, Crb(tpm::kCtrlReq), tpm::kCtrlReqCmdReady);
  vm.io().MmioWrite(0, Crb(tpm::kDataBuffer), command);
  Write32(vm, Crb(tpm::kCtrlStart), tpm::kCtrlStartInvoke);
  EXPECT_TRUE(WaitFor([&] { return Read32(vm, Crb(tpm::kCtrlStart)) == 0; }));
  std::vector<uint8_t> header(10);
  vm.io().MmioRead(0, Crb(tpm::kDataBuffer), header);
  std::vector<uint8_t> response(std::min<uint32_t>(LoadBe<uint32_t>(header, 2), 1024));
  vm.io().MmioRead(0, Crb(tpm::kDataBuffer), response);
  return response;
}

// TPM 2.0 Part 3 §22.2 TPM2_PCR_Extend(PCR 16, SHA-256 of 32 bytes 0x5a)
// with an empty password session.
std::vector<uint8_t> ExtendPcr16() {
  const uint8_t head[] = {0x80, 0x02, 0, 0, 0, 65, 0x00, 0x00, 0x01, 0x82, 0, 0, 0, 16,
                          0,    0,    0, 9, 0x40, 0x00, 0x00, 0x09, 0, 0, 0, 0, 0,
                          0,    0,    0, 1, 0x00, 0x0b};
  std::vector<uint8_t> c(65, 0x5a);  // the digest after the head
  std::copy(std::begin(head), std::end(head), c.begin());
  return c;
}

// TPM2_PCR_Read of SHA-256 PCR 16: its value is the response's last 32 bytes.
std::vector<uint8_t> ReadPcr16(VmInstance& vm) {
  const std::vector<uint8_t> r = RunCommand(
      vm, {0x80, 0x01, 0, 0, 0, 20, 0x00, 0x00, 0x01, 0x7e, 0, 0, 0, 1, 0x00, 0x0b, 3, 0, 0, 1});
  if (r.size() < 32 || LoadBe<uint32_t>(r, 6) != 0) return {};
  return {r.end() - 32, r.end()};
}

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
  const std::vector<uint8_t> response =
      RunCommand(vm, {0x80, 0x01, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x01, 0x7b, 0x00, 0x10});
  ASSERT_EQ(response.size(), 28u) << "header, TPM2B size, 16 random bytes";
  EXPECT_EQ(LoadBe<uint32_t>(response, 6), 0u) << "TPM_RC_SUCCESS";
  EXPECT_EQ(Read32(vm, Crb(tpm::kCtrlSts)) & tpm::kCtrlStsError, 0u);
}

TEST_F(VmTpmSimTest, ASnapshotCarriesTheTpmToAVmOnAnotherSwtpm) {
  VmSnapshotState state;
  std::vector<uint8_t> extended;
  {
    PausableVm src(1, true, nullptr, nullptr, {}, 0, WithTpm(swtpm_.socket()));
    ASSERT_TRUE(src.ok()) << src.error()->message();
    Write32(src.vm(), Crb(tpm::kLocCtrl), tpm::kLocCtrlRequestAccess);
    ASSERT_EQ(LoadBe<uint32_t>(RunCommand(src.vm(), ExtendPcr16()), 6), 0u);
    extended = ReadPcr16(src.vm());
    ASSERT_EQ(extended.size(), 32u);
    ASSERT_NE(extended, std::vector<uint8_t>(32, 0));
    src.Start();
    ASSERT_TRUE(src.vm().Pause().ok());
    auto saved = src.vm().SaveSnapshotState();
    ASSERT_TRUE(saved.ok()) << saved.error().message();
    state = std::move(saved).value();
    EXPECT_TRUE(src.vm().Resume().ok()) << "the source runs on";
    EXPECT_EQ(ReadPcr16(src.vm()), extended) << "and so does its TPM";
  }
  ASSERT_TRUE(state.tpm.has_value());
  EXPECT_TRUE(state.tpm->crb.locality_assigned);
  EXPECT_FALSE(state.tpm->swtpm.permanent.empty());

  // Another host's swtpm, fresh: the restored VM's TPM has the PCR.
  tpm::testing::SwtpmProcess other;
  ASSERT_EQ(other.Start(), "");
  PausableVm dst(1, true, &state, testing::CopyOf(PausableVm(1).vm().memory()), {}, 0,
                 WithTpm(other.socket()));
  ASSERT_TRUE(dst.ok()) << dst.error()->message();
  EXPECT_EQ(Read32(dst.vm(), Crb(tpm::kLocSts)), tpm::kLocStsGranted) << "the CRB state came too";
  EXPECT_EQ(ReadPcr16(dst.vm()), extended);

  // A config without --tpm does not take a snapshot with one.
  PausableVm none(1, true, &state, testing::CopyOf(PausableVm(1).vm().memory()));
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error()->message().find("the snapshot has a TPM"), std::string::npos)
      << none.error()->message();
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
