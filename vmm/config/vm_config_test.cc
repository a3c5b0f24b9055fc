// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for the --cpus, --memory, --serial and --console parsers, the
// defaults, and the cross-option checks.
#include "vmm/config/vm_config.h"

#include <gtest/gtest.h>

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
  EXPECT_EQ(ErrorOf(ParseMemory("size=0")), "--memory: size=0: must be at least 2M");
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

}  // namespace
}  // namespace petrel::config
