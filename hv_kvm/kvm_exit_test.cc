// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for HandleKvmExit on a synthetic kvm_run mapping.
#include "hv_kvm/kvm_exit.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace petrel::kvm {
namespace {

constexpr size_t kRunSize = 2 * 4096;  // kvm_run page + PIO data page

struct Access {
  char kind;  // 'i' pio in, 'o' pio out, 'r' mmio read, 'w' mmio write, 'e' EOI (addr = vector)
  uint64_t addr;
  std::vector<uint8_t> data;
  bool operator==(const Access&) const = default;
};

class RecordingIo : public hv::GuestIo {
 public:
  void MmioRead(uint32_t, uint64_t gpa, std::span<uint8_t> d) override {
    for (size_t i = 0; i < d.size(); ++i) d[i] = static_cast<uint8_t>(0xa0 + i);
    log.push_back({'r', gpa, {d.begin(), d.end()}});
  }
  void MmioWrite(uint32_t, uint64_t gpa, std::span<const uint8_t> d) override {
    log.push_back({'w', gpa, {d.begin(), d.end()}});
  }
  void PioRead(uint32_t, uint16_t port, std::span<uint8_t> d) override {
    for (auto& b : d) b = next_in++;
    log.push_back({'i', port, {d.begin(), d.end()}});
  }
  void PioWrite(uint32_t, uint16_t port, std::span<const uint8_t> d) override {
    log.push_back({'o', port, {d.begin(), d.end()}});
  }
  void EndOfInterrupt(uint32_t vcpu, uint8_t vector) override {
    log.push_back({'e', vector, {static_cast<uint8_t>(vcpu)}});
  }
  std::vector<Access> log;
  uint8_t next_in = 1;
};

class KvmExitTest : public ::testing::Test {
 protected:
  KvmExitTest() : mem_(kRunSize / 8, 0) {}
  kvm_run& run() { return *reinterpret_cast<kvm_run*>(mem_.data()); }
  uint8_t* bytes() { return reinterpret_cast<uint8_t*>(mem_.data()); }
  // nullopt: an access was dispatched; else the control exit.
  std::optional<hv::VcpuExit> Handle() {
    hv::VcpuExit exit;
    if (!HandleKvmExit(run(), kRunSize, 0, io_, &exit)) return std::nullopt;
    return exit;
  }
  void SetIo(uint8_t dir, uint8_t size, uint16_t port, uint32_t count, uint64_t off = 4096) {
    run().exit_reason = KVM_EXIT_IO;
    run().io.direction = dir;
    run().io.size = size;
    run().io.port = port;
    run().io.count = count;
    run().io.data_offset = off;
  }
  std::string InternalWhat(const std::optional<hv::VcpuExit>& e) {
    if (!e || !std::holds_alternative<hv::exit::InternalError>(*e)) return "";
    return std::get<hv::exit::InternalError>(*e).what;
  }

  std::vector<uint64_t> mem_;
  RecordingIo io_;
};

TEST_F(KvmExitTest, PioOutByte) {
  SetIo(KVM_EXIT_IO_OUT, 1, 0x3f8, 1);
  bytes()[4096] = 'P';
  EXPECT_FALSE(Handle().has_value());
  ASSERT_EQ(io_.log.size(), 1u);
  EXPECT_EQ(io_.log[0], (Access{'o', 0x3f8, {'P'}}));
}

TEST_F(KvmExitTest, PioInDwordFillsDataArea) {
  SetIo(KVM_EXIT_IO_IN, 4, 0xcfc, 1);
  EXPECT_FALSE(Handle().has_value());
  EXPECT_EQ(bytes()[4096], 1);
  EXPECT_EQ(bytes()[4099], 4);
  EXPECT_EQ(io_.log[0].kind, 'i');
  EXPECT_EQ(io_.log[0].addr, 0xcfcu);
}

TEST_F(KvmExitTest, StringOutIsOneAccessPerElement) {
  SetIo(KVM_EXIT_IO_OUT, 2, 0x1f0, 3);
  const uint8_t data[] = {1, 2, 3, 4, 5, 6};
  std::copy(std::begin(data), std::end(data), bytes() + 4096);
  EXPECT_FALSE(Handle().has_value());
  ASSERT_EQ(io_.log.size(), 3u);
  EXPECT_EQ(io_.log[0], (Access{'o', 0x1f0, {1, 2}}));
  EXPECT_EQ(io_.log[1], (Access{'o', 0x1f0, {3, 4}}));
  EXPECT_EQ(io_.log[2], (Access{'o', 0x1f0, {5, 6}}));
}

TEST_F(KvmExitTest, StringInFillsConsecutiveElements) {
  SetIo(KVM_EXIT_IO_IN, 1, 0x80, 4);
  EXPECT_FALSE(Handle().has_value());
  EXPECT_EQ(io_.log.size(), 4u);
  EXPECT_EQ(bytes()[4096], 1);
  EXPECT_EQ(bytes()[4099], 4);
}

TEST_F(KvmExitTest, BadIoSizeCountOrOffsetIsInternalError) {
  SetIo(KVM_EXIT_IO_OUT, 3, 0x80, 1);
  EXPECT_NE(InternalWhat(Handle()), "");
  SetIo(KVM_EXIT_IO_OUT, 8, 0x80, 1);
  EXPECT_NE(InternalWhat(Handle()), "");
  SetIo(KVM_EXIT_IO_OUT, 1, 0x80, 0);
  EXPECT_NE(InternalWhat(Handle()), "");
  SetIo(KVM_EXIT_IO_OUT, 4, 0x80, 1025);  // 4100 bytes from 4096 > 8192
  EXPECT_NE(InternalWhat(Handle()), "");
  SetIo(KVM_EXIT_IO_OUT, 4, 0x80, 0xffffffff);
  EXPECT_NE(InternalWhat(Handle()), "");
  SetIo(KVM_EXIT_IO_OUT, 1, 0x80, 1, ~0ull);
  EXPECT_NE(InternalWhat(Handle()), "");
  EXPECT_TRUE(io_.log.empty());
  SetIo(KVM_EXIT_IO_OUT, 4, 0x80, 1024);  // exactly fills the page
  EXPECT_FALSE(Handle().has_value());
  EXPECT_EQ(io_.log.size(), 1024u);
}

TEST_F(KvmExitTest, MmioReadAndWrite) {
  run().exit_reason = KVM_EXIT_MMIO;
  run().mmio.phys_addr = 0xd000'0000;
  run().mmio.len = 4;
  run().mmio.is_write = 0;
  EXPECT_FALSE(Handle().has_value());
  EXPECT_EQ(run().mmio.data[0], 0xa0);
  EXPECT_EQ(run().mmio.data[3], 0xa3);
  run().mmio.is_write = 1;
  run().mmio.len = 8;
  for (int i = 0; i < 8; ++i) run().mmio.data[i] = static_cast<uint8_t>(i);
  EXPECT_FALSE(Handle().has_value());
  ASSERT_EQ(io_.log.size(), 2u);
  EXPECT_EQ(io_.log[1], (Access{'w', 0xd000'0000, {0, 1, 2, 3, 4, 5, 6, 7}}));
}

TEST_F(KvmExitTest, MmioBadLength) {
  run().exit_reason = KVM_EXIT_MMIO;
  run().mmio.len = 9;
  EXPECT_NE(InternalWhat(Handle()), "");
  run().mmio.len = 0;
  EXPECT_NE(InternalWhat(Handle()), "");
  EXPECT_TRUE(io_.log.empty());
}

TEST_F(KvmExitTest, ControlExits) {
  run().exit_reason = KVM_EXIT_HLT;
  EXPECT_TRUE(std::holds_alternative<hv::exit::Halted>(*Handle()));
  run().exit_reason = KVM_EXIT_SHUTDOWN;
  auto e = Handle();
  ASSERT_TRUE(std::holds_alternative<hv::exit::Shutdown>(*e));
  EXPECT_EQ(std::get<hv::exit::Shutdown>(*e).why, hv::exit::Shutdown::Why::kTripleFault);
  run().exit_reason = KVM_EXIT_INTR;
  EXPECT_TRUE(std::holds_alternative<hv::exit::Interrupted>(*Handle()));
  run().exit_reason = KVM_EXIT_FAIL_ENTRY;
  run().fail_entry.hardware_entry_failure_reason = 0x21;
  e = Handle();
  ASSERT_TRUE(std::holds_alternative<hv::exit::FailEntry>(*e));
  EXPECT_EQ(std::get<hv::exit::FailEntry>(*e).hardware_reason, 0x21u);
  run().exit_reason = 12345;
  EXPECT_NE(InternalWhat(Handle()).find("12345"), std::string::npos);
}

TEST_F(KvmExitTest, AnIoapicEoiGoesToTheGuestIoAndKvmRunsOn) {
  // Split irqchip only (api.rst KVM_EXIT_IOAPIC_EOI): nothing to complete,
  // the next KVM_RUN simply continues.
  run().exit_reason = KVM_EXIT_IOAPIC_EOI;
  run().eoi.vector = 0x31;
  EXPECT_FALSE(Handle().has_value());
  EXPECT_EQ(io_.log, (std::vector<Access>{{'e', 0x31, {0}}}));
}

TEST_F(KvmExitTest, SystemEvents) {
  run().exit_reason = KVM_EXIT_SYSTEM_EVENT;
  run().system_event.type = KVM_SYSTEM_EVENT_SHUTDOWN;
  auto e = Handle();
  ASSERT_TRUE(std::holds_alternative<hv::exit::Shutdown>(*e));
  EXPECT_EQ(std::get<hv::exit::Shutdown>(*e).why, hv::exit::Shutdown::Why::kPowerOff);
  run().system_event.type = KVM_SYSTEM_EVENT_RESET;
  EXPECT_TRUE(std::holds_alternative<hv::exit::Reset>(*Handle()));
  run().system_event.type = KVM_SYSTEM_EVENT_CRASH;
  EXPECT_NE(InternalWhat(Handle()), "");
}

TEST_F(KvmExitTest, InternalErrorDescribesSuberrorAndBytes) {
  run().exit_reason = KVM_EXIT_INTERNAL_ERROR;
  run().emulation_failure.suberror = KVM_INTERNAL_ERROR_EMULATION;
  run().emulation_failure.ndata = 4;
  run().emulation_failure.flags = KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
  run().emulation_failure.insn_size = 200;  // bogus size is clamped to 15
  run().emulation_failure.insn_bytes[0] = 0x0f;
  run().emulation_failure.insn_bytes[1] = 0xc7;
  std::string what = InternalWhat(Handle());
  EXPECT_NE(what.find("suberror 1 (emulation failure)"), std::string::npos) << what;
  EXPECT_NE(what.find("f c7"), std::string::npos) << what;
  run().internal.suberror = KVM_INTERNAL_ERROR_DELIVERY_EV;
  run().internal.ndata = 1000;  // clamped to 16
  run().internal.data[0] = 0xabc;
  what = InternalWhat(Handle());
  EXPECT_NE(what.find("event delivery"), std::string::npos) << what;
  EXPECT_NE(what.find("0xabc"), std::string::npos) << what;
}

}  // namespace
}  // namespace petrel::kvm
