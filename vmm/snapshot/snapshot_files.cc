// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Snapshot directories (see snapshot_files.h).
#include "vmm/snapshot/snapshot_files.h"

#include "core/base/whole_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "core/base/unique_fd.h"
#include "vmm/config/vm_config_json.h"
#include "vmm/snapshot/json_fields.h"
#include "vmm/snapshot/state_json.h"

namespace petrel::vmm::snapshot {
namespace {

using nlohmann::json;

// Largest state.json or config.json read back (a real one is a few KiB per
// vCPU and device).
constexpr uint64_t kMaxJsonFileBytes = 64ull << 20;
// Devices of one kind in a snapshot, at most.
constexpr size_t kMaxVirtioDevices = 256;
constexpr size_t kMaxVcpus = 1024;

std::string Join(const std::string& dir, const char* name) { return dir + "/" + name; }

json Section(json state) { return Versioned(kStateSectionVersion, std::move(state)); }

// A section's state decoded with `decode` (a <Type>FromJson), its version checked.
template <class Decode>
auto ReadSection(const json& section, const std::string& path, Decode decode)
    -> decltype(decode(section, path)) {
  PETREL_ASSIGN_OR_RETURN(json state, Unversioned(section, kStateSectionVersion, path));
  return decode(state, FieldPath(path, "state"));
}

Result<void> RenameInto(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return Error::FromErrno("renaming " + from);
  return Ok();
}

Result<std::string> ReadWhole(const std::string& path) {
  return ReadWholeFile(path, kMaxJsonFileBytes);
}

// virtio-mem's block bitmap at its largest: a 64 TiB region of 2 MiB blocks.
constexpr size_t kMaxMemBitmapBytes = virtio::kVirtioMemMaxRegionSize / virtio::kVirtioMemMinBlockSize / 8;

// A device type's state: {"type": "none"|"blk"|"net"|"console"|"balloon"|"mem"|"watchdog"|"iommu"|
// "pmem", "state": ...}.
json TypeStateToJson(const VirtioTypeState& state) {
  if (const auto* blk = std::get_if<virtio::BlkDeviceState>(&state)) {
    return {{"type", "blk"}, {"state", Section({{"writeback", blk->writeback}})}};
  }
  if (const auto* net = std::get_if<virtio::VirtioNetState>(&state)) {
    return {{"type", "net"},
            {"state", Section({{"mac", HexEncode(net->mac)},
                               {"active_pairs", net->active_pairs},
                               {"guest_offloads", net->guest_offloads}})}};
  }
  if (const auto* balloon = std::get_if<virtio::BalloonDeviceState>(&state)) {
    return {{"type", "balloon"},
            {"state", Section({{"num_pages", balloon->num_pages}, {"actual", balloon->actual}})}};
  }
  if (const auto* mem = std::get_if<virtio::MemDeviceState>(&state)) {
    return {{"type", "mem"},
            {"state", Section({{"requested_size", mem->requested_size},
                               {"plugged", HexEncode(mem->plugged)}})}};
  }
  if (const auto* vsock = std::get_if<virtio::VsockDeviceState>(&state)) {
    json host = json::array(), guest = json::array();
    for (const auto& [h, g] : vsock->connections) {
      host.push_back(h);
      guest.push_back(g);
    }
    return {{"type", "vsock"},
            {"state", Section({{"guest_cid", vsock->guest_cid},
                               {"host_ports", std::move(host)},
                               {"guest_ports", std::move(guest)}})}};
  }
  if (const auto* pmem = std::get_if<virtio::PmemDeviceState>(&state)) {
    return {{"type", "pmem"}, {"state", Section({{"start", pmem->start}, {"size", pmem->size}})}};
  }
  if (const auto* iommu = std::get_if<virtio::IommuMappings::State>(&state)) {
    // Parallel lists: endpoints and their domains; bypass domains; one
    // entry per mapping in each map_* list.
    json ep_ids = json::array(), ep_domains = json::array(), domain_ids = json::array(),
         bypass = json::array(), map_domain = json::array(), map_start = json::array(),
         map_end = json::array(), map_phys = json::array(), map_flags = json::array();
    for (const auto& [ep, dom] : iommu->endpoints) {
      ep_ids.push_back(ep);
      ep_domains.push_back(dom);
    }
    for (const auto& [id, d] : iommu->domains) {
      domain_ids.push_back(id);
      if (d.bypass) bypass.push_back(id);
      for (const auto& [start, m] : d.mappings) {
        map_domain.push_back(id);
        map_start.push_back(start);
        map_end.push_back(m.virt_end);
        map_phys.push_back(m.phys_start);
        map_flags.push_back(m.flags);
      }
    }
    return {{"type", "iommu"},
            {"state", Section({{"bypass_unattached", iommu->bypass_unattached},
                               {"endpoints", std::move(ep_ids)},
                               {"endpoint_domains", std::move(ep_domains)},
                               {"domains", std::move(domain_ids)},
                               {"bypass_domains", std::move(bypass)},
                               {"map_domains", std::move(map_domain)},
                               {"map_virt_start", std::move(map_start)},
                               {"map_virt_end", std::move(map_end)},
                               {"map_phys_start", std::move(map_phys)},
                               {"map_flags", std::move(map_flags)}})}};
  }
  if (const auto* watchdog = std::get_if<virtio::WatchdogDeviceState>(&state)) {
    return {{"type", "watchdog"}, {"state", Section({{"armed", watchdog->armed}})}};
  }
  if (const auto* console = std::get_if<virtio::ConsoleDeviceState>(&state)) {
    return {{"type", "console"},
            {"state", Section({{"cols", console->size.cols},
                               {"rows", console->size.rows},
                               {"pending_input", HexEncode(console->pending_input)}})}};
  }
  return {{"type", "none"}, {"state", nullptr}};
}

Result<VirtioTypeState> TypeStateFromJson(const json& value, const std::string& path) {
  PETREL_ASSIGN_OR_RETURN(ObjectFields fields, ObjectFields::Open(value, path));
  PETREL_ASSIGN_OR_RETURN(const json* type, fields.Get("type"));
  PETREL_ASSIGN_OR_RETURN(const json* section, fields.Get("state"));
  PETREL_TRY(fields.Finish());
  const std::string state_path = fields.PathOf("state");
  const std::string name = type->is_string() ? type->get<std::string>() : std::string();
  if (name == "none") {
    if (!section->is_null()) return FieldProblem(state_path, "expected null");
    return VirtioTypeState{};
  }
  if (name != "blk" && name != "net" && name != "console" && name != "balloon" && name != "mem" &&
      name != "watchdog" && name != "pmem" && name != "vsock" && name != "iommu") {
    return FieldProblem(fields.PathOf("type"),
                        "expected \"none\", \"blk\", \"net\", \"console\", \"balloon\", \"mem\", "
                        "\"watchdog\", \"pmem\", \"vsock\" or \"iommu\"");
  }
  PETREL_ASSIGN_OR_RETURN(json state, Unversioned(*section, kStateSectionVersion, state_path));
  const std::string inner = FieldPath(state_path, "state");
  PETREL_ASSIGN_OR_RETURN(ObjectFields f, ObjectFields::Open(state, inner));
  if (name == "blk") {
    virtio::BlkDeviceState blk;
    PETREL_TRY(f.Read("writeback", blk.writeback));
    PETREL_TRY(f.Finish());
    return VirtioTypeState{blk};
  }
  if (name == "net") {
    virtio::VirtioNetState net;
    PETREL_TRY(f.Read("mac", net.mac));
    PETREL_TRY(f.Read("active_pairs", net.active_pairs));
    PETREL_TRY(f.Read("guest_offloads", net.guest_offloads));
    PETREL_TRY(f.Finish());
    return VirtioTypeState{net};
  }
  if (name == "balloon") {
    virtio::BalloonDeviceState balloon;
    PETREL_TRY(f.Read("num_pages", balloon.num_pages));
    PETREL_TRY(f.Read("actual", balloon.actual));
    PETREL_TRY(f.Finish());
    return VirtioTypeState{balloon};
  }
  if (name == "mem") {
    // The device checks the bitmap against its region (MemDevice::Restore).
    virtio::MemDeviceState mem;
    PETREL_TRY(f.Read("requested_size", mem.requested_size));
    PETREL_TRY(f.ReadHex("plugged", mem.plugged, kMaxMemBitmapBytes));
    PETREL_TRY(f.Finish());
    return VirtioTypeState{mem};
  }
  if (name == "vsock") {
    // The device checks the cid and the list (VsockDevice::Restore).
    virtio::VsockDeviceState vsock;
    std::vector<uint32_t> host, guest;
    PETREL_TRY(f.Read("guest_cid", vsock.guest_cid));
    PETREL_TRY(f.ReadList("host_ports", host, virtio::kVsockMaxConnections));
    PETREL_TRY(f.ReadList("guest_ports", guest, virtio::kVsockMaxConnections));
    PETREL_TRY(f.Finish());
    if (host.size() != guest.size()) {
      return FieldProblem(inner, "host_ports and guest_ports differ in length");
    }
    for (size_t i = 0; i < host.size(); ++i) vsock.connections.emplace_back(host[i], guest[i]);
    return VirtioTypeState{vsock};
  }
  if (name == "iommu") {
    // The device checks the rules (IommuMappings::Restore); here only the
    // lists' lengths, each bounded by what the device allows.
    virtio::IommuMappings::State iommu;
    constexpr size_t kMaxEndpoints = 256 * 32 * 8;  // every BDF of segment 0
    const size_t max_domains = size_t{virtio::IommuMappings::Limits{}.domain_end} + 1;
    const size_t max_maps = virtio::IommuMappings::Limits{}.max_mappings;
    std::vector<uint32_t> ep_ids, ep_domains, domain_ids, bypass, map_domain, map_flags;
    std::vector<uint64_t> map_start, map_end, map_phys;
    PETREL_TRY(f.Read("bypass_unattached", iommu.bypass_unattached));
    PETREL_TRY(f.ReadList("endpoints", ep_ids, kMaxEndpoints));
    PETREL_TRY(f.ReadList("endpoint_domains", ep_domains, kMaxEndpoints));
    PETREL_TRY(f.ReadList("domains", domain_ids, max_domains));
    PETREL_TRY(f.ReadList("bypass_domains", bypass, max_domains));
    PETREL_TRY(f.ReadList("map_domains", map_domain, max_maps));
    PETREL_TRY(f.ReadList("map_virt_start", map_start, max_maps));
    PETREL_TRY(f.ReadList("map_virt_end", map_end, max_maps));
    PETREL_TRY(f.ReadList("map_phys_start", map_phys, max_maps));
    PETREL_TRY(f.ReadList("map_flags", map_flags, max_maps));
    PETREL_TRY(f.Finish());
    const size_t n = map_domain.size();
    if (ep_ids.size() != ep_domains.size() || map_start.size() != n || map_end.size() != n ||
        map_phys.size() != n || map_flags.size() != n) {
      return FieldProblem(inner, "lists of different lengths");
    }
    for (size_t i = 0; i < ep_ids.size(); ++i) iommu.endpoints[ep_ids[i]] = ep_domains[i];
    for (uint32_t id : domain_ids) iommu.domains[id];
    for (uint32_t id : bypass) {
      auto d = iommu.domains.find(id);
      if (d == iommu.domains.end()) return FieldProblem(inner, "a bypass domain not in domains");
      d->second.bypass = true;
    }
    for (size_t i = 0; i < n; ++i) {
      auto d = iommu.domains.find(map_domain[i]);
      if (d == iommu.domains.end()) return FieldProblem(inner, "a mapping of a domain not in domains");
      d->second.mappings[map_start[i]] = {map_end[i], map_phys[i], map_flags[i]};
    }
    return VirtioTypeState{iommu};
  }
  if (name == "pmem") {
    virtio::PmemDeviceState pmem;  // the device checks it is where it is now
    PETREL_TRY(f.Read("start", pmem.start));
    PETREL_TRY(f.Read("size", pmem.size));
    PETREL_TRY(f.Finish());
    return VirtioTypeState{pmem};
  }
  if (name == "watchdog") {
    virtio::WatchdogDeviceState watchdog;
    PETREL_TRY(f.Read("armed", watchdog.armed));
    PETREL_TRY(f.Finish());
    return VirtioTypeState{watchdog};
  }
  virtio::ConsoleDeviceState console;
  PETREL_TRY(f.Read("cols", console.size.cols));
  PETREL_TRY(f.Read("rows", console.size.rows));
  PETREL_TRY(f.ReadHex("pending_input", console.pending_input, virtio::kConsoleMaxPendingInput));
  PETREL_TRY(f.Finish());
  return VirtioTypeState{console};
}

// A device number on bus 0 other than the host bridge's.
Result<uint8_t> ReadPciSlot(const json& slot, const std::string& path) {
  if (!slot.is_number_unsigned() || slot.get<uint64_t>() == 0 ||
      slot.get<uint64_t>() >= PciBus::kMaxDevices) {
    return FieldProblem(path, "expected a PCI device number 1..31");
  }
  return static_cast<uint8_t>(slot.get<uint64_t>());
}

}  // namespace

json SnapshotStateToJson(const VmSnapshotState& s, const std::vector<MemoryRange>& ranges) {
  json vcpus = json::array();
  for (const auto& v : s.vcpus) vcpus.push_back(Section(ToJson(v)));
  json virtio = json::array();
  for (const auto& d : s.virtio) {
    virtio.push_back({{"id", d.id},
                      {"pci_slot", d.slot ? json(*d.slot) : json(nullptr)},
                      {"transport", Section(ToJson(d.transport))},
                      {"device", TypeStateToJson(d.device)}});
  }
  return {
      {"petrel_snapshot", kSnapshotFormatVersion},
      {"memory_ranges", ToJson(ranges)},
      {"vm", Section(ToJson(s.vm))},
      {"vcpus", std::move(vcpus)},
      {"ioapic", s.ioapic ? Section(ToJson(*s.ioapic)) : json(nullptr)},
      {"legacy",
       {{"serial", s.legacy.serial ? Section(ToJson(*s.legacy.serial)) : json(nullptr)},
        {"i8042", Section(ToJson(s.legacy.i8042))},
        {"cmos", Section(ToJson(s.legacy.cmos))},
        {"debug_port", Section(ToJson(s.legacy.debug_port))}}},
      {"acpi",
       {{"pm", Section(ToJson(s.acpi.pm))},
        {"pm_timer", Section(ToJson(s.acpi.pm_timer))},
        {"ged", Section(ToJson(s.acpi.ged))},
        {"cpu_hotplug",
         s.acpi.cpu_hotplug ? Section(ToJson(*s.acpi.cpu_hotplug)) : json(nullptr)},
        {"pci_hotplug",
         s.acpi.pci_hotplug ? Section(ToJson(*s.acpi.pci_hotplug)) : json(nullptr)},
        {"memory_hotplug",
         s.acpi.memory_hotplug ? Section(ToJson(*s.acpi.memory_hotplug)) : json(nullptr)}}},
      {"pci",
       {{"config_io", Section(ToJson(s.pci.config_io))},
        {"host_bridge", Section(ToJson(s.pci.host_bridge))},
        {"pvpanic", s.pvpanic ? json{{"pci_slot", s.pvpanic->slot},
                                     {"config", Section(ToJson(s.pvpanic->config))}}
                              : json(nullptr)}}},
      {"virtio", std::move(virtio)},
      {"tpm", s.tpm ? json{{"crb", Section(ToJson(s.tpm->crb))},
                           {"swtpm", Section(ToJson(s.tpm->swtpm))}}
                    : json(nullptr)},
  };
}

Result<DecodedState> SnapshotStateFromJson(const json& document) {
  DecodedState out;
  VmSnapshotState& s = out.state;
  PETREL_ASSIGN_OR_RETURN(ObjectFields root, ObjectFields::Open(document, ""));
  uint32_t format = 0;
  PETREL_TRY(root.Read("petrel_snapshot", format));
  if (format != kSnapshotFormatVersion && format != kSnapshotFormatVersion - 1) {
    return Error(ErrorCode::kInvalidArgument,
                 "snapshot format " + std::to_string(format) + ", this Petrel reads formats " +
                     std::to_string(kSnapshotFormatVersion - 1) + " and " +
                     std::to_string(kSnapshotFormatVersion));
  }
  PETREL_ASSIGN_OR_RETURN(const json* ranges, root.Get("memory_ranges"));
  PETREL_ASSIGN_OR_RETURN(out.ranges, MemoryRangesFromJson(*ranges, "memory_ranges"));
  PETREL_ASSIGN_OR_RETURN(const json* vm, root.Get("vm"));
  PETREL_ASSIGN_OR_RETURN(s.vm, ReadSection(*vm, "vm", VmStateFromJson));

  PETREL_ASSIGN_OR_RETURN(const json* vcpus_value, root.Get("vcpus"));
  PETREL_ASSIGN_OR_RETURN(const json* vcpus, DecodeArray(*vcpus_value, "vcpus", kMaxVcpus));
  for (size_t i = 0; i < vcpus->size(); ++i) {
    PETREL_ASSIGN_OR_RETURN(auto v, ReadSection((*vcpus)[i], IndexPath("vcpus", i),
                                                VcpuStateFromJson));
    s.vcpus.push_back(std::move(v));
  }

  PETREL_ASSIGN_OR_RETURN(const json* ioapic, root.Get("ioapic"));
  if (!ioapic->is_null()) {
    PETREL_ASSIGN_OR_RETURN(s.ioapic, ReadSection(*ioapic, "ioapic", IoapicDeviceStateFromJson));
  }

  PETREL_ASSIGN_OR_RETURN(const json* legacy_value, root.Get("legacy"));
  PETREL_ASSIGN_OR_RETURN(ObjectFields legacy, ObjectFields::Open(*legacy_value, "legacy"));
  PETREL_ASSIGN_OR_RETURN(const json* serial, legacy.Get("serial"));
  if (!serial->is_null()) {
    PETREL_ASSIGN_OR_RETURN(s.legacy.serial,
                            ReadSection(*serial, "legacy.serial", SerialStateFromJson));
  }
  PETREL_ASSIGN_OR_RETURN(const json* i8042, legacy.Get("i8042"));
  PETREL_ASSIGN_OR_RETURN(s.legacy.i8042, ReadSection(*i8042, "legacy.i8042", I8042StateFromJson));
  PETREL_ASSIGN_OR_RETURN(const json* cmos, legacy.Get("cmos"));
  PETREL_ASSIGN_OR_RETURN(s.legacy.cmos, ReadSection(*cmos, "legacy.cmos", CmosStateFromJson));
  PETREL_ASSIGN_OR_RETURN(const json* debug, legacy.Get("debug_port"));
  PETREL_ASSIGN_OR_RETURN(s.legacy.debug_port,
                          ReadSection(*debug, "legacy.debug_port", DebugPortStateFromJson));
  PETREL_TRY(legacy.Finish());

  PETREL_ASSIGN_OR_RETURN(const json* acpi_value, root.Get("acpi"));
  PETREL_ASSIGN_OR_RETURN(ObjectFields acpi, ObjectFields::Open(*acpi_value, "acpi"));
  PETREL_ASSIGN_OR_RETURN(const json* pm, acpi.Get("pm"));
  PETREL_ASSIGN_OR_RETURN(s.acpi.pm, ReadSection(*pm, "acpi.pm", AcpiPmStateFromJson));
  PETREL_ASSIGN_OR_RETURN(const json* timer, acpi.Get("pm_timer"));
  PETREL_ASSIGN_OR_RETURN(s.acpi.pm_timer,
                          ReadSection(*timer, "acpi.pm_timer", PmTimerStateFromJson));
  PETREL_ASSIGN_OR_RETURN(const json* ged, acpi.Get("ged"));
  PETREL_ASSIGN_OR_RETURN(s.acpi.ged, ReadSection(*ged, "acpi.ged", GedStateFromJson));
  PETREL_ASSIGN_OR_RETURN(const json* hotplug, acpi.Get("cpu_hotplug"));
  if (!hotplug->is_null()) {
    PETREL_ASSIGN_OR_RETURN(s.acpi.cpu_hotplug,
                            ReadSection(*hotplug, "acpi.cpu_hotplug", CpuHotplugStateFromJson));
  }
  if (format >= 4) {
    PETREL_ASSIGN_OR_RETURN(const json* pci_hotplug, acpi.Get("pci_hotplug"));
    if (!pci_hotplug->is_null()) {
      PETREL_ASSIGN_OR_RETURN(s.acpi.pci_hotplug, ReadSection(*pci_hotplug, "acpi.pci_hotplug",
                                                              PciHotplugStateFromJson));
    }
    PETREL_ASSIGN_OR_RETURN(const json* memory_hotplug, acpi.Get("memory_hotplug"));
    if (!memory_hotplug->is_null()) {
      PETREL_ASSIGN_OR_RETURN(s.acpi.memory_hotplug,
                              ReadSection(*memory_hotplug, "acpi.memory_hotplug",
                                          MemoryHotplugStateFromJson));
    }
  }
  PETREL_TRY(acpi.Finish());

  PETREL_ASSIGN_OR_RETURN(const json* pci_value, root.Get("pci"));
  PETREL_ASSIGN_OR_RETURN(ObjectFields pci, ObjectFields::Open(*pci_value, "pci"));
  PETREL_ASSIGN_OR_RETURN(const json* config_io, pci.Get("config_io"));
  PETREL_ASSIGN_OR_RETURN(s.pci.config_io,
                          ReadSection(*config_io, "pci.config_io", PciConfigIoStateFromJson));
  PETREL_ASSIGN_OR_RETURN(const json* bridge, pci.Get("host_bridge"));
  PETREL_ASSIGN_OR_RETURN(s.pci.host_bridge,
                          ReadSection(*bridge, "pci.host_bridge", PciConfigSpaceStateFromJson));
  {
    PETREL_ASSIGN_OR_RETURN(const json* pvpanic_value, pci.Get("pvpanic"));
    if (!pvpanic_value->is_null()) {
      PETREL_ASSIGN_OR_RETURN(ObjectFields pvpanic, ObjectFields::Open(*pvpanic_value, "pci.pvpanic"));
      PvpanicSnapshot p;
      PETREL_ASSIGN_OR_RETURN(const json* slot, pvpanic.Get("pci_slot"));
      PETREL_ASSIGN_OR_RETURN(p.slot, ReadPciSlot(*slot, pvpanic.PathOf("pci_slot")));
      PETREL_ASSIGN_OR_RETURN(const json* config, pvpanic.Get("config"));
      PETREL_ASSIGN_OR_RETURN(p.config, ReadSection(*config, pvpanic.PathOf("config"),
                                                    PciConfigSpaceStateFromJson));
      PETREL_TRY(pvpanic.Finish());
      s.pvpanic = std::move(p);
    }
  }
  PETREL_TRY(pci.Finish());

  PETREL_ASSIGN_OR_RETURN(const json* virtio_value, root.Get("virtio"));
  PETREL_ASSIGN_OR_RETURN(const json* virtio,
                          DecodeArray(*virtio_value, "virtio", kMaxVirtioDevices));
  for (size_t i = 0; i < virtio->size(); ++i) {
    const std::string path = IndexPath("virtio", i);
    PETREL_ASSIGN_OR_RETURN(ObjectFields dev, ObjectFields::Open((*virtio)[i], path));
    VirtioDeviceSnapshot d;
    PETREL_ASSIGN_OR_RETURN(const json* id, dev.Get("id"));
    if (!id->is_string()) return FieldProblem(dev.PathOf("id"), "expected a string");
    d.id = id->get<std::string>();
    if (format >= 4) {
      PETREL_ASSIGN_OR_RETURN(const json* slot, dev.Get("pci_slot"));
      if (!slot->is_null()) {
        PETREL_ASSIGN_OR_RETURN(d.slot, ReadPciSlot(*slot, dev.PathOf("pci_slot")));
      }
    }
    PETREL_ASSIGN_OR_RETURN(const json* transport, dev.Get("transport"));
    PETREL_ASSIGN_OR_RETURN(d.transport, ReadSection(*transport, dev.PathOf("transport"),
                                                     VirtioPciDeviceStateFromJson));
    PETREL_ASSIGN_OR_RETURN(const json* device, dev.Get("device"));
    PETREL_ASSIGN_OR_RETURN(d.device, TypeStateFromJson(*device, dev.PathOf("device")));
    PETREL_TRY(dev.Finish());
    s.virtio.push_back(std::move(d));
  }
  if (format >= 6) {
    PETREL_ASSIGN_OR_RETURN(const json* tpm_value, root.Get("tpm"));
    if (!tpm_value->is_null()) {
      PETREL_ASSIGN_OR_RETURN(ObjectFields tpm, ObjectFields::Open(*tpm_value, "tpm"));
      TpmSnapshot t;
      PETREL_ASSIGN_OR_RETURN(const json* crb, tpm.Get("crb"));
      PETREL_ASSIGN_OR_RETURN(t.crb, ReadSection(*crb, tpm.PathOf("crb"), TpmCrbStateFromJson));
      PETREL_ASSIGN_OR_RETURN(const json* swtpm, tpm.Get("swtpm"));
      PETREL_ASSIGN_OR_RETURN(t.swtpm,
                              ReadSection(*swtpm, tpm.PathOf("swtpm"), SwtpmStateFromJson));
      PETREL_TRY(tpm.Finish());
      s.tpm = std::move(t);
    }
  }
  PETREL_TRY(root.Finish());
  return out;
}

Result<void> WriteSnapshot(const std::string& dir, const config::VmConfig& config,
                           const VmSnapshotState& state, const GuestMemory& memory,
                           uint64_t* memory_bytes_written) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Error::FromErrno("creating the snapshot directory " + dir);
  }
  const std::string tmp_suffix = ".petrel-tmp";
  const std::string memory_path = Join(dir, kMemoryFile);
  PETREL_ASSIGN_OR_RETURN(auto ranges, WriteMemoryFile(memory, memory_path + tmp_suffix,
                                                       memory_bytes_written));
  const std::string state_text =
      SnapshotStateToJson(state, ranges).dump(1, ' ', false, json::error_handler_t::replace);
  const std::string config_text =
      config::VmConfigToJson(config).dump(1, ' ', false, json::error_handler_t::replace);
  PETREL_TRY(WriteWholeFile(Join(dir, kStateFile) + tmp_suffix, state_text));
  PETREL_TRY(WriteWholeFile(Join(dir, kConfigFile) + tmp_suffix, config_text));
  PETREL_TRY(RenameInto(memory_path + tmp_suffix, memory_path));
  PETREL_TRY(RenameInto(Join(dir, kStateFile) + tmp_suffix, Join(dir, kStateFile)));
  PETREL_TRY(RenameInto(Join(dir, kConfigFile) + tmp_suffix, Join(dir, kConfigFile)));
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.valid()) (void)::fsync(dir_fd.get());  // the renames
  return Ok();
}

Result<Snapshot> ReadSnapshot(const std::string& dir, const ReadOptions& options) {
  Snapshot snap;
  PETREL_ASSIGN_OR_RETURN(std::string config_text, ReadWhole(Join(dir, kConfigFile)));
  PETREL_ASSIGN_OR_RETURN(snap.config, config::VmConfigFromJson(config_text)
                                           .Wrap(Join(dir, kConfigFile)));
  PETREL_ASSIGN_OR_RETURN(std::string state_text, ReadWhole(Join(dir, kStateFile)));
  json document = json::parse(state_text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return Error(ErrorCode::kInvalidArgument, Join(dir, kStateFile) + ": not valid JSON");
  }
  if (JsonNestsDeeperThan(document, kMaxStateDepth + 4)) {
    return Error(ErrorCode::kInvalidArgument, Join(dir, kStateFile) + ": nested too deep");
  }
  PETREL_ASSIGN_OR_RETURN(DecodedState decoded,
                          SnapshotStateFromJson(document).Wrap(Join(dir, kStateFile)));
  snap.state = std::move(decoded.state);
  // Guest memory is the config's size: checked before any of it is made.
  uint64_t total = 0;
  for (const MemoryRange& r : decoded.ranges) {
    if (__builtin_add_overflow(total, r.size, &total)) total = UINT64_MAX;
  }
  // RAM and hot-plug areas (which hold plugged memory) alike.
  const uint64_t guest_bytes = snap.config.memory.boot_size() + snap.config.memory.hotplug_area_size();
  if (total != guest_bytes) {
    return Error(ErrorCode::kInvalidArgument,
                 Join(dir, kStateFile) + ": memory ranges of " + std::to_string(total) +
                     " bytes for a VM of " + std::to_string(guest_bytes));
  }
  const std::string memory_path = Join(dir, kMemoryFile);
  const std::vector<config::MemoryZoneConfig> zones = snap.config.memory.EffectiveZones();
  const bool any_memfds = std::any_of(zones.begin(), zones.end(), [](const auto& zone) {
    return zone.backing().memfds();
  });
  if (options.on_demand && any_memfds) {
    return Error(ErrorCode::kInvalidArgument,
                 "memory_restore_mode=ondemand maps the snapshot's memory privately; a VM with "
                 "shared=on or hugepages=on memory restores with memory_restore_mode=copy");
  }
  if (options.on_demand) {
    PETREL_ASSIGN_OR_RETURN(snap.memory,
                            MapMemoryFile(memory_path, decoded.ranges, options.prefault));
  } else {
    PETREL_ASSIGN_OR_RETURN(snap.memory,
                            ReadMemoryFile(memory_path, decoded.ranges, options.prefault,
                                           snap.config.memory.backing()));
  }
  return snap;
}

}  // namespace petrel::vmm::snapshot
