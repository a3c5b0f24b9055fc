// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for ParseCommandLine: argv arrays in, CliOutcome out. The error lines
// are user-facing, so several are asserted exactly.
#include "vmm/config/cli.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <vector>

namespace petrel::config {
namespace {

CliOutcome Parse(std::initializer_list<const char*> args) {
  std::vector<const char*> argv = {"petrel"};
  argv.insert(argv.end(), args.begin(), args.end());
  return ParseCommandLine(static_cast<int>(argv.size()), argv.data());
}

// Expects an error outcome and returns its message.
std::string ErrorLine(std::initializer_list<const char*> args) {
  CliOutcome out = Parse(args);
  EXPECT_EQ(out.action, CliOutcome::Action::kExit);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(out.message.rfind("petrel: error: ", 0), 0u) << out.message;
  EXPECT_EQ(out.message.find('\n'), std::string::npos) << out.message;
  return out.message;
}

TEST(CliTest, TestDeviceIsPetrelsOwnFlagAndOffByDefault) {
  EXPECT_FALSE(Parse({"--kernel", "/boot/vmlinux"}).options.vm.test_device);
  CliOutcome out = Parse({"--kernel", "/boot/vmlinux", "--test-device"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  EXPECT_TRUE(out.options.vm.test_device);
}

TEST(CliTest, KernelOnlyGivesDefaults) {
  CliOutcome out = Parse({"--kernel", "/boot/vmlinux"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  EXPECT_EQ(out.exit_code, 0);
  const VmConfig& vm = out.options.vm;
  EXPECT_EQ(vm.payload.kernel, "/boot/vmlinux");
  EXPECT_TRUE(vm.payload.initramfs.empty());
  EXPECT_TRUE(vm.payload.cmdline.empty());
  EXPECT_EQ(vm.cpus.boot_vcpus, 1u);
  EXPECT_EQ(vm.cpus.max_vcpus, 1u);
  EXPECT_EQ(vm.memory.size, 512ULL << 20);
  EXPECT_EQ(vm.serial.mode, OutputMode::kNull);
  EXPECT_EQ(vm.console.mode, OutputMode::kTty);
  EXPECT_EQ(out.options.verbosity, 0);
  EXPECT_TRUE(out.options.log_file.empty());
  EXPECT_FALSE(out.options.version);
}

TEST(CliTest, EveryOption) {
  CliOutcome out =
      Parse({"--kernel", "k.elf", "--initramfs", "initrd.img", "--cmdline",
             "console=ttyS0 root=/dev/vda", "--cpus", "boot=2,max=4", "--memory", "size=1G",
             "--serial", "tty", "--console", "off", "-v", "--log-file", "/tmp/petrel.log"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  const VmConfig& vm = out.options.vm;
  EXPECT_EQ(vm.payload.kernel, "k.elf");
  EXPECT_EQ(vm.payload.initramfs, "initrd.img");
  EXPECT_EQ(vm.payload.cmdline, "console=ttyS0 root=/dev/vda");
  EXPECT_EQ(vm.cpus.boot_vcpus, 2u);
  EXPECT_EQ(vm.cpus.max_vcpus, 4u);
  EXPECT_EQ(vm.memory.size, 1ULL << 30);
  EXPECT_EQ(vm.serial.mode, OutputMode::kTty);
  EXPECT_EQ(vm.console.mode, OutputMode::kOff);
  EXPECT_EQ(out.options.verbosity, 1);
  EXPECT_EQ(out.options.log_file, "/tmp/petrel.log");
}

TEST(CliTest, CpusTopology) {
  CliOutcome out = Parse({"--kernel", "k", "--cpus", "boot=2,max=8,topology=1:2:2:2"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  const CpusConfig& cpus = out.options.vm.cpus;
  EXPECT_EQ(cpus.boot_vcpus, 2u);
  EXPECT_EQ(cpus.max_vcpus, 8u);
  ASSERT_TRUE(cpus.topology.has_value());
  EXPECT_EQ(*cpus.topology, (CpuTopology{1, 2, 2, 2}));
  EXPECT_FALSE(Parse({"--kernel", "k"}).options.vm.cpus.topology.has_value());
}

TEST(CliTest, EqualsForm) {
  CliOutcome out = Parse({"--kernel=k", "--cmdline=console=hvc0 quiet", "--memory=size=64M",
                          "--serial=file=/tmp/s.log"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  EXPECT_EQ(out.options.vm.payload.cmdline, "console=hvc0 quiet");
  EXPECT_EQ(out.options.vm.memory.size, 64ULL << 20);
  EXPECT_EQ(out.options.vm.serial.mode, OutputMode::kFile);
  EXPECT_EQ(out.options.vm.serial.path, "/tmp/s.log");
}

TEST(CliTest, VerbosityCounts) {
  EXPECT_EQ(Parse({"--kernel", "k", "-vvv"}).options.verbosity, 3);
  EXPECT_EQ(Parse({"-v", "--kernel", "k", "-v"}).options.verbosity, 2);
  EXPECT_EQ(Parse({"-vv", "--kernel", "k", "-v", "-vv"}).options.verbosity, 5);
}

TEST(CliTest, Version) {
  for (const char* flag : {"-V", "--version"}) {
    CliOutcome out = Parse({flag});
    EXPECT_EQ(out.action, CliOutcome::Action::kExit);
    EXPECT_EQ(out.exit_code, 0);
    EXPECT_EQ(out.message, "petrel " + std::string(build_info::BuildVersion()) +
                               "\nMigration Protocol Versions: 0");
    EXPECT_TRUE(out.options.version);
  }
  // --version wins over a bad option string, as with clap.
  EXPECT_EQ(Parse({"--cpus", "boot=0", "-V"}).exit_code, 0);
}

TEST(CliTest, Help) {
  for (const char* flag : {"-h", "--help"}) {
    CliOutcome out = Parse({"--kernel", "k", flag});
    EXPECT_EQ(out.action, CliOutcome::Action::kExit);
    EXPECT_EQ(out.exit_code, 0);
    for (const char* option :
         {"--kernel", "--initramfs", "--cmdline", "--cpus", "--memory", "--serial", "--console",
          "-v", "--log-file", "--version", "--help", "boot=<n>", "(default size=512M)",
          "--event-monitor", "path=<path>,fd=<n>"}) {
      EXPECT_NE(out.message.find(option), std::string::npos) << option;
    }
    EXPECT_NE(out.message.back(), '\n');
  }
}

TEST(CliTest, MemoryTakesPrefaultMergeableAndThp) {
  CliOutcome out = Parse({"--kernel", "k", "--memory", "size=1G,prefault=on,mergeable=on,thp=off"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  EXPECT_TRUE(out.options.vm.memory.prefault);
  EXPECT_TRUE(out.options.vm.memory.mergeable);
  EXPECT_FALSE(out.options.vm.memory.thp);
  out = Parse({"--kernel", "k", "--memory", "size=1G"});
  EXPECT_TRUE(out.options.vm.memory.thp);  // on by default, as CH
  EXPECT_FALSE(out.options.vm.memory.prefault);
  EXPECT_NE(Parse({"--kernel", "k", "--memory", "size=1G,thp=maybe"}).message.find("thp"),
            std::string::npos);
}

// CH's docs/memory.md command line.
TEST(CliTest, MemoryTakesHugePages) {
  CliOutcome out = Parse({"--kernel", "k", "--memory", "size=1G,hugepages=on,hugepage_size=2M"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  EXPECT_TRUE(out.options.vm.memory.hugepages);
  EXPECT_EQ(out.options.vm.memory.hugepage_size, 2ULL << 20);
  out = Parse({"--kernel", "k", "--memory", "size=1G"});
  EXPECT_FALSE(out.options.vm.memory.hugepages);
  EXPECT_NE(Parse({"--kernel", "k", "--memory", "size=1G,hugepage_size=2M"})
                .message.find("hugepage_size=2097152: needs hugepages=on"),
            std::string::npos);
}

// CH's docs/balloon.md command line.
TEST(CliTest, BalloonTakesChsKeys) {
  CliOutcome out = Parse({"--kernel", "k", "--memory", "size=1G", "--balloon",
                          "size=0,deflate_on_oom=on,free_page_reporting=on"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  ASSERT_TRUE(out.options.vm.balloon.has_value());
  EXPECT_EQ(out.options.vm.balloon->size, 0u);
  EXPECT_TRUE(out.options.vm.balloon->deflate_on_oom);
  EXPECT_TRUE(out.options.vm.balloon->free_page_reporting);
  out = Parse({"--kernel", "k", "--memory", "size=1G", "--balloon", "size=256M"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  EXPECT_EQ(out.options.vm.balloon->size, 256u << 20);
  EXPECT_FALSE(out.options.vm.balloon->deflate_on_oom);
  EXPECT_FALSE(Parse({"--kernel", "k"}).options.vm.balloon.has_value());
  EXPECT_NE(Parse({"--kernel", "k", "--balloon", "size=4097"}).message.find("4 KiB"),
            std::string::npos);
  EXPECT_NE(Parse({"--kernel", "k", "--balloon", "bogus=1"}).message.find("bogus"),
            std::string::npos);
  EXPECT_NE(Parse({"--kernel", "k", "--memory", "size=512M", "--balloon", "size=1G"})
                .message.find("below the guest's memory"),
            std::string::npos);
}

TEST(CliTest, DevicesAreRepeatableAndValidated) {
  CliOutcome out = Parse({"--kernel", "k", "--disk", "path=/a", "--disk", "path=/b,readonly=on",
                          "--net", "tap=tap0", "--rng", "src=/dev/random"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  ASSERT_EQ(out.options.vm.disks.size(), 2u);
  EXPECT_EQ(out.options.vm.disks[1].path, "/b");
  EXPECT_TRUE(out.options.vm.disks[1].readonly);
  ASSERT_EQ(out.options.vm.nets.size(), 1u);
  EXPECT_EQ(out.options.vm.nets[0].tap, "tap0");
  EXPECT_EQ(out.options.vm.rng.src, "/dev/random");
  EXPECT_EQ(Parse({"--kernel", "k"}).options.vm.rng.src, "/dev/urandom");
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--disk", "readonly=on"}),
            "petrel: error: --disk: path=<file> is required");
}

TEST(CliTest, MissingKernel) {
  EXPECT_EQ(ErrorLine({"--cpus", "boot=2"}),
            "petrel: error: --kernel is required to boot a VM (see --help)");
}

TEST(CliTest, ApiSocketAloneStartsAnEmptyVmm) {
  // Cloud Hypervisor's orchestrator mode: no payload, the API creates the VM.
  CliOutcome out = Parse({"--api-socket", "path=/tmp/petrel.sock"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  EXPECT_FALSE(out.options.has_vm);
  ASSERT_TRUE(out.options.api_socket.has_value());
  EXPECT_EQ(out.options.api_socket->path, "/tmp/petrel.sock");
  EXPECT_TRUE(Parse({"--kernel", "k", "--api-socket", "/tmp/s"}).options.has_vm);
}

TEST(CliTest, UnknownOption) {
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--fs", "tag=x"}),
            "petrel: error: unknown option '--fs' (see --help)");
  EXPECT_EQ(ErrorLine({"--kernel", "k", "-x"}), "petrel: error: unknown option '-x' (see --help)");
  EXPECT_EQ(ErrorLine({"--kernel", "k", "stray"}),
            "petrel: error: unexpected argument 'stray' (options take the form --name <value>; "
            "see --help)");
}

TEST(CliTest, OptionWithoutValue) {
  EXPECT_EQ(ErrorLine({"--kernel"}), "petrel: error: --kernel: needs a value");
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--cpus"}), "petrel: error: --cpus: needs a value");
}

TEST(CliTest, OptionGivenTwice) {
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--memory", "size=1G", "--memory", "size=2G"}),
            "petrel: error: --memory: given more than once (give each option once)");
  EXPECT_EQ(ErrorLine({"--kernel", "a", "--kernel", "b"}),
            "petrel: error: --kernel: given more than once (give each option once)");
}

TEST(CliTest, BadCpus) {
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--cpus", "boot=0"}),
            "petrel: error: --cpus: boot=0: a VM needs at least 1 vCPU");
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--cpus", "boot=4,max=2"}),
            "petrel: error: --cpus: max=2 is less than boot=4");
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--cpus", "boot=x"}),
            "petrel: error: --cpus: boot=x: expected an unsigned integer");
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--cpus", "cores=2"}),
            "petrel: error: --cpus: unknown key 'cores' (known keys: boot, max, topology)");
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--cpus", "boot=2,topology=2:2:1:1"}),
            "petrel: error: --cpus: topology=2:2:1:1: "
            "threads_per_core*cores_per_die*dies_per_package*packages = 4 must equal max=2 "
            "(max defaults to boot; give max= as well)");
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--cpus", "boot=1,topology=1:1"}),
            "petrel: error: --cpus: topology=1:1: expected "
            "<threads_per_core>:<cores_per_die>:<dies_per_package>:<packages>, e.g. 2:2:1:1");
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--cpus", ""}),
            "petrel: error: --cpus: empty value (expected key=value[,key=value...])");
}

// Cloud Hypervisor's README (x86-64 direct kernel boot), verbatim: two
// disks after one --disk, and "key=" meaning "not set" for the net.
TEST(CliTest, ChReadmeCommandLine) {
  const auto out = Parse({"--kernel", "./linux-cloud-hypervisor/arch/x86/boot/compressed/vmlinux.bin",
                          "--disk", "path=focal-server-cloudimg-amd64.raw", "path=/tmp/ubuntu-cloudinit.img",
                          "--cmdline", "console=hvc0 root=/dev/vda1 rw",
                          "--cpus", "boot=4",
                          "--memory", "size=1024M",
                          "--net", "tap=,mac=,ip=,mask="});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  const VmConfig& vm = out.options.vm;
  ASSERT_EQ(vm.disks.size(), 2u);
  EXPECT_EQ(vm.disks[1].path, "/tmp/ubuntu-cloudinit.img");
  EXPECT_EQ(vm.cpus.boot_vcpus, 4u);
  EXPECT_EQ(vm.memory.size, 1024u << 20);
  ASSERT_EQ(vm.nets.size(), 1u);
  // A created tap, a random MAC, CH's default address; ids as CH names them.
  EXPECT_EQ(vm.nets[0], NetConfig{.id = "_net2"});
}

TEST(CliTest, BadMemory) {
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--memory", "size=12Q"}),
            "petrel: error: --memory: size=12Q: expected a size like 512M");
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--memory", "size"}),
            "petrel: error: --memory: key 'size' needs a value, like size=<value>");
}

TEST(CliTest, BadSerialAndConsole) {
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--serial", "stdio"}),
            "petrel: error: --serial: unknown mode 'stdio' (expected off, null, tty, pty, "
            "file=<path> or socket=<path>)");
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--console", "sock=/x"}),
            "petrel: error: --console: unknown mode 'sock' (expected off, null, tty, pty, "
            "file=<path> or socket=<path>)");
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--serial", "tty"}),
            "petrel: error: --serial tty and --console tty cannot both use the terminal; add "
            "--console off (or null)");
}

TEST(CliTest, EmptyLogFile) {
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--log-file", ""}),
            "petrel: error: --log-file: needs a value");
}

TEST(CliTest, ControlCharactersStayOnOneLine) {
  const std::string line = ErrorLine({"--kernel", "k", "--bad\noption"});
  EXPECT_EQ(line, "petrel: error: unknown option '--bad\\x0aoption' (see --help)");
}

TEST(CliTest, NoArgumentsPrintTheHelp) {
  for (int argc : {0, 1}) {
    const char* only_name[] = {"petrel"};
    CliOutcome out = ParseCommandLine(argc, argc == 0 ? nullptr : only_name);
    EXPECT_EQ(out.action, CliOutcome::Action::kExit);
    EXPECT_EQ(out.exit_code, 0);  // asked what it does: not an error
    EXPECT_NE(out.message.find("Usage: petrel [OPTIONS]"), std::string::npos) << out.message;
    EXPECT_NE(out.message.find("--kernel"), std::string::npos);
  }
}

// Called as cloud-hypervisor (the drop-in name): its --version format and
// clap's exit codes (2 for usage errors and for no arguments, whose help
// goes to stderr); everything else as petrel.
TEST(CliTest, TheCloudHypervisorNameUsesItsVersionFormatAndExitCodes) {
  auto as_ch = [](std::vector<const char*> args) {
    args.insert(args.begin(), "/usr/bin/cloud-hypervisor");
    return ParseCommandLine(static_cast<int>(args.size()), args.data());
  };
  CliOutcome version = as_ch({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.message.rfind("cloud-hypervisor v", 0), 0u) << version.message;
  EXPECT_TRUE(version.program.cloud_hypervisor);
  CliOutcome none = as_ch({});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.message.find("Usage: cloud-hypervisor [OPTIONS]"), std::string::npos);
  EXPECT_EQ(as_ch({"--kernel", "k", "--no-such-option"}).exit_code, 2);
  EXPECT_EQ(as_ch({"--kernel"}).exit_code, 2);
  EXPECT_EQ(as_ch({"--kernel", "k", "--cpus", "boot=0"}).exit_code, 1);  // a bad value: 1
  CliOutcome run = as_ch({"--kernel", "k", "--cpus", "boot=2"});
  EXPECT_EQ(run.action, CliOutcome::Action::kRun);
  EXPECT_EQ(run.options.vm.cpus.boot_vcpus, 2u);
  // As petrel, usage errors are 1.
  EXPECT_EQ(Parse({"--kernel", "k", "--no-such-option"}).exit_code, 1);
  EXPECT_FALSE(Parse({"--kernel", "k"}).program.cloud_hypervisor);
}

TEST(CliTest, ApiSocketForms) {
  EXPECT_FALSE(Parse({"--kernel", "k"}).options.api_socket.has_value());
  CliOutcome path = Parse({"--kernel", "k", "--api-socket", "path=/tmp/p.sock"});
  ASSERT_EQ(path.action, CliOutcome::Action::kRun) << path.message;
  ASSERT_TRUE(path.options.api_socket.has_value());
  EXPECT_EQ(path.options.api_socket->path, "/tmp/p.sock");
  EXPECT_EQ(path.options.api_socket->fd, -1);
  CliOutcome bare = Parse({"--kernel", "k", "--api-socket=/tmp/b.sock"});
  ASSERT_EQ(bare.action, CliOutcome::Action::kRun) << bare.message;
  EXPECT_EQ(bare.options.api_socket->path, "/tmp/b.sock");
  CliOutcome fd = Parse({"--kernel", "k", "--api-socket", "fd=3"});
  ASSERT_EQ(fd.action, CliOutcome::Action::kRun) << fd.message;
  EXPECT_EQ(fd.options.api_socket->fd, 3);
  EXPECT_TRUE(fd.options.api_socket->path.empty());
}

TEST(CliTest, ApiSocketErrors) {
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--api-socket", "fd=x"})
                .rfind("petrel: error: --api-socket: ", 0),
            0u);
  EXPECT_NE(ErrorLine({"--kernel", "k", "--api-socket", "path=/a,fd=1"}).find("not both"),
            std::string::npos);
  EXPECT_NE(ErrorLine({"--kernel", "k", "--api-socket", ""}).find("--api-socket"),
            std::string::npos);
  EXPECT_NE(ErrorLine({"--kernel", "k", "--api-socket", "/a", "--api-socket", "/b"})
                .find("more than once"),
            std::string::npos);
}

TEST(CliTest, EventMonitorForms) {
  EXPECT_FALSE(Parse({"--kernel", "k"}).options.event_monitor.has_value());
  CliOutcome path = Parse({"--kernel", "k", "--event-monitor", "path=/tmp/events.json"});
  ASSERT_EQ(path.action, CliOutcome::Action::kRun) << path.message;
  ASSERT_TRUE(path.options.event_monitor.has_value());
  EXPECT_EQ(*path.options.event_monitor, (EventMonitorConfig{"/tmp/events.json", -1}));
  CliOutcome fd = Parse({"--kernel", "k", "--event-monitor=fd=4"});
  ASSERT_EQ(fd.action, CliOutcome::Action::kRun) << fd.message;
  ASSERT_TRUE(fd.options.event_monitor.has_value());
  EXPECT_EQ(*fd.options.event_monitor, (EventMonitorConfig{"", 4}));
}

TEST(CliTest, EventMonitorErrors) {
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--event-monitor", ""}),
            "petrel: error: --event-monitor: needs path=<path> or fd=<n>");
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--event-monitor", "fd=x"})
                .rfind("petrel: error: --event-monitor: fd=x: ", 0),
            0u);
  EXPECT_NE(ErrorLine({"--kernel", "k", "--event-monitor", "/tmp/e"}).find("unknown key"),
            std::string::npos);
  EXPECT_NE(ErrorLine({"--kernel", "k", "--event-monitor"}).find("--event-monitor: needs a value"),
            std::string::npos);
  EXPECT_NE(ErrorLine({"--kernel", "k", "--event-monitor", "fd=3", "--event-monitor", "fd=4"})
                .find("more than once"),
            std::string::npos);
}

// The two fd-backed net doors of the command line: --net fd= and the new
// fds of --restore net_fds=.
TEST(CliTest, NetFdsOnTheCommandLine) {
  CliOutcome out = Parse({"--kernel", "/k", "--net", "fd=[5,6],num_queues=4,id=net1"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  ASSERT_EQ(out.options.vm.nets.size(), 1u);
  EXPECT_EQ(out.options.vm.nets[0].fds, (std::vector<int>{5, 6}));
  out = Parse({"--restore", "source_url=file:///s,net_fds=[net1@[7,8]]"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  ASSERT_TRUE(out.options.restore);
  EXPECT_EQ(out.options.restore->net_fds, (std::vector<RestoredNetFds>{{"net1", {7, 8}}}));
  EXPECT_NE(ErrorLine({"--kernel", "/k", "--net", "fd=[5,6]"}).find("num_queues=2"),
            std::string::npos);
}

TEST(CliTest, PvpanicIsAFlagOffByDefault) {
  CliOutcome out = Parse({"--kernel", "/k"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  EXPECT_FALSE(out.options.vm.pvpanic);
  out = Parse({"--kernel", "/k", "--pvpanic"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  EXPECT_TRUE(out.options.vm.pvpanic);
  EXPECT_NE(ErrorLine({"--restore", "source_url=file:///s", "--pvpanic"}).find("--pvpanic"),
            std::string::npos);
}

TEST(CliTest, PmemAsCloudHypervisorsDocsWriteIt) {
  // CH's docs/device_model.md and its integration tests.
  CliOutcome out = Parse({"--kernel", "/k", "--pmem", "file=/tmp/pmem.img,size=128M",
                          "--pmem", "file=/tmp/ro.img,discard_writes=on,id=ro"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  ASSERT_EQ(out.options.vm.pmem.size(), 2u);
  EXPECT_EQ(out.options.vm.pmem[0].file, "/tmp/pmem.img");
  EXPECT_EQ(out.options.vm.pmem[0].size, 128ull << 20);
  EXPECT_FALSE(out.options.vm.pmem[0].discard_writes);
  EXPECT_FALSE(out.options.vm.pmem[1].size.has_value());
  EXPECT_TRUE(out.options.vm.pmem[1].discard_writes);
  EXPECT_EQ(out.options.vm.pmem[1].id, "ro");
  EXPECT_NE(ErrorLine({"--kernel", "/k", "--pmem", "size=2M"}).find("file=<path> is required"),
            std::string::npos);
  EXPECT_NE(ErrorLine({"--kernel", "/k", "--pmem", "file=/f,size=3M"}).find("2 MiB"),
            std::string::npos);
  EXPECT_TRUE(Parse({"--kernel", "/k", "--pmem", "file=/f,iommu=on"}).options.vm.pmem.at(0).iommu);
  EXPECT_NE(ErrorLine({"--kernel", "/k", "--pmem", "file=/f,bogus=1"}).find("bogus"),
            std::string::npos);
  EXPECT_NE(ErrorLine({"--restore", "source_url=file:///s", "--pmem", "file=/f"}).find("--pmem"),
            std::string::npos);
}

TEST(CliTest, VsockAsCloudHypervisorsDocsWriteIt) {
  // CH's docs/vsock.md.
  CliOutcome out = Parse({"--kernel", "/k", "--vsock", "cid=3,socket=/tmp/ch.vsock"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  ASSERT_TRUE(out.options.vm.vsock.has_value());
  EXPECT_EQ(out.options.vm.vsock->cid, 3u);
  EXPECT_EQ(out.options.vm.vsock->socket, "/tmp/ch.vsock");
  EXPECT_FALSE(Parse({"--kernel", "/k"}).options.vm.vsock.has_value());
  EXPECT_NE(ErrorLine({"--kernel", "/k", "--vsock", "socket=/s"}).find("cid=<context id> is required"),
            std::string::npos);
  EXPECT_NE(ErrorLine({"--kernel", "/k", "--vsock", "cid=3"}).find("socket=<path> is required"),
            std::string::npos);
  EXPECT_NE(ErrorLine({"--kernel", "/k", "--vsock", "cid=2,socket=/s"}).find("cid"),
            std::string::npos);
  EXPECT_TRUE(Parse({"--kernel", "/k", "--vsock", "cid=3,socket=/s,iommu=on"}).options.vm.vsock->iommu);
  EXPECT_NE(ErrorLine({"--restore", "source_url=file:///s", "--vsock", "cid=3,socket=/s"}).find("--vsock"),
            std::string::npos);
}

TEST(CliTest, TpmAsCloudHypervisorsDocsWriteIt) {
  // CH's docs/tpm.md.
  CliOutcome out = Parse({"--kernel", "/k", "--tpm", "socket=/var/run/swtpm.socket"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  ASSERT_TRUE(out.options.vm.tpm.has_value());
  EXPECT_EQ(out.options.vm.tpm->socket, "/var/run/swtpm.socket");
  EXPECT_FALSE(Parse({"--kernel", "/k"}).options.vm.tpm.has_value());
  EXPECT_NE(ErrorLine({"--kernel", "/k", "--tpm", "socket="}).find("socket=<path> is required"),
            std::string::npos);
  EXPECT_NE(ErrorLine({"--kernel", "/k", "--tpm", "socket=/s,path=/p"}).find("path"),
            std::string::npos);
  const std::string long_socket = "socket=/" + std::string(200, 'a');
  EXPECT_NE(ErrorLine({"--kernel", "/k", "--tpm", long_socket.c_str()}).find("longer than 107"),
            std::string::npos);
  EXPECT_NE(ErrorLine({"--restore", "source_url=file:///s", "--tpm", "socket=/s"}).find("--tpm"),
            std::string::npos);
}

TEST(CliTest, WatchdogIsAFlagOffByDefault) {
  CliOutcome out = Parse({"--kernel", "/k"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  EXPECT_FALSE(out.options.vm.watchdog);
  out = Parse({"--kernel", "/k", "--watchdog"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  EXPECT_TRUE(out.options.vm.watchdog);
  EXPECT_NE(ErrorLine({"--restore", "source_url=file:///s", "--watchdog"}).find("--watchdog"),
            std::string::npos);
}

TEST(CliTest, LandlockIsOffByDefault) {
  CliOutcome out = Parse({"--kernel", "/k"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  EXPECT_FALSE(out.options.vm.landlock_enable);
  EXPECT_TRUE(out.options.vm.landlock_rules.empty());
}

// CH's docs/landlock.md: several rules after one flag, or the flag again.
TEST(CliTest, LandlockAndItsRules) {
  CliOutcome out = Parse({"--kernel", "/k", "--landlock", "--landlock-rules",
                          R"(path="/path/to/hotplug1",access="rw")", "path=/path/to/hotplug2,access=r",
                          "--disk", "path=/d", "--landlock-rules", "path=/snapshots,access=w"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  const VmConfig& vm = out.options.vm;
  EXPECT_TRUE(vm.landlock_enable);
  EXPECT_EQ(vm.landlock_rules,
            (std::vector<LandlockRule>{{"/path/to/hotplug1", LandlockAccess::kReadWrite},
                                       {"/path/to/hotplug2", LandlockAccess::kRead},
                                       {"/snapshots", LandlockAccess::kWrite}}));
  ASSERT_EQ(vm.disks.size(), 1u);
  // Rules without --landlock are kept (as CH), and only used with it.
  out = Parse({"--kernel", "/k", "--landlock-rules", "path=/p,access=r"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  EXPECT_FALSE(out.options.vm.landlock_enable);
  EXPECT_EQ(out.options.vm.landlock_rules.size(), 1u);
}

TEST(CliTest, LandlockRuleErrors) {
  EXPECT_EQ(ErrorLine({"--kernel", "/k", "--landlock-rules", "path=/p,access=x"}),
            "petrel: error: --landlock-rules: access=x: expected r, w or rw");
  EXPECT_EQ(ErrorLine({"--kernel", "/k", "--landlock-rules", "path=/p"}),
            "petrel: error: --landlock-rules: access=r|w|rw is required");
  EXPECT_EQ(ErrorLine({"--kernel", "/k", "--landlock-rules", "access=rw"}),
            "petrel: error: --landlock-rules: path=<file or directory> is required");
  EXPECT_NE(ErrorLine({"--kernel", "/k", "--landlock-rules", "path=/p,access=r,bogus=1"})
                .find("unknown key"),
            std::string::npos);
  EXPECT_NE(ErrorLine({"--kernel", "/k", "--landlock-rules"}).find("--landlock-rules: needs a value"),
            std::string::npos);
  // The snapshot holds the VM's config, its Landlock settings too.
  EXPECT_EQ(ErrorLine({"--restore", "source_url=file:///s", "--landlock"}),
            "petrel: error: --restore: cannot be combined with --landlock (the snapshot holds the "
            "VM's config)");
}

// CH's docs/memory.md command lines: several zones or nodes after one flag
// (clap's num_args), or the flag again.
TEST(CliTest, MemoryZonesAndNumaAsChsDocsTypeThem) {
  CliOutcome out =
      Parse({"--kernel", "k", "--memory", "size=0", "--memory-zone", "id=mem0,size=1G",
             "id=mem1,size=1G", "id=mem2,size=1G", "--numa",
             "guest_numa_id=0,memory_zones=[mem0,mem2]", "guest_numa_id=1,memory_zones=mem1"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  const VmConfig& vm = out.options.vm;
  EXPECT_EQ(vm.memory.size, 0u);
  ASSERT_EQ(vm.memory.zones.size(), 3u);
  EXPECT_EQ(vm.memory.zones[2].id, "mem2");
  EXPECT_EQ(vm.memory.boot_size(), 3ULL << 30);
  ASSERT_EQ(vm.numa.size(), 2u);
  EXPECT_EQ(vm.numa[0].memory_zones, (std::vector<std::string>{"mem0", "mem2"}));
  EXPECT_EQ(vm.numa[1].guest_numa_id, 1u);

  out = Parse({"--kernel", "k", "--cpus", "boot=4", "--memory", "size=0", "--memory-zone",
               "id=mem0,size=1G", "--memory-zone", "id=mem1,size=1G", "--numa",
               "guest_numa_id=0,cpus=[0-1],memory_zones=mem0,distances=[1@15]", "--numa",
               "guest_numa_id=1,cpus=[2-3],memory_zones=mem1"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  ASSERT_EQ(out.options.vm.numa.size(), 2u);
  EXPECT_EQ(out.options.vm.numa[0].distances, (std::vector<NumaDistance>{{1, 15}}));
  EXPECT_EQ(out.options.vm.numa[1].cpus, (std::vector<uint32_t>{2, 3}));

  out = Parse({"--kernel", "k", "--memory", "size=0,hotplug_method=virtio-mem", "--memory-zone",
               "id=mem0,size=1G,hotplug_size=1G,hotplugged_size=512M"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  EXPECT_EQ(out.options.vm.memory.zones[0].hotplugged_size, 512ULL << 20);

  out = Parse({"--kernel", "k", "--cpus", "boot=8", "--numa", "guest_numa_id=0,cpus=[1-3,7]",
               "guest_numa_id=1,cpus=[0,4-6]"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  EXPECT_EQ(out.options.vm.numa[0].cpus, (std::vector<uint32_t>{1, 2, 3, 7}));
  // --memory size!=0: its zone is "mem0", which a node may name (as CH).
  out = Parse({"--kernel", "k", "--cpus", "boot=2", "--numa",
               "guest_numa_id=0,cpus=[0-1],memory_zones=mem0"});
  ASSERT_EQ(out.action, CliOutcome::Action::kRun) << out.message;
  EXPECT_TRUE(out.options.vm.memory.zones.empty());
}

TEST(CliTest, MemoryZoneAndNumaErrors) {
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--memory-zone", "id=mem0,size=1G"}),
            "petrel: error: --memory-zone: needs --memory size=0 (the zones are then the "
            "guest's RAM)");
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--memory", "size=0"}),
            "petrel: error: --memory: size=0: needs at least one memory zone (--memory-zone, "
            "JSON zones)");
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--memory", "size=0", "--memory-zone",
                       "id=mem0,size=1G,file=/foo/bar"}),
            "petrel: error: --memory-zone: file=/foo/bar: not supported by Petrel yet");
  // CH's docs: "a memory zone must belong to a single NUMA node".
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--memory", "size=0", "--memory-zone", "id=mem0,size=1G",
                       "--numa", "guest_numa_id=0,memory_zones=mem0",
                       "guest_numa_id=1,memory_zones=mem0"}),
            "petrel: error: numa node 1: memory_zones=mem0: already in NUMA node 0");
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--cpus", "boot=2", "--numa",
                       "guest_numa_id=0,cpus=[0-2]"}),
            "petrel: error: numa node 0: cpus=2: no such vCPU (max_vcpus is 2)");
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--numa", "guest_numa_id=0,distances=[1@15,2@25]"}),
            "petrel: error: --numa: guest_numa_id=0: a NUMA node needs cpus or memory_zones");
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--numa", "guest_numa_id=2,device_id=gpu0"}),
            "petrel: error: --numa: device_id=gpu0: not supported by Petrel yet");
  // Zone ids share the devices' namespace (CH's validate_identifier).
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--memory", "size=0", "--memory-zone", "id=mem0,size=1G",
                       "--disk", "path=/d,id=mem0"}),
            "petrel: error: id=mem0: used by another device (ids must be unique)");
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--memory", "size=0", "--memory-zone", "id=a,size=1G",
                       "id=a,size=1G"}),
            "petrel: error: id=a: used by another device (ids must be unique)");
  EXPECT_NE(ErrorLine({"--kernel", "k", "--memory", "size=0", "--memory-zone", "id=__a,size=1G"})
                .find("reserved"),
            std::string::npos);
  // The balloon is measured against the zones' RAM.
  EXPECT_EQ(ErrorLine({"--kernel", "k", "--memory", "size=0", "--memory-zone", "id=a,size=1G",
                       "--balloon", "size=1G"}),
            "petrel: error: balloon: size=1073741824: must be below the guest's memory "
            "(1073741824 bytes)");
  EXPECT_EQ(ErrorLine({"--restore", "source_url=file:///s", "--numa", "guest_numa_id=0,cpus=[0]"}),
            "petrel: error: --restore: cannot be combined with --numa (the snapshot holds the "
            "VM's config)");
  EXPECT_EQ(ErrorLine({"--restore", "source_url=file:///s", "--memory-zone", "id=a"}),
            "petrel: error: --restore: cannot be combined with --memory-zone (the snapshot holds "
            "the VM's config)");
}

}  // namespace
}  // namespace petrel::config
