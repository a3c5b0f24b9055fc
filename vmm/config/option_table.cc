// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The option table (see option_table.h). Names, forms and defaults are
// Cloud Hypervisor's unless an entry says "Petrel only"; the defaults are
// those of the config structs (DiskConfig, NetConfig, ...), which
// OptionTableTest compares where a default is a number.
#include "vmm/config/option_table.h"

#include <array>

namespace petrel::config {
namespace {

constexpr KeyDoc kCpusKeys[] = {
    {"boot", "<n>", "1", "vCPUs started at boot (1 to 254)"},
    {"max", "<n>", "boot", "the most vCPUs the VM may have; at least boot"},
    {"topology", "<threads_per_core>:<cores_per_die>:<dies_per_package>:<packages>",
     "max cores in one package", "the CPU topology the guest sees; the product must equal max"},
};

constexpr KeyDoc kMemoryKeys[] = {
    {"size", "<size>", "512M",
     "guest RAM, with an optional K, M, G or T suffix (binary); a multiple of 4K, 2M to 64T; "
     "0: the RAM is the --memory-zone values'"},
    {"shared", "on|off", "off",
     "back guest RAM with memfds shared with other processes (local live migration hands them "
     "over)"},
    {"prefault", "on|off", "off", "make every page of guest RAM resident at boot"},
    {"mergeable", "on|off", "off", "let KSM merge identical pages of guest RAM"},
    {"thp", "on|off", "on", "back guest RAM with transparent huge pages where the host can"},
    {"hugepages", "on|off", "off",
     "back guest RAM with hugetlbfs pages, reserved by the host beforehand (always shared "
     "memfds)"},
    {"hugepage_size", "<size>", "the host's default",
     "the huge page size: a power of two the host has (2M or 1G on x86); size must be a "
     "multiple of it; needs hugepages=on"},
    {"hotplug_method", "acpi|virtio-mem", "acpi",
     "how hot-plugged memory reaches the guest (vm.resize desired_ram)"},
    {"hotplug_size", "<size>", "",
     "room for hot-plugged memory above RAM; a multiple of 128M (docs/hotplug.md)"},
    {"hotplugged_size", "<size>", "",
     "virtio-mem only: memory plugged at boot, at most hotplug_size; a multiple of 2M"},
};

constexpr KeyDoc kMemoryZoneKeys[] = {
    {"id", "<name>", "", "the zone's id, used by --numa memory_zones= and vm.resize-zone (required)"},
    {"size", "<size>", "512M", "the zone's RAM; a multiple of 4K, not 0"},
    {"file", "<path>", "", "a file backing the zone", true},
    {"shared", "on|off", "off", "back the zone with memfds shared with other processes"},
    {"hugepages", "on|off", "off", "back the zone with hugetlbfs pages (always shared memfds)"},
    {"hugepage_size", "<size>", "the host's default",
     "the huge page size, a power of two; size must be a multiple of it; needs hugepages=on"},
    {"host_numa_node", "<n>", "", "bind the zone's memory to this host NUMA node"},
    {"hotplug_size", "<size>", "",
     "room for hot-plugged memory in this zone, a virtio-mem device named after it; a multiple "
     "of 128M; needs --memory hotplug_method=virtio-mem"},
    {"hotplugged_size", "<size>", "", "memory plugged at boot, at most hotplug_size; a multiple of 2M"},
    {"prefault", "on|off", "off", "make every page of the zone resident at boot"},
    {"reserve", "on|off", "off", "accepted for Cloud Hypervisor's scripts (huge pages are "
                                 "always reserved at boot)"},
    {"mergeable", "on|off", "--memory's", "let KSM merge identical pages of the zone"},
};

constexpr KeyDoc kNumaKeys[] = {
    {"guest_numa_id", "<n>", "", "the node's id in the guest (required, unique)"},
    {"cpus", "[<list>]", "", "the node's vCPUs, e.g. [0-3,6], each below --cpus max"},
    {"distances", "[<node>@<distance>,...]", "10 to itself, 20 to others",
     "the distance (10 to 255) to other nodes, e.g. [1@20,2@25]"},
    {"memory_zones", "[<id>,...]", "", "the node's memory zones (--memory-zone id=), each in one node"},
    {"pci_segments", "[<n>,...]", "", "the node's PCI segments (only [0], on node 0)"},
    {"device_id", "<id>", "", "a generic initiator node for this device", true},
};

constexpr KeyDoc kOutputKeys[] = {
    {"off", "", "", "no device"},
    {"null", "", "", "the device exists; what the guest writes is dropped"},
    {"tty", "", "", "the terminal petrel runs in (input too)"},
    {"pty", "", "", "a new pseudo-terminal; its path is in the log and in vm.info"},
    {"file", "<path>", "", "append the output to this file"},
    {"socket", "<path>", "", "a UNIX socket petrel listens on; one client at a time"},
};

constexpr KeyDoc kDiskKeys[] = {
    {"path", "<file>", "", "the disk image: raw, qcow2, VHD, VHDX or VMDK (required)"},
    {"readonly", "on|off", "off", "the guest cannot write the disk"},
    {"direct", "on|off", "off", "open the image with O_DIRECT (no host page cache)"},
    {"iommu", "on|off", "off", "place the disk behind the VM's virtio-iommu (its DMA translated)"},
    {"num_queues", "<n>", "1", "request queues, each served by its own worker"},
    {"queue_size", "<n>", "128", "descriptors per queue, a power of two"},
    {"vhost_user", "on|off", "off", "a vhost-user back-end serves the disk", true},
    {"socket", "<path>", "", "the vhost-user back-end's socket", true},
    {"bw_size", "<bytes>", "0", "rate limit: bytes per refill period (0: no bandwidth limit)"},
    {"bw_one_time_burst", "<bytes>", "0", "rate limit: bytes allowed once above the rate"},
    {"bw_refill_time", "<ms>", "0", "rate limit: the bandwidth bucket's refill period"},
    {"ops_size", "<n>", "0", "rate limit: requests per refill period (0: no request limit)"},
    {"ops_one_time_burst", "<n>", "0", "rate limit: requests allowed once above the rate"},
    {"ops_refill_time", "<ms>", "0", "rate limit: the request bucket's refill period"},
    {"id", "<name>", "_disk<N>", "the device's id in the API (vm.info, vm.counters)"},
    {"pci_segment", "<n>", "0", "the PCI segment (only 0: Petrel has one)"},
    {"rate_limit_group", "<id>", "", "share the limits of --rate-limit-group id=<id>"},
    {"queue_affinity", "[<queue>@[<cpus>],...]", "", "host CPUs for each queue's worker", true},
    {"serial", "<text>", "", "the serial number the guest reads (up to 20 bytes)"},
    {"image_type", "raw|qcow2|vhd|vhdx|vmdk", "detected",
     "the image format; without it the format is detected from the file's magic"},
    {"backing_files", "on|off", "off", "open a qcow2 image's backing chain (read-only)"},
    {"sparse", "on|off", "on", "give discarded space back to the host file system"},
    {"lock_granularity", "byte-range|full", "byte-range",
     "lock the image's bytes in use, or the whole file"},
    {"_disable_io_uring", "on|off", "off", "serve the disk with synchronous I/O, not io_uring"},
    {"_disable_aio", "on|off", "off", "accepted for Cloud Hypervisor's scripts; Petrel has no AIO"},
    {"io_engine", "auto|sync|io_uring", "auto", "Petrel only: the I/O engine for this disk"},
};

constexpr KeyDoc kRateLimitGroupKeys[] = {
    {"id", "<name>", "", "the group's name, used by --disk rate_limit_group=<name> (required)"},
    {"bw_size", "<bytes>", "0", "bytes per refill period, shared by the group's disks"},
    {"bw_one_time_burst", "<bytes>", "0", "bytes allowed once above the rate"},
    {"bw_refill_time", "<ms>", "0", "the bandwidth bucket's refill period"},
    {"ops_size", "<n>", "0", "requests per refill period, shared by the group's disks"},
    {"ops_one_time_burst", "<n>", "0", "requests allowed once above the rate"},
    {"ops_refill_time", "<ms>", "0", "the request bucket's refill period"},
};

constexpr KeyDoc kNetKeys[] = {
    {"tap", "<if>", "a new tapN", "an existing tap interface to use"},
    {"ip", "<ipv4>", "192.168.249.1", "the host side's address, set on a tap petrel creates"},
    {"mask", "<ipv4>", "255.255.255.0", "the host side's netmask, set on a tap petrel creates"},
    {"mac", "<xx:xx:xx:xx:xx:xx>", "random", "the guest's MAC address"},
    {"host_mac", "<xx:xx:xx:xx:xx:xx>", "random", "the MAC address of a tap petrel creates"},
    {"mtu", "<n>", "the tap's", "the MTU offered to the guest and set on the tap"},
    {"iommu", "on|off", "off", "place the NIC behind the VM's virtio-iommu (its DMA translated)"},
    {"num_queues", "<n>", "2", "receive plus transmit queues (even; one pair per tap queue)"},
    {"queue_size", "<n>", "256", "descriptors per queue, a power of two"},
    {"id", "<name>", "_net<N>", "the device's id in the API (vm.info, vm.counters)"},
    {"vhost_user", "on|off", "off", "a vhost-user back-end serves the NIC", true},
    {"socket", "<path>", "", "the vhost-user back-end's socket", true},
    {"vhost_mode", "client|server", "client", "which side of the vhost-user socket listens",
     true},
    {"fd", "[<fd>,...]", "", "taps the caller opened, one per queue pair (libvirt, Kata)"},
    {"bw_size", "<bytes>", "0", "rate limit: bytes per refill period", true},
    {"bw_one_time_burst", "<bytes>", "0", "rate limit: bytes allowed once above the rate", true},
    {"bw_refill_time", "<ms>", "0", "rate limit: the bandwidth bucket's refill period", true},
    {"ops_size", "<n>", "0", "rate limit: packets per refill period", true},
    {"ops_one_time_burst", "<n>", "0", "rate limit: packets allowed once above the rate", true},
    {"ops_refill_time", "<ms>", "0", "rate limit: the packet bucket's refill period", true},
    {"pci_segment", "<n>", "0", "the PCI segment (only 0: Petrel has one)"},
    {"offload_tso", "on|off", "on", "TCP segmentation offload (off when offload_csum=off)"},
    {"offload_ufo", "on|off", "on", "UDP fragmentation offload (off when offload_csum=off)"},
    {"offload_csum", "on|off", "on", "checksum offload"},
};

constexpr KeyDoc kRngKeys[] = {
    {"src", "<path>", "/dev/urandom", "the host file the entropy is read from"},
    {"iommu", "on|off", "off", "place the device behind the VM's virtio-iommu (its DMA translated)"},
};

constexpr KeyDoc kPmemKeys[] = {
    {"file", "<path>", "", "the file (or a directory: an unnamed file there of size=) to map"},
    {"size", "<size>", "", "bytes to map, a multiple of 2 MiB (default: the file's size)"},
    {"discard_writes", "on|off", "off", "map the file privately: the guest's writes never reach it"},
    {"id", "<id>", "_pmem<N>", "the device id"},
    {"iommu", "on|off", "off", "place the device behind the VM's virtio-iommu (its DMA translated)"},
    {"pci_segment", "<n>", "0", "the PCI segment (only 0: Petrel has one)"},
};

constexpr KeyDoc kTpmKeys[] = {
    {"socket", "<path>", "",
     "the control socket of a running `swtpm socket --tpm2 --ctrl type=unixio,path=<path>` "
     "(required)"},
};

constexpr KeyDoc kVsockKeys[] = {
    {"cid", "<n>", "", "the guest's context id, 3 or more (required)"},
    {"socket", "<path>", "",
     "the host's UNIX socket: connect and send \"CONNECT <port>\\n\"; the guest's connections "
     "to host port P reach <path>_P (required)"},
    {"id", "<id>", "_vsock<N>", "the device id"},
    {"iommu", "on|off", "off", "place the device behind the VM's virtio-iommu (its DMA translated)"},
    {"pci_segment", "<n>", "0", "the PCI segment (only 0: Petrel has one)"},
};

constexpr KeyDoc kBalloonKeys[] = {
    {"size", "<size>", "0", "memory the balloon takes from the guest at boot"},
    {"deflate_on_oom", "on|off", "off", "the guest deflates the balloon when it runs out of memory"},
    {"free_page_reporting", "on|off", "off",
     "the guest reports free pages, which go back to the host"},
    {"iommu", "on|off", "off", "only off: the balloon is never behind a virtio-iommu"},
    {"pci_segment", "<n>", "0", "the PCI segment (only 0: Petrel has one)"},
};

constexpr KeyDoc kSocketKeys[] = {
    {"path", "<path>", "", "a UNIX socket path petrel creates"},
    {"fd", "<n>", "", "a socket (or file) the caller opened and passed to petrel"},
};

constexpr KeyDoc kRestoreKeys[] = {
    {"source_url", "file:///<dir>", "", "the snapshot's directory (required)"},
    {"prefault", "on|off", "off", "populate guest RAM before the VM runs"},
    {"memory_restore_mode", "copy|ondemand", "copy",
     "copy guest RAM in at once, or map it and fault it in on use"},
    {"resume", "true|false", "false", "run the VM once restored (otherwise it stays paused)"},
    {"net_fds", "[<net id>@[<fd>,...],...]", "",
     "new taps for a snapshot's fd-backed NICs, by device id"},
    {"vfio_fds", "<list>", "", "fds for VFIO devices", true},
    {"iommufd_fd", "<fd>", "", "an iommufd for VFIO devices", true},
    {"zone_updates", "<list>", "", "new backing files for memory zones", true},
};

constexpr KeyDoc kLandlockRuleKeys[] = {
    {"path", "<file or directory>", "", "what to allow (required)"},
    {"access", "r|w|rw", "", "read, write, or both (required)"},
};

constexpr KeyDoc kSendMigrationKeys[] = {
    {"destination_url", "unix:<path>|tcp:<host>:<port>", "",
     "where the receiving VMM listens (required; a bare URL works too)"},
    {"local", "on|off", "off", "hand guest RAM over as file descriptors (same host, unix:)"},
    {"preserve_source", "on|off", "off", "keep the source VM (paused) after the migration"},
    {"downtime_ms", "<ms>", "300", "the longest pause allowed for the last memory pass"},
    {"timeout_s", "<s>", "3600", "how long the migration may take"},
    {"timeout_strategy", "cancel|ignore", "cancel", "what to do when timeout_s passes"},
    {"connections", "<n>", "1", "parallel connections (only 1)"},
    {"tls_dir", "<dir>", "", "TLS certificates", true},
    {"memory_mode", "precopy|postcopy", "precopy", "how memory moves (only precopy)"},
};

constexpr KeyDoc kReceiveMigrationKeys[] = {
    {"receiver_url", "unix:<path>|tcp:<host>:<port>", "",
     "where to listen for the source VMM (required; a bare URL works too)"},
    {"tls_dir", "<dir>", "", "TLS certificates", true},
    {"memory_mode", "precopy|postcopy", "precopy", "how memory moves (only precopy)"},
    {"vfio_fds", "<list>", "", "fds for VFIO devices", true},
    {"iommufd_fd", "<fd>", "", "an iommufd for VFIO devices", true},
    {"zone_updates", "<list>", "", "new backing files for memory zones", true},
};

constexpr OptionDoc kPetrelOptions[] = {
    {"--kernel", "", "<path>", "",
     "The kernel to boot: a bzImage, or an ELF vmlinux with a PVH entry point.", {},
     "/boot/vmlinuz"},
    {"--initramfs", "", "<path>", "", "An initial RAM disk loaded beside the kernel.", {},
     "/boot/initrd.img"},
    {"--cmdline", "", "<text>", "", "The kernel command line.", {},
     "\"console=hvc0 root=/dev/vda rw\""},
    {"--cpus", "", "<spec>", "boot=1", "The vCPUs.", kCpusKeys, "boot=2,max=4"},
    {"--memory", "", "<spec>", "size=512M", "Guest RAM (size=0: the --memory-zone values).",
     kMemoryKeys, "size=1G"},
    {"--memory-zone", "", "<spec>", "",
     "A piece of guest RAM with its own backing, with --memory size=0; repeatable.",
     kMemoryZoneKeys, "id=mem0,size=1G", true},
    {"--numa", "", "<spec>", "", "A guest NUMA node (ACPI SRAT and SLIT); repeatable.", kNumaKeys,
     "guest_numa_id=0,cpus=[0-1],memory_zones=[mem0],distances=[1@20]", true},
    {"--serial", "", "<mode>", "null", "The legacy 8250 UART at I/O port 0x3f8: one mode.",
     kOutputKeys, "tty"},
    {"--console", "", "<mode>", "tty", "The virtio console (hvc0): one mode.", kOutputKeys,
     "off"},
    {"--disk", "", "<spec>", "", "A virtio-blk disk; repeat the option for more.", kDiskKeys,
     "path=disk.qcow2,num_queues=2,backing_files=on", true},
    {"--rate-limit-group", "", "<spec>", "",
     "A rate limiter several disks share (--disk rate_limit_group=<id>); repeatable.",
     kRateLimitGroupKeys, "id=group0,bw_size=10485760,bw_refill_time=100", true},
    {"--net", "", "<spec>", "", "A virtio-net NIC on a tap; repeat the option for more.",
     kNetKeys, "tap=,mac=,ip=,mask=", true},
    {"--rng", "", "<spec>", "src=/dev/urandom", "The virtio entropy device.", kRngKeys,
     "src=/dev/urandom"},
    {"--balloon", "", "<spec>", "", "A virtio memory balloon (resize it with vm.resize).",
     kBalloonKeys, "size=0,deflate_on_oom=on,free_page_reporting=on"},
    {"--vsock", "", "<spec>", "",
     "A virtio-vsock device with Cloud Hypervisor's hybrid vsock (a UNIX socket on the host).",
     kVsockKeys, "cid=3,socket=/tmp/petrel.vsock"},
    {"--tpm", "", "<spec>", "",
     "A TPM 2.0 (CRB interface, ACPI TPM2 table) whose commands swtpm runs.", kTpmKeys,
     "socket=/var/run/swtpm.socket"},
    {"--pmem", "", "<spec>", "",
     "A virtio-pmem device: a file mapped into the guest (/dev/pmemN); repeatable.", kPmemKeys,
     "file=/var/lib/images/rootfs.img,discard_writes=on", true},
    {"--api-socket", "", "<spec>", "",
     "Serve the REST API (/api/v1/...) on a UNIX socket; a bare path works too.", kSocketKeys,
     "path=/tmp/petrel.sock"},
    {"--event-monitor", "", "<spec>", "",
     "Write VMM and VM events as JSON objects to a file or fd.", kSocketKeys,
     "path=/tmp/petrel-events.json"},
    {"--restore", "", "<spec>", "",
     "Start from a snapshot made by vm.snapshot; no VM option goes with it.", kRestoreKeys,
     "source_url=file:///var/lib/petrel/snap,resume=true"},
    {"--record-io", "", "<path>", "",
     "Record every guest device access to this file when the VMM exits (petrel-replay "
     "replays it).",
     {}, "trace.pio", false, true},
    {"--seccomp", "", "true|false|log|errno", "true",
     "Confine each thread to its system calls: true ends the VMM on a forbidden call after "
     "logging it, log lets the kernel log it, errno fails it with EPERM (Petrel only), false "
     "turns filtering off.",
     {}, "true"},
    {"--landlock", "", "", "",
     "Confine the VMM to the files its VM configuration names, once the VM is built.", {}, ""},
    {"--landlock-rules", "", "<spec>", "", "More paths --landlock allows; repeatable.",
     kLandlockRuleKeys, "path=/var/lib/images,access=rw", true},
    {"--pvpanic", "", "", "",
     "Add a pvpanic-pci device: the guest's panic is logged and reported on the event "
     "monitor (source guest, event panic).",
     {}, ""},
    {"--watchdog", "", "", "",
     "Add a virtio-watchdog device: once the guest has pinged it, the VM is reset when the "
     "pings stop for more than 20 s.",
     {}, ""},
    {"--test-device", "", "", "", "Add the test guests' device (Petrel's own test guests).", {},
     "", false, true},
    {"-v", "", "", "", "More log output; repeat for more (-v info, -vv debug, -vvv trace).",
     {}, "", true},
    {"--log-file", "", "<path>", "stderr", "Write the log to this file.", {},
     "/var/log/petrel.log"},
    {"--version", "-V", "", "", "Print the version and exit.", {}, ""},
    {"--help", "-h", "", "", "Print the help and exit.", {}, ""},
};

constexpr OptionDoc kRemoteArguments[] = {
    {"restore", "", "<restore_config>", "",
     "The snapshot to restore, as --restore takes it. The fds in net_fds are petrel-remote's "
     "own, passed to the VMM with the request (SCM_RIGHTS).",
     kRestoreKeys, "source_url=file:///var/lib/petrel/snap"},
    {"send-migration", "", "<send_migration_config>", "",
     "Where and how to migrate; a bare URL is taken as destination_url.", kSendMigrationKeys,
     "destination_url=tcp:192.0.2.10:6000"},
    {"receive-migration", "", "<receive_migration_config>", "",
     "Where to listen; a bare URL is taken as receiver_url.", kReceiveMigrationKeys,
     "receiver_url=tcp:0.0.0.0:6000"},
};

constexpr OptionDoc kUnknownOption = {"", "", "", "", "", {}, ""};

}  // namespace

std::span<const OptionDoc> PetrelOptions() { return kPetrelOptions; }

std::span<const OptionDoc> RemoteArguments() { return kRemoteArguments; }

const OptionDoc& Option(std::string_view name) {
  for (const OptionDoc& o : kPetrelOptions)
    if (o.name == name) return o;
  for (const OptionDoc& o : kRemoteArguments)
    if (o.name == name) return o;
  return kUnknownOption;
}

std::string KeySyntax(const OptionDoc& option) {
  std::string out;
  bool modes = true;  // only valueless keys and path modes: "off|null|file=<path>"
  for (const KeyDoc& k : option.keys) modes = modes && (k.value.empty() || k.value == "<path>");
  modes = modes && !option.keys.empty() && option.keys.front().value.empty();
  for (const KeyDoc& k : option.keys) {
    if (k.refused) continue;
    if (!out.empty()) out += modes ? "|" : ",";
    out += k.key;
    if (!k.value.empty()) {
      out += "=";
      out += k.value;
    }
  }
  return out;
}

}  // namespace petrel::config
