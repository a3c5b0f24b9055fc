// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VmConfig: what one VM is made of, and the parsers for the option strings of
// --cpus, --memory, --serial and --console (Cloud Hypervisor syntax: CH's
// vmm/src/config.rs).
//
// Defaults follow CH: cpus boot=1 (max = boot unless given), memory size=512M,
// serial null, console tty.
//
// Limits Petrel adds (checked here, so a bad command line fails before any
// VM is created):
//   --cpus:    1 <= boot <= max <= kMaxVcpus (254: x86 xAPIC IDs 0..254, 0xff
//              is the broadcast ID; Intel SDM Vol. 3A 10.6.1).
//              topology=T:C:D:P (threads_per_core:cores_per_die:
//              dies_per_package:packages, CH's order): each part 1..255 and
//              T*C*D*P == max (CH's rule; max defaults to boot, so give max
//              when boot is smaller than the topology).
//   --memory:  size=<size>,shared=on|off. size: a multiple of
//              kMemoryAlignment (4 KiB, one x86 page), at least
//              kMinMemorySize (2 MiB: the kernel is loaded at 1 MiB, below it
//              sit the boot structures), at most kMaxMemorySize (64 TiB =
//              2^46, CH's default max_phys_bits). shared: see MemoryConfig.
//              hugepage_size (CH's rules): only with hugepages=on, a power
//              of two. size, and the 3 GiB below the 32-bit hole when
//              size is larger, must be multiples of it (CH checks size
//              when it builds the VM's memory; Petrel here, before any VM).
//              Whether the host has such pages, and the host's default
//              size, are the memory layer's (HostRegion::HugetlbMemfd).
//   --serial:  off | null | tty | pty | file=<path> | socket=<path>
//   --console: off | null | tty | pty | file=<path> | socket=<path>
//   --landlock, --landlock-rules path=<path>,access=r|w|rw (repeatable, or
//              several values after one flag): see LandlockRule.
//   --memory-zone (repeatable, or several values after one flag; CH's keys):
//              only with --memory size=0, whose RAM they are. See
//              Validate(const MemoryZoneConfig&, const MemoryConfig&).
//   --numa (repeatable, or several values after one flag; CH's keys): guest
//              NUMA nodes over the zones and vCPUs. See ValidateNuma.
// Only the keys above are accepted for now; later work adds CH's other keys
// (kvm_hyperv, max_phys_bits, affinity, iommu, ...).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"
#include "core/isolation/landlock_access.h"
#include "core/memory/ram_backing.h"
#include "core/ratelimit/rate_limiter_config.h"
#include "vmm/config/device_config.h"

namespace petrel::config {

inline constexpr uint32_t kMaxVcpus = 254;
inline constexpr uint64_t kMemoryAlignment = 4096;
inline constexpr uint64_t kMinMemorySize = 2ULL << 20;
inline constexpr uint64_t kMaxMemorySize = 1ULL << 46;
inline constexpr uint64_t kDefaultMemorySize = 512ULL << 20;
inline constexpr uint32_t kMaxTopologyPart = 255;  // CH stores each part in a u8

enum class OutputMode { kOff, kNull, kTty, kPty, kFile, kSocket };

// "off", "null", "tty", "pty", "file", "socket".
const char* OutputModeName(OutputMode mode);

// The default cap on a --serial/--console file= output file (1 GiB).
inline constexpr uint64_t kConsoleFileMaxBytes = uint64_t{1} << 30;

struct OutputConfig {
  OutputMode mode;
  std::string path;  // for kFile and kSocket only
  // kFile on a regular file: the file stops growing at this size (what it
  // held before counts), further output is dropped, counted and logged once,
  // so a guest cannot fill the host's disk. Cloud Hypervisor has no cap; no
  // option sets it yet (docs/features.md).
  uint64_t file_max_bytes = kConsoleFileMaxBytes;
  bool operator==(const OutputConfig&) const = default;
};

struct PayloadConfig {
  std::string kernel, initramfs, cmdline;
  bool operator==(const PayloadConfig&) const = default;
};

// --cpus topology=T:C:D:P. vCPU i sits at thread i % T of core (i / T) % C
// of die (i / (T*C)) % D of package i / (T*C*D). Its x2APIC id is built
// from bit fields, low to high: thread (ceil(log2 T) bits), core
// (ceil(log2 C) bits), die (ceil(log2 D) bits), package (the rest), as
// Linux decodes CPUID leaves 0BH/1FH (Intel SDM Vol. 3A 10.12.8.1) and as
// Cloud Hypervisor assigns them. So ids have holes when a count is not a
// power of two (1:3:1:2 gives ids 0,1,2,4,5,6). The computation lives in
// core/arch/cpu_topology.h (x86::CpuTopology::ApicId).
struct CpuTopology {  // each part 1..kMaxTopologyPart
  uint8_t threads_per_core = 1;
  uint8_t cores_per_die = 1;
  uint8_t dies_per_package = 1;
  uint8_t packages = 1;
  bool operator==(const CpuTopology&) const = default;
};

struct CpusConfig {
  uint32_t boot_vcpus = 1;
  uint32_t max_vcpus = 1;
  std::optional<CpuTopology> topology;  // absent: see EffectiveTopology()
  bool operator==(const CpusConfig&) const = default;
};

// The topology the guest sees: the one given, else CH's default of one
// package with max_vcpus single-threaded cores (1:max:1:1).
CpuTopology EffectiveTopology(const CpusConfig& cpus);

// How hot-plugged memory reaches the guest (Cloud Hypervisor's
// hotplug_method): ACPI DIMM-like slots, or a virtio-mem device.
enum class HotplugMethod { kAcpi, kVirtioMem };
const char* HotplugMethodName(HotplugMethod method);  // "acpi", "virtio-mem"

// The hot-plug area's granule: Linux's x86 memory block, what Cloud
// Hypervisor demands of hotplug_size (and of each ACPI DIMM).
inline constexpr uint64_t kMemoryHotplugAlignment = uint64_t{128} << 20;
// virtio-mem's block: hotplugged_size and desired_ram move in these.
inline constexpr uint64_t kMemoryHotplugBlock = uint64_t{2} << 20;

// Cloud Hypervisor's default zone: the one --memory describes when no
// --memory-zone is given, and the id of its virtio-mem device.
inline constexpr const char* kDefaultMemoryZoneId = "mem0";

// One --memory-zone (CH's MemoryZoneConfig): a piece of guest RAM with its
// own backing, optional host NUMA node and virtio-mem hot-plug room. Zones
// are used when --memory size=0; they are laid out in the order given, from
// guest address 0 (GuestMemory::CreateX86). A zone's hot-plug room is always
// a virtio-mem device whose id is the zone's id (CH refuses ACPI hot-plug
// with zones), resized by vm.resize-zone.
struct MemoryZoneConfig {
  std::string id;  // required; unique among zones and device ids
  uint64_t size = kDefaultMemorySize;
  // CH's file= (a file or directory backing the zone): Petrel refuses it for
  // now (Validate names it), so a config never silently ignores it.
  std::optional<std::string> file;
  bool shared = false;
  bool hugepages = false;
  std::optional<uint64_t> hugepage_size;
  // mbind(MPOL_BIND) of the zone's memory to this host node.
  std::optional<uint32_t> host_numa_node;
  std::optional<uint64_t> hotplug_size;     // virtio-mem room for this zone
  std::optional<uint64_t> hotplugged_size;  // of it, plugged at boot / after resize-zone
  bool prefault = false;
  // CH's reserve (no MAP_NORESERVE on shared memory). Petrel already
  // reserves huge pages at mmap; kept for the schema.
  bool reserve = false;
  bool mergeable = false;
  RamBacking backing() const {
    return {.shared = shared, .hugepages = hugepages, .hugepage_size = hugepage_size.value_or(0)};
  }
  bool operator==(const MemoryZoneConfig&) const = default;
};

struct MemoryConfig {
  // 0: the RAM is the zones' (user-defined zones, CH's rule).
  uint64_t size = kDefaultMemorySize;
  // Memory hot-plug: room for hotplug_size bytes above RAM (none when
  // absent), handed to the guest by hotplug_method; hotplugged_size
  // (virtio-mem only) is what the guest has been asked to plug: at boot,
  // then whatever vm.resize desired_ram set.
  HotplugMethod hotplug_method = HotplugMethod::kAcpi;
  std::optional<uint64_t> hotplug_size;
  std::optional<uint64_t> hotplugged_size;
  // Guest RAM in memfds (MAP_SHARED) rather than private anonymous memory:
  // what a local migration hands to the next VMM (CH's shared=on).
  bool shared = false;
  // Cloud Hypervisor's prefault (populate every page at boot), mergeable
  // (offer the pages to KSM) and thp (transparent huge pages, on by
  // default): GuestMemory::Advise.
  bool prefault = false;
  bool mergeable = false;
  bool thp = true;
  // CH's hugepages and hugepage_size: guest RAM of hugetlbfs pages, always
  // shared memfds (RamBacking). No hugepage_size: the host's default.
  bool hugepages = false;
  std::optional<uint64_t> hugepage_size;
  // How the RAM is backed: as --memory says; with zones, as they all say
  // if they agree, else private memory (a snapshot's RAM read back with
  // zones of mixed backings is private; docs/hotplug.md).
  RamBacking backing() const;
  // True if the hot-plug area is ACPI DIMM slots (never with zones).
  bool acpi_hotplug() const {
    return !user_zones() && hotplug_method == HotplugMethod::kAcpi && hotplug_size.has_value();
  }
  // True if all of the RAM is memfds (local migration hands them over).
  bool memfds() const;
  // The hot-plug areas' size: hotplug_size, or the zones' added up.
  uint64_t hotplug_area_size() const;
  MemoryAdvice advice() const { return {.thp = thp, .mergeable = mergeable, .prefault = prefault}; }
  // --memory-zone, repeatable (JSON memory.zones): only with size=0.
  std::vector<MemoryZoneConfig> zones;
  bool user_zones() const { return size == 0; }
  // The zones the VM's RAM is made of: `zones` when size is 0, else one
  // zone kDefaultMemoryZoneId built from the fields above (as CH does).
  std::vector<MemoryZoneConfig> EffectiveZones() const;
  // The RAM the VM boots with: size, or the zones' sizes added up.
  uint64_t boot_size() const;
  bool operator==(const MemoryConfig&) const = default;
};

// One distances= entry of --numa: destination@distance (ACPI SLIT units,
// 10 = local; kLocalNumaDistance..255).
inline constexpr uint8_t kLocalNumaDistance = 10;
// The longest list --numa cpus= or pci_segments= may expand to.
inline constexpr size_t kMaxNumaListLength = 1024;
struct NumaDistance {
  uint32_t destination = 0;
  uint8_t distance = 0;
  bool operator==(const NumaDistance&) const = default;
};

// One --numa (CH's NumaConfig): a guest NUMA node, described to the guest
// by the SRAT and SLIT ACPI tables. Its vCPUs (by index, up to max_vcpus)
// and memory zones (with their hot-plug rooms) belong to it.
struct NumaConfig {
  uint32_t guest_numa_id = 0;
  std::optional<std::vector<uint32_t>> cpus;
  std::optional<std::vector<NumaDistance>> distances;
  std::optional<std::vector<std::string>> memory_zones;
  // CH's pci_segments and device_id: Petrel has one PCI segment and no
  // generic initiators yet; Validate refuses what it cannot honour.
  std::optional<std::vector<uint16_t>> pci_segments;
  std::optional<std::string> device_id;
  bool operator==(const NumaConfig&) const = default;
};

// One --landlock-rules value (CH's LandlockConfig, JSON {"path", "access"}):
// a file or directory the VMM may use beyond those its configuration names
// (vmm/landlock_paths.h): hot-plugged disks, a directory the files of a
// later device live in. access is "r", "w" or "rw" (CH also takes "wr");
// LandlockAccess::kBindSocket is never a user's rule. Whether the path
// exists is checked when the rules are applied (vm.boot), not here.
struct LandlockRule {
  std::string path;
  LandlockAccess access = LandlockAccess::kRead;
  bool operator==(const LandlockRule&) const = default;
};

struct VmConfig {
  PayloadConfig payload;
  CpusConfig cpus;
  MemoryConfig memory;
  OutputConfig serial{OutputMode::kNull, {}};
  OutputConfig console{OutputMode::kTty, {}};
  std::vector<DiskConfig> disks;  // --disk, repeatable
  std::vector<NetConfig> nets;    // --net, repeatable
  // --numa, repeatable (JSON numa): guest NUMA nodes (SRAT/SLIT).
  std::vector<NumaConfig> numa;
  // --rate-limit-group, repeatable (JSON rate_limit_groups): limiters that
  // disks share by naming one in rate_limit_group.
  std::vector<ratelimit::RateLimitGroupConfig> rate_limit_groups;
  // --rng: Cloud Hypervisor always has a virtio-rng (default src=/dev/urandom).
  RngConfig rng;
  // --balloon: a virtio-balloon, only when asked for (as Cloud Hypervisor).
  std::optional<BalloonConfig> balloon;
  // --pmem, repeatable (JSON pmem): virtio-pmem devices, each a file mapped
  // into the guest past RAM.
  std::vector<PmemConfig> pmem;
  // --vsock (JSON vsock): the virtio-vsock device with Cloud Hypervisor's
  // hybrid vsock host side (a UNIX socket), only when asked for.
  std::optional<VsockConfig> vsock;
  // Petrel only (--test-device): the test guests' device (devices/testdev,
  // docs/test-guests.md). Not in Cloud Hypervisor's schema, so not in the
  // API's JSON nor in a snapshot's config.
  bool test_device = false;
  // --landlock (JSON landlock_enable): when the VM is built, the VMM's VM
  // thread confines itself, and so the vCPU and device threads it starts, to
  // the files this config names plus landlock_rules (docs/security.md).
  bool landlock_enable = false;
  std::vector<LandlockRule> landlock_rules;  // --landlock-rules, repeatable
  // --tpm (JSON tpm): a TPM 2.0 at x86::kTpmCrbStart (devices/tpm) whose
  // commands a running swtpm serves; only when asked for.
  std::optional<TpmConfig> tpm;
  // --pvpanic (JSON pvpanic): a pvpanic-pci device ("__pvpanic",
  // devices/pvpanic) the guest reports its panics through.
  bool pvpanic = false;
  // --watchdog (JSON watchdog): Cloud Hypervisor's virtio-watchdog
  // ("__watchdog", devices/virtio/watchdog), which resets a guest that
  // stopped pinging it.
  bool watchdog = false;
  // JSON iommu (Cloud Hypervisor's VmConfig.iommu) when no device has
  // iommu=on: the VM has a virtio-iommu with nothing behind it. A device
  // with iommu=on gives the VM one anyway (HasIommu), and the JSON's iommu
  // is then true; reading such a JSON leaves this false, so a config and
  // its JSON stay one.
  bool iommu = false;
  bool operator==(const VmConfig&) const = default;
};

// True if a device of `config` has iommu=on.
bool AnyDeviceBehindIommu(const VmConfig& config);
// True if the VM has a virtio-iommu: `iommu`, or a device with iommu=on.
inline bool HasIommu(const VmConfig& config) {
  return config.iommu || AnyDeviceBehindIommu(config);
}

// Each error is one line starting with the option name, e.g.
// "--cpus: max=2 is less than boot=4".
Result<CpusConfig> ParseCpus(std::string_view text);
Result<MemoryConfig> ParseMemory(std::string_view text);
Result<OutputConfig> ParseSerial(std::string_view text);
Result<OutputConfig> ParseConsole(std::string_view text);
// "path=<path>,access=r|w|rw", e.g. "--landlock-rules: access=x: expected r,
// w or rw".
Result<LandlockRule> ParseLandlockRule(std::string_view text);
// --memory with the values of --memory-zone (CH's MemoryConfig::parse):
// each zone is parsed by ParseMemoryZone, then the whole checked by
// Validate(MemoryConfig). ParseMemory(text) is ParseMemory(text, {}).
Result<MemoryConfig> ParseMemory(std::string_view text, std::span<const std::string> zones);
// One --memory-zone "id=<name>,size=<size>,..." given --memory's config
// (`memory`: mergeable defaults to its mergeable, as in CH, and the zone's
// hot-plug rules depend on its hotplug_method). Errors start "--memory-zone: ".
Result<MemoryZoneConfig> ParseMemoryZone(std::string_view text, const MemoryConfig& memory);
// One --numa "guest_numa_id=<n>,cpus=[0-3,6],distances=[1@20,2@25],
// memory_zones=[mem0,mem1],pci_segments=[0],device_id=<id>" (CH's
// NumaConfig::parse): guest_numa_id is required; cpus and pci_segments are
// CH's IntegerList (ParseIntegerList), distances a bracketed list of
// destination@distance, memory_zones a list of names (brackets optional).
// Checked by Validate(NumaConfig); what needs the other options (zones,
// vCPUs, other nodes) by ValidateNuma. Errors start "--numa: ".
Result<NumaConfig> ParseNuma(std::string_view text);

// The checks of one struct, run by both doors (the CLI's parsers above and
// vm_config_json.h) so a config can never hold what the VM cannot build.
// Messages are "<field>=<value>: <problem>" with CH's JSON field names
// (boot_vcpus, max_vcpus, topology, size); the CLI reports its own key names
// (boot=, max=) before these are reached.
Result<void> Validate(const CpusConfig& cpus);
// --memory with its zones (CH's validate_memory_config plus Petrel's
// limits): size=0 means the RAM is the zones', and needs at least one;
// zones need size=0; with size=0, hotplug_size, hotplugged_size and
// hugepages are the zones' and refused here. Each zone is checked as below
// (errors "zones[<i>]: ..."); their sizes add up to 2M..64T; a zone with
// hugepage_size that straddles the 32-bit hole (zones sit one after the
// other from address 0) has whole huge pages below it. Zone ids are
// checked against each other and the devices' by CheckDeviceIds.
Result<void> Validate(const MemoryConfig& memory);
// One zone, given the --memory it belongs to: an id; size a multiple of 4K,
// not 0, at most 64T; file= refused (not supported by Petrel yet), and
// with shared=on and host_numa_node refused as CH does; hotplug_size (not 0,
// a multiple of 128M, at most 64T) only with --memory
// hotplug_method=virtio-mem (CH: no ACPI hot-plug for zones) and not with
// hugepages=on; hotplugged_size as --memory's (needs hotplug_size and
// virtio-mem, at most hotplug_size, a multiple of 2M); hugepage_size only
// with hugepages=on, a power of two that divides size.
Result<void> Validate(const MemoryZoneConfig& zone, const MemoryConfig& memory);
// One NUMA node alone (CH's NumaConfig::validate plus Petrel's limits): a
// node names cpus or memory_zones (neither list empty), or is a generic
// initiator (device_id alone; CH's rule), which Petrel refuses (not
// supported yet); each distance kLocalNumaDistance..255; pci_segments only
// [0] (Petrel has one PCI segment).
Result<void> Validate(const NumaConfig& node);
// The nodes against each other and the rest of the VM (CH's
// VmConfig::validate and Vm::create_numa_nodes, plus Petrel's): each node
// valid alone; guest_numa_id unique; each memory zone named exists
// (MemoryConfig::EffectiveZones, so "mem0" with size!=0) and is in at most
// one node; each vCPU below max_vcpus, in at most one node and listed once;
// each distance's destination a node, at most one distance per
// destination (a node's distance to itself other than 10 is ignored, as CH
// does); PCI segment 0 only on node 0. Errors start "numa node <id>: ".
Result<void> ValidateNuma(const VmConfig& config);
// --balloon size below the boot RAM (MemoryConfig::boot_size(), the zones'
// total with size=0), as CH's BalloonLargerThanRam.
Result<void> ValidateBalloonSize(const VmConfig& config);
// A path (not empty) and a user's access (r, w or rw).
Result<void> Validate(const LandlockRule& rule);

// "id=<name>,bw_size=,bw_one_time_burst=,bw_refill_time=,ops_size=,
// ops_one_time_burst=,ops_refill_time=" (CH's --rate-limit-group).
Result<ratelimit::RateLimitGroupConfig> ParseRateLimitGroup(std::string_view text);

// Checks rules that span options (CH's VmConfig::validate): a kernel is
// required, serial and console cannot both be "tty", the balloon is below
// the boot RAM (ValidateBalloonSize), the NUMA nodes fit the zones and
// vCPUs (ValidateNuma), every rate limit group is valid and every disk's
// rate_limit_group names one.
Result<void> ValidateVmConfig(const VmConfig& config);
// The rate-limit part of it, which the JSON door runs too: each group valid,
// each disk's rate_limit_group an existing group's id.
Result<void> ValidateRateLimitGroups(const VmConfig& config);

}  // namespace petrel::config
