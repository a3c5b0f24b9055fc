// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for the --cpus, --memory, --memory-zone, --numa, --serial and
// --console parsers, the defaults, and the cross-option checks.
#include "vmm/config/vm_config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>


namespace petrel::config {
namespace {

template <class T>
std::string ErrorOf(const Result<T>& result) {
  EXPECT_FALSE(result.ok());
  return result.ok() ? "" : result.error().message();
}

TEST(VmConfigTest, DefaultsMatchCloudHypervisor) {
  VmConfig config;
  EXPECT_EQ(config.cpus.boot_vcpus, 1u);
  EXPECT_EQ(config.cpus.max_vcpus, 1u);
  EXPECT_EQ(config.memory.size, 512ULL << 20);
  EXPECT_EQ(config.serial.mode, OutputMode::kNull);
  EXPECT_EQ(config.console.mode, OutputMode::kTty);
  EXPECT_TRUE(config.payload.kernel.empty());
}

TEST(ParseCpusTest, BootOnlySetsMaxToBoot) {
  auto cpus = ParseCpus("boot=4");
  ASSERT_TRUE(cpus.ok()) << cpus.error().message();
  EXPECT_EQ(cpus->boot_vcpus, 4u);
  EXPECT_EQ(cpus->max_vcpus, 4u);
}

TEST(ParseCpusTest, BootAndMax) {
  auto cpus = ParseCpus("boot=2,max=8");
  ASSERT_TRUE(cpus.ok());
  EXPECT_EQ(cpus->boot_vcpus, 2u);
  EXPECT_EQ(cpus->max_vcpus, 8u);
  auto hex = ParseCpus("max=0x10,boot=0x2");
  ASSERT_TRUE(hex.ok());
  EXPECT_EQ(hex->boot_vcpus, 2u);
  EXPECT_EQ(hex->max_vcpus, 16u);
}

TEST(ParseCpusTest, MaxOnlyKeepsBootAtOne) {
  auto cpus = ParseCpus("max=4");
  ASSERT_TRUE(cpus.ok());
  EXPECT_EQ(cpus->boot_vcpus, 1u);
  EXPECT_EQ(cpus->max_vcpus, 4u);
}

TEST(ParseCpusTest, Limits) {
  auto cpus = ParseCpus("boot=254");
  ASSERT_TRUE(cpus.ok());
  EXPECT_EQ(cpus->boot_vcpus, kMaxVcpus);
  EXPECT_EQ(ErrorOf(ParseCpus("boot=255")), "--cpus: boot=255: at most 254 vCPUs are supported");
  EXPECT_EQ(ErrorOf(ParseCpus("boot=1,max=4294967297")),
            "--cpus: max=4294967297: at most 254 vCPUs are supported");
  EXPECT_EQ(ErrorOf(ParseCpus("boot=0")), "--cpus: boot=0: a VM needs at least 1 vCPU");
  EXPECT_EQ(ErrorOf(ParseCpus("max=0")), "--cpus: max=0: a VM needs at least 1 vCPU");
}

TEST(ParseCpusTest, MaxBelowBoot) {
  EXPECT_EQ(ErrorOf(ParseCpus("boot=4,max=2")), "--cpus: max=2 is less than boot=4");
}

TEST(ParseCpusTest, NoTopologyByDefault) {
  auto cpus = ParseCpus("boot=2,max=6");
  ASSERT_TRUE(cpus.ok());
  EXPECT_FALSE(cpus->topology.has_value());
  // CH's default: one package of max_vcpus single-threaded cores.
  EXPECT_EQ(EffectiveTopology(*cpus), (CpuTopology{1, 6, 1, 1}));
  EXPECT_EQ(EffectiveTopology(CpusConfig{}), (CpuTopology{1, 1, 1, 1}));
}

TEST(ParseCpusTest, Topology) {
  auto cpus = ParseCpus("boot=4,topology=2:2:1:1");
  ASSERT_TRUE(cpus.ok()) << cpus.error().message();
  EXPECT_EQ(cpus->boot_vcpus, 4u);
  EXPECT_EQ(cpus->max_vcpus, 4u);
  ASSERT_TRUE(cpus->topology.has_value());
  EXPECT_EQ(cpus->topology->threads_per_core, 2u);
  EXPECT_EQ(cpus->topology->cores_per_die, 2u);
  EXPECT_EQ(cpus->topology->dies_per_package, 1u);
  EXPECT_EQ(cpus->topology->packages, 1u);
  EXPECT_EQ(EffectiveTopology(*cpus), *cpus->topology);

  // Order is threads:cores:dies:packages; boot may be below max.
  auto multi = ParseCpus("topology=1:2:2:2,max=8,boot=2");
  ASSERT_TRUE(multi.ok()) << multi.error().message();
  EXPECT_EQ(multi->boot_vcpus, 2u);
  EXPECT_EQ(*multi->topology, (CpuTopology{1, 2, 2, 2}));
  auto odd = ParseCpus("boot=3,topology=1:3:1:1");
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(*odd->topology, (CpuTopology{1, 3, 1, 1}));
}

TEST(ParseCpusTest, TopologyFormatErrors) {
  const std::string format =
      ": expected <threads_per_core>:<cores_per_die>:<dies_per_package>:<packages>, e.g. 2:2:1:1";
  for (const char* bad : {"2:2:1", "2:2:1:1:1", "2:2:1:", ":2:1:1", "2::1:1", "a:b:c:d", "2:2:1:1 ",
                          "-1:1:1:1", "2x2"}) {
    const std::string text = std::string("boot=4,topology=") + bad;
    EXPECT_EQ(ErrorOf(ParseCpus(text)), std::string("--cpus: topology=") + bad + format) << bad;
  }
  // Commas separate keys, so a comma-separated topology reads as stray keys.
  EXPECT_EQ(ErrorOf(ParseCpus("boot=4,topology=2,2,1,1")),
            "--cpus: unknown key '2' (known keys: boot, max, topology)");
}

TEST(ParseCpusTest, TopologyZeroOrTooLargeParts) {
  EXPECT_EQ(ErrorOf(ParseCpus("topology=0:1:1:1")),
            "--cpus: topology=0:1:1:1: threads_per_core must be at least 1");
  EXPECT_EQ(ErrorOf(ParseCpus("topology=1:0:1:1")),
            "--cpus: topology=1:0:1:1: cores_per_die must be at least 1");
  EXPECT_EQ(ErrorOf(ParseCpus("topology=1:1:0:1")),
            "--cpus: topology=1:1:0:1: dies_per_package must be at least 1");
  EXPECT_EQ(ErrorOf(ParseCpus("topology=1:1:1:0")),
            "--cpus: topology=1:1:1:0: packages must be at least 1");
  EXPECT_EQ(ErrorOf(ParseCpus("topology=1:256:1:1")),
            "--cpus: topology=1:256:1:1: cores_per_die must be at most 255");
}

TEST(ParseCpusTest, TopologyMustMatchMax) {
  EXPECT_EQ(ErrorOf(ParseCpus("boot=2,max=8,topology=2:2:1:1")),
            "--cpus: topology=2:2:1:1: threads_per_core*cores_per_die*dies_per_package*packages "
            "= 4 must equal max=8");
  EXPECT_EQ(ErrorOf(ParseCpus("boot=2,topology=2:2:1:1")),
            "--cpus: topology=2:2:1:1: threads_per_core*cores_per_die*dies_per_package*packages "
            "= 4 must equal max=2 (max defaults to boot; give max= as well)");
  EXPECT_EQ(ErrorOf(ParseCpus("topology=255:255:255:255")),
            "--cpus: topology=255:255:255:255: threads_per_core*cores_per_die*dies_per_package*"
            "packages = 4228250625 must equal max=1 (max defaults to boot; give max= as well)");
  // boot/max checks still come first.
  EXPECT_EQ(ErrorOf(ParseCpus("boot=4,max=2,topology=1:2:1:1")),
            "--cpus: max=2 is less than boot=4");
}

TEST(ParseCpusTest, Errors) {
  EXPECT_EQ(ErrorOf(ParseCpus("boot=two")), "--cpus: boot=two: expected an unsigned integer");
  EXPECT_EQ(ErrorOf(ParseCpus("affinity=[0@[1]]")),
            "--cpus: unknown key 'affinity' (known keys: boot, max, topology)");
  EXPECT_EQ(ErrorOf(ParseCpus("2")), "--cpus: unknown key '2' (known keys: boot, max, topology)");
  EXPECT_EQ(ErrorOf(ParseCpus("")), "--cpus: empty value (expected key=value[,key=value...])");
}

TEST(ParseMemoryTest, Sizes) {
  EXPECT_EQ(ParseMemory("size=1G")->size, 1ULL << 30);
  EXPECT_EQ(ParseMemory("size=2M")->size, 2ULL << 20);
  EXPECT_EQ(ParseMemory("size=4194304")->size, 4ULL << 20);
  EXPECT_EQ(ParseMemory("size=0x400000").ok(), false);  // sizes are decimal
  EXPECT_EQ(ParseMemory("size=64T")->size, kMaxMemorySize);
  EXPECT_EQ(ParseMemory("size=3073M")->size, 3073ULL << 20);
}

TEST(ParseMemoryTest, Errors) {
  EXPECT_EQ(ErrorOf(ParseMemory("size=12Q")), "--memory: size=12Q: expected a size like 512M");
  EXPECT_EQ(ErrorOf(ParseMemory("size=99999999999T")),
            "--memory: size=99999999999T: too large (a size must fit in 64 bits)");
  EXPECT_EQ(ErrorOf(ParseMemory("size=2097153")),
            "--memory: size=2097153: must be a multiple of 4K");
  EXPECT_EQ(ErrorOf(ParseMemory("size=1M")), "--memory: size=1M: must be at least 2M");
  // size=0 is CH's "the RAM is the --memory-zone values'".
  EXPECT_EQ(ErrorOf(ParseMemory("size=0")),
            "--memory: size=0: needs at least one memory zone (--memory-zone, JSON zones)");
  EXPECT_EQ(ErrorOf(ParseMemory("size=65537G")), "--memory: size=65537G: must be at most 64T");
  EXPECT_EQ(ParseMemory("size=")->size, kDefaultMemorySize);  // empty: the default (CH)
  EXPECT_EQ(ErrorOf(ParseMemory("512M")).rfind("--memory: unknown key '512M' (known keys: size, shared, prefault, mergeable, thp", 0),
            0u);
  EXPECT_EQ(ErrorOf(ParseMemory("size=1G,shared=yes")),
            "--memory: shared=yes: expected on, off, true or false");
}

// CH's --memory size=1G,shared=on (guest RAM in memfds: local migration).
// Cloud Hypervisor's memory hot-plug keys, as its docs/hotplug.md types them.
TEST(ParseMemoryTest, HotplugKeys) {
  auto acpi = ParseMemory("size=1024M,hotplug_size=8192M");
  ASSERT_TRUE(acpi.ok()) << acpi.error().message();
  EXPECT_EQ(acpi->hotplug_method, HotplugMethod::kAcpi);
  EXPECT_EQ(acpi->hotplug_size, 8ULL << 30);
  EXPECT_FALSE(acpi->hotplugged_size.has_value());
  auto mem = ParseMemory("size=1024M,hotplug_method=virtio-mem,hotplug_size=8192M,hotplugged_size=512M");
  ASSERT_TRUE(mem.ok()) << mem.error().message();
  EXPECT_EQ(mem->hotplug_method, HotplugMethod::kVirtioMem);
  EXPECT_EQ(mem->hotplugged_size, 512ULL << 20);
  EXPECT_EQ(ErrorOf(ParseMemory("size=1G,hotplug_method=dimm")),
            "--memory: hotplug_method=dimm: expected acpi or virtio-mem");
  EXPECT_EQ(ErrorOf(ParseMemory("size=1G,hotplug_size=100M")),
            "--memory: hotplug_size=104857600: must be a multiple of 128M");
  EXPECT_EQ(ErrorOf(ParseMemory("size=1G,hotplug_size=0")), "--memory: hotplug_size=0: must not be 0");
  EXPECT_EQ(ErrorOf(ParseMemory("size=1G,hotplugged_size=128M")),
            "--memory: hotplugged_size=134217728: needs hotplug_size");
  EXPECT_EQ(ErrorOf(ParseMemory("size=1G,hotplug_size=1G,hotplugged_size=128M")),
            "--memory: hotplugged_size=134217728: needs hotplug_method=virtio-mem");
  EXPECT_EQ(ErrorOf(ParseMemory("size=1G,hotplug_method=virtio-mem,hotplug_size=1G,hotplugged_size=2G")),
            "--memory: hotplugged_size=2147483648: must be at most hotplug_size");
  EXPECT_EQ(ErrorOf(ParseMemory("size=1G,hotplug_method=virtio-mem,hotplug_size=1G,hotplugged_size=3M")),
            "--memory: hotplugged_size=3145728: must be a multiple of 2M");
  EXPECT_EQ(ErrorOf(ParseMemory("size=1G,hugepages=on,hotplug_size=1G")),
            "--memory: hotplug_size=1073741824: not supported by Petrel yet with hugepages=on");
}

TEST(ParseMemoryTest, Shared) {
  EXPECT_FALSE(ParseMemory("size=1G")->shared);
  EXPECT_TRUE(ParseMemory("size=1G,shared=on")->shared);
  EXPECT_FALSE(ParseMemory("shared=off")->shared);
  EXPECT_EQ(ParseMemory("shared=on")->size, kDefaultMemorySize);
}

// CH's --memory hugepages=on,hugepage_size=2M: CH's rules (hugepage_size
// needs hugepages=on and is a power of two), and the sizes of RAM below and
// above the 32-bit hole must be whole huge pages.
TEST(ParseMemoryTest, HugePages) {
  auto plain = ParseMemory("size=1G");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->hugepages);
  EXPECT_FALSE(plain->hugepage_size);
  EXPECT_EQ(plain->backing(), RamBacking::kPrivate);
  auto on = ParseMemory("size=1G,hugepages=on");
  ASSERT_TRUE(on.ok()) << on.error().message();
  EXPECT_TRUE(on->hugepages);
  EXPECT_FALSE(on->hugepage_size);  // the host's default
  EXPECT_EQ(on->backing(), (RamBacking{.shared = false, .hugepages = true, .hugepage_size = 0}));
  EXPECT_TRUE(on->backing().memfds());  // huge pages are shared memfds, as CH
  auto sized = ParseMemory("size=1G,hugepages=on,hugepage_size=2M");
  ASSERT_TRUE(sized.ok()) << sized.error().message();
  EXPECT_EQ(sized->hugepage_size, 2ULL << 20);
  EXPECT_EQ(sized->backing().hugepage_size, 2ULL << 20);
  EXPECT_EQ(ParseMemory("size=4G,hugepages=on,hugepage_size=1G")->hugepage_size, 1ULL << 30);
  EXPECT_EQ(ParseMemory("size=2G,hugepages=on,hugepage_size=2G")->hugepage_size, 2ULL << 30);
  EXPECT_EQ(ParseMemory("hugepages=on,hugepage_size=2M")->size, kDefaultMemorySize);
  EXPECT_FALSE(ParseMemory("hugepages=off")->hugepages);
  EXPECT_TRUE(ParseMemory("size=1G,hugepages=on,shared=on")->backing().shared);
}

TEST(ParseMemoryTest, HugePageErrors) {
  EXPECT_EQ(ErrorOf(ParseMemory("size=1G,hugepage_size=2M")),
            "--memory: hugepage_size=2097152: needs hugepages=on");
  EXPECT_EQ(ErrorOf(ParseMemory("hugepages=off,hugepage_size=2M")),
            "--memory: hugepage_size=2097152: needs hugepages=on");
  EXPECT_EQ(ErrorOf(ParseMemory("size=1G,hugepages=on,hugepage_size=3M")),
            "--memory: hugepage_size=3145728: must be a power of two");
  EXPECT_EQ(ErrorOf(ParseMemory("size=1G,hugepages=on,hugepage_size=0")),
            "--memory: hugepage_size=0: must be a power of two");
  EXPECT_EQ(ErrorOf(ParseMemory("size=1025M,hugepages=on,hugepage_size=2M")),
            "--memory: size=1074790400: must be a multiple of hugepage_size (2097152)");
  EXPECT_EQ(ErrorOf(ParseMemory("hugepages=on,hugepage_size=1G")),  // 512M by default
            "--memory: size=536870912: must be a multiple of hugepage_size (1073741824)");
  EXPECT_EQ(ErrorOf(ParseMemory("size=6G,hugepages=on,hugepage_size=2G")),
            "--memory: hugepage_size=2147483648: must divide 3221225472, the RAM below the "
            "32-bit hole, when size is larger");
  EXPECT_EQ(ErrorOf(ParseMemory("size=1G,hugepages=maybe")),
            "--memory: hugepages=maybe: expected on, off, true or false");
  EXPECT_EQ(ErrorOf(ParseMemory("size=1G,hugepages=on,hugepage_size=2Q")),
            "--memory: hugepage_size=2Q: expected a size like 512M");
}

TEST(ParseSerialTest, EveryMode) {
  const std::pair<const char*, OutputMode> cases[] = {
      {"off", OutputMode::kOff},
      {"null", OutputMode::kNull},
      {"tty", OutputMode::kTty},
      {"pty", OutputMode::kPty},
  };
  for (const auto& [text, mode] : cases) {
    auto out = ParseSerial(text);
    ASSERT_TRUE(out.ok()) << text;
    EXPECT_EQ(out->mode, mode) << text;
    EXPECT_TRUE(out->path.empty());
    EXPECT_STREQ(OutputModeName(mode), text);
  }
  auto file = ParseSerial("file=/tmp/serial.log");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->mode, OutputMode::kFile);
  EXPECT_EQ(file->path, "/tmp/serial.log");
  auto socket = ParseSerial("socket=/run/petrel/serial.sock");
  ASSERT_TRUE(socket.ok());
  EXPECT_EQ(socket->mode, OutputMode::kSocket);
  EXPECT_EQ(socket->path, "/run/petrel/serial.sock");
}

TEST(ParseSerialTest, Errors) {
  EXPECT_EQ(ErrorOf(ParseSerial("stdout")),
            "--serial: unknown mode 'stdout' (expected off, null, tty, pty, file=<path> or "
            "socket=<path>)");
  EXPECT_EQ(ErrorOf(ParseSerial("fil=/x")),
            "--serial: unknown mode 'fil' (expected off, null, tty, pty, file=<path> or "
            "socket=<path>)");
  EXPECT_EQ(ErrorOf(ParseSerial("file=")), "--serial: 'file' needs a path, like file=<path>");
  EXPECT_EQ(ErrorOf(ParseSerial("socket=")), "--serial: 'socket' needs a path, like socket=<path>");
  EXPECT_EQ(ErrorOf(ParseSerial("file")), "--serial: key 'file' needs a value, like file=<value>");
  EXPECT_EQ(ErrorOf(ParseSerial("tty,null")),
            "--serial: give one mode, not both 'tty' and 'null' (expected off, null, tty, pty, "
            "file=<path> or socket=<path>)");
  EXPECT_EQ(ErrorOf(ParseSerial("tty=1")), "--serial: key 'tty' takes no value");
  EXPECT_EQ(ErrorOf(ParseSerial("tty,iommu=on")),
            "--serial: unknown key 'iommu' (known keys: file, socket, off, null, tty, pty)");
  EXPECT_EQ(ErrorOf(ParseSerial("")), "--serial: empty value (expected key=value[,key=value...])");
}

TEST(ParseConsoleTest, Modes) {
  EXPECT_EQ(ParseConsole("tty")->mode, OutputMode::kTty);
  EXPECT_EQ(ParseConsole("off")->mode, OutputMode::kOff);
  EXPECT_EQ(ParseConsole("pty")->mode, OutputMode::kPty);
  EXPECT_EQ(ParseConsole("file=/x")->path, "/x");
  EXPECT_EQ(ParseConsole("socket=/x")->mode, OutputMode::kSocket);
  EXPECT_EQ(ErrorOf(ParseConsole("serial")),
            "--console: unknown mode 'serial' (expected off, null, tty, pty, file=<path> or "
            "socket=<path>)");
}

// CH's test_landlock_parsing, and Petrel's words for what it refuses.
TEST(ParseLandlockRuleTest, PathAndAccess) {
  auto rule = ParseLandlockRule("path=/dir/path1,access=rw");
  ASSERT_TRUE(rule.ok()) << rule.error().message();
  EXPECT_EQ(*rule, (LandlockRule{"/dir/path1", LandlockAccess::kReadWrite}));
  EXPECT_EQ(ParseLandlockRule("access=r,path=/f")->access, LandlockAccess::kRead);
  EXPECT_EQ(ParseLandlockRule("path=/f,access=w")->access, LandlockAccess::kWrite);
  EXPECT_EQ(ParseLandlockRule("path=/f,access=wr")->access, LandlockAccess::kReadWrite);
  // CH's own example quotes both values.
  EXPECT_EQ(*ParseLandlockRule(R"(path="/var/lib/a,b",access="rw")"),
            (LandlockRule{"/var/lib/a,b", LandlockAccess::kReadWrite}));
}

TEST(ParseLandlockRuleTest, Errors) {
  EXPECT_FALSE(ParseLandlockRule("").ok());
  EXPECT_EQ(ErrorOf(ParseLandlockRule("path=/dir/path1")),
            "--landlock-rules: access=r|w|rw is required");
  EXPECT_EQ(ErrorOf(ParseLandlockRule("access=rw")),
            "--landlock-rules: path=<file or directory> is required");
  EXPECT_EQ(ErrorOf(ParseLandlockRule("path=,access=rw")),
            "--landlock-rules: path=<file or directory> is required");
  EXPECT_EQ(ErrorOf(ParseLandlockRule("path=/dir/path1,access=rwr")),
            "--landlock-rules: access=rwr: expected r, w or rw");
  EXPECT_EQ(ErrorOf(ParseLandlockRule("path=/p,access=x")),
            "--landlock-rules: access=x: expected r, w or rw");
  EXPECT_EQ(ErrorOf(ParseLandlockRule("path=/p,access=bind-socket")),
            "--landlock-rules: access=bind-socket: expected r, w or rw");
  EXPECT_EQ(ErrorOf(ParseLandlockRule("path=/p,access=r,mode=1")).rfind("--landlock-rules: ", 0),
            0u);
}

TEST(ValidateLandlockRuleTest, PathAndUserAccess) {
  EXPECT_TRUE(Validate(LandlockRule{"/p", LandlockAccess::kRead}).ok());
  EXPECT_EQ(ErrorOf(Validate(LandlockRule{"", LandlockAccess::kRead})),
            "path=: a landlock rule needs a path");
  EXPECT_EQ(ErrorOf(Validate(LandlockRule{"/p", LandlockAccess::kBindSocket})),
            "access=bind-socket: expected r, w or rw");
}

TEST(ValidateVmConfigTest, NeedsKernel) {
  VmConfig config;
  EXPECT_EQ(ErrorOf(ValidateVmConfig(config)), "--kernel is required to boot a VM (see --help)");
  config.payload.kernel = "/boot/vmlinux";
  EXPECT_TRUE(ValidateVmConfig(config).ok());
}

TEST(ValidateVmConfigTest, SerialAndConsoleCannotBothBeTty) {
  VmConfig config;
  config.payload.kernel = "k";
  config.serial.mode = OutputMode::kTty;
  EXPECT_EQ(ErrorOf(ValidateVmConfig(config)),
            "--serial tty and --console tty cannot both use the terminal; add --console off "
            "(or null)");
  config.console.mode = OutputMode::kOff;
  EXPECT_TRUE(ValidateVmConfig(config).ok());
}

// --memory-zone, as CH's docs/memory.md types it.
MemoryConfig VirtioMem() {
  MemoryConfig memory;
  memory.hotplug_method = HotplugMethod::kVirtioMem;
  return memory;
}

TEST(ParseMemoryZoneTest, ChsKeysAndDefaults) {
  auto zone = ParseMemoryZone("id=mem0", MemoryConfig{});
  ASSERT_TRUE(zone.ok()) << zone.error().message();
  EXPECT_EQ(zone->id, "mem0");
  EXPECT_EQ(zone->size, kDefaultMemorySize);  // CH's default, 512M
  EXPECT_FALSE(zone->shared || zone->hugepages || zone->prefault || zone->reserve ||
               zone->mergeable);
  EXPECT_FALSE(zone->hotplug_size || zone->hotplugged_size || zone->host_numa_node ||
               zone->hugepage_size || zone->file);
  zone = ParseMemoryZone(
      "id=z,size=1G,shared=on,hugepages=on,hugepage_size=2M,host_numa_node=1,prefault=on,"
      "reserve=on,mergeable=on",
      MemoryConfig{});
  ASSERT_TRUE(zone.ok()) << zone.error().message();
  EXPECT_EQ(zone->size, 1ULL << 30);
  EXPECT_TRUE(zone->shared && zone->hugepages && zone->prefault && zone->reserve &&
              zone->mergeable);
  EXPECT_EQ(zone->hugepage_size, 2ULL << 20);
  EXPECT_EQ(zone->host_numa_node, 1u);
  zone = ParseMemoryZone("id=mem0,size=1G,hotplug_size=1G,hotplugged_size=512M", VirtioMem());
  ASSERT_TRUE(zone.ok()) << zone.error().message();
  EXPECT_EQ(zone->hotplug_size, 1ULL << 30);
  EXPECT_EQ(zone->hotplugged_size, 512ULL << 20);
}

TEST(ParseMemoryZoneTest, MergeableDefaultsToMemorysAsInCh) {
  MemoryConfig memory;
  memory.mergeable = true;
  EXPECT_TRUE(ParseMemoryZone("id=z", memory)->mergeable);
  EXPECT_FALSE(ParseMemoryZone("id=z,mergeable=off", memory)->mergeable);
  EXPECT_FALSE(ParseMemoryZone("id=z", MemoryConfig{})->mergeable);
}

TEST(ParseMemoryZoneTest, Errors) {
  const MemoryConfig acpi;
  EXPECT_EQ(ErrorOf(ParseMemoryZone("size=1G", acpi)), "--memory-zone: id=<name> is required");
  EXPECT_EQ(ErrorOf(ParseMemoryZone("id=z,size=4097", acpi)),
            "--memory-zone: size=4097: must be a multiple of 4K");
  EXPECT_EQ(ErrorOf(ParseMemoryZone("id=z,size=0", acpi)), "--memory-zone: size=0: must not be 0");
  EXPECT_EQ(ErrorOf(ParseMemoryZone("id=z,size=65T", acpi)),
            "--memory-zone: size=71468255805440: must be at most 64T");
  // CH's docs/memory.md file= example: refused, never ignored.
  EXPECT_EQ(ErrorOf(ParseMemoryZone("id=mem0,size=1G,file=/foo/bar", acpi)),
            "--memory-zone: file=/foo/bar: not supported by Petrel yet");
  // CH's InvalidHotplugMethodWithMemoryZones.
  EXPECT_EQ(ErrorOf(ParseMemoryZone("id=mem0,size=1G,hotplug_size=1G", acpi)),
            "--memory-zone: hotplug_size=1073741824: memory zones hot-plug with virtio-mem only "
            "(--memory hotplug_method=virtio-mem); ACPI hot-plug is not for zones");
  const MemoryConfig virtio = VirtioMem();
  EXPECT_EQ(ErrorOf(ParseMemoryZone("id=z,hotplug_size=100M", virtio)),
            "--memory-zone: hotplug_size=104857600: must be a multiple of 128M");
  EXPECT_EQ(ErrorOf(ParseMemoryZone("id=z,hotplug_size=0", virtio)),
            "--memory-zone: hotplug_size=0: must not be 0");
  EXPECT_EQ(ErrorOf(ParseMemoryZone("id=z,hotplugged_size=2M", virtio)),
            "--memory-zone: hotplugged_size=2097152: needs hotplug_size");
  EXPECT_EQ(ErrorOf(ParseMemoryZone("id=z,hotplug_size=1G,hotplugged_size=2G", virtio)),
            "--memory-zone: hotplugged_size=2147483648: must be at most hotplug_size");
  EXPECT_EQ(ErrorOf(ParseMemoryZone("id=z,hotplug_size=1G,hotplugged_size=3M", virtio)),
            "--memory-zone: hotplugged_size=3145728: must be a multiple of 2M");
  EXPECT_EQ(ErrorOf(ParseMemoryZone("id=z,hugepages=on,hotplug_size=1G", virtio)),
            "--memory-zone: hotplug_size=1073741824: not supported by Petrel yet with hugepages=on");
  EXPECT_EQ(ErrorOf(ParseMemoryZone("id=z,size=1G,hugepage_size=2M", acpi)),
            "--memory-zone: hugepage_size=2097152: needs hugepages=on");
  EXPECT_EQ(ErrorOf(ParseMemoryZone("id=z,size=1G,hugepages=on,hugepage_size=3M", acpi)),
            "--memory-zone: hugepage_size=3145728: must be a power of two");
  EXPECT_EQ(ErrorOf(ParseMemoryZone("id=z,size=3M,hugepages=on,hugepage_size=2M", acpi)),
            "--memory-zone: size=3145728: must be a multiple of hugepage_size (2097152)");
  EXPECT_EQ(ErrorOf(ParseMemoryZone("id=z,host_numa_node=4294967296", acpi)),
            "--memory-zone: host_numa_node=4294967296: must fit in 32 bits");
  EXPECT_NE(ErrorOf(ParseMemoryZone("id=z,shared=maybe", acpi)).find("shared=maybe"),
            std::string::npos);
  EXPECT_NE(ErrorOf(ParseMemoryZone("id=z,bogus=1", acpi)).find("unknown key 'bogus'"),
            std::string::npos);
}

TEST(ValidateMemoryZoneTest, ChsSharedFileWithHostNumaAndAnId) {
  MemoryZoneConfig zone;
  zone.id = "z";
  zone.file = "/f";
  zone.shared = true;
  zone.host_numa_node = 0;
  // CH's InvalidSharedMemoryZoneWithHostNuma, before the file is refused.
  EXPECT_EQ(ErrorOf(Validate(zone, MemoryConfig{})),
            "host_numa_node=0: cannot be set for a zone backed by a file and shared=on");
  zone.host_numa_node.reset();
  EXPECT_EQ(ErrorOf(Validate(zone, MemoryConfig{})), "file=/f: not supported by Petrel yet");
  zone.file.reset();
  EXPECT_TRUE(Validate(zone, MemoryConfig{}).ok());
  zone.id.clear();
  EXPECT_EQ(ErrorOf(Validate(zone, MemoryConfig{})), "id=: a memory zone needs an id");
}

TEST(ParseMemoryTest, SizeZeroTakesTheZones) {
  const std::vector<std::string> zones = {"id=mem0,size=1G", "id=mem1,size=1G"};
  auto memory = ParseMemory("size=0", zones);
  ASSERT_TRUE(memory.ok()) << memory.error().message();
  EXPECT_EQ(memory->size, 0u);
  EXPECT_TRUE(memory->user_zones());
  ASSERT_EQ(memory->zones.size(), 2u);
  EXPECT_EQ(memory->zones[1].id, "mem1");
  EXPECT_EQ(memory->boot_size(), 2ULL << 30);
  EXPECT_EQ(memory->EffectiveZones(), memory->zones);
  // CH's docs/memory.md hot-plug examples.
  memory = ParseMemory("size=0,hotplug_method=virtio-mem",
                       std::vector<std::string>{"id=mem0,size=1G,hotplug_size=1G,hotplugged_size=512M"});
  ASSERT_TRUE(memory.ok()) << memory.error().message();
  EXPECT_EQ(memory->zones[0].hotplugged_size, 512ULL << 20);
  // --memory's mergeable is the zones' default.
  memory = ParseMemory("size=0,mergeable=on",
                       std::vector<std::string>{"id=a,size=1G", "id=b,size=1G,mergeable=off"});
  ASSERT_TRUE(memory.ok()) << memory.error().message();
  EXPECT_TRUE(memory->zones[0].mergeable);
  EXPECT_FALSE(memory->zones[1].mergeable);
}

TEST(ParseMemoryTest, SizeZeroAndZonesGoTogether) {
  EXPECT_EQ(ErrorOf(ParseMemory("size=0")),
            "--memory: size=0: needs at least one memory zone (--memory-zone, JSON zones)");
  // CH's docs/memory.md mergeable example has a zone with size=2G: CH
  // itself refuses it (InvalidMemoryParameters), and so does Petrel.
  EXPECT_EQ(ErrorOf(ParseMemory("size=2G,mergeable=off",
                                std::vector<std::string>{"id=hotplug,size=128M,mergeable=on"})),
            "--memory: size=2147483648: memory zones (--memory-zone, JSON zones) need size=0");
  const std::vector<std::string> one = {"id=mem0,size=1G"};
  EXPECT_EQ(ErrorOf(ParseMemory("size=0,hotplug_size=1G", one)),
            "--memory: hotplug_size=1073741824: with size=0 the hot-plug room is the memory "
            "zones' (their hotplug_size)");
  EXPECT_EQ(ErrorOf(ParseMemory("size=0,hugepages=on", one)),
            "--memory: hugepages=on: with size=0 each memory zone has its own (their hugepages)");
  // A zone's own error names --memory-zone.
  EXPECT_EQ(ErrorOf(ParseMemory("size=0", std::vector<std::string>{"id=a,size=1G", "id=b,size=1"})),
            "--memory-zone: size=1: must be a multiple of 4K");
}

TEST(ParseMemoryTest, TheZonesTotal) {
  EXPECT_EQ(ErrorOf(ParseMemory("size=0", std::vector<std::string>{"id=a,size=1M"})),
            "--memory: size=0: the memory zones add up to 1048576 bytes; the guest needs at "
            "least 2M");
  EXPECT_EQ(ErrorOf(ParseMemory("size=0", std::vector<std::string>{"id=a,size=40T", "id=b,size=40T"})),
            "--memory: size=0: the memory zones add up to more than 64T (zone b)");
  EXPECT_TRUE(ParseMemory("size=0", std::vector<std::string>{"id=a,size=32T", "id=b,size=32T"}).ok());
}

// Zones sit one after the other from address 0; a huge-page zone across the
// 32-bit hole (3 GiB) needs whole pages below it.
TEST(ParseMemoryTest, AHugePageZoneAcrossTheHole) {
  EXPECT_TRUE(ParseMemory("size=0", std::vector<std::string>{
                                        "id=a,size=2G", "id=b,size=2G,hugepages=on,hugepage_size=1G"})
                  .ok());
  EXPECT_EQ(ErrorOf(ParseMemory("size=0", std::vector<std::string>{
                                              "id=a,size=2050M",
                                              "id=b,size=2G,hugepages=on,hugepage_size=1G"})),
            "--memory: zones[1]: hugepage_size=1073741824: must divide the 1071644672 bytes of "
            "the zone below the 32-bit hole");
}

TEST(ValidateMemoryTest, ZonesAreCheckedAgainWithTheirIndex) {
  MemoryConfig memory;
  memory.size = 0;
  memory.zones.push_back({.id = "a", .size = 1ULL << 30});
  memory.zones.push_back({.id = "b", .size = 12345});
  EXPECT_EQ(ErrorOf(Validate(memory)), "zones[1]: size=12345: must be a multiple of 4K");
  memory.zones[1].size = 1ULL << 30;
  EXPECT_TRUE(Validate(memory).ok());
  memory.size = 1ULL << 30;
  EXPECT_EQ(ErrorOf(Validate(memory)),
            "size=1073741824: memory zones (--memory-zone, JSON zones) need size=0");
}

// --numa, as CH's docs/memory.md types it.
TEST(ParseNumaTest, ChsDocumentedValues) {
  auto node = ParseNuma("guest_numa_id=0,cpus=[0-1],memory_zones=mem0");
  ASSERT_TRUE(node.ok()) << node.error().message();
  EXPECT_EQ(node->guest_numa_id, 0u);
  EXPECT_EQ(node->cpus, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(node->memory_zones, (std::vector<std::string>{"mem0"}));
  EXPECT_FALSE(node->distances || node->pci_segments || node->device_id);
  node = ParseNuma("guest_numa_id=1,cpus=[0,4-6]");
  ASSERT_TRUE(node.ok()) << node.error().message();
  EXPECT_EQ(node->cpus, (std::vector<uint32_t>{0, 4, 5, 6}));
  node = ParseNuma("guest_numa_id=0,cpus=[0-1],memory_zones=mem0,distances=[1@20,2@25]");
  ASSERT_TRUE(node.ok()) << node.error().message();
  EXPECT_EQ(node->distances, (std::vector<NumaDistance>{{1, 20}, {2, 25}}));
  node = ParseNuma("guest_numa_id=0,memory_zones=[mem0,mem2]");
  ASSERT_TRUE(node.ok()) << node.error().message();
  EXPECT_EQ(node->memory_zones, (std::vector<std::string>{"mem0", "mem2"}));
  node = ParseNuma("guest_numa_id=0,memory_zones=mem0,pci_segments=[0]");
  ASSERT_TRUE(node.ok()) << node.error().message();
  EXPECT_EQ(node->pci_segments, (std::vector<uint16_t>{0}));
  // "cpus=0-4" without brackets, as the docs' prose has it.
  EXPECT_EQ(ParseNuma("guest_numa_id=3,cpus=0-4")->cpus, (std::vector<uint32_t>{0, 1, 2, 3, 4}));
}

TEST(ParseNumaTest, Errors) {
  EXPECT_EQ(ErrorOf(ParseNuma("cpus=[0]")),
            "--numa: guest_numa_id=<n> is required for every NUMA node");
  // CH's NumaConfig::validate: a node has cpus or memory zones (so CH's
  // distances-only documentation example is refused by CH too).
  EXPECT_EQ(ErrorOf(ParseNuma("guest_numa_id=0,distances=[1@15,2@25]")),
            "--numa: guest_numa_id=0: a NUMA node needs cpus or memory_zones");
  EXPECT_EQ(ErrorOf(ParseNuma("guest_numa_id=0,cpus=[3-1]")),
            "--numa: cpus=[3-1]: expected a list of numbers like [0-3,6]");
  EXPECT_EQ(ErrorOf(ParseNuma("guest_numa_id=0,cpus=[2-2]")),
            "--numa: cpus=[2-2]: expected a list of numbers like [0-3,6]");  // CH: a < b
  EXPECT_EQ(ErrorOf(ParseNuma("guest_numa_id=0,cpus=[0-4000000000]")),
            "--numa: cpus=[0-4000000000]: more than 1024 numbers in the list");
  EXPECT_EQ(ErrorOf(ParseNuma("guest_numa_id=0,cpus=[0],distances=1@20")),
            "--numa: distances=1@20: expected [<node>@<distance>,...], e.g. [1@20,2@25]");
  EXPECT_EQ(ErrorOf(ParseNuma("guest_numa_id=0,cpus=[0],distances=[1@]")),
            "--numa: distances=[1@]: expected [<node>@<distance>,...], e.g. [1@20,2@25]");
  EXPECT_EQ(ErrorOf(ParseNuma("guest_numa_id=0,cpus=[0],distances=[1@300]")),
            "--numa: distances=[1@300]: distance 300 is above 255");
  EXPECT_EQ(ErrorOf(ParseNuma("guest_numa_id=0,cpus=[0],distances=[1@5]")),
            "--numa: distances=1@5: a distance is 10 (local) to 254");
  EXPECT_EQ(ErrorOf(ParseNuma("guest_numa_id=1,memory_zones=mem1,pci_segments=[1]")),
            "--numa: pci_segments=1: Petrel has one PCI segment, 0");
  EXPECT_EQ(ErrorOf(ParseNuma("guest_numa_id=0,cpus=[0],pci_segments=[70000]")),
            "--numa: pci_segments=[70000]: 70000 is above 65535");
  // CH's generic initiator example.
  EXPECT_EQ(ErrorOf(ParseNuma("guest_numa_id=2,device_id=gpu0,distances=[0@25,1@30]")),
            "--numa: device_id=gpu0: not supported by Petrel yet");
  EXPECT_EQ(ErrorOf(ParseNuma("guest_numa_id=0,memory_zones=[a,,b]")),
            "--numa: memory_zones=[a,,b]: an empty memory zone id");
  EXPECT_EQ(ErrorOf(ParseNuma("guest_numa_id=x,cpus=[0]")),
            "--numa: guest_numa_id=x: expected an unsigned integer");
}

TEST(ValidateNumaConfigTest, GenericInitiatorsAsCh) {
  NumaConfig node;
  node.guest_numa_id = 2;
  node.device_id = "gpu0";
  EXPECT_EQ(ErrorOf(Validate(node)),
            "device_id=gpu0: generic initiator nodes are not supported by Petrel yet");
  node.cpus = std::vector<uint32_t>{0};
  EXPECT_EQ(ErrorOf(Validate(node)),
            "device_id=gpu0: a generic initiator node (device_id) cannot have cpus or "
            "memory_zones");
  node.device_id.reset();
  EXPECT_TRUE(Validate(node).ok());
  node.cpus = std::vector<uint32_t>{};
  EXPECT_EQ(ErrorOf(Validate(node)), "cpus=[]: must not be empty");
  node.cpus.reset();
  node.memory_zones = std::vector<std::string>{};
  EXPECT_EQ(ErrorOf(Validate(node)), "memory_zones=[]: must not be empty");
}

// A VM with CH's docs/memory.md zones and nodes.
VmConfig NumaVm() {
  VmConfig config;
  config.payload.kernel = "/k";
  config.cpus.boot_vcpus = config.cpus.max_vcpus = 4;
  config.memory = *ParseMemory("size=0", std::vector<std::string>{"id=mem0,size=1G", "id=mem1,size=1G"});
  config.numa = {*ParseNuma("guest_numa_id=0,cpus=[0-1],memory_zones=mem0,distances=[1@15]"),
                 *ParseNuma("guest_numa_id=1,cpus=[2-3],memory_zones=mem1")};
  return config;
}

TEST(ValidateNumaTest, ChsDocumentedTopologyIsValid) {
  EXPECT_TRUE(ValidateNuma(NumaVm()).ok());
  EXPECT_TRUE(ValidateVmConfig(NumaVm()).ok());
  // With --memory size!=0 the default zone is "mem0" (as CH).
  VmConfig config;
  config.cpus.max_vcpus = 2;
  config.numa = {*ParseNuma("guest_numa_id=0,cpus=[0-1],memory_zones=mem0")};
  EXPECT_TRUE(ValidateNuma(config).ok());
  config.numa[0].memory_zones = std::vector<std::string>{"mem1"};
  EXPECT_EQ(ErrorOf(ValidateNuma(config)),
            "numa node 0: memory_zones=mem1: no memory zone has that id");
}

TEST(ValidateNumaTest, NodesAgainstEachOtherAndTheVm) {
  VmConfig config = NumaVm();
  config.numa[1].guest_numa_id = 0;
  EXPECT_EQ(ErrorOf(ValidateNuma(config)),
            "numa node 0: guest_numa_id=0: given to two NUMA nodes (ids must be unique)");
  // The SLIT's rows are proximity domains: ids 0..N-1, none skipped.
  config = NumaVm();
  config.numa[1].guest_numa_id = 2;
  config.numa[0].distances.reset();
  EXPECT_EQ(ErrorOf(ValidateNuma(config)),
            "guest_numa_id=2: NUMA node ids must be 0..1 (one per node, none skipped)");
  config.numa[0].distances = std::vector<NumaDistance>{{1, 255}};
  config.numa[1].guest_numa_id = 1;
  EXPECT_EQ(ErrorOf(ValidateNuma(config)),
            "numa node 0: distances=1@255: a distance is 10 (local) to 254");
  // CH's docs: "a memory zone must belong to a single NUMA node".
  config = NumaVm();
  config.numa[1].memory_zones = std::vector<std::string>{"mem0"};
  EXPECT_EQ(ErrorOf(ValidateNuma(config)),
            "numa node 1: memory_zones=mem0: already in NUMA node 0");
  config = NumaVm();
  config.numa[0].memory_zones = std::vector<std::string>{"mem0", "mem0"};
  EXPECT_EQ(ErrorOf(ValidateNuma(config)), "numa node 0: memory_zones=mem0: listed twice");
  config = NumaVm();
  config.numa[1].cpus = std::vector<uint32_t>{1, 2, 3};
  EXPECT_EQ(ErrorOf(ValidateNuma(config)), "numa node 1: cpus=1: already in NUMA node 0");
  config = NumaVm();
  config.numa[1].cpus = std::vector<uint32_t>{2, 3, 4};
  EXPECT_EQ(ErrorOf(ValidateNuma(config)), "numa node 1: cpus=4: no such vCPU (max_vcpus is 4)");
  config.cpus.max_vcpus = 5;  // hot-pluggable vCPUs have nodes too
  EXPECT_TRUE(ValidateNuma(config).ok());
  config = NumaVm();
  config.numa[0].cpus = std::vector<uint32_t>{0, 0};
  EXPECT_EQ(ErrorOf(ValidateNuma(config)), "numa node 0: cpus=0: listed twice");
  config = NumaVm();
  config.numa[0].distances = std::vector<NumaDistance>{{2, 20}};
  EXPECT_EQ(ErrorOf(ValidateNuma(config)), "numa node 0: distances=2@20: no NUMA node 2");
  config.numa[0].distances = std::vector<NumaDistance>{{1, 20}, {1, 30}};
  EXPECT_EQ(ErrorOf(ValidateNuma(config)),
            "numa node 0: distances=1@30: a second distance to node 1");
  // A node's distance to itself other than 10 is ignored, as CH does.
  config.numa[0].distances = std::vector<NumaDistance>{{0, 30}, {1, 20}};
  EXPECT_TRUE(ValidateNuma(config).ok());
  config.numa[0].distances = std::vector<NumaDistance>{{1, 9}};
  EXPECT_EQ(ErrorOf(ValidateNuma(config)),
            "numa node 0: distances=1@9: a distance is 10 (local) to 254");
  // PCI segment 0 is node 0's (CH's DefaultPciSegmentInvalidNode).
  config = NumaVm();
  config.numa[0].pci_segments = std::vector<uint16_t>{0};
  EXPECT_TRUE(ValidateNuma(config).ok());
  config.numa[0].pci_segments = std::vector<uint16_t>{0, 0};
  EXPECT_EQ(ErrorOf(ValidateNuma(config)), "numa node 0: pci_segments=0: listed twice");
  config.numa[0].pci_segments.reset();
  config.numa[1].pci_segments = std::vector<uint16_t>{0};
  EXPECT_EQ(ErrorOf(ValidateNuma(config)),
            "numa node 1: pci_segments=0: PCI segment 0 belongs to NUMA node 0");
  // ValidateVmConfig runs it.
  EXPECT_FALSE(ValidateVmConfig(config).ok());
}

TEST(ValidateVmConfigTest, TheBalloonIsBelowTheBootRamOfTheZones) {
  VmConfig config = NumaVm();  // size=0, two zones of 1G
  config.balloon = BalloonConfig{};
  config.balloon->size = 1ULL << 30;
  EXPECT_TRUE(ValidateVmConfig(config).ok());  // memory.size is 0, boot_size() 2G
  config.balloon->size = 2ULL << 30;
  EXPECT_EQ(ErrorOf(ValidateVmConfig(config)),
            "balloon: size=2147483648: must be below the guest's memory (2147483648 bytes)");
  EXPECT_EQ(ErrorOf(ValidateBalloonSize(config)),
            "balloon: size=2147483648: must be below the guest's memory (2147483648 bytes)");
}

}  // namespace
}  // namespace petrel::config
