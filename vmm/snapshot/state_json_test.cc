// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for the snapshot state JSON (state_json.h): every state struct
// round-trips with non-default values in every field; malformed input of
// each kind is an error naming the field's path; versioned sections.
#include "vmm/snapshot/state_json.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace petrel::vmm::snapshot {
namespace {

using nlohmann::json;

// A vCPU state with every field away from its default.
hv::VcpuState SampleVcpu() {
  hv::VcpuState s;
  for (size_t i = 0; i < s.regs.gpr.size(); ++i) s.regs.gpr[i] = 0x1111'0000'0000'0000ULL * i + i;
  s.regs.rip = 0xffff'ffff'8100'0000ULL;
  s.regs.rflags = 0x246;
  s.sregs.cs = {0x1000, 0xfffff, 0x10, 0xb, true, 0, false, true, true, true, false, false};
  s.sregs.ds = {0, 0xffffffff, 0x18, 0x3, true, 3, true, true, false, true, true, false};
  s.sregs.es = s.sregs.ds;
  s.sregs.fs = {0x7f00'1234'0000ULL, 0, 0, 0, false, 0, false, false, false, false, false, true};
  s.sregs.gs = s.sregs.fs;
  s.sregs.ss = s.sregs.ds;
  s.sregs.tr = {
      0xfffffe0000003000ULL, 0x4087, 0x40, 0xb, true, 0, false, false, false, false, false, false};
  s.sregs.ldt.unusable = true;
  s.sregs.gdt = {0xfffffe0000001000ULL, 0x7f};
  s.sregs.idt = {0xfffffe0000000000ULL, 0xfff};
  s.sregs.cr0 = 0x80050033;
  s.sregs.cr2 = 0x7fff0000;
  s.sregs.cr3 = 0x1234000;
  s.sregs.cr4 = 0x3706f0;
  s.sregs.cr8 = 2;
  s.sregs.efer = 0xd01;
  s.sregs.apic_base = 0xfee00900;
  s.debug.db = {1, 2, 3, std::numeric_limits<uint64_t>::max()};
  s.debug.dr6 = 0xffff4ff0;
  s.debug.dr7 = 0x401;
  s.msrs = {{0x10, 0x123456789abcdefULL}, {0xc0000080, 0xd01}, {0xffffffff, 0}};
  s.xsave.assign(hv::kXsaveMinSize + 64, 0);
  for (size_t i = 0; i < s.xsave.size(); ++i) s.xsave[i] = static_cast<uint8_t>(i * 31);
  s.xcrs = {{0, 7}};
  for (size_t i = 0; i < s.lapic.size(); ++i) s.lapic[i] = static_cast<uint8_t>(255 - i % 256);
  s.events.exception = {true, true, 14, true, 0x2, true, 0xdead000};
  s.events.interrupt = {true, 0x30, true, 3};
  s.events.nmi = {true, true, true};
  s.events.sipi_vector = 0x9f;
  s.events.smi = {true, true, true, true};
  s.events.triple_fault_pending = true;
  s.mp_state = hv::MpState::kSipiReceived;
  return s;
}

hv::PitState SamplePit() {
  hv::PitState pit;
  for (int i = 0; i < 3; ++i) {
    auto& c = pit.channels[i];
    c = {65536,
         0x1234,
         1,
         1,
         0x36,
         3,
         3,
         0x12,
         3,
         2,
         1,
         1,
         i == 0 ? std::numeric_limits<int64_t>::min() : -1 - i};
  }
  pit.flags = 1;
  return pit;
}

hv::VmState SampleVm() {
  hv::VmState s;
  s.clock = hv::VmClock{std::numeric_limits<uint64_t>::max() - 5};
  hv::IrqchipState irq;
  irq.pic[0] = {1, 2, 3, 4, 5, 0x20, 1, true, true, 2, true, true, true, true, 0xf8, 0xf8};
  irq.pic[1] = {9, 8, 7, 6, 5, 0x28, 0, false, true, 0, false, true, false, true, 0xde, 0xde};
  irq.ioapic.base_address = 0xfec01000;
  irq.ioapic.ioregsel = 0x10;
  irq.ioapic.id = 0x02000000;
  irq.ioapic.irr = 0x00ffffff;
  for (size_t i = 0; i < irq.ioapic.redirection.size(); ++i) {
    irq.ioapic.redirection[i] = 0x0100'0000'0001'0030ULL + i;
  }
  irq.pit = SamplePit();
  s.irqchip = irq;
  return s;
}

Serial::State SampleSerial() {
  Serial::State s{0x0f, 0x03, 0x0b, 0x61, 0xb0, 0x55, 0x01, 0x00, 0xc1, true, 3, {}};
  s.rx[0] = 'a';
  s.rx[1] = 0;
  s.rx[2] = 0xff;
  return s;
}

Cmos::State SampleCmos() {
  Cmos::State s;
  for (size_t i = 0; i < s.ram.size(); ++i) s.ram[i] = static_cast<uint8_t>(i ^ 0x5a);
  s.flags = 0xf0;
  s.index = 0x7f;
  s.rtc_offset_s = -86400 * 365;
  s.frozen = true;
  s.frozen_time = {-44, 12, 31, 23, 59, 58};
  return s;
}

DebugPort::State SampleDebugPort() {
  return {0x41, {{0x00, 0}, {0x41, 1000}, {0xff, std::numeric_limits<uint64_t>::max()}}, 7};
}

MsixTable::State SampleMsix() {
  MsixTable::State s;
  s.table = {{0xfee00000, 0, 0x4021, 0}, {0xfee01000, 1, 0x4022, 1}, {}};
  s.pba = {0x5};
  s.control = 0xc000;
  return s;
}

virtio::SplitQueue::State SampleRing(uint16_t k) {
  return {{256, 0x10000u + k, 0x11000u + k, 0x12000u + k, true, true},
          true,
          static_cast<uint16_t>(65535 - k),
          17,
          16,
          true};
}

virtio::VirtioPciDevice::State SampleVirtioPci() {
  virtio::VirtioPciDevice::State s;
  for (size_t i = 0; i < s.config.regs.size(); ++i) s.config.regs[i] = static_cast<uint8_t>(i);
  s.msix = SampleMsix();
  s.device_feature_select = 1;
  s.driver_feature_select = 1;
  s.driver_features = (1ULL << 32) | (1ULL << 29);
  s.config_msix_vector = 0;
  s.status = 0x0f;
  s.config_generation = 3;
  s.queue_select = 1;
  s.isr = 1;
  s.failed = true;
  s.queues = {{256, 1, true, 0x10000, 0x11000, 0x12000, SampleRing(0)},
              {128, kMsixNoVector, false, 0, 0, 0, {}}};
  return s;
}

// Encodes, prints and parses (as a file would), decodes: equal.
template <class T, class Decoder>
void ExpectRoundTrip(const T& value, Decoder decode) {
  const json encoded = ToJson(value);
  const json reparsed = json::parse(encoded.dump());
  auto decoded = decode(reparsed, std::string());
  ASSERT_TRUE(decoded.ok()) << decoded.error().message() << "\n" << encoded.dump(2);
  EXPECT_TRUE(*decoded == value) << encoded.dump(2);
}

TEST(StateJsonTest, EveryStateRoundTrips) {
  ExpectRoundTrip(SampleVcpu(), VcpuStateFromJson);
  ExpectRoundTrip(hv::VcpuState{}, VcpuStateFromJson);
  ExpectRoundTrip(SampleVm(), VmStateFromJson);
  ExpectRoundTrip(hv::VmState{}, VmStateFromJson);  // both parts absent
  ExpectRoundTrip(*SampleVm().irqchip, IrqchipStateFromJson);
  ExpectRoundTrip(SampleVm().irqchip->pic[1], PicStateFromJson);
  ExpectRoundTrip(SampleVm().irqchip->ioapic, IoapicStateFromJson);
  ExpectRoundTrip(SamplePit(), PitStateFromJson);
  ExpectRoundTrip(SampleSerial(), SerialStateFromJson);
  ExpectRoundTrip(I8042::State{0x47, 0x03, 0xfa, true, true, 0xd1, true}, I8042StateFromJson);
  ExpectRoundTrip(SampleCmos(), CmosStateFromJson);
  ExpectRoundTrip(SampleDebugPort(), DebugPortStateFromJson);
  ExpectRoundTrip(AcpiPmDevice::State{0x80}, AcpiPmStateFromJson);
  ExpectRoundTrip(PmTimer::State{PmTimer::kMaxElapsedNs}, PmTimerStateFromJson);
  ExpectRoundTrip(GedDevice::State{0x0f}, GedStateFromJson);
  ExpectRoundTrip(PciHotplugController::State{0, 0x40, 0x20, 0x20}, PciHotplugStateFromJson);
  ExpectRoundTrip(PciConfigIo::State{0x8000'0810}, PciConfigIoStateFromJson);
  ExpectRoundTrip(SampleVirtioPci().config, PciConfigSpaceStateFromJson);
  ExpectRoundTrip(SampleMsix(), MsixTableStateFromJson);
  ExpectRoundTrip(SampleRing(3), SplitQueueStateFromJson);
  ExpectRoundTrip(SampleVirtioPci().queues[0], VirtioPciQueueStateFromJson);
  ExpectRoundTrip(SampleVirtioPci(), VirtioPciDeviceStateFromJson);
}

TEST(StateJsonTest, BytesAreLowercaseHexAndMpStateAName) {
  const json j = ToJson(SampleSerial());
  EXPECT_EQ(j["rx"].get<std::string>().substr(0, 8), "6100ff00");
  EXPECT_EQ(j["rx"].get<std::string>().size(), 2 * Serial::kRxFifoCapacity);
  EXPECT_EQ(ToJson(SampleVcpu())["mp_state"], "sipi_received");
  EXPECT_EQ(ToJson(SampleVcpu())["regs"]["rip"].get<uint64_t>(), 0xffff'ffff'8100'0000ULL);
}

// The error message of decoding `j` as a vCPU state under "vcpus[1]".
std::string VcpuError(const json& j) {
  auto r = VcpuStateFromJson(j, "vcpus[1]");
  if (r.ok()) return "(accepted)";
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  return r.error().message();
}

TEST(StateJsonTest, MalformedVcpuNamesThePath) {
  const json good = ToJson(SampleVcpu());
  auto with = [&](auto edit) {
    json j = good;
    edit(j);
    return VcpuError(j);
  };
  EXPECT_EQ(VcpuError(json::array()), "vcpus[1]: expected a JSON object, got a JSON array");
  // Byte arrays: length, digits, type.
  EXPECT_EQ(with([](json& j) { j["lapic"] = std::string(2046, '0'); }),
            "vcpus[1].lapic: 1023 bytes, 1024 expected");
  EXPECT_EQ(with([](json& j) { j["lapic"] = std::string(2047, '0'); }),
            "vcpus[1].lapic: odd number of hex digits");
  EXPECT_EQ(with([](json& j) { j["xsave"] = "00zz"; }),
            "vcpus[1].xsave: not a hex digit at character 2");
  EXPECT_EQ(with([](json& j) { j["xsave"] = 5; }), "vcpus[1].xsave: expected a hex string, got 5");
  EXPECT_EQ(with([](json& j) { j["xsave"] = std::string(2 * kMaxXsaveBytes + 2, 'a'); }),
            "vcpus[1].xsave: 1048577 bytes, at most 1048576 allowed");
  // Missing and unknown fields.
  EXPECT_EQ(with([](json& j) { j["regs"].erase("rip"); }), "vcpus[1].regs.rip: missing");
  EXPECT_EQ(with([](json& j) { j["sregs"]["cs"]["colour"] = 1; }),
            "vcpus[1].sregs.cs: unknown field \"colour\"");
  // Numbers: type, sign, width, fractions.
  EXPECT_EQ(with([](json& j) { j["sregs"]["cs"]["selector"] = 65536; }),
            "vcpus[1].sregs.cs.selector: 65536 is out of range (at most 65535)");
  EXPECT_EQ(with([](json& j) { j["events"]["exception"]["vector"] = -1; }),
            "vcpus[1].events.exception.vector: expected an unsigned integer, got -1");
  EXPECT_EQ(with([](json& j) { j["regs"]["rip"] = 1.5; }),
            "vcpus[1].regs.rip: expected an unsigned integer, got 1.5");
  EXPECT_EQ(with([](json& j) { j["regs"]["rip"] = "0"; }),
            "vcpus[1].regs.rip: expected an unsigned integer, got \"0\"");
  EXPECT_EQ(with([](json& j) { j["events"]["nmi"]["masked"] = 1; }),
            "vcpus[1].events.nmi.masked: expected true or false, got 1");
  // Arrays: fixed length, element paths, bound on lists.
  EXPECT_EQ(with([](json& j) { j["regs"]["gpr"].erase(0); }),
            "vcpus[1].regs.gpr: 15 elements, 16 expected");
  EXPECT_EQ(with([](json& j) { j["regs"]["gpr"][3] = nullptr; }),
            "vcpus[1].regs.gpr[3]: expected an unsigned integer, got null");
  EXPECT_EQ(with([](json& j) { j["msrs"][2]["index"] = 1ULL << 32; }),
            "vcpus[1].msrs[2].index: 4294967296 is out of range (at most 4294967295)");
  EXPECT_EQ(with([](json& j) {
              j["msrs"] = json::array();
              j["msrs"].get_ref<json::array_t&>().resize(kMaxMsrs + 1);
            }),
            "vcpus[1].msrs: 4097 elements, at most 4096 allowed");
  EXPECT_EQ(with([](json& j) { j["mp_state"] = "sleeping"; }),
            "vcpus[1].mp_state: expected one of \"runnable\", \"uninitialized\", "
            "\"init_received\", \"halted\", \"sipi_received\", got \"sleeping\"");
}

TEST(StateJsonTest, MalformedDeviceStatesNameThePath) {
  json pit = ToJson(SamplePit());
  pit["channels"][1]["count_load_time"] = std::numeric_limits<uint64_t>::max();
  auto r = PitStateFromJson(pit);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "channels[1].count_load_time: 18446744073709551615 is out of range (at most "
            "9223372036854775807)");

  json vm = ToJson(SampleVm());
  vm["irqchip"]["pic"] = json::array({vm["irqchip"]["pic"][0]});
  auto v = VmStateFromJson(vm, "vm");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().message(), "vm.irqchip.pic: 1 elements, 2 expected");

  json cmos = ToJson(SampleCmos());
  cmos["ram"] = cmos["ram"].get<std::string>().substr(2);
  auto c = CmosStateFromJson(cmos);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message(), "ram: 127 bytes, 128 expected");

  json debug = ToJson(SampleDebugPort());
  debug["events"].get_ref<json::array_t&>().resize(DebugPort::kMaxEvents + 1, debug["events"][0]);
  auto d = DebugPortStateFromJson(debug);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message(), "events: 1025 elements, at most 1024 allowed");

  json dev = ToJson(SampleVirtioPci());
  dev["queues"][1]["ring"]["config"]["size"] = 70000;
  auto p = VirtioPciDeviceStateFromJson(dev, "devices[2]");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message(),
            "devices[2].queues[1].ring.config.size: 70000 is out of range (at most 65535)");

  json msix = ToJson(SampleMsix());
  msix["pba"] = json::array();
  msix["pba"].get_ref<json::array_t&>().resize(33, 0);
  auto m = MsixTableStateFromJson(msix);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message(), "pba: 33 elements, at most 32 allowed");

  auto s = SerialStateFromJson(json(nullptr));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "(root): expected a JSON object, got null");
}

// Every decoder refuses every non-object, and an empty object names its
// first field as missing, without throwing.
TEST(StateJsonTest, AnyJsonValueIsRefusedCleanly) {
  for (const json& j :
       {json(nullptr), json(true), json(-1), json(1.5), json("x"), json::array(), json::object()}) {
    EXPECT_FALSE(VcpuStateFromJson(j).ok());
    EXPECT_FALSE(VmStateFromJson(j).ok());
    EXPECT_FALSE(SerialStateFromJson(j).ok());
    EXPECT_FALSE(CmosStateFromJson(j).ok());
    EXPECT_FALSE(VirtioPciDeviceStateFromJson(j).ok());
  }
  auto r = GedStateFromJson(json::object());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "pending: missing");
}

// Decoders never recurse into what they do not read: a value nested far
// deeper than any stack allows is refused by its kind or its field name.
TEST(StateJsonTest, DeeplyNestedValuesAreRefusedWithoutRecursion) {
  // Built and moved, never copied (a copy recurses once per level).
  auto make_deep = [] {
    json deep = json::array();
    for (int i = 0; i < 200000; ++i) {
      json outer = json::array();
      outer.push_back(std::move(deep));
      deep = std::move(outer);
    }
    return deep;
  };
  json vcpu = ToJson(SampleVcpu());
  vcpu["regs"] = make_deep();
  auto r = VcpuStateFromJson(vcpu);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "regs: expected a JSON object, got a JSON array");
  json ged = json::object();
  ged["pending"] = 1;
  ged["extra"] = make_deep();
  auto g = GedStateFromJson(ged);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().message(), "(root): unknown field \"extra\"");
  auto u = Unversioned(Versioned(1, std::move(ged)), 1, "ged");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().message(), "ged.state: nests deeper than 32 levels");
}

TEST(StateJsonTest, VersionedSections) {
  const json section = Versioned(1, ToJson(GedDevice::State{1}));
  EXPECT_EQ(section["version"], 1);
  auto state = Unversioned(section, 1, "ged");
  ASSERT_TRUE(state.ok()) << state.error().message();
  EXPECT_EQ(*state, ToJson(GedDevice::State{1}));

  auto newer = Unversioned(Versioned(3, json::object()), 1, "serial");
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(newer.error().message(), "serial: state version 3, this Petrel reads version 1");

  auto missing = Unversioned(json{{"version", 1}}, 1, "serial");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(), "serial.state: missing");
  auto extra = Unversioned(json{{"version", 1}, {"state", 1}, {"x", 2}}, 1, "serial");
  ASSERT_FALSE(extra.ok());
  EXPECT_EQ(extra.error().message(), "serial: unknown field \"x\"");
  json deep = json::array();
  for (size_t i = 0; i < kMaxStateDepth; ++i) deep = json::array({std::move(deep)});
  auto too_deep = Unversioned(Versioned(1, std::move(deep)), 1, "serial");
  ASSERT_FALSE(too_deep.ok());
  EXPECT_EQ(too_deep.error().message(), "serial.state: nests deeper than 32 levels");
  auto bad = Unversioned(json::array(), 1, "serial");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "serial: expected a JSON object, got a JSON array");
}

}  // namespace
}  // namespace petrel::vmm::snapshot
