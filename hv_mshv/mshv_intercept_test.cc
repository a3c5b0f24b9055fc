// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for the intercept messages MshvVcpu::Run handles (mshv_intercept.h),
// each through Run() with the fake driver's queued messages.
#include "hv_mshv/mshv_intercept.h"

#include <gtest/gtest.h>

#include "hv_mshv/mshv_hypervisor.h"
#include "hv_mshv/mshv_vcpu.h"
#include "hv_mshv/testing/fake_mshv_driver.h"
#include "hv_mshv/testing/messages.h"
#include "hv_mshv/testing/recording_guest_io.h"

namespace petrel::mshv {
namespace {

using testing::IoPort;
using testing::MakeMessage;
using testing::Memory;
using Kind = RecordingGuestIo::Kind;

constexpr uint32_t kVp = 2;

struct Fixture {
  std::shared_ptr<FakeMshvDriver> driver = std::make_shared<FakeMshvDriver>();
  std::unique_ptr<hv::Hypervisor> hv;
  std::shared_ptr<hv::Vm> vm;
  std::unique_ptr<hv::Vcpu> vcpu;
  RecordingGuestIo io;
  Fixture() {
    hv = OpenMshvWith(driver, "/dev/mshv").value();
    vm = hv->CreateVm(hv::VmConfig{4, true}).value();
    vcpu = vm->CreateVcpu(kVp).value();
  }
  // Queues `m` then a halt, runs once: the halt shows `m` was handled.
  hv::VcpuExit RunOne(const HvMessage& m) {
    driver->QueueMessage(m);
    driver->QueueMessage(MakeMessage(kHvMsgX64Halt, HvX64HaltMessage{kVp}));
    auto exit = vcpu->Run(io);
    EXPECT_TRUE(exit.ok()) << exit.error().message();
    return exit.ok() ? *exit : hv::VcpuExit(hv::exit::InternalError{"run failed"});
  }
  uint64_t Reg(uint32_t name) const { return driver->Register(kVp, name).low; }
};

std::string InternalText(const hv::VcpuExit& e) {
  auto* ie = std::get_if<hv::exit::InternalError>(&e);
  return ie ? ie->what : "<not an InternalError>";
}

TEST(MshvIntercept, PioOutSizes) {
  for (uint8_t size : {1, 2, 4}) {
    Fixture f;
    auto exit = f.RunOne(MakeMessage(
        kHvMsgX64IoPortIntercept,
        IoPort(kVp, 0x3f8, size, /*out=*/true, 0x1122334455667788ull, 0x1000, 2)));
    EXPECT_TRUE(std::holds_alternative<hv::exit::Halted>(exit));
    ASSERT_EQ(f.io.accesses.size(), 1u);
    EXPECT_EQ(f.io.accesses[0].kind, Kind::kPioWrite);
    EXPECT_EQ(f.io.accesses[0].vcpu, kVp);
    EXPECT_EQ(f.io.accesses[0].addr, 0x3f8u);
    const std::vector<uint8_t> want = {0x88, 0x77, 0x66, 0x55};
    EXPECT_EQ(f.io.accesses[0].data, std::vector<uint8_t>(want.begin(), want.begin() + size));
    EXPECT_EQ(f.Reg(kHvX64RegRip), 0x1002u);
    EXPECT_EQ(f.Reg(kHvX64RegRax), 0x1122334455667788ull);  // unchanged
  }
}

TEST(MshvIntercept, PioInMergesIntoRax) {
  struct Case {
    uint8_t size;
    uint64_t want_rax;
  };
  // Reads return aa bb cc dd; 8/16-bit keep RAX's upper bits, 32-bit zero-extends.
  for (const Case c : {Case{1, 0x11223344556677aaull}, Case{2, 0x112233445566bbaaull},
                       Case{4, 0x00000000ddccbbaaull}}) {
    Fixture f;
    auto exit = f.RunOne(MakeMessage(
        kHvMsgX64IoPortIntercept,
        IoPort(kVp, 0x71, c.size, /*out=*/false, 0x1122334455667788ull, 0xfffffff0, 1)));
    EXPECT_TRUE(std::holds_alternative<hv::exit::Halted>(exit)) << InternalText(exit);
    ASSERT_EQ(f.io.accesses.size(), 1u);
    EXPECT_EQ(f.io.accesses[0].kind, Kind::kPioRead);
    EXPECT_EQ(f.io.accesses[0].addr, 0x71u);
    EXPECT_EQ(f.io.accesses[0].data.size(), c.size);
    EXPECT_EQ(f.Reg(kHvX64RegRax), c.want_rax) << "size " << int(c.size);
    EXPECT_EQ(f.Reg(kHvX64RegRip), 0xfffffff1u);
  }
}

TEST(MshvIntercept, RepWithoutStringIsAnInternalError) {
  Fixture f;
  auto m = IoPort(kVp, 0x3f8, 1, true, 0, 0x1000, 2);
  m.access_info |= kIoAccessRepPrefix;
  f.driver->QueueMessage(MakeMessage(kHvMsgX64IoPortIntercept, m));
  auto exit = f.vcpu->Run(f.io);
  ASSERT_TRUE(exit.ok());
  EXPECT_NE(InternalText(*exit).find("REP without a string operation"), std::string::npos);
  EXPECT_TRUE(f.io.accesses.empty());
  EXPECT_EQ(f.Reg(kHvX64RegRip), 0u);  // untouched
}

TEST(MshvIntercept, BadPioFieldsAreInternalErrors) {
  struct Case {
    const char* what;
    HvX64IoPortInterceptMessage m;
  };
  std::vector<Case> cases;
  cases.push_back({"bytes", IoPort(kVp, 0x80, 3, true, 0, 0, 1)});   // size 3
  cases.push_back({"bytes", IoPort(kVp, 0x80, 0, true, 0, 0, 1)});   // size 0
  cases.push_back({"instruction length", IoPort(kVp, 0x80, 1, true, 0, 0, 0)});
  auto execute = IoPort(kVp, 0x80, 1, true, 0, 0, 1);
  execute.header.intercept_access_type = kHvInterceptAccessExecute;
  cases.push_back({"access type", execute});
  cases.push_back({"delivered to vCPU", IoPort(kVp + 1, 0x80, 1, true, 0, 0, 1)});
  for (const auto& c : cases) {
    Fixture f;
    f.driver->QueueMessage(MakeMessage(kHvMsgX64IoPortIntercept, c.m));
    auto exit = f.vcpu->Run(f.io);
    ASSERT_TRUE(exit.ok());
    EXPECT_NE(InternalText(*exit).find(c.what), std::string::npos) << InternalText(*exit);
    EXPECT_TRUE(f.io.accesses.empty());
  }
}

TEST(MshvIntercept, TruncatedAndOversizedPayloads) {
  {
    Fixture f;  // payload_size says fewer bytes than the IO message has
    f.driver->QueueMessage(MakeMessage(kHvMsgX64IoPortIntercept,
                                       IoPort(kVp, 0x80, 1, true, 0, 0, 1), /*payload_size=*/64));
    auto exit = f.vcpu->Run(f.io);
    ASSERT_TRUE(exit.ok());
    EXPECT_NE(InternalText(*exit).find("payload of 64 bytes, need 128"), std::string::npos)
        << InternalText(*exit);
    EXPECT_TRUE(f.io.accesses.empty());
  }
  {
    Fixture f;  // more than the 240 payload bytes a message has
    f.driver->QueueMessage(
        MakeMessage(kHvMsgX64ApicEoi, HvX64ApicEoiMessage{kVp, 0x30}, /*payload_size=*/241));
    auto exit = f.vcpu->Run(f.io);
    ASSERT_TRUE(exit.ok());
    EXPECT_NE(InternalText(*exit).find("payload size 241"), std::string::npos);
    EXPECT_TRUE(f.io.accesses.empty());
  }
  {
    Fixture f;
    f.driver->QueueMessage(
        MakeMessage(kHvMsgX64ApicEoi, HvX64ApicEoiMessage{kVp, 0x30}, /*payload_size=*/4));
    auto exit = f.vcpu->Run(f.io);
    ASSERT_TRUE(exit.ok());
    EXPECT_NE(InternalText(*exit).find("X64_APIC_EOI"), std::string::npos);
  }
}

TEST(MshvIntercept, ApicEoiGoesToGuestIoAndContinues) {
  Fixture f;
  auto exit = f.RunOne(MakeMessage(kHvMsgX64ApicEoi, HvX64ApicEoiMessage{kVp, 0x31}));
  EXPECT_TRUE(std::holds_alternative<hv::exit::Halted>(exit));
  ASSERT_EQ(f.io.accesses.size(), 1u);
  EXPECT_EQ(f.io.accesses[0].kind, Kind::kEoi);
  EXPECT_EQ(f.io.accesses[0].vcpu, kVp);
  EXPECT_EQ(f.io.accesses[0].addr, 0x31u);
}

TEST(MshvIntercept, ApicEoiVectorAbove255IsAnInternalError) {
  Fixture f;
  f.driver->QueueMessage(MakeMessage(kHvMsgX64ApicEoi, HvX64ApicEoiMessage{kVp, 0x100}));
  auto exit = f.vcpu->Run(f.io);
  ASSERT_TRUE(exit.ok());
  EXPECT_NE(InternalText(*exit).find("vector 0x100"), std::string::npos);
  EXPECT_TRUE(f.io.accesses.empty());
}

TEST(MshvIntercept, HaltAndUnrecoverableException) {
  Fixture f;
  f.driver->QueueMessage(MakeMessage(kHvMsgX64Halt, HvX64HaltMessage{kVp}));
  f.driver->QueueMessage(
      MakeMessage(kHvMsgUnrecoverableException, HvX64UnrecoverableExceptionMessage{kVp}));
  auto halt = f.vcpu->Run(f.io);
  ASSERT_TRUE(halt.ok());
  EXPECT_TRUE(std::holds_alternative<hv::exit::Halted>(*halt));
  auto fault = f.vcpu->Run(f.io);
  ASSERT_TRUE(fault.ok());
  auto* shutdown = std::get_if<hv::exit::Shutdown>(&*fault);
  ASSERT_NE(shutdown, nullptr);
  EXPECT_EQ(shutdown->why, hv::exit::Shutdown::Why::kTripleFault);
}

TEST(MshvIntercept, FatalAndUnknownMessagesAreInternalErrors) {
  Fixture f;
  f.driver->QueueMessage(
      MakeMessage(kHvMsgInvalidVpRegisterValue, HvX64InvalidVpRegisterMessage{kVp, 0}));
  f.driver->QueueMessage(
      MakeMessage(kHvMsgUnsupportedFeature, HvX64UnsupportedFeatureMessage{kVp, 2, 0x77}));
  f.driver->QueueMessage(MakeMessage(0x8001'0042u, HvX64HaltMessage{kVp}));
  f.driver->QueueMessage(MakeMessage(kHvMsgX64CpuidIntercept, HvX64HaltMessage{kVp}));
  EXPECT_NE(InternalText(*f.vcpu->Run(f.io)).find("INVALID_VP_REGISTER_VALUE"), std::string::npos);
  const std::string feature = InternalText(*f.vcpu->Run(f.io));
  EXPECT_NE(feature.find("UNSUPPORTED_FEATURE code 0x2 parameter 0x77"), std::string::npos)
      << feature;
  EXPECT_NE(InternalText(*f.vcpu->Run(f.io)).find("unhandled message type 0x80010042"),
            std::string::npos);
  EXPECT_NE(InternalText(*f.vcpu->Run(f.io)).find("X64_CPUID_INTERCEPT (0x80010002)"),
            std::string::npos);
}

TEST(MshvIntercept, TooManyInstructionBytesIsAnInternalError) {
  Fixture f;
  auto m = Memory(kVp, 0xd0000000, false, 0x2000);
  m.instruction_byte_count = 17;
  f.driver->QueueMessage(MakeMessage(kHvMsgUnmappedGpa, m));
  auto exit = f.vcpu->Run(f.io);
  ASSERT_TRUE(exit.ok());
  EXPECT_NE(InternalText(*exit).find("17 instruction bytes"), std::string::npos);
  EXPECT_TRUE(f.io.accesses.empty());
}

TEST(MshvIntercept, RegisterWriteFailureIsAnError) {
  Fixture f;
  f.driver->QueueMessage(
      MakeMessage(kHvMsgX64IoPortIntercept, IoPort(kVp, 0x80, 1, true, 0, 0x10, 2)));
  f.driver->FailNextHvcall(kHvcallSetVpRegisters, 0x5);
  auto exit = f.vcpu->Run(f.io);
  ASSERT_FALSE(exit.ok());
  EXPECT_NE(exit.error().message().find("completing port I/O"), std::string::npos);
}

}  // namespace
}  // namespace petrel::mshv
