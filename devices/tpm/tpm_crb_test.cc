// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// TpmCrb: the registers as Linux's tpm_crb reads them, a command's trip
// through the worker, guest mistakes, and the snapshot state.
#include "devices/tpm/tpm_crb.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/base/bytes.h"
#include "core/base/clock.h"
#include "core/event/deterministic_event_loop.h"
#include "devices/testing/device_state_suite.h"
#include "devices/tpm/testing/fake_tpm_backend.h"

namespace petrel::tpm {
namespace {

constexpr uint64_t kBase = 0xfed4'0000;

uint32_t Read32(TpmCrb& crb, uint64_t offset) {
  uint8_t b[4];
  crb.Read(offset, b);
  return LoadLe<uint32_t>(b, 0);
}

void Write32(TpmCrb& crb, uint64_t offset, uint32_t value) {
  uint8_t b[4];
  StoreLe<uint32_t>(b, 0, value);
  crb.Write(offset, b);
}

// A TPM2_GetRandom(16) command (TPM 2.0 Part 3 §16.1).
std::vector<uint8_t> GetRandom() {
  return {0x80, 0x01, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x01, 0x7b, 0x00, 0x10};
}

void WriteBuffer(TpmCrb& crb, const std::vector<uint8_t>& bytes) {
  // In 4-byte pieces, as memcpy_toio would.
  for (size_t i = 0; i < bytes.size(); i += 4) {
    const size_t n = std::min<size_t>(4, bytes.size() - i);
    crb.Write(kDataBuffer + i, std::span(bytes).subspan(i, n));
  }
}

std::vector<uint8_t> ReadBuffer(TpmCrb& crb, size_t n) {
  std::vector<uint8_t> out(n);
  crb.Read(kDataBuffer, out);
  return out;
}

class TpmCrbTest : public ::testing::Test {
 protected:
  void RequestLocality() { Write32(crb_, kLocCtrl, kLocCtrlRequestAccess); }
  void RunWorker() { ASSERT_TRUE(loop_.RunOnce(0).ok()); }

  VirtualClock clock_;
  DeterministicEventLoop loop_{clock_};
  testing::FakeTpmBackend backend_;
  TpmCrb crb_{kBase, backend_, loop_};
};

TEST_F(TpmCrbTest, TheInterfaceRegistersDescribeACrbAtLocalityZeroWithItsBuffer) {
  const uint32_t id = Read32(crb_, kIntfId);
  EXPECT_EQ(id & 0xf, 1u) << "InterfaceType: CRB active";
  EXPECT_EQ((id >> 4) & 0xf, 1u) << "InterfaceVersion: CRB";
  EXPECT_NE(id & kIntfCapCrb, 0u);
  EXPECT_EQ((id >> 17) & 3, 1u) << "InterfaceSelector: CRB";
  EXPECT_EQ(Read32(crb_, kIntfId2) & 0xffff, kIntfVidIbm);
  EXPECT_EQ(Read32(crb_, kLocState), kLocStateRegValid) << "valid, nothing assigned";
  EXPECT_EQ(Read32(crb_, kCtrlSts), kCtrlStsIdle);
  EXPECT_EQ(Read32(crb_, kCtrlCmdSize), kDataBufferSize);
  EXPECT_EQ(Read32(crb_, kCtrlRspSize), kDataBufferSize);
  EXPECT_EQ(Read32(crb_, kCtrlCmdLaddr), kBase + kDataBuffer);
  EXPECT_EQ(Read32(crb_, kCtrlCmdHaddr), 0u);
  // Linux reads the 64-bit response address in one access.
  uint8_t rsp[8];
  crb_.Read(kCtrlRspAddr, rsp);
  EXPECT_EQ(LoadLe<uint64_t>(rsp, 0), kBase + kDataBuffer);
  // A byte read inside a register.
  uint8_t b;
  crb_.Read(kCtrlCmdLaddr + 2, {&b, 1});
  EXPECT_EQ(b, 0xd4);
}

TEST_F(TpmCrbTest, LocalityZeroIsGrantedOnRequestAndGivenBack) {
  RequestLocality();
  EXPECT_EQ(Read32(crb_, kLocState), kLocStateRegValid | kLocStateAssigned);
  EXPECT_EQ(Read32(crb_, kLocSts), kLocStsGranted);
  Write32(crb_, kLocCtrl, kLocCtrlRelinquish);
  EXPECT_EQ(Read32(crb_, kLocState), kLocStateRegValid);
  EXPECT_EQ(Read32(crb_, kLocSts), 0u);
}

TEST_F(TpmCrbTest, TheEstablishedFlagIsTheBackends) {
  testing::FakeTpmBackend established;
  established.set_established(true);
  TpmCrb crb(kBase, established, loop_);
  EXPECT_NE(Read32(crb, kLocState) & kLocStateEstablished, 0u);
  EXPECT_EQ(Read32(crb_, kLocState) & kLocStateEstablished, 0u);
}

TEST_F(TpmCrbTest, ReadyAndIdleFollowTheRequests) {
  Write32(crb_, kCtrlReq, kCtrlReqCmdReady);
  EXPECT_EQ(Read32(crb_, kCtrlSts), 0u);
  EXPECT_EQ(Read32(crb_, kCtrlReq), 0u) << "granted at once";
  Write32(crb_, kCtrlReq, kCtrlReqGoIdle);
  EXPECT_EQ(Read32(crb_, kCtrlSts), kCtrlStsIdle);
}

TEST_F(TpmCrbTest, ACommandRunsOnTheWorkerAndItsResponseReplacesIt) {
  RequestLocality();
  Write32(crb_, kCtrlReq, kCtrlReqCmdReady);
  WriteBuffer(crb_, GetRandom());
  std::vector<uint8_t> response = {0x80, 0x01, 0, 0, 0, 0x0e, 0, 0, 0, 0, 0xaa, 0xbb, 0xcc, 0xdd};
  backend_.set_response(response);
  Write32(crb_, kCtrlStart, kCtrlStartInvoke);
  // The vCPU did not wait: the command is with the worker.
  EXPECT_EQ(Read32(crb_, kCtrlStart), kCtrlStartInvoke);
  EXPECT_TRUE(backend_.commands().empty());
  RunWorker();
  ASSERT_EQ(backend_.commands().size(), 1u);
  EXPECT_EQ(backend_.commands()[0], GetRandom()) << "the header's size, not the whole buffer";
  EXPECT_EQ(Read32(crb_, kCtrlStart), 0u);
  EXPECT_EQ(ReadBuffer(crb_, response.size()), response);
  EXPECT_EQ(ReadBuffer(crb_, response.size() + 4).back(), 0) << "the rest of the buffer is cleared";
  EXPECT_EQ(Read32(crb_, kCtrlSts) & kCtrlStsError, 0u);
  EXPECT_EQ(crb_.commands_run(), 1u);
}

TEST_F(TpmCrbTest, StartWithoutTheLocalityDoesNothing) {
  WriteBuffer(crb_, GetRandom());
  Write32(crb_, kCtrlStart, kCtrlStartInvoke);
  EXPECT_EQ(Read32(crb_, kCtrlStart), 0u);
  RunWorker();
  EXPECT_TRUE(backend_.commands().empty());
}

TEST_F(TpmCrbTest, ACommandWithABadSizeIsAnsweredByTheDevice) {
  RequestLocality();
  for (uint32_t size : {0u, 9u, static_cast<uint32_t>(kDataBufferSize) + 1, 0xffff'ffffu}) {
    std::vector<uint8_t> cmd = GetRandom();
    StoreBe<uint32_t>(cmd, kTpmHeaderSizeOffset, size);
    WriteBuffer(crb_, cmd);
    Write32(crb_, kCtrlStart, kCtrlStartInvoke);
    EXPECT_EQ(Read32(crb_, kCtrlStart), 0u) << size;
    const std::vector<uint8_t> r = ReadBuffer(crb_, 10);
    EXPECT_EQ(LoadBe<uint32_t>(r, 2), 10u) << size;
    EXPECT_EQ(LoadBe<uint32_t>(r, 6), kTpmRcCommandSize) << size;
  }
  RunWorker();
  EXPECT_TRUE(backend_.commands().empty());
  EXPECT_EQ(crb_.commands_refused(), 4u);
  EXPECT_EQ(Read32(crb_, kCtrlSts) & kCtrlStsError, 0u) << "the guest's mistake, not a TPM failure";
}

TEST_F(TpmCrbTest, WritesToTheBufferWhileACommandRunsAreDropped) {
  RequestLocality();
  WriteBuffer(crb_, GetRandom());
  Write32(crb_, kCtrlStart, kCtrlStartInvoke);
  WriteBuffer(crb_, {0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0});
  Write32(crb_, kCtrlStart, kCtrlStartInvoke);  // a second START while busy
  RunWorker();
  ASSERT_EQ(backend_.commands().size(), 1u);
  EXPECT_EQ(backend_.commands()[0], GetRandom());
  EXPECT_EQ(ReadBuffer(crb_, 4), (std::vector<uint8_t>{0x80, 0x01, 0x00, 0x00}));
}

TEST_F(TpmCrbTest, ABackendFailureIsTheTpmsFatalErrorNotTheVmms) {
  RequestLocality();
  backend_.set_fail(true);
  WriteBuffer(crb_, GetRandom());
  Write32(crb_, kCtrlStart, kCtrlStartInvoke);
  RunWorker();
  EXPECT_EQ(Read32(crb_, kCtrlStart), 0u);
  EXPECT_NE(Read32(crb_, kCtrlSts) & kCtrlStsError, 0u);
  EXPECT_EQ(crb_.commands_refused(), 1u);
  // The device still takes commands; the error stays until a reset.
  backend_.set_fail(false);
  WriteBuffer(crb_, GetRandom());
  Write32(crb_, kCtrlStart, kCtrlStartInvoke);
  RunWorker();
  EXPECT_EQ(crb_.commands_run(), 1u);
  EXPECT_NE(Read32(crb_, kCtrlSts) & kCtrlStsError, 0u);
}

TEST_F(TpmCrbTest, CancelReachesTheBackendOnlyWhileACommandRuns) {
  RequestLocality();
  Write32(crb_, kCtrlCancel, kCtrlCancelInvoke);
  EXPECT_EQ(backend_.cancels(), 0);
  EXPECT_EQ(Read32(crb_, kCtrlCancel), kCtrlCancelInvoke) << "reads back until the guest clears it";
  Write32(crb_, kCtrlCancel, 0);
  WriteBuffer(crb_, GetRandom());
  Write32(crb_, kCtrlStart, kCtrlStartInvoke);
  Write32(crb_, kCtrlCancel, kCtrlCancelInvoke);
  EXPECT_EQ(backend_.cancels(), 1);
  RunWorker();
}

TEST_F(TpmCrbTest, AccessesOutsideRegistersAndPastThePageAreHarmless) {
  RequestLocality();
  const uint8_t junk[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  crb_.Write(kCrbPageSize - 4, junk);           // runs past the page: dropped
  crb_.Write(kCtrlStart + 1, {junk, 1});        // not a register's first byte
  crb_.Write(kCtrlCmdLaddr, {junk, 4});         // read-only
  crb_.Write(0x70, junk);                       // reserved
  EXPECT_EQ(Read32(crb_, kCtrlCmdLaddr), kBase + kDataBuffer);
  EXPECT_EQ(Read32(crb_, kCtrlStart), 0u);
  uint8_t past[8];
  crb_.Read(kCrbPageSize - 4, past);
  EXPECT_EQ(past[7], 0);
  RunWorker();
  EXPECT_TRUE(backend_.commands().empty());
}

TEST_F(TpmCrbTest, WaitIdleIsTrueOnceTheWorkerHasAnswered) {
  EXPECT_TRUE(crb_.WaitIdle(std::chrono::milliseconds(0)));
  RequestLocality();
  WriteBuffer(crb_, GetRandom());
  Write32(crb_, kCtrlStart, kCtrlStartInvoke);
  EXPECT_FALSE(crb_.WaitIdle(std::chrono::milliseconds(10)));
  RunWorker();
  EXPECT_TRUE(crb_.WaitIdle(std::chrono::milliseconds(0)));
}

TEST_F(TpmCrbTest, ACommandRunningAtSaveTimeRunsAgainAfterRestore) {
  RequestLocality();
  WriteBuffer(crb_, GetRandom());
  Write32(crb_, kCtrlStart, kCtrlStartInvoke);
  const TpmCrb::State saved = crb_.Save();
  EXPECT_TRUE(saved.command_pending);
  RunWorker();

  testing::FakeTpmBackend other;
  TpmCrb restored(kBase, other, loop_);
  ASSERT_TRUE(restored.Restore(saved).ok());
  EXPECT_EQ(Read32(restored, kCtrlStart), kCtrlStartInvoke);
  RunWorker();
  ASSERT_EQ(other.commands().size(), 1u);
  EXPECT_EQ(other.commands()[0], GetRandom());
  EXPECT_EQ(Read32(restored, kCtrlStart), 0u);
}

// The shared snapshot suite.
struct TpmCrbTraits {
  using Device = TpmCrb;
  VirtualClock clock;
  DeterministicEventLoop loop{clock};
  testing::FakeTpmBackend backend;
  std::unique_ptr<TpmCrb> Make() { return std::make_unique<TpmCrb>(kBase, backend, loop); }
  void Drive(TpmCrb& d) {
    Write32(d, kLocCtrl, kLocCtrlRequestAccess);
    Write32(d, kCtrlReq, kCtrlReqCmdReady);
    WriteBuffer(d, GetRandom());
    Write32(d, kCtrlStart, kCtrlStartInvoke);
    EXPECT_TRUE(loop.RunOnce(0).ok());
    Write32(d, kCtrlCancel, kCtrlCancelInvoke);
  }
  std::vector<uint8_t> Observe(TpmCrb& d) {
    std::vector<uint8_t> v;
    for (uint64_t reg : {kLocState, kLocSts, kCtrlSts, kCtrlCancel, kCtrlStart}) {
      v.push_back(static_cast<uint8_t>(Read32(d, reg)));
    }
    const std::vector<uint8_t> buffer = ReadBuffer(d, 16);
    v.insert(v.end(), buffer.begin(), buffer.end());
    return v;
  }
  std::vector<TpmCrb::State> Invalid(const TpmCrb::State& good) {
    std::vector<TpmCrb::State> bad(2, good);
    bad[0].data.resize(kDataBufferSize - 1);
    bad[1].data.clear();
    return bad;
  }
};

}  // namespace
}  // namespace petrel::tpm

namespace petrel::testing {
using TpmTraits = ::testing::Types<petrel::tpm::TpmCrbTraits>;
INSTANTIATE_TYPED_TEST_SUITE_P(Tpm, DeviceStateTest, TpmTraits);
}  // namespace petrel::testing
