// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SwtpmBackend against a real swtpm (skipped, saying so, without it) and
// against sockets that misbehave.
#include "devices/tpm/swtpm_backend.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/unique_fd.h"
#include "devices/tpm/crb_registers.h"
#include "devices/tpm/testing/swtpm_process.h"

namespace petrel::tpm {
namespace {

// TPM 2.0 Part 3 §16.1 TPM2_GetRandom(16).
std::vector<uint8_t> GetRandom() {
  return {0x80, 0x01, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x01, 0x7b, 0x00, 0x10};
}

// TPM 2.0 Part 3 §22.4 TPM2_PCR_Read of one SHA-256 PCR.
std::vector<uint8_t> PcrRead(int pcr) {
  std::vector<uint8_t> c = {0x80, 0x01, 0, 0, 0, 20, 0x00, 0x00, 0x01, 0x7e,
                            0, 0, 0, 1,          // one selection
                            0x00, 0x0b,          // TPM_ALG_SHA256
                            3, 0, 0, 0};         // sizeofSelect, the bitmap
  c[17 + pcr / 8] = static_cast<uint8_t>(1 << (pcr % 8));
  return c;
}

// TPM 2.0 Part 3 §22.2 TPM2_PCR_Extend with an empty password session.
std::vector<uint8_t> PcrExtend(int pcr, uint8_t fill) {
  const uint8_t head[] = {0x80, 0x02, 0, 0, 0, 65, 0x00, 0x00, 0x01, 0x82,
                          0, 0, 0, static_cast<uint8_t>(pcr),
                          0, 0, 0, 9,                 // authorizationSize
                          0x40, 0x00, 0x00, 0x09,     // TPM_RS_PW
                          0, 0, 0, 0, 0,              // nonce, attributes, hmac
                          0, 0, 0, 1, 0x00, 0x0b};    // one SHA-256 digest
  std::vector<uint8_t> c(65, fill);                   // the digest after the head
  std::copy(std::begin(head), std::end(head), c.begin());
  return c;
}

struct Response {
  uint32_t rc = 0xffffffff;
  std::vector<uint8_t> bytes;
};

Response Execute(SwtpmBackend& b, const std::vector<uint8_t>& command) {
  std::vector<uint8_t> buffer(kDataBufferSize);
  std::copy(command.begin(), command.end(), buffer.begin());
  Result<size_t> n = b.Execute(buffer, command.size());
  EXPECT_TRUE(n.ok()) << (n.ok() ? "" : n.error().message());
  if (!n.ok()) return {};
  buffer.resize(*n);
  return {LoadBe<uint32_t>(buffer, 6), buffer};
}

// The PCR's 32 bytes at the end of a PCR_Read response.
std::vector<uint8_t> PcrValue(SwtpmBackend& b, int pcr) {
  const Response r = Execute(b, PcrRead(pcr));
  EXPECT_EQ(r.rc, 0u);
  if (r.bytes.size() < 32) return {};
  return {r.bytes.end() - 32, r.bytes.end()};
}

class SwtpmBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = swtpm_.Start();
    if (!why.empty()) GTEST_SKIP() << why;
  }
  testing::SwtpmProcess swtpm_;
};

TEST_F(SwtpmBackendTest, ConnectStartsTheTpmAndCommandsGetAnswers) {
  auto b = SwtpmBackend::Connect(swtpm_.socket());
  ASSERT_TRUE(b.ok()) << b.error().message();
  EXPECT_EQ((*b)->buffer_size(), kDataBufferSize);
  EXPECT_EQ((*b)->capabilities() & kSwtpmRequiredCaps, kSwtpmRequiredCaps);
  const Response r = Execute(**b, GetRandom());
  EXPECT_EQ(r.rc, 0u);
  ASSERT_EQ(r.bytes.size(), 10u + 2 + 16) << "header, TPM2B size, 16 random bytes";
  EXPECT_EQ(LoadBe<uint16_t>(r.bytes, 10), 16);
  EXPECT_EQ(PcrValue(**b, 0), std::vector<uint8_t>(32, 0)) << "PCR 0 after Startup(CLEAR)";
}

TEST_F(SwtpmBackendTest, AnExtendChangesThePcrAndANewConnectionIsAPlatformReset) {
  {
    auto b = SwtpmBackend::Connect(swtpm_.socket());
    ASSERT_TRUE(b.ok()) << b.error().message();
    EXPECT_EQ(Execute(**b, PcrExtend(16, 0xab)).rc, 0u);
    EXPECT_NE(PcrValue(**b, 16), std::vector<uint8_t>(32, 0));
  }
  // The VM reset path: a new backend on the same swtpm.
  auto again = SwtpmBackend::Connect(swtpm_.socket());
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(PcrValue(**again, 16), std::vector<uint8_t>(32, 0));
}

TEST_F(SwtpmBackendTest, ASavedStateCarriesThePcrsToAnotherSwtpmAndTheSourceGoesOn) {
  auto source = SwtpmBackend::Connect(swtpm_.socket());
  ASSERT_TRUE(source.ok()) << source.error().message();
  ASSERT_EQ(Execute(**source, PcrExtend(16, 0x5a)).rc, 0u);
  const std::vector<uint8_t> extended = PcrValue(**source, 16);
  auto state = (*source)->SaveState();
  ASSERT_TRUE(state.ok()) << state.error().message();
  EXPECT_FALSE(state->permanent.empty());
  EXPECT_FALSE(state->volatile_state.empty());
  // The source TPM runs on after the save.
  EXPECT_EQ(PcrValue(**source, 16), extended);
  EXPECT_EQ(Execute(**source, GetRandom()).rc, 0u);

  // Another swtpm (the restoring host's), fresh.
  testing::SwtpmProcess other;
  ASSERT_EQ(other.Start(), "");
  auto restored = SwtpmBackend::Connect(other.socket(), {}, &*state);
  ASSERT_TRUE(restored.ok()) << restored.error().message();
  EXPECT_EQ(PcrValue(**restored, 16), extended) << "the PCR came along, not reset";
  EXPECT_EQ(Execute(**restored, GetRandom()).rc, 0u) << "started: no TPM_RC_INITIALIZE";
  // A fresh start of that swtpm, for contrast, resets it.
  restored->reset();
  auto fresh = SwtpmBackend::Connect(other.socket());
  ASSERT_TRUE(fresh.ok()) << fresh.error().message();
  EXPECT_EQ(PcrValue(**fresh, 16), std::vector<uint8_t>(32, 0));
}

TEST_F(SwtpmBackendTest, ADamagedStateIsRefusedNotLoaded) {
  auto source = SwtpmBackend::Connect(swtpm_.socket());
  ASSERT_TRUE(source.ok()) << source.error().message();
  auto state = (*source)->SaveState();
  ASSERT_TRUE(state.ok()) << state.error().message();
  SwtpmState damaged = *state;
  damaged.permanent.resize(damaged.permanent.size() / 2);
  testing::SwtpmProcess other;
  ASSERT_EQ(other.Start(), "");
  auto restored = SwtpmBackend::Connect(other.socket(), {}, &damaged);
  ASSERT_FALSE(restored.ok());
  EXPECT_NE(restored.error().message().find("restoring swtpm's state"), std::string::npos)
      << restored.error().message();
}

TEST_F(SwtpmBackendTest, ACancelWithNothingRunningDoesNotDisturbTheNextCommand) {
  auto b = SwtpmBackend::Connect(swtpm_.socket());
  ASSERT_TRUE(b.ok()) << b.error().message();
  (*b)->Cancel();
  EXPECT_EQ(Execute(**b, GetRandom()).rc, 0u);
  EXPECT_EQ(Execute(**b, GetRandom()).rc, 0u);
}

TEST_F(SwtpmBackendTest, ACommandBiggerThanSwtpmTakesIsAnsweredWithoutIt) {
  SwtpmBackend::Options o;
  o.buffer_size = 1024;
  auto b = SwtpmBackend::Connect(swtpm_.socket(), o);
  ASSERT_TRUE(b.ok()) << b.error().message();
  std::vector<uint8_t> big = GetRandom();
  big.resize(2000);
  StoreBe<uint32_t>(big, kTpmHeaderSizeOffset, 2000);
  EXPECT_EQ(Execute(**b, big).rc, 0x142u) << "TPM_RC_COMMAND_SIZE";
  EXPECT_EQ(Execute(**b, GetRandom()).rc, 0u) << "the stream to swtpm is still in step";
}

TEST_F(SwtpmBackendTest, ADeadSwtpmIsAnErrorNotAHang) {
  auto b = SwtpmBackend::Connect(swtpm_.socket());
  ASSERT_TRUE(b.ok()) << b.error().message();
  swtpm_.Kill();
  std::vector<uint8_t> buffer(kDataBufferSize);
  const std::vector<uint8_t> cmd = GetRandom();
  std::copy(cmd.begin(), cmd.end(), buffer.begin());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE((*b)->Execute(buffer, cmd.size()).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST(SwtpmBackendErrorsTest, NoSocketSaysWhatToStart) {
  auto b = SwtpmBackend::Connect("/nonexistent/petrel-swtpm.sock");
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message().find("swtpm socket --tpm2"), std::string::npos)
      << b.error().message();
}

// A socket that accepts and then never answers, or answers nonsense.
class FakeServer {
 public:
  FakeServer() {
    char tmpl[] = "/tmp/petrel-fake-swtpm-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/s.sock";
    listener_.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path_.c_str(), sizeof a.sun_path - 1);
    EXPECT_EQ(bind(listener_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(listener_.get(), 1), 0);
  }
  ~FakeServer() {
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  const std::string& path() const { return path_; }
  int listener() const { return listener_.get(); }

 private:
  std::string dir_, path_;
  UniqueFd listener_;
};

TEST(SwtpmBackendErrorsTest, ASilentPeerTimesOut) {
  FakeServer server;  // the kernel completes connect() from the backlog
  SwtpmBackend::Options o;
  o.control_timeout_ms = 200;
  auto b = SwtpmBackend::Connect(server.path(), o);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message().find("in time"), std::string::npos) << b.error().message();
}

TEST(SwtpmBackendErrorsTest, APeerLackingCapabilitiesIsRefused) {
  FakeServer server;
  std::thread peer([&] {
    UniqueFd c(accept(server.listener(), nullptr, nullptr));
    uint8_t cmd[4];
    if (recv(c.get(), cmd, 4, 0) != 4) return;
    const uint8_t caps[8] = {0, 0, 0, 0, 0, 0, 0, 1};  // CMD_INIT only
    (void)!send(c.get(), caps, sizeof caps, MSG_NOSIGNAL);
    uint8_t drain[16];
    (void)!recv(c.get(), drain, sizeof drain, 0);
  });
  SwtpmBackend::Options o;
  o.control_timeout_ms = 2000;
  auto b = SwtpmBackend::Connect(server.path(), o);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message().find("capabilities"), std::string::npos) << b.error().message();
  b = Error(ErrorCode::kInternal, "closed");  // closes the connection: the peer returns
  peer.join();
}

}  // namespace
}  // namespace petrel::tpm
