// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Snapshot state structs <-> JSON (see state_json.h).
#include "vmm/snapshot/state_json.h"

#include <array>
#include <string_view>
#include <utility>

#include "core/acpi/tables.h"
#include "devices/virtio/pci/virtio_pci_regs.h"
#include "vmm/snapshot/json_fields.h"

namespace petrel::vmm::snapshot {

using nlohmann::json;

// How each struct reads (JsonCodec<T>, json_fields.h); the bodies follow
// the encoders below, type by type.
#define PETREL_DECLARE_CODEC(Type)                                               \
  template <>                                                                    \
  struct JsonCodec<Type> {                                                       \
    static Result<void> Decode(const json& j, const std::string& path, Type& s); \
  }

PETREL_DECLARE_CODEC(hv::Segment);
PETREL_DECLARE_CODEC(hv::DescriptorTable);
PETREL_DECLARE_CODEC(hv::Regs);
PETREL_DECLARE_CODEC(hv::Sregs);
PETREL_DECLARE_CODEC(hv::DebugRegs);
PETREL_DECLARE_CODEC(hv::MsrEntry);
PETREL_DECLARE_CODEC(hv::XcrEntry);
PETREL_DECLARE_CODEC(hv::VcpuEvents::Exception);
PETREL_DECLARE_CODEC(hv::VcpuEvents::Interrupt);
PETREL_DECLARE_CODEC(hv::VcpuEvents::Nmi);
PETREL_DECLARE_CODEC(hv::VcpuEvents::Smi);
PETREL_DECLARE_CODEC(hv::VcpuEvents);
PETREL_DECLARE_CODEC(hv::MpState);
PETREL_DECLARE_CODEC(hv::VcpuState);
PETREL_DECLARE_CODEC(hv::VmClock);
PETREL_DECLARE_CODEC(hv::PicState);
PETREL_DECLARE_CODEC(hv::IoapicState);
PETREL_DECLARE_CODEC(hv::PitChannelState);
PETREL_DECLARE_CODEC(hv::PitState);
PETREL_DECLARE_CODEC(hv::IrqchipState);
PETREL_DECLARE_CODEC(hv::VmState);
PETREL_DECLARE_CODEC(Serial::State);
PETREL_DECLARE_CODEC(I8042::State);
PETREL_DECLARE_CODEC(CivilTime);
PETREL_DECLARE_CODEC(Cmos::State);
PETREL_DECLARE_CODEC(Ioapic::State);
PETREL_DECLARE_CODEC(DebugPort::Event);
PETREL_DECLARE_CODEC(DebugPort::State);
PETREL_DECLARE_CODEC(AcpiPmDevice::State);
PETREL_DECLARE_CODEC(PmTimer::State);
PETREL_DECLARE_CODEC(GedDevice::State);
PETREL_DECLARE_CODEC(CpuHotplugController::Slot);
PETREL_DECLARE_CODEC(CpuHotplugController::State);
PETREL_DECLARE_CODEC(PciHotplugController::State);
PETREL_DECLARE_CODEC(MemoryHotplugController::Slot);
PETREL_DECLARE_CODEC(MemoryHotplugController::State);
PETREL_DECLARE_CODEC(PciConfigIo::State);
PETREL_DECLARE_CODEC(PciConfigSpace::State);
PETREL_DECLARE_CODEC(MsixEntry);
PETREL_DECLARE_CODEC(MsixTable::State);
PETREL_DECLARE_CODEC(tpm::TpmCrb::State);
PETREL_DECLARE_CODEC(tpm::SwtpmState);
PETREL_DECLARE_CODEC(virtio::SplitQueue::Config);
PETREL_DECLARE_CODEC(virtio::SplitQueue::State);
PETREL_DECLARE_CODEC(virtio::VirtioPciDevice::QueueState);
PETREL_DECLARE_CODEC(virtio::VirtioPciDevice::State);

#undef PETREL_DECLARE_CODEC

namespace {

// The value of a whole document of type T.
template <class T>
Result<T> DecodeRoot(const json& j, const std::string& path) {
  T s{};
  PETREL_TRY(JsonCodec<T>::Decode(j, path, s));
  return s;
}

template <class T>
json EncodeList(const std::vector<T>& items) {
  json out = json::array();
  for (const T& item : items) out.push_back(ToJson(item));
  return out;
}

template <class T>
json EncodeOptional(const std::optional<T>& value) {
  return value ? ToJson(*value) : json(nullptr);
}

}  // namespace

// ---------------------------------------------------------------- sections

json Versioned(uint32_t version, json state) {
  return json{{"version", version}, {"state", std::move(state)}};
}

Result<json> Unversioned(const json& section, uint32_t expected, const std::string& what) {
  PETREL_ASSIGN_OR_RETURN(auto fields, ObjectFields::Open(section, what));
  uint32_t version = 0;
  PETREL_TRY(fields.Read("version", version));
  if (version != expected) {
    return Error(ErrorCode::kInvalidArgument, what + ": state version " + std::to_string(version) +
                                                  ", this Petrel reads version " +
                                                  std::to_string(expected));
  }
  PETREL_ASSIGN_OR_RETURN(const json* state, fields.Get("state"));
  PETREL_TRY(fields.Finish());
  if (JsonNestsDeeperThan(*state, kMaxStateDepth)) {
    return FieldProblem(fields.PathOf("state"),
                        "nests deeper than " + std::to_string(kMaxStateDepth) + " levels");
  }
  return *state;
}

// ---------------------------------------------------------------- vCPU

namespace {

json Encode(const hv::Segment& s) {
  return json{{"base", s.base},
              {"limit", s.limit},
              {"selector", s.selector},
              {"type", s.type},
              {"present", s.present},
              {"dpl", s.dpl},
              {"db", s.db},
              {"s", s.s},
              {"l", s.l},
              {"g", s.g},
              {"avl", s.avl},
              {"unusable", s.unusable}};
}

json Encode(const hv::DescriptorTable& s) {
  return json{{"base", s.base}, {"limit", s.limit}};
}

json Encode(const hv::Regs& s) {
  return json{{"gpr", s.gpr}, {"rip", s.rip}, {"rflags", s.rflags}};
}

json Encode(const hv::Sregs& s) {
  return json{{"cs", Encode(s.cs)},
              {"ds", Encode(s.ds)},
              {"es", Encode(s.es)},
              {"fs", Encode(s.fs)},
              {"gs", Encode(s.gs)},
              {"ss", Encode(s.ss)},
              {"tr", Encode(s.tr)},
              {"ldt", Encode(s.ldt)},
              {"gdt", Encode(s.gdt)},
              {"idt", Encode(s.idt)},
              {"cr0", s.cr0},
              {"cr2", s.cr2},
              {"cr3", s.cr3},
              {"cr4", s.cr4},
              {"cr8", s.cr8},
              {"efer", s.efer},
              {"apic_base", s.apic_base}};
}

json Encode(const hv::DebugRegs& s) {
  return json{{"db", s.db}, {"dr6", s.dr6}, {"dr7", s.dr7}};
}

json Encode(const hv::MsrEntry& s) {
  return json{{"index", s.index}, {"value", s.value}};
}
json Encode(const hv::XcrEntry& s) {
  return json{{"index", s.index}, {"value", s.value}};
}

json Encode(const hv::VcpuEvents& s) {
  const auto& e = s.exception;
  const auto& i = s.interrupt;
  return json{
      {"exception",
       {{"injected", e.injected},
        {"pending", e.pending},
        {"vector", e.vector},
        {"has_error_code", e.has_error_code},
        {"error_code", e.error_code},
        {"has_payload", e.has_payload},
        {"payload", e.payload}}},
      {"interrupt",
       {{"injected", i.injected}, {"vector", i.vector}, {"soft", i.soft}, {"shadow", i.shadow}}},
      {"nmi", {{"injected", s.nmi.injected}, {"pending", s.nmi.pending}, {"masked", s.nmi.masked}}},
      {"sipi_vector", s.sipi_vector},
      {"smi",
       {{"smm", s.smi.smm},
        {"pending", s.smi.pending},
        {"inside_nmi", s.smi.inside_nmi},
        {"latched_init", s.smi.latched_init}}},
      {"triple_fault_pending", s.triple_fault_pending}};
}

// MpState by name: the numbers are only the C++ enum's order.
constexpr std::array<std::pair<hv::MpState, std::string_view>, 5> kMpStateNames{{
    {hv::MpState::kRunnable, "runnable"},
    {hv::MpState::kUninitialized, "uninitialized"},
    {hv::MpState::kInitReceived, "init_received"},
    {hv::MpState::kHalted, "halted"},
    {hv::MpState::kSipiReceived, "sipi_received"},
}};

json Encode(hv::MpState s) {
  for (const auto& [value, name] : kMpStateNames) {
    if (value == s) return std::string(name);
  }
  return "runnable";  // unreachable: every enumerator is named above
}

}  // namespace

Result<void> JsonCodec<hv::Segment>::Decode(const json& j, const std::string& path,
                                            hv::Segment& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("base", s.base));
  PETREL_TRY(f.Read("limit", s.limit));
  PETREL_TRY(f.Read("selector", s.selector));
  PETREL_TRY(f.Read("type", s.type));
  PETREL_TRY(f.Read("present", s.present));
  PETREL_TRY(f.Read("dpl", s.dpl));
  PETREL_TRY(f.Read("db", s.db));
  PETREL_TRY(f.Read("s", s.s));
  PETREL_TRY(f.Read("l", s.l));
  PETREL_TRY(f.Read("g", s.g));
  PETREL_TRY(f.Read("avl", s.avl));
  PETREL_TRY(f.Read("unusable", s.unusable));
  return f.Finish();
}

Result<void> JsonCodec<hv::DescriptorTable>::Decode(const json& j, const std::string& path,
                                                    hv::DescriptorTable& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("base", s.base));
  PETREL_TRY(f.Read("limit", s.limit));
  return f.Finish();
}

Result<void> JsonCodec<hv::Regs>::Decode(const json& j, const std::string& path, hv::Regs& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.ReadArray("gpr", s.gpr));
  PETREL_TRY(f.Read("rip", s.rip));
  PETREL_TRY(f.Read("rflags", s.rflags));
  return f.Finish();
}

Result<void> JsonCodec<hv::Sregs>::Decode(const json& j, const std::string& path, hv::Sregs& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("cs", s.cs));
  PETREL_TRY(f.Read("ds", s.ds));
  PETREL_TRY(f.Read("es", s.es));
  PETREL_TRY(f.Read("fs", s.fs));
  PETREL_TRY(f.Read("gs", s.gs));
  PETREL_TRY(f.Read("ss", s.ss));
  PETREL_TRY(f.Read("tr", s.tr));
  PETREL_TRY(f.Read("ldt", s.ldt));
  PETREL_TRY(f.Read("gdt", s.gdt));
  PETREL_TRY(f.Read("idt", s.idt));
  PETREL_TRY(f.Read("cr0", s.cr0));
  PETREL_TRY(f.Read("cr2", s.cr2));
  PETREL_TRY(f.Read("cr3", s.cr3));
  PETREL_TRY(f.Read("cr4", s.cr4));
  PETREL_TRY(f.Read("cr8", s.cr8));
  PETREL_TRY(f.Read("efer", s.efer));
  PETREL_TRY(f.Read("apic_base", s.apic_base));
  return f.Finish();
}

Result<void> JsonCodec<hv::DebugRegs>::Decode(const json& j, const std::string& path,
                                              hv::DebugRegs& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.ReadArray("db", s.db));
  PETREL_TRY(f.Read("dr6", s.dr6));
  PETREL_TRY(f.Read("dr7", s.dr7));
  return f.Finish();
}

Result<void> JsonCodec<hv::MsrEntry>::Decode(const json& j, const std::string& path,
                                             hv::MsrEntry& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("index", s.index));
  PETREL_TRY(f.Read("value", s.value));
  return f.Finish();
}

Result<void> JsonCodec<hv::XcrEntry>::Decode(const json& j, const std::string& path,
                                             hv::XcrEntry& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("index", s.index));
  PETREL_TRY(f.Read("value", s.value));
  return f.Finish();
}

Result<void> JsonCodec<hv::VcpuEvents::Exception>::Decode(const json& j, const std::string& path,
                                                          hv::VcpuEvents::Exception& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("injected", s.injected));
  PETREL_TRY(f.Read("pending", s.pending));
  PETREL_TRY(f.Read("vector", s.vector));
  PETREL_TRY(f.Read("has_error_code", s.has_error_code));
  PETREL_TRY(f.Read("error_code", s.error_code));
  PETREL_TRY(f.Read("has_payload", s.has_payload));
  PETREL_TRY(f.Read("payload", s.payload));
  return f.Finish();
}

Result<void> JsonCodec<hv::VcpuEvents::Interrupt>::Decode(const json& j, const std::string& path,
                                                          hv::VcpuEvents::Interrupt& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("injected", s.injected));
  PETREL_TRY(f.Read("vector", s.vector));
  PETREL_TRY(f.Read("soft", s.soft));
  PETREL_TRY(f.Read("shadow", s.shadow));
  return f.Finish();
}

Result<void> JsonCodec<hv::VcpuEvents::Nmi>::Decode(const json& j, const std::string& path,
                                                    hv::VcpuEvents::Nmi& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("injected", s.injected));
  PETREL_TRY(f.Read("pending", s.pending));
  PETREL_TRY(f.Read("masked", s.masked));
  return f.Finish();
}

Result<void> JsonCodec<hv::VcpuEvents::Smi>::Decode(const json& j, const std::string& path,
                                                    hv::VcpuEvents::Smi& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("smm", s.smm));
  PETREL_TRY(f.Read("pending", s.pending));
  PETREL_TRY(f.Read("inside_nmi", s.inside_nmi));
  PETREL_TRY(f.Read("latched_init", s.latched_init));
  return f.Finish();
}

Result<void> JsonCodec<hv::VcpuEvents>::Decode(const json& j, const std::string& path,
                                               hv::VcpuEvents& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("exception", s.exception));
  PETREL_TRY(f.Read("interrupt", s.interrupt));
  PETREL_TRY(f.Read("nmi", s.nmi));
  PETREL_TRY(f.Read("sipi_vector", s.sipi_vector));
  PETREL_TRY(f.Read("smi", s.smi));
  PETREL_TRY(f.Read("triple_fault_pending", s.triple_fault_pending));
  return f.Finish();
}

Result<void> JsonCodec<hv::MpState>::Decode(const json& j, const std::string& path,
                                            hv::MpState& s) {
  if (j.is_string()) {
    for (const auto& [value, name] : kMpStateNames) {
      if (j.get_ref<const std::string&>() == name) {
        s = value;
        return Ok();
      }
    }
  }
  return FieldProblem(path,
                      "expected one of \"runnable\", \"uninitialized\", \"init_received\", "
                      "\"halted\", \"sipi_received\", got " +
                          DescribeJson(j));
}

Result<void> JsonCodec<hv::VcpuState>::Decode(const json& j, const std::string& path,
                                              hv::VcpuState& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("regs", s.regs));
  PETREL_TRY(f.Read("sregs", s.sregs));
  PETREL_TRY(f.Read("debug", s.debug));
  PETREL_TRY(f.ReadList("msrs", s.msrs, kMaxMsrs));
  PETREL_TRY(f.ReadHex("xsave", s.xsave, kMaxXsaveBytes));
  PETREL_TRY(f.ReadList("xcrs", s.xcrs, kMaxXcrs));
  PETREL_TRY(f.Read("lapic", s.lapic));
  PETREL_TRY(f.Read("events", s.events));
  PETREL_TRY(f.Read("mp_state", s.mp_state));
  return f.Finish();
}

json ToJson(const hv::VcpuState& s) {
  json msrs = json::array();
  for (const auto& m : s.msrs) msrs.push_back(Encode(m));
  json xcrs = json::array();
  for (const auto& x : s.xcrs) xcrs.push_back(Encode(x));
  return json{{"regs", Encode(s.regs)},        {"sregs", Encode(s.sregs)},
              {"debug", Encode(s.debug)},      {"msrs", std::move(msrs)},
              {"xsave", HexEncode(s.xsave)},   {"xcrs", std::move(xcrs)},
              {"lapic", HexEncode(s.lapic)},   {"events", Encode(s.events)},
              {"mp_state", Encode(s.mp_state)}};
}

Result<hv::VcpuState> VcpuStateFromJson(const json& j, const std::string& path) {
  return DecodeRoot<hv::VcpuState>(j, path);
}

// ---------------------------------------------------------------- VM

json ToJson(const hv::PicState& s) {
  return json{{"last_irr", s.last_irr},
              {"irr", s.irr},
              {"imr", s.imr},
              {"isr", s.isr},
              {"priority_add", s.priority_add},
              {"irq_base", s.irq_base},
              {"read_reg_select", s.read_reg_select},
              {"poll", s.poll},
              {"special_mask", s.special_mask},
              {"init_state", s.init_state},
              {"auto_eoi", s.auto_eoi},
              {"rotate_on_auto_eoi", s.rotate_on_auto_eoi},
              {"special_fully_nested_mode", s.special_fully_nested_mode},
              {"init4", s.init4},
              {"elcr", s.elcr},
              {"elcr_mask", s.elcr_mask}};
}

Result<void> JsonCodec<hv::PicState>::Decode(const json& j, const std::string& path,
                                             hv::PicState& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("last_irr", s.last_irr));
  PETREL_TRY(f.Read("irr", s.irr));
  PETREL_TRY(f.Read("imr", s.imr));
  PETREL_TRY(f.Read("isr", s.isr));
  PETREL_TRY(f.Read("priority_add", s.priority_add));
  PETREL_TRY(f.Read("irq_base", s.irq_base));
  PETREL_TRY(f.Read("read_reg_select", s.read_reg_select));
  PETREL_TRY(f.Read("poll", s.poll));
  PETREL_TRY(f.Read("special_mask", s.special_mask));
  PETREL_TRY(f.Read("init_state", s.init_state));
  PETREL_TRY(f.Read("auto_eoi", s.auto_eoi));
  PETREL_TRY(f.Read("rotate_on_auto_eoi", s.rotate_on_auto_eoi));
  PETREL_TRY(f.Read("special_fully_nested_mode", s.special_fully_nested_mode));
  PETREL_TRY(f.Read("init4", s.init4));
  PETREL_TRY(f.Read("elcr", s.elcr));
  PETREL_TRY(f.Read("elcr_mask", s.elcr_mask));
  return f.Finish();
}

Result<hv::PicState> PicStateFromJson(const json& j, const std::string& path) {
  return DecodeRoot<hv::PicState>(j, path);
}

json ToJson(const hv::IoapicState& s) {
  return json{{"base_address", s.base_address},
              {"ioregsel", s.ioregsel},
              {"id", s.id},
              {"irr", s.irr},
              {"redirection", s.redirection}};
}

Result<void> JsonCodec<hv::IoapicState>::Decode(const json& j, const std::string& path,
                                                hv::IoapicState& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("base_address", s.base_address));
  PETREL_TRY(f.Read("ioregsel", s.ioregsel));
  PETREL_TRY(f.Read("id", s.id));
  PETREL_TRY(f.Read("irr", s.irr));
  PETREL_TRY(f.ReadArray("redirection", s.redirection));
  return f.Finish();
}

Result<hv::IoapicState> IoapicStateFromJson(const json& j, const std::string& path) {
  return DecodeRoot<hv::IoapicState>(j, path);
}

namespace {

json Encode(const hv::PitChannelState& s) {
  return json{{"count", s.count},
              {"latched_count", s.latched_count},
              {"count_latched", s.count_latched},
              {"status_latched", s.status_latched},
              {"status", s.status},
              {"read_state", s.read_state},
              {"write_state", s.write_state},
              {"write_latch", s.write_latch},
              {"rw_mode", s.rw_mode},
              {"mode", s.mode},
              {"bcd", s.bcd},
              {"gate", s.gate},
              {"count_load_time", s.count_load_time}};
}

}  // namespace

Result<void> JsonCodec<hv::PitChannelState>::Decode(const json& j, const std::string& path,
                                                    hv::PitChannelState& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("count", s.count));
  PETREL_TRY(f.Read("latched_count", s.latched_count));
  PETREL_TRY(f.Read("count_latched", s.count_latched));
  PETREL_TRY(f.Read("status_latched", s.status_latched));
  PETREL_TRY(f.Read("status", s.status));
  PETREL_TRY(f.Read("read_state", s.read_state));
  PETREL_TRY(f.Read("write_state", s.write_state));
  PETREL_TRY(f.Read("write_latch", s.write_latch));
  PETREL_TRY(f.Read("rw_mode", s.rw_mode));
  PETREL_TRY(f.Read("mode", s.mode));
  PETREL_TRY(f.Read("bcd", s.bcd));
  PETREL_TRY(f.Read("gate", s.gate));
  PETREL_TRY(f.Read("count_load_time", s.count_load_time));
  return f.Finish();
}

json ToJson(const hv::PitState& s) {
  json channels = json::array();
  for (const auto& c : s.channels) channels.push_back(Encode(c));
  return json{{"channels", std::move(channels)}, {"flags", s.flags}};
}

Result<void> JsonCodec<hv::PitState>::Decode(const json& j, const std::string& path,
                                             hv::PitState& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.ReadArray("channels", s.channels));
  PETREL_TRY(f.Read("flags", s.flags));
  return f.Finish();
}

Result<hv::PitState> PitStateFromJson(const json& j, const std::string& path) {
  return DecodeRoot<hv::PitState>(j, path);
}

json ToJson(const hv::IrqchipState& s) {
  return json{{"pic", json::array({ToJson(s.pic[0]), ToJson(s.pic[1])})},
              {"ioapic", ToJson(s.ioapic)},
              {"pit", EncodeOptional(s.pit)}};
}

Result<void> JsonCodec<hv::IrqchipState>::Decode(const json& j, const std::string& path,
                                                 hv::IrqchipState& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.ReadArray("pic", s.pic));
  PETREL_TRY(f.Read("ioapic", s.ioapic));
  PETREL_TRY(f.ReadOptional("pit", s.pit));
  return f.Finish();
}

Result<hv::IrqchipState> IrqchipStateFromJson(const json& j, const std::string& path) {
  return DecodeRoot<hv::IrqchipState>(j, path);
}

Result<void> JsonCodec<hv::VmClock>::Decode(const json& j, const std::string& path,
                                            hv::VmClock& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("ns", s.ns));
  return f.Finish();
}

json ToJson(const hv::VmState& s) {
  return json{{"clock", s.clock ? json{{"ns", s.clock->ns}} : json(nullptr)},
              {"irqchip", EncodeOptional(s.irqchip)}};
}

Result<void> JsonCodec<hv::VmState>::Decode(const json& j, const std::string& path,
                                            hv::VmState& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.ReadOptional("clock", s.clock));
  PETREL_TRY(f.ReadOptional("irqchip", s.irqchip));
  return f.Finish();
}

Result<hv::VmState> VmStateFromJson(const json& j, const std::string& path) {
  return DecodeRoot<hv::VmState>(j, path);
}

// ---------------------------------------------------------------- userspace IOAPIC

json ToJson(const Ioapic::State& s) {
  return json{{"version", s.version},
              {"ioregsel", s.ioregsel},
              {"id", s.id},
              {"redirection", s.redirection},
              {"line_levels", s.line_levels}};
}

Result<void> JsonCodec<Ioapic::State>::Decode(const json& j, const std::string& path,
                                              Ioapic::State& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("version", s.version));
  PETREL_TRY(f.Read("ioregsel", s.ioregsel));
  PETREL_TRY(f.Read("id", s.id));
  PETREL_TRY(f.ReadArray("redirection", s.redirection));
  PETREL_TRY(f.Read("line_levels", s.line_levels));
  PETREL_TRY(f.Finish());
  // The model's own checks (version, reserved bits, pins), with the path.
  auto valid = Ioapic::Validate(s);
  if (!valid.ok()) return FieldProblem(path, valid.error().message());
  return Ok();
}

Result<Ioapic::State> IoapicDeviceStateFromJson(const json& j, const std::string& path) {
  return DecodeRoot<Ioapic::State>(j, path);
}

// ---------------------------------------------------------------- legacy devices

json ToJson(const Serial::State& s) {
  return json{{"ier", s.ier},           {"lcr", s.lcr},
              {"mcr", s.mcr},           {"lsr", s.lsr},
              {"msr", s.msr},           {"scr", s.scr},
              {"dll", s.dll},           {"dlm", s.dlm},
              {"fcr", s.fcr},           {"thre_pending", s.thre_pending},
              {"rx_count", s.rx_count}, {"rx", HexEncode(s.rx)}};
}

Result<void> JsonCodec<Serial::State>::Decode(const json& j, const std::string& path,
                                              Serial::State& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("ier", s.ier));
  PETREL_TRY(f.Read("lcr", s.lcr));
  PETREL_TRY(f.Read("mcr", s.mcr));
  PETREL_TRY(f.Read("lsr", s.lsr));
  PETREL_TRY(f.Read("msr", s.msr));
  PETREL_TRY(f.Read("scr", s.scr));
  PETREL_TRY(f.Read("dll", s.dll));
  PETREL_TRY(f.Read("dlm", s.dlm));
  PETREL_TRY(f.Read("fcr", s.fcr));
  PETREL_TRY(f.Read("thre_pending", s.thre_pending));
  PETREL_TRY(f.Read("rx_count", s.rx_count));
  PETREL_TRY(f.Read("rx", s.rx));
  return f.Finish();
}

Result<Serial::State> SerialStateFromJson(const json& j, const std::string& path) {
  return DecodeRoot<Serial::State>(j, path);
}

json ToJson(const I8042::State& s) {
  return json{{"command_byte", s.command_byte},
              {"output_port", s.output_port},
              {"output_buffer", s.output_buffer},
              {"output_full", s.output_full},
              {"output_aux", s.output_aux},
              {"pending_command", s.pending_command},
              {"last_write_command", s.last_write_command}};
}

Result<void> JsonCodec<I8042::State>::Decode(const json& j, const std::string& path,
                                             I8042::State& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("command_byte", s.command_byte));
  PETREL_TRY(f.Read("output_port", s.output_port));
  PETREL_TRY(f.Read("output_buffer", s.output_buffer));
  PETREL_TRY(f.Read("output_full", s.output_full));
  PETREL_TRY(f.Read("output_aux", s.output_aux));
  PETREL_TRY(f.Read("pending_command", s.pending_command));
  PETREL_TRY(f.Read("last_write_command", s.last_write_command));
  return f.Finish();
}

Result<I8042::State> I8042StateFromJson(const json& j, const std::string& path) {
  return DecodeRoot<I8042::State>(j, path);
}

Result<void> JsonCodec<CivilTime>::Decode(const json& j, const std::string& path, CivilTime& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("year", s.year));
  PETREL_TRY(f.Read("month", s.month));
  PETREL_TRY(f.Read("day", s.day));
  PETREL_TRY(f.Read("hour", s.hour));
  PETREL_TRY(f.Read("minute", s.minute));
  PETREL_TRY(f.Read("second", s.second));
  return f.Finish();
}

json ToJson(const Cmos::State& s) {
  const CivilTime& t = s.frozen_time;
  return json{{"ram", HexEncode(s.ram)},
              {"flags", s.flags},
              {"index", s.index},
              {"rtc_offset_s", s.rtc_offset_s},
              {"frozen", s.frozen},
              {"frozen_time",
               {{"year", t.year},
                {"month", t.month},
                {"day", t.day},
                {"hour", t.hour},
                {"minute", t.minute},
                {"second", t.second}}}};
}

Result<void> JsonCodec<Cmos::State>::Decode(const json& j, const std::string& path,
                                            Cmos::State& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("ram", s.ram));
  PETREL_TRY(f.Read("flags", s.flags));
  PETREL_TRY(f.Read("index", s.index));
  PETREL_TRY(f.Read("rtc_offset_s", s.rtc_offset_s));
  PETREL_TRY(f.Read("frozen", s.frozen));
  PETREL_TRY(f.Read("frozen_time", s.frozen_time));
  return f.Finish();
}

Result<Cmos::State> CmosStateFromJson(const json& j, const std::string& path) {
  return DecodeRoot<Cmos::State>(j, path);
}

Result<void> JsonCodec<DebugPort::Event>::Decode(const json& j, const std::string& path,
                                                 DebugPort::Event& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("code", s.code));
  PETREL_TRY(f.Read("ns", s.ns));
  return f.Finish();
}

json ToJson(const DebugPort::State& s) {
  json events = json::array();
  for (const auto& e : s.events) events.push_back(json{{"code", e.code}, {"ns", e.ns}});
  return json{{"last_code", s.last_code}, {"events", std::move(events)}, {"dropped", s.dropped}};
}

Result<void> JsonCodec<DebugPort::State>::Decode(const json& j, const std::string& path,
                                                 DebugPort::State& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("last_code", s.last_code));
  PETREL_TRY(f.ReadList("events", s.events, DebugPort::kMaxEvents));
  PETREL_TRY(f.Read("dropped", s.dropped));
  return f.Finish();
}

Result<DebugPort::State> DebugPortStateFromJson(const json& j, const std::string& path) {
  return DecodeRoot<DebugPort::State>(j, path);
}

// ---------------------------------------------------------------- TPM

json ToJson(const tpm::TpmCrb::State& s) {
  return json{{"locality_assigned", s.locality_assigned},
              {"been_seized", s.been_seized},
              {"idle", s.idle},
              {"error", s.error},
              {"cancel", s.cancel},
              {"command_pending", s.command_pending},
              {"data", HexEncode(s.data)}};
}

Result<void> JsonCodec<tpm::TpmCrb::State>::Decode(const json& j, const std::string& path,
                                                   tpm::TpmCrb::State& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("locality_assigned", s.locality_assigned));
  PETREL_TRY(f.Read("been_seized", s.been_seized));
  PETREL_TRY(f.Read("idle", s.idle));
  PETREL_TRY(f.Read("error", s.error));
  PETREL_TRY(f.Read("cancel", s.cancel));
  PETREL_TRY(f.Read("command_pending", s.command_pending));
  PETREL_TRY(f.ReadHex("data", s.data, tpm::kDataBufferSize));
  if (s.data.size() != tpm::kDataBufferSize) {
    return FieldProblem(f.PathOf("data"), std::to_string(s.data.size()) + " bytes, " +
                                               std::to_string(tpm::kDataBufferSize) + " expected");
  }
  return f.Finish();
}

Result<tpm::TpmCrb::State> TpmCrbStateFromJson(const json& j, const std::string& path) {
  return DecodeRoot<tpm::TpmCrb::State>(j, path);
}

json ToJson(const tpm::SwtpmState& s) {
  return json{{"permanent", HexEncode(s.permanent)},
              {"volatile", HexEncode(s.volatile_state)},
              {"savestate", HexEncode(s.savestate)}};
}

Result<void> JsonCodec<tpm::SwtpmState>::Decode(const json& j, const std::string& path,
                                                tpm::SwtpmState& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.ReadHex("permanent", s.permanent, tpm::kSwtpmMaxBlobSize));
  PETREL_TRY(f.ReadHex("volatile", s.volatile_state, tpm::kSwtpmMaxBlobSize));
  PETREL_TRY(f.ReadHex("savestate", s.savestate, tpm::kSwtpmMaxBlobSize));
  return f.Finish();
}

Result<tpm::SwtpmState> SwtpmStateFromJson(const json& j, const std::string& path) {
  return DecodeRoot<tpm::SwtpmState>(j, path);
}

// ---------------------------------------------------------------- ACPI devices

json ToJson(const AcpiPmDevice::State& s) {
  return json{{"sleep_status", s.sleep_status}};
}

Result<void> JsonCodec<AcpiPmDevice::State>::Decode(const json& j, const std::string& path,
                                                    AcpiPmDevice::State& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("sleep_status", s.sleep_status));
  return f.Finish();
}

Result<AcpiPmDevice::State> AcpiPmStateFromJson(const json& j, const std::string& path) {
  return DecodeRoot<AcpiPmDevice::State>(j, path);
}

json ToJson(const PmTimer::State& s) {
  return json{{"elapsed_ns", s.elapsed_ns}};
}

Result<void> JsonCodec<PmTimer::State>::Decode(const json& j, const std::string& path,
                                               PmTimer::State& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("elapsed_ns", s.elapsed_ns));
  return f.Finish();
}

Result<PmTimer::State> PmTimerStateFromJson(const json& j, const std::string& path) {
  return DecodeRoot<PmTimer::State>(j, path);
}

json ToJson(const GedDevice::State& s) {
  return json{{"pending", s.pending}};
}

Result<void> JsonCodec<GedDevice::State>::Decode(const json& j, const std::string& path,
                                                 GedDevice::State& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("pending", s.pending));
  return f.Finish();
}

Result<GedDevice::State> GedStateFromJson(const json& j, const std::string& path) {
  return DecodeRoot<GedDevice::State>(j, path);
}

json ToJson(const CpuHotplugController::Slot& s) {
  return json{{"enabled", s.enabled},
              {"inserting", s.inserting},
              {"removing", s.removing},
              {"removal_requested", s.removal_requested}};
}

Result<void> JsonCodec<CpuHotplugController::Slot>::Decode(const json& j, const std::string& path,
                                                           CpuHotplugController::Slot& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("enabled", s.enabled));
  PETREL_TRY(f.Read("inserting", s.inserting));
  PETREL_TRY(f.Read("removing", s.removing));
  PETREL_TRY(f.Read("removal_requested", s.removal_requested));
  return f.Finish();
}

json ToJson(const CpuHotplugController::State& s) {
  json slots = json::array();
  for (const CpuHotplugController::Slot& slot : s.slots) slots.push_back(ToJson(slot));
  return json{{"selected", s.selected}, {"slots", std::move(slots)}};
}

Result<void> JsonCodec<CpuHotplugController::State>::Decode(const json& j, const std::string& path,
                                                            CpuHotplugController::State& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("selected", s.selected));
  PETREL_TRY(f.ReadList("slots", s.slots, acpi::kMaxAcpiVcpus));
  return f.Finish();
}

Result<CpuHotplugController::State> CpuHotplugStateFromJson(const json& j,
                                                            const std::string& path) {
  return DecodeRoot<CpuHotplugController::State>(j, path);
}

json ToJson(const PciHotplugController::State& s) {
  return json{{"segment", s.segment},
              {"up", s.up},
              {"down", s.down},
              {"removal_requested", s.removal_requested}};
}

Result<void> JsonCodec<PciHotplugController::State>::Decode(const json& j, const std::string& path,
                                                            PciHotplugController::State& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("segment", s.segment));
  PETREL_TRY(f.Read("up", s.up));
  PETREL_TRY(f.Read("down", s.down));
  PETREL_TRY(f.Read("removal_requested", s.removal_requested));
  return f.Finish();
}

Result<PciHotplugController::State> PciHotplugStateFromJson(const json& j,
                                                            const std::string& path) {
  return DecodeRoot<PciHotplugController::State>(j, path);
}

json ToJson(const MemoryHotplugController::Slot& s) {
  return json{{"base", s.base},         {"length", s.length},
              {"proximity", s.proximity}, {"enabled", s.enabled},
              {"inserting", s.inserting}, {"removing", s.removing},
              {"removal_requested", s.removal_requested}};
}

Result<void> JsonCodec<MemoryHotplugController::Slot>::Decode(const json& j, const std::string& path,
                                                              MemoryHotplugController::Slot& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("base", s.base));
  PETREL_TRY(f.Read("length", s.length));
  PETREL_TRY(f.Read("proximity", s.proximity));
  PETREL_TRY(f.Read("enabled", s.enabled));
  PETREL_TRY(f.Read("inserting", s.inserting));
  PETREL_TRY(f.Read("removing", s.removing));
  PETREL_TRY(f.Read("removal_requested", s.removal_requested));
  return f.Finish();
}

json ToJson(const MemoryHotplugController::State& s) {
  json slots = json::array();
  for (const MemoryHotplugController::Slot& slot : s.slots) slots.push_back(ToJson(slot));
  return json{{"selected", s.selected}, {"slots", std::move(slots)}};
}

// The controller checks slot count, ranges and flags (Restore).
Result<void> JsonCodec<MemoryHotplugController::State>::Decode(const json& j,
                                                               const std::string& path,
                                                               MemoryHotplugController::State& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("selected", s.selected));
  PETREL_TRY(f.ReadList("slots", s.slots, MemoryHotplugController::kSlots));
  return f.Finish();
}

Result<MemoryHotplugController::State> MemoryHotplugStateFromJson(const json& j,
                                                                  const std::string& path) {
  return DecodeRoot<MemoryHotplugController::State>(j, path);
}

// ---------------------------------------------------------------- PCI

json ToJson(const PciConfigIo::State& s) {
  return json{{"config_address", s.config_address}};
}

Result<void> JsonCodec<PciConfigIo::State>::Decode(const json& j, const std::string& path,
                                                   PciConfigIo::State& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("config_address", s.config_address));
  return f.Finish();
}

Result<PciConfigIo::State> PciConfigIoStateFromJson(const json& j, const std::string& path) {
  return DecodeRoot<PciConfigIo::State>(j, path);
}

json ToJson(const PciConfigSpace::State& s) {
  return json{{"regs", HexEncode(s.regs)}};
}

Result<void> JsonCodec<PciConfigSpace::State>::Decode(const json& j, const std::string& path,
                                                      PciConfigSpace::State& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("regs", s.regs));
  return f.Finish();
}

Result<PciConfigSpace::State> PciConfigSpaceStateFromJson(const json& j, const std::string& path) {
  return DecodeRoot<PciConfigSpace::State>(j, path);
}

Result<void> JsonCodec<MsixEntry>::Decode(const json& j, const std::string& path, MsixEntry& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("address_lo", s.address_lo));
  PETREL_TRY(f.Read("address_hi", s.address_hi));
  PETREL_TRY(f.Read("data", s.data));
  PETREL_TRY(f.Read("vector_control", s.vector_control));
  return f.Finish();
}

json ToJson(const MsixTable::State& s) {
  json table = json::array();
  for (const auto& e : s.table) {
    table.push_back(json{{"address_lo", e.address_lo},
                         {"address_hi", e.address_hi},
                         {"data", e.data},
                         {"vector_control", e.vector_control}});
  }
  return json{{"table", std::move(table)}, {"pba", s.pba}, {"control", s.control}};
}

Result<void> JsonCodec<MsixTable::State>::Decode(const json& j, const std::string& path,
                                                 MsixTable::State& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.ReadList("table", s.table, kMsixMaxVectors));
  PETREL_TRY(f.ReadList("pba", s.pba, (kMsixMaxVectors + kMsixPbaWordBits - 1) / kMsixPbaWordBits));
  PETREL_TRY(f.Read("control", s.control));
  return f.Finish();
}

Result<MsixTable::State> MsixTableStateFromJson(const json& j, const std::string& path) {
  return DecodeRoot<MsixTable::State>(j, path);
}

// ---------------------------------------------------------------- virtio

Result<void> JsonCodec<virtio::SplitQueue::Config>::Decode(const json& j, const std::string& path,
                                                           virtio::SplitQueue::Config& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("size", s.size));
  PETREL_TRY(f.Read("desc_gpa", s.desc_gpa));
  PETREL_TRY(f.Read("avail_gpa", s.avail_gpa));
  PETREL_TRY(f.Read("used_gpa", s.used_gpa));
  PETREL_TRY(f.Read("event_idx", s.event_idx));
  PETREL_TRY(f.Read("indirect", s.indirect));
  return f.Finish();
}

json ToJson(const virtio::SplitQueue::State& s) {
  const auto& c = s.config;
  return json{{"config",
               {{"size", c.size},
                {"desc_gpa", c.desc_gpa},
                {"avail_gpa", c.avail_gpa},
                {"used_gpa", c.used_gpa},
                {"event_idx", c.event_idx},
                {"indirect", c.indirect}}},
              {"ready", s.ready},
              {"next_avail", s.next_avail},
              {"next_used", s.next_used},
              {"signalled_used", s.signalled_used},
              {"signalled_used_valid", s.signalled_used_valid}};
}

Result<void> JsonCodec<virtio::SplitQueue::State>::Decode(const json& j, const std::string& path,
                                                          virtio::SplitQueue::State& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("config", s.config));
  PETREL_TRY(f.Read("ready", s.ready));
  PETREL_TRY(f.Read("next_avail", s.next_avail));
  PETREL_TRY(f.Read("next_used", s.next_used));
  PETREL_TRY(f.Read("signalled_used", s.signalled_used));
  PETREL_TRY(f.Read("signalled_used_valid", s.signalled_used_valid));
  return f.Finish();
}

Result<virtio::SplitQueue::State> SplitQueueStateFromJson(const json& j, const std::string& path) {
  return DecodeRoot<virtio::SplitQueue::State>(j, path);
}

json ToJson(const virtio::VirtioPciDevice::QueueState& s) {
  return json{{"size", s.size},        {"msix_vector", s.msix_vector}, {"enabled", s.enabled},
              {"desc", s.desc},        {"driver", s.driver},           {"device", s.device},
              {"ring", ToJson(s.ring)}};
}

Result<void> JsonCodec<virtio::VirtioPciDevice::QueueState>::Decode(
    const json& j, const std::string& path, virtio::VirtioPciDevice::QueueState& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("size", s.size));
  PETREL_TRY(f.Read("msix_vector", s.msix_vector));
  PETREL_TRY(f.Read("enabled", s.enabled));
  PETREL_TRY(f.Read("desc", s.desc));
  PETREL_TRY(f.Read("driver", s.driver));
  PETREL_TRY(f.Read("device", s.device));
  PETREL_TRY(f.Read("ring", s.ring));
  return f.Finish();
}

Result<virtio::VirtioPciDevice::QueueState> VirtioPciQueueStateFromJson(const json& j,
                                                                        const std::string& path) {
  return DecodeRoot<virtio::VirtioPciDevice::QueueState>(j, path);
}

json ToJson(const virtio::VirtioPciDevice::State& s) {
  return json{{"config", ToJson(s.config)},
              {"msix", ToJson(s.msix)},
              {"device_feature_select", s.device_feature_select},
              {"driver_feature_select", s.driver_feature_select},
              {"driver_features", s.driver_features},
              {"config_msix_vector", s.config_msix_vector},
              {"status", s.status},
              {"config_generation", s.config_generation},
              {"queue_select", s.queue_select},
              {"isr", s.isr},
              {"failed", s.failed},
              {"queues", EncodeList(s.queues)}};
}

Result<void> JsonCodec<virtio::VirtioPciDevice::State>::Decode(const json& j,
                                                               const std::string& path,
                                                               virtio::VirtioPciDevice::State& s) {
  PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
  PETREL_TRY(f.Read("config", s.config));
  PETREL_TRY(f.Read("msix", s.msix));
  PETREL_TRY(f.Read("device_feature_select", s.device_feature_select));
  PETREL_TRY(f.Read("driver_feature_select", s.driver_feature_select));
  PETREL_TRY(f.Read("driver_features", s.driver_features));
  PETREL_TRY(f.Read("config_msix_vector", s.config_msix_vector));
  PETREL_TRY(f.Read("status", s.status));
  PETREL_TRY(f.Read("config_generation", s.config_generation));
  PETREL_TRY(f.Read("queue_select", s.queue_select));
  PETREL_TRY(f.Read("isr", s.isr));
  PETREL_TRY(f.Read("failed", s.failed));
  PETREL_TRY(f.ReadList("queues", s.queues, virtio::kVirtioPciMaxQueues));
  return f.Finish();
}

Result<virtio::VirtioPciDevice::State> VirtioPciDeviceStateFromJson(const json& j,
                                                                    const std::string& path) {
  return DecodeRoot<virtio::VirtioPciDevice::State>(j, path);
}

}  // namespace petrel::vmm::snapshot
