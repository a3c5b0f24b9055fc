// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VmConfig as Cloud Hypervisor's JSON: bodies from CH's API documentation,
// CH's defaults, strictness (unknown and unsupported fields), the same
// wording as the CLI for bad values, and the round trip vm.info -> vm.create.
#include "vmm/config/vm_config_json.h"

#include <gtest/gtest.h>

#include "vmm/config/cli.h"

namespace petrel::config {
namespace {

std::string ErrorOf(std::string_view body) {
  auto r = VmConfigFromJson(body);
  return r.ok() ? std::string("(accepted)") : r.error().message();
}

// The vm.create body of Cloud Hypervisor's docs/api.md, verbatim.
constexpr const char* kChApiDocCreateBody = R"({
         "cpus":{"boot_vcpus": 4, "max_vcpus": 4},
         "payload":{"kernel":"/opt/clh/kernel/vmlinux-virtio-fs-virtio-iommu", "cmdline":"console=ttyS0 console=hvc0 root=/dev/vda1 rw"},
         "disks":[{"path":"/opt/clh/images/focal-server-cloudimg-amd64.raw"}],
         "rng":{"src":"/dev/urandom"},
         "net":[{"ip":"192.168.10.10", "mask":"255.255.255.0", "mac":"12:34:56:78:90:01"}]
         })";

TEST(VmConfigJsonTest, ChApiDocumentationBody) {
  auto config = VmConfigFromJson(kChApiDocCreateBody);
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->cpus.boot_vcpus, 4u);
  EXPECT_EQ(config->cpus.max_vcpus, 4u);
  EXPECT_EQ(config->payload.kernel, "/opt/clh/kernel/vmlinux-virtio-fs-virtio-iommu");
  EXPECT_EQ(config->payload.cmdline, "console=ttyS0 console=hvc0 root=/dev/vda1 rw");
  ASSERT_EQ(config->disks.size(), 1u);
  EXPECT_EQ(config->disks[0].path, "/opt/clh/images/focal-server-cloudimg-amd64.raw");
  EXPECT_EQ(config->disks[0].queue_size, 128);  // CH's default
  ASSERT_EQ(config->nets.size(), 1u);
  EXPECT_EQ(net::FormatIpv4(config->nets[0].ip), "192.168.10.10");
  EXPECT_EQ(net::FormatMac(*config->nets[0].mac), "12:34:56:78:90:01");
  EXPECT_EQ(config->rng.src, "/dev/urandom");
}

TEST(VmConfigJsonTest, DefaultsAreChsAndTheCommandLines) {
  auto config = VmConfigFromJson(R"({"payload":{"kernel":"/k"}})");
  ASSERT_TRUE(config.ok()) << config.error().message();
  // The same VM from the command line: one set of defaults.
  const char* argv[] = {"petrel", "--kernel", "/k"};
  const auto cli = ParseCommandLine(3, argv);
  ASSERT_EQ(cli.action, CliOutcome::Action::kRun) << cli.message;
  EXPECT_EQ(*config, cli.options.vm);
  EXPECT_EQ(config->memory.size, 512u << 20);
  EXPECT_EQ(config->serial.mode, OutputMode::kNull);
  EXPECT_EQ(config->console.mode, OutputMode::kTty);
}

TEST(VmConfigJsonTest, CommandLineAndJsonGiveTheSameConfig) {
  const char* argv[] = {"petrel",      "--kernel", "/k",     "--cmdline", "console=ttyS0",
                        "--cpus",      "boot=2,max=4,topology=1:2:1:2",
                        "--memory",    "size=1G",  "--serial", "file=/tmp/s.log",
                        "--console",   "off",
                        "--disk",      "path=/d.img,readonly=on,num_queues=2,queue_size=256,serial=SN1,id=root,io_engine=sync",
                                       "path=/e.img,bw_size=1048576,bw_refill_time=100,ops_size=500,ops_one_time_burst=50,ops_refill_time=1000",
                        "--net",       "tap=tap7,mac=52:54:00:00:00:07,mtu=1400,num_queues=4,offload_ufo=off",
                        "--rng",       "src=/dev/random"};
  const auto cli = ParseCommandLine(static_cast<int>(std::size(argv)), argv);
  ASSERT_EQ(cli.action, CliOutcome::Action::kRun) << cli.message;
  auto json = VmConfigFromJson(R"({
    "payload": {"kernel": "/k", "cmdline": "console=ttyS0"},
    "cpus": {"boot_vcpus": 2, "max_vcpus": 4,
             "topology": {"threads_per_core": 1, "cores_per_die": 2, "dies_per_package": 1, "packages": 2}},
    "memory": {"size": 1073741824},
    "serial": {"mode": "File", "file": "/tmp/s.log"},
    "console": {"mode": "Off"},
    "disks": [{"path": "/d.img", "readonly": true, "num_queues": 2, "queue_size": 256,
               "serial": "SN1", "id": "root", "disable_io_uring": true},
              {"path": "/e.img", "rate_limiter_config": {
                 "bandwidth": {"size": 1048576, "refill_time": 100},
                 "ops": {"size": 500, "one_time_burst": 50, "refill_time": 1000}}}],
    "net": [{"tap": "tap7", "mac": "52:54:00:00:00:07", "mtu": 1400, "num_queues": 4,
             "offload_ufo": false}],
    "rng": {"src": "/dev/random"}})");
  ASSERT_TRUE(json.ok()) << json.error().message();
  EXPECT_EQ(*json, cli.options.vm);
  ASSERT_EQ(json->disks.size(), 2u);
  EXPECT_TRUE(json->disks[1].rate_limiter_config.has_value());
}

TEST(VmConfigJsonTest, InfoOutputReadsBackEqual) {
  const char* argv[] = {"petrel", "--kernel", "/k", "--initramfs", "/i", "--cpus", "boot=3",
                        "--serial", "socket=/tmp/s.sock", "--console", "pty",
                        "--disk", "path=/a", "--disk", "path=/b,direct=on,io_engine=io_uring",
                        "--disk", "path=/c,bw_size=4096,bw_refill_time=10,bw_one_time_burst=1",
                        "--net", "host_mac=02:00:00:00:00:01,offload_csum=off"};
  const auto cli = ParseCommandLine(static_cast<int>(std::size(argv)), argv);
  ASSERT_EQ(cli.action, CliOutcome::Action::kRun) << cli.message;
  const nlohmann::json out = VmConfigToJson(cli.options.vm);
  auto back = VmConfigFromJsonValue(out);
  ASSERT_TRUE(back.ok()) << back.error().message() << "\n" << out.dump(2);
  EXPECT_EQ(*back, cli.options.vm);
  // CH's names for what vm.info shows.
  EXPECT_EQ(out["cpus"]["boot_vcpus"], 3);
  EXPECT_EQ(out["payload"]["initramfs"], "/i");
  EXPECT_EQ(out["serial"]["mode"], "Socket");
  EXPECT_EQ(out["serial"]["socket"], "/tmp/s.sock");
  EXPECT_EQ(out["console"]["mode"], "Pty");
  EXPECT_EQ(out["disks"][1]["direct"], true);
  EXPECT_FALSE(out["disks"][1].contains("rate_limiter_config"));
  EXPECT_EQ(out["disks"][2]["rate_limiter_config"],
            nlohmann::json::parse(R"({"bandwidth":{"size":4096,"one_time_burst":1,"refill_time":10}})"));
  EXPECT_EQ(out["net"][0]["ip"], "192.168.249.1");
  EXPECT_EQ(out["net"][0]["offload_tso"], false);
  EXPECT_EQ(out["rng"]["src"], "/dev/urandom");
}

// CH's docs/landlock.md body, and what vm.info writes back.
// CH's MemoryConfig hot-plug fields: HotplugMethod's serde names, sizes in bytes.
TEST(VmConfigJsonTest, MemoryHotplugIsReadAndWritten) {
  auto config = VmConfigFromJson(
      R"({"payload":{"kernel":"/k"},"memory":{"size":1073741824,"hotplug_method":"VirtioMem",)"
      R"("hotplug_size":2147483648,"hotplugged_size":536870912}})");
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->memory.hotplug_method, HotplugMethod::kVirtioMem);
  EXPECT_EQ(config->memory.hotplug_size, 2ULL << 30);
  EXPECT_EQ(config->memory.hotplugged_size, 512ULL << 20);
  const nlohmann::json out = VmConfigToJson(*config);
  EXPECT_EQ(out["memory"]["hotplug_method"], "VirtioMem");
  EXPECT_EQ(out["memory"]["hotplug_size"], 2ULL << 30);
  EXPECT_EQ(out["memory"]["hotplugged_size"], 512ULL << 20);
  auto back = VmConfigFromJsonValue(out);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, *config);
  auto plain = VmConfigToJson(VmConfigFromJson(R"({"payload":{"kernel":"/k"},"memory":{"size":1073741824}})").value());
  EXPECT_EQ(plain["memory"]["hotplug_method"], "Acpi");
  EXPECT_FALSE(plain["memory"].contains("hotplug_size"));
  EXPECT_NE(ErrorOf(R"({"payload":{"kernel":"/k"},"memory":{"size":1073741824,"hotplug_method":"Dimm"}})")
                .find("hotplug_method=\"Dimm\": expected Acpi or VirtioMem"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"payload":{"kernel":"/k"},"memory":{"size":1073741824,"hotplugged_size":2097152}})")
                .find("needs hotplug_size"),
            std::string::npos);
}

TEST(VmConfigJsonTest, MemoryAdviceIsReadAndWritten) {
  auto config = VmConfigFromJson(
      R"({"payload":{"kernel":"/k"},"memory":{"size":1073741824,"prefault":true,)"
      R"("mergeable":true,"thp":false}})");
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_TRUE(config->memory.prefault);
  EXPECT_TRUE(config->memory.mergeable);
  EXPECT_FALSE(config->memory.thp);
  const nlohmann::json out = VmConfigToJson(*config);
  EXPECT_EQ(out["memory"]["prefault"], true);
  EXPECT_EQ(out["memory"]["mergeable"], true);
  EXPECT_EQ(out["memory"]["thp"], false);
  auto back = VmConfigFromJsonValue(out);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, *config);
  auto plain = VmConfigFromJson(R"({"payload":{"kernel":"/k"},"memory":{"size":1073741824}})");
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->memory.thp);
}

// CH's MemoryConfig: "hugepages" (bool), "hugepage_size" (bytes, written
// only when set: CH skips None).
TEST(VmConfigJsonTest, HugePagesAreReadAndWrittenAsChs) {
  auto config =
      VmConfigFromJson(R"({"payload":{"kernel":"/k"},"memory":{"size":1073741824,"hugepages":true,)"
                       R"("hugepage_size":2097152}})");
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_TRUE(config->memory.hugepages);
  EXPECT_EQ(config->memory.hugepage_size, 2ULL << 20);
  nlohmann::json out = VmConfigToJson(*config);
  EXPECT_EQ(out["memory"]["hugepages"], true);
  EXPECT_EQ(out["memory"]["hugepage_size"], 2097152);
  auto back = VmConfigFromJsonValue(out);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, *config);

  auto host_size =
      VmConfigFromJson(R"({"payload":{"kernel":"/k"},"memory":{"size":1073741824,"hugepages":true,)"
                       R"("hugepage_size":null}})");
  ASSERT_TRUE(host_size.ok()) << host_size.error().message();
  EXPECT_FALSE(host_size->memory.hugepage_size);
  out = VmConfigToJson(*host_size);
  EXPECT_EQ(out["memory"]["hugepages"], true);
  EXPECT_FALSE(out["memory"].contains("hugepage_size"));
  back = VmConfigFromJsonValue(out);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, *host_size);
  out = VmConfigToJson(*VmConfigFromJson(R"({"payload":{"kernel":"/k"}})"));
  EXPECT_EQ(out["memory"]["hugepages"], false);
  EXPECT_FALSE(out["memory"].contains("hugepage_size"));

  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"memory":{"size":1073741824,)"
                    R"("hugepage_size":2097152}})"),
            "memory: hugepage_size=2097152: needs hugepages=on");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"memory":{"size":1073741824,)"
                    R"("hugepages":true,"hugepage_size":3000000}})"),
            "memory: hugepage_size=3000000: must be a power of two");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"memory":{"size":1073745920,)"
                    R"("hugepages":true,"hugepage_size":2097152}})"),
            "memory: size=1073745920: must be a multiple of hugepage_size (2097152)");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"memory":{"size":1073741824,)"
                    R"("hugepages":"on"}})"),
            R"(memory: hugepages="on": expected true or false)");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"memory":{"size":1073741824,)"
                    R"("hugepages":true,"hugepage_size":-2}})"),
            "memory: hugepage_size=-2: expected an unsigned integer");
}

TEST(VmConfigJsonTest, BalloonIsReadAndWrittenAsChs) {
  auto config = VmConfigFromJson(
      R"({"payload":{"kernel":"/k"},"memory":{"size":1073741824},)"
      R"("balloon":{"size":268435456,"deflate_on_oom":true,"free_page_reporting":false}})");
  ASSERT_TRUE(config.ok()) << config.error().message();
  ASSERT_TRUE(config->balloon.has_value());
  EXPECT_EQ(config->balloon->size, 256u << 20);
  EXPECT_TRUE(config->balloon->deflate_on_oom);
  const nlohmann::json out = VmConfigToJson(*config);
  EXPECT_EQ(out["balloon"]["size"], 256u << 20);
  EXPECT_EQ(out["balloon"]["deflate_on_oom"], true);
  EXPECT_EQ(out["balloon"]["id"], "__balloon");
  auto back = VmConfigFromJsonValue(out);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, *config);
  // No balloon: none written; a balloon without a size, or a bad one, refused.
  auto plain = VmConfigFromJson(R"({"payload":{"kernel":"/k"}})");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(VmConfigToJson(*plain).contains("balloon"));
  EXPECT_FALSE(VmConfigFromJson(R"({"payload":{"kernel":"/k"},"balloon":{}})").ok());
  EXPECT_FALSE(VmConfigFromJson(R"({"payload":{"kernel":"/k"},"balloon":{"size":5}})").ok());
  EXPECT_FALSE(
      VmConfigFromJson(R"({"payload":{"kernel":"/k"},"balloon":{"size":0,"id":"mine"}})").ok());
}

TEST(VmConfigJsonTest, LandlockFieldsAreReadAndWritten) {
  auto config = VmConfigFromJson(R"({"payload":{"kernel":"/k"},
      "landlock_enable": true,
      "landlock_rules": [{"path": "/tmp/disk1", "access": "rw"},
                         {"path": "/tmp/disk2", "access": "r"},
                         {"path": "/tmp/dir", "access": "w"}]})");
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_TRUE(config->landlock_enable);
  EXPECT_EQ(config->landlock_rules,
            (std::vector<LandlockRule>{{"/tmp/disk1", LandlockAccess::kReadWrite},
                                       {"/tmp/disk2", LandlockAccess::kRead},
                                       {"/tmp/dir", LandlockAccess::kWrite}}));
  const nlohmann::json out = VmConfigToJson(*config);
  EXPECT_EQ(out["landlock_enable"], true);
  EXPECT_EQ(out["landlock_rules"], nlohmann::json::parse(
                                       R"([{"path":"/tmp/disk1","access":"rw"},
                                           {"path":"/tmp/disk2","access":"r"},
                                           {"path":"/tmp/dir","access":"w"}])"));
  auto back = VmConfigFromJsonValue(out);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, *config);
  // The same from the command line.
  const char* argv[] = {"petrel", "--kernel", "/k", "--landlock", "--landlock-rules",
                        "path=/tmp/disk1,access=rw", "path=/tmp/disk2,access=r",
                        "path=/tmp/dir,access=w"};
  const auto cli = ParseCommandLine(static_cast<int>(std::size(argv)), argv);
  ASSERT_EQ(cli.action, CliOutcome::Action::kRun) << cli.message;
  EXPECT_EQ(*config, cli.options.vm);
  // Off: CH's default, written as CH writes it; no rules, no field.
  config = VmConfigFromJson(R"({"payload":{"kernel":"/k"},"landlock_enable":false,"landlock_rules":[]})");
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_FALSE(config->landlock_enable);
  EXPECT_EQ(VmConfigToJson(*config)["landlock_enable"], false);
  EXPECT_FALSE(VmConfigToJson(*config).contains("landlock_rules"));
}

// CH's VmConfig.pvpanic (a bool, default false) and --pvpanic (a flag).
TEST(VmConfigJsonTest, PvpanicIsReadAndWritten) {
  auto config = VmConfigFromJson(R"({"payload":{"kernel":"/k"},"pvpanic":true})");
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_TRUE(config->pvpanic);
  const nlohmann::json out = VmConfigToJson(*config);
  EXPECT_EQ(out["pvpanic"], true);
  auto back = VmConfigFromJsonValue(out);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, *config);
  const char* argv[] = {"petrel", "--kernel", "/k", "--pvpanic"};
  const auto cli = ParseCommandLine(static_cast<int>(std::size(argv)), argv);
  ASSERT_EQ(cli.action, CliOutcome::Action::kRun) << cli.message;
  EXPECT_EQ(*config, cli.options.vm);
  // Off: CH's default, written as CH writes it.
  config = VmConfigFromJson(R"({"payload":{"kernel":"/k"},"pvpanic":false})");
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_FALSE(config->pvpanic);
  EXPECT_EQ(VmConfigToJson(*config)["pvpanic"], false);
  EXPECT_NE(ErrorOf(R"({"payload":{"kernel":"/k"},"pvpanic":1})").find("pvpanic"),
            std::string::npos);
}

// iommu=on per device (CH's PciDeviceCommonConfig.iommu) and the VM's
// own "iommu", which CH sets when any device is behind the IOMMU.
TEST(VmConfigJsonTest, IommuIsReadAndWrittenAsCloudHypervisors) {
  const char* argv[] = {"petrel", "--kernel", "/k", "--disk", "path=/d.img,iommu=on",
                        "--net", "tap=tap9,iommu=on", "--rng", "src=/dev/urandom,iommu=on",
                        "--disk", "path=/e.img"};
  const auto cli = ParseCommandLine(static_cast<int>(std::size(argv)), argv);
  ASSERT_EQ(cli.action, CliOutcome::Action::kRun) << cli.message;
  const VmConfig& vm = cli.options.vm;
  EXPECT_TRUE(vm.disks[0].iommu);
  EXPECT_FALSE(vm.disks[1].iommu);
  EXPECT_TRUE(vm.nets[0].iommu);
  EXPECT_TRUE(vm.rng.iommu);
  EXPECT_TRUE(HasIommu(vm));
  const nlohmann::json out = VmConfigToJson(vm);
  EXPECT_EQ(out["iommu"], true) << "the VM has one";
  EXPECT_EQ(out["disks"][0]["iommu"], true);
  EXPECT_EQ(out["disks"][1]["iommu"], false);
  EXPECT_EQ(out["net"][0]["iommu"], true);
  EXPECT_EQ(out["rng"]["iommu"], true);
  auto back = VmConfigFromJsonValue(out);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, vm);
  // "iommu": true alone: an IOMMU with nothing behind it, kept.
  auto alone = VmConfigFromJson(R"({"payload":{"kernel":"/k"},"iommu":true})");
  ASSERT_TRUE(alone.ok()) << alone.error().message();
  EXPECT_TRUE(HasIommu(*alone));
  EXPECT_FALSE(AnyDeviceBehindIommu(*alone));
  EXPECT_EQ(VmConfigToJson(*alone)["iommu"], true);
  EXPECT_FALSE(HasIommu(*VmConfigFromJson(R"({"payload":{"kernel":"/k"}})")));
  // The balloon hands the host guest-physical pages: never behind it.
  const char* balloon[] = {"petrel", "--kernel", "/k", "--balloon", "size=0,iommu=on"};
  EXPECT_EQ(ParseCommandLine(static_cast<int>(std::size(balloon)), balloon).action,
            CliOutcome::Action::kExit);
  EXPECT_NE(ErrorOf(R"({"payload":{"kernel":"/k"},"balloon":{"size":0,"iommu":true}})")
                .find("iommu"),
            std::string::npos);
}

TEST(VmConfigJsonTest, PmemIsReadAndWrittenAsCloudHypervisorsSchema) {
  auto config = VmConfigFromJson(
      R"({"payload":{"kernel":"/k"},"pmem":[{"file":"/p.img","size":2097152,"iommu":false,)"
      R"("discard_writes":true,"id":"p0","pci_segment":0},{"file":"/q.img","size":null}]})");
  ASSERT_TRUE(config.ok()) << config.error().message();
  ASSERT_EQ(config->pmem.size(), 2u);
  EXPECT_EQ(config->pmem[0].size, 2u << 20);
  EXPECT_TRUE(config->pmem[0].discard_writes);
  EXPECT_EQ(config->pmem[0].id, "p0");
  EXPECT_FALSE(config->pmem[1].size.has_value());
  const nlohmann::json out = VmConfigToJson(*config);
  EXPECT_EQ(out["pmem"][0]["file"], "/p.img");
  EXPECT_TRUE(out["pmem"][1]["size"].is_null());
  auto back = VmConfigFromJsonValue(out);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->pmem, config->pmem);
  const char* argv[] = {"petrel", "--kernel", "/k", "--pmem",
                        "file=/p.img,size=2M,discard_writes=on,id=p0", "--pmem", "file=/q.img"};
  const auto cli = ParseCommandLine(static_cast<int>(std::size(argv)), argv);
  ASSERT_EQ(cli.action, CliOutcome::Action::kRun) << cli.message;
  EXPECT_EQ(cli.options.vm.pmem, config->pmem);
  EXPECT_NE(ErrorOf(R"({"payload":{"kernel":"/k"},"pmem":[{"size":2097152}]})").find("file is required"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"payload":{"kernel":"/k"},"pmem":[{"file":"/p","size":1000}]})").find("2 MiB"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"payload":{"kernel":"/k"},"pmem":[{"file":"/p","iommu":1}]})").find("iommu"),
            std::string::npos);
}

TEST(VmConfigJsonTest, VsockIsReadAndWrittenAsCloudHypervisorsSchema) {
  auto config = VmConfigFromJson(
      R"({"payload":{"kernel":"/k"},"vsock":{"cid":3,"socket":"/tmp/ch.vsock","iommu":false,"id":"v0","pci_segment":0}})");
  ASSERT_TRUE(config.ok()) << config.error().message();
  ASSERT_TRUE(config->vsock.has_value());
  EXPECT_EQ(config->vsock->cid, 3u);
  EXPECT_EQ(config->vsock->id, "v0");
  const nlohmann::json out = VmConfigToJson(*config);
  EXPECT_EQ(out["vsock"]["socket"], "/tmp/ch.vsock");
  auto back = VmConfigFromJsonValue(out);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->vsock, config->vsock);
  const char* argv[] = {"petrel", "--kernel", "/k", "--vsock", "cid=3,socket=/tmp/ch.vsock,id=v0"};
  const auto cli = ParseCommandLine(static_cast<int>(std::size(argv)), argv);
  ASSERT_EQ(cli.action, CliOutcome::Action::kRun) << cli.message;
  EXPECT_EQ(cli.options.vm.vsock, config->vsock);
  EXPECT_NE(ErrorOf(R"({"payload":{"kernel":"/k"},"vsock":{"socket":"/s"}})").find("cid is required"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"payload":{"kernel":"/k"},"vsock":{"cid":1,"socket":"/s"}})").find("cid"),
            std::string::npos);
}

TEST(VmConfigJsonTest, TpmIsReadAndWrittenAsCloudHypervisorsSchema) {
  auto config =
      VmConfigFromJson(R"({"payload":{"kernel":"/k"},"tpm":{"socket":"/var/run/swtpm.socket"}})");
  ASSERT_TRUE(config.ok()) << config.error().message();
  ASSERT_TRUE(config->tpm.has_value());
  EXPECT_EQ(config->tpm->socket, "/var/run/swtpm.socket");
  const nlohmann::json out = VmConfigToJson(*config);
  EXPECT_EQ(out["tpm"], (nlohmann::json{{"socket", "/var/run/swtpm.socket"}}));
  auto back = VmConfigFromJsonValue(out);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, *config);
  const char* argv[] = {"petrel", "--kernel", "/k", "--tpm", "socket=/var/run/swtpm.socket"};
  const auto cli = ParseCommandLine(static_cast<int>(std::size(argv)), argv);
  ASSERT_EQ(cli.action, CliOutcome::Action::kRun) << cli.message;
  EXPECT_EQ(cli.options.vm.tpm, config->tpm);
  // Absent or null: no TPM, and none written.
  config = VmConfigFromJson(R"({"payload":{"kernel":"/k"},"tpm":null})");
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_FALSE(config->tpm.has_value());
  EXPECT_FALSE(VmConfigToJson(*config).contains("tpm"));
  EXPECT_NE(ErrorOf(R"({"payload":{"kernel":"/k"},"tpm":{}})").find("socket is required"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"payload":{"kernel":"/k"},"tpm":{"socket":"/s","x":1}})").find("x"),
            std::string::npos);
}

TEST(VmConfigJsonTest, WatchdogIsReadAndWritten) {
  auto config = VmConfigFromJson(R"({"payload":{"kernel":"/k"},"watchdog":true})");
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_TRUE(config->watchdog);
  const nlohmann::json out = VmConfigToJson(*config);
  EXPECT_EQ(out["watchdog"], true);
  auto back = VmConfigFromJsonValue(out);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, *config);
  const char* argv[] = {"petrel", "--kernel", "/k", "--watchdog"};
  const auto cli = ParseCommandLine(static_cast<int>(std::size(argv)), argv);
  ASSERT_EQ(cli.action, CliOutcome::Action::kRun) << cli.message;
  EXPECT_EQ(*config, cli.options.vm);
  config = VmConfigFromJson(R"({"payload":{"kernel":"/k"}})");
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_FALSE(config->watchdog);
  EXPECT_EQ(VmConfigToJson(*config)["watchdog"], false);
  EXPECT_NE(ErrorOf(R"({"payload":{"kernel":"/k"},"watchdog":"on"})").find("watchdog"),
            std::string::npos);
}

TEST(VmConfigJsonTest, LandlockErrors) {
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"landlock_enable":1})"),
            "landlock_enable=1: expected true or false");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"landlock_rules":{"path":"/p"}})"),
            R"(landlock_rules={"path":"/p"}: expected a JSON array)");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"landlock_rules":[{"path":"/p","access":"x"}]})"),
            R"(landlock_rules[0]: access="x": expected r, w or rw)");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"landlock_rules":[{"path":"/p","access":"rwr"}]})"),
            R"(landlock_rules[0]: access="rwr": expected r, w or rw)");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"landlock_rules":[{"path":"/p","access":"rw"},{"path":"/q"}]})"),
            "landlock_rules[1]: access is required");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"landlock_rules":[{"access":"r"}]})"),
            "landlock_rules[0]: path is required");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"landlock_rules":[{"path":"/p","access":"r","mode":1}]})"),
            "landlock_rules[0]: unknown field 'mode'");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"landlock_rules":[{"path":7,"access":"r"}]})"),
            "landlock_rules[0]: path=7: expected a string");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"landlock_rules":["/p"]})"),
            "landlock_rules[0]: expected a JSON object");
}

TEST(VmConfigJsonTest, NullMeansNotGiven) {
  auto config = VmConfigFromJson(
      R"({"payload":{"kernel":"/k","initramfs":null},"cpus":null,"memory":null,
          "disks":[{"path":"/d","queue_size":null,"serial":null}],"net":null,"rng":null,
          "balloon":null,"fs":null,"iommu":null})");
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->disks[0].queue_size, 128);
  EXPECT_EQ(config->cpus, CpusConfig{});
}

TEST(VmConfigJsonTest, UnknownFieldsAreRefusedByName) {
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"bogus":1})"), "unknown field 'bogus'");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"disks":[{"path":"/d"},{"path":"/e","sise":1}]})"),
            "disks[1]: unknown field 'sise'");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"cpus":{"boot_vcpus":1,"max_vcpus":1,"topology":{"threads_per_core":1,"cores_per_die":1,"dies_per_package":1,"packages":1,"x":0}}})"),
            "cpus.topology: unknown field 'x'");
}

TEST(VmConfigJsonTest, SharedMemoryIsReadAndWritten) {
  auto config = VmConfigFromJson(R"({"payload":{"kernel":"/k"},"memory":{"size":1073741824,"shared":true}})");
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_TRUE(config->memory.shared);
  EXPECT_EQ(VmConfigToJson(*config)["memory"]["shared"], true);
  config->memory.shared = false;
  EXPECT_EQ(VmConfigToJson(*config)["memory"]["shared"], false);
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"memory":{"size":1073741824,"shared":1}})"),
            "memory: shared=1: expected true or false");
}

// CH writes a fd-backed net's fd numbers and reads them back as -1: they
// belong to the process that wrote them (a snapshot's config.json).
TEST(VmConfigJsonTest, NetFdsAreWrittenAndReadBackStale) {
  VmConfig config;
  config.payload.kernel = "/k";
  config.nets.push_back({.num_queues = 4, .id = "net1", .fds = std::vector<int>{23, 24}});
  const nlohmann::json out = VmConfigToJson(config);
  EXPECT_EQ(out["net"][0]["fds"], nlohmann::json::parse("[23,24]"));
  auto back = VmConfigFromJsonValue(out);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->nets[0].fds, (std::vector<int>{virtio::kNetStaleFd, virtio::kNetStaleFd}));
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"net":[{"fds":"3"}]})"),
            R"(net[0]: fds="3": expected a list of fd numbers)");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"net":[{"fds":[3,4]}]})"),
            "net[0]: fd=[-1,-1]: 2 fd(s) serve 4 queues, but num_queues=2 (one fd per rx/tx pair)");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"net":[{"tap":"t0","fds":[3]}]})"),
            "net[0]: tap=t0: give a tap name or tap fds (fd=), not both");
}

TEST(VmConfigJsonTest, UnsupportedValuesAreRefusedNotIgnored) {
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"memory":{"size":1073741824,"reserve":true}})"),
            "memory: reserve=true: not supported by Petrel yet");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"disks":[{"path":"/d","vhost_user":true}]})"),
            "disks[0]: vhost_user=true: not supported by Petrel yet");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"fs":[{"tag":"x","socket":"/s"}]})"),
            R"(fs=[{"socket":"/s","tag":"x"}]: not supported by Petrel yet)");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k","firmware":"/fw"}})"),
            R"(payload: firmware="/fw": not supported by Petrel yet)");
  // The values Petrel has anyway are fine, as CH's vm.info prints them.
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"memory":{"size":1073741824,"shared":false,"thp":true,"hotplug_method":"Acpi"},"iommu":false,"watchdog":false,"disks":[{"path":"/d","iommu":false,"pci_segment":0,"image_type":"Raw","sparse":true}]})"),
            "(accepted)");
}

TEST(VmConfigJsonTest, DiskImageKeysRoundTripWithCloudHypervisorsNames) {
  auto config = VmConfigFromJson(R"({"payload":{"kernel":"/k"},"disks":[{"path":"/d.qcow2","image_type":"Qcow2","backing_files":true,"sparse":false,"lock_granularity":"Full"},{"path":"/e.vhd","image_type":"FixedVhd"}]})");
  ASSERT_TRUE(config.ok()) << config.error().message();
  const DiskConfig& d = config->disks[0];
  EXPECT_EQ(d.image_type, ImageType::kQcow2);
  EXPECT_TRUE(d.backing_files);
  EXPECT_FALSE(d.sparse);
  EXPECT_EQ(d.lock_granularity, LockGranularity::kFull);
  EXPECT_EQ(config->disks[1].image_type, ImageType::kVhd);
  const auto j = VmConfigToJson(*config)["disks"][0];
  EXPECT_EQ(j["image_type"], "Qcow2");
  EXPECT_EQ(j["backing_files"], true);
  EXPECT_EQ(j["sparse"], false);
  EXPECT_EQ(j["lock_granularity"], "Full");
  EXPECT_EQ(VmConfigToJson(*config)["disks"][1]["image_type"], "FixedVhd");
  EXPECT_NE(ErrorOf(R"({"payload":{"kernel":"/k"},"disks":[{"path":"/d","image_type":"qcow2"}]})")
                .find("image_type"),
            std::string::npos);
}

// One Validate() behind both doors: the same words after the prefix.
TEST(VmConfigJsonTest, BadValuesReadAsOnTheCommandLine) {
  auto cli_error = [](std::vector<const char*> args) {
    args.insert(args.begin(), {"petrel", "--kernel", "/k"});
    return ParseCommandLine(static_cast<int>(args.size()), args.data()).message;
  };
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"disks":[{"path":"/d","queue_size":2048}]})"),
            "disks[0]: queue_size=2048: must be a power of two from 2 to 1024");
  EXPECT_EQ(cli_error({"--disk", "path=/d,queue_size=2048"}),
            "petrel: error: --disk: queue_size=2048: must be a power of two from 2 to 1024");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"net":[{"num_queues":3}]})"),
            "net[0]: num_queues=3: must be an even number from 2 to 512");
  EXPECT_EQ(cli_error({"--net", "num_queues=3"}),
            "petrel: error: --net: num_queues=3: must be an even number from 2 to 512");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"memory":{"size":1000}})"),
            "memory: size=1000: must be a multiple of 4K");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"cpus":{"boot_vcpus":4,"max_vcpus":2}})"),
            "cpus: max_vcpus=2: less than boot_vcpus=4");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"cpus":{"boot_vcpus":1,"max_vcpus":4,"topology":{"threads_per_core":1,"cores_per_die":2,"dies_per_package":1,"packages":1}}})"),
            "cpus: topology=1:2:1:1: threads_per_core*cores_per_die*dies_per_package*packages = 2 "
            "must equal max_vcpus=4");
}

// CH's "rate_limiter_config" reads as the six --disk keys do.
TEST(VmConfigJsonTest, RateLimiterReadsAsOnTheCommandLine) {
  auto cli_disk = [](const char* disk) {
    const char* argv[] = {"petrel", "--kernel", "/k", "--disk", disk};
    const auto cli = ParseCommandLine(5, argv);
    EXPECT_EQ(cli.action, CliOutcome::Action::kRun) << cli.message;
    return cli.options.vm;
  };
  auto json_disk = [](const std::string& disk) {
    auto config = VmConfigFromJson(R"({"payload":{"kernel":"/k"},"disks":[)" + disk + "]}");
    EXPECT_TRUE(config.ok()) << config.error().message();
    return config.ok() ? *config : VmConfig{};
  };
  // One bucket; one_time_burst absent is 0, as the CLI's default.
  EXPECT_EQ(json_disk(R"({"path":"/d","rate_limiter_config":{"ops":{"size":10,"refill_time":5}}})"),
            cli_disk("path=/d,ops_size=10,ops_refill_time=5"));
  EXPECT_EQ(json_disk(R"({"path":"/d","rate_limiter_config":{"bandwidth":{"size":10,"one_time_burst":0,"refill_time":5},"ops":null}})"),
            cli_disk("path=/d,bw_size=10,bw_refill_time=5,bw_one_time_burst=0"));
  // No bucket, or CH's disabled bucket (size and refill_time 0): no limiter.
  for (const char* none : {R"({"path":"/d","rate_limiter_config":{}})",
                           R"({"path":"/d","rate_limiter_config":null})",
                           R"({"path":"/d","rate_limiter_config":{"bandwidth":{"size":0,"refill_time":0}}})"}) {
    EXPECT_EQ(json_disk(none), cli_disk("path=/d,bw_size=0,bw_refill_time=0")) << none;
    EXPECT_EQ(json_disk(none).disks[0].rate_limiter_config, std::nullopt) << none;
  }
  // The largest values.
  EXPECT_EQ(json_disk(R"({"path":"/d","rate_limiter_config":{"bandwidth":{"size":18446744073709551615,"one_time_burst":18446744073709551615,"refill_time":18446744073709}}})"),
            cli_disk("path=/d,bw_size=18446744073709551615,bw_one_time_burst=18446744073709551615,bw_refill_time=18446744073709"));
}

TEST(VmConfigJsonTest, RateLimiterErrors) {
  auto cli_error = [](const char* disk) {
    const char* argv[] = {"petrel", "--kernel", "/k", "--disk", disk};
    return ParseCommandLine(5, argv).message;
  };
  // The same words as the CLI's (one Validate), after each door's prefix.
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"disks":[{"path":"/d","rate_limiter_config":{"bandwidth":{"size":1000,"refill_time":0}}}]})"),
            "disks[0]: rate_limiter_config: bandwidth.refill_time=0: must be from 1 to "
            "18446744073709 ms: a bucket needs both size and refill_time (--disk bw_size, "
            "bw_refill_time)");
  EXPECT_EQ(cli_error("path=/d,bw_size=1000"),
            "petrel: error: --disk: rate_limiter_config: bandwidth.refill_time=0: must be from 1 "
            "to 18446744073709 ms: a bucket needs both size and refill_time (--disk bw_size, "
            "bw_refill_time)");
  // CH's serde requires size and refill_time.
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"disks":[{"path":"/d","rate_limiter_config":{"ops":{"size":10}}}]})"),
            "disks[0].rate_limiter_config.ops: refill_time is required");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"disks":[{"path":"/d","rate_limiter_config":{"ops":{"size":10,"refill_time":1,"rate":3}}}]})"),
            "disks[0].rate_limiter_config.ops: unknown field 'rate'");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"disks":[{"path":"/d","rate_limiter_config":{"bw":{}}}]})"),
            "disks[0].rate_limiter_config: unknown field 'bw'");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"disks":[{"path":"/d","rate_limiter_config":{"ops":{"size":-1,"refill_time":1}}}]})"),
            "disks[0].rate_limiter_config.ops: size=-1: expected an unsigned integer");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"disks":[{"path":"/d","rate_limiter_config":[]}]})"),
            "disks[0]: rate_limiter_config=[]: expected a JSON object");
  // --net's rate limiter is not read yet.
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"net":[{"rate_limiter_config":{}}]})"),
            "net[0]: rate_limiter_config={}: not supported by Petrel yet");
}

// Cloud Hypervisor's rate limit groups (docs/io_throttling.md): the same
// config from both doors, written back by vm.info, and the checks.
TEST(VmConfigJsonTest, RateLimitGroupsReadAsOnTheCommandLine) {
  const char* argv[] = {"petrel", "--kernel", "/k",
                        "--disk", "path=/a,rate_limit_group=group0",
                        "--disk", "path=/b,rate_limit_group=group0",
                        "--rate-limit-group", "bw_size=1048576,bw_refill_time=100,id=group0"};
  const auto cli = ParseCommandLine(9, argv);
  ASSERT_EQ(cli.action, CliOutcome::Action::kRun) << cli.message;
  auto json = VmConfigFromJson(
      R"({"payload":{"kernel":"/k"},"disks":[{"path":"/a","rate_limit_group":"group0"},)"
      R"({"path":"/b","rate_limit_group":"group0"}],"rate_limit_groups":[{"id":"group0",)"
      R"("rate_limiter_config":{"bandwidth":{"size":1048576,"refill_time":100}}}]})");
  ASSERT_TRUE(json.ok()) << json.error().message();
  EXPECT_EQ(*json, cli.options.vm);
  ASSERT_EQ(json->rate_limit_groups.size(), 1u);
  EXPECT_EQ(json->rate_limit_groups[0].rate_limiter_config.bandwidth,
            (ratelimit::TokenBucketConfig{1048576, 0, 100}));
  EXPECT_EQ(json->disks[1].rate_limit_group, std::optional<std::string>("group0"));
  // Auto ids do not take a group's id.
  EXPECT_EQ(json->disks[0].id, "_disk0");
  auto back = VmConfigFromJson(VmConfigToJson(*json).dump());
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, *json);
}

TEST(VmConfigJsonTest, RateLimitGroupErrors) {
  auto cli_error = [](std::vector<const char*> args) {
    std::vector<const char*> argv = {"petrel", "--kernel", "/k"};
    argv.insert(argv.end(), args.begin(), args.end());
    return ParseCommandLine(static_cast<int>(argv.size()), argv.data()).message;
  };
  EXPECT_EQ(cli_error({"--disk", "path=/a,rate_limit_group=g1"}),
            "petrel: error: disk /a: rate_limit_group=g1: no rate limit group has that id");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"disks":[{"path":"/a","rate_limit_group":"g1"}]})"),
            "disk /a: rate_limit_group=g1: no rate limit group has that id");
  EXPECT_EQ(cli_error({"--rate-limit-group", "bw_size=10,bw_refill_time=1"}),
            "petrel: error: --rate-limit-group: rate_limit_group: id=<name> is required");
  EXPECT_EQ(cli_error({"--rate-limit-group", "id=g"}),
            "petrel: error: --rate-limit-group: rate_limit_group g: needs a bandwidth or an "
            "ops bucket");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"rate_limit_groups":[{"id":"g"}]})"),
            "rate_limit_groups[0]: rate_limit_group g: needs a bandwidth or an ops bucket");
  EXPECT_NE(cli_error({"--rate-limit-group", "id=g,ops_size=1,ops_refill_time=1", "--disk",
                       "path=/a,ops_size=1,ops_refill_time=1,rate_limit_group=g"})
                .find("rate_limit_group=g: a disk takes its own rate limiter or a group's"),
            std::string::npos);
  // One id namespace with the devices (CH's validate_identifier).
  EXPECT_NE(cli_error({"--rate-limit-group", "id=d,ops_size=1,ops_refill_time=1", "--disk",
                       "path=/a,id=d"})
                .find("id=d: used by another device"),
            std::string::npos);
}

TEST(VmConfigJsonTest, TypeAndShapeErrors) {
  EXPECT_NE(ErrorOf("{").find("not valid JSON"), std::string::npos);
  // Regression (api_json_fuzz): a number beyond a double's range made the
  // parser throw out_of_range, which escaped the reader.
  EXPECT_NE(ErrorOf(R"({"cpus":{"boot_vcpus": 3e222222}})").find("not valid JSON"),
            std::string::npos);
  EXPECT_EQ(ErrorOf("[]"), "the body: expected a JSON object");
  EXPECT_EQ(ErrorOf("{}"), "payload is required");
  EXPECT_EQ(ErrorOf(R"({"payload":{}})"), "payload: kernel is required");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":7}})"), "payload: kernel=7: expected a string");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k\u0000x"}})"),
            R"(payload: kernel="/k\u0000x": contains a NUL character)");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"cpus":{"boot_vcpus":-1,"max_vcpus":1}})"),
            "cpus: boot_vcpus=-1: expected an unsigned integer");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"cpus":{"boot_vcpus":1.5,"max_vcpus":1}})"),
            "cpus: boot_vcpus=1.5: expected an unsigned integer");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"cpus":{"boot_vcpus":2}})"),
            "cpus: max_vcpus is required");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"disks":[{"path":"/d","queue_size":70000}]})"),
            "disks[0]: queue_size=70000: must be at most 65535");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"disks":{"path":"/d"}})"),
            R"(disks={"path":"/d"}: expected a JSON array)");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"disks":[{}]})"),
            "disks[0]: path is required");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"net":[{"ip":"1.2.3"}]})").rfind("net[0]: ip=\"1.2.3\": ", 0), 0u);
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"net":[{"offload_tso":1}]})"),
            "net[0]: offload_tso=1: expected true or false");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"serial":{"mode":"Fancy"}})"),
            R"(serial: mode="Fancy": expected Off, Pty, Tty, File, Socket or Null)");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"serial":{"mode":"File"}})"),
            "serial: mode File needs file");
  EXPECT_EQ(ErrorOf(R"({"payload":{"kernel":"/k"},"serial":{"mode":"Tty"}})"),
            "serial and console cannot both use the terminal (mode Tty)");
}

// CH's MemoryConfig.zones and VmConfig.numa (its openapi schema), read,
// written and read back; the command line gives the same config.
constexpr const char* kZonesAndNuma = R"({"payload":{"kernel":"/k"},
  "cpus":{"boot_vcpus":4,"max_vcpus":4},
  "memory":{"size":0,"hotplug_method":"VirtioMem","zones":[
    {"id":"mem0","size":1073741824,"host_numa_node":0,"hotplug_size":1073741824,"hotplugged_size":536870912},
    {"id":"mem1","size":1073741824,"shared":true,"prefault":true,"reserve":true,"mergeable":true}]},
  "numa":[
    {"guest_numa_id":0,"cpus":[0,1],"distances":[{"destination":1,"distance":20}],"memory_zones":["mem0"],"pci_segments":[0]},
    {"guest_numa_id":1,"cpus":[2,3],"memory_zones":["mem1"]}]})";

TEST(VmConfigJsonTest, MemoryZonesAndNumaAreReadAndWrittenAsChs) {
  auto config = VmConfigFromJson(kZonesAndNuma);
  ASSERT_TRUE(config.ok()) << config.error().message();
  const MemoryConfig& memory = config->memory;
  ASSERT_EQ(memory.zones.size(), 2u);
  EXPECT_EQ(memory.zones[0].host_numa_node, 0u);
  EXPECT_EQ(memory.zones[0].hotplugged_size, 512ULL << 20);
  EXPECT_FALSE(memory.zones[0].mergeable);  // serde's default, not --memory's
  EXPECT_TRUE(memory.zones[1].shared && memory.zones[1].prefault && memory.zones[1].reserve &&
              memory.zones[1].mergeable);
  ASSERT_EQ(config->numa.size(), 2u);
  EXPECT_EQ(config->numa[0].distances, (std::vector<NumaDistance>{{1, 20}}));
  EXPECT_EQ(config->numa[0].pci_segments, (std::vector<uint16_t>{0}));
  EXPECT_EQ(config->numa[1].memory_zones, (std::vector<std::string>{"mem1"}));
  EXPECT_FALSE(config->numa[1].distances.has_value());

  const nlohmann::json j = VmConfigToJson(*config);
  EXPECT_EQ(j["memory"]["zones"][0]["id"], "mem0");
  EXPECT_FALSE(j["memory"]["zones"][1].contains("hotplug_size"));  // unset: omitted
  EXPECT_EQ(j["numa"][0]["distances"][0], (nlohmann::json{{"destination", 1}, {"distance", 20}}));
  EXPECT_FALSE(j["numa"][1].contains("distances"));
  auto back = VmConfigFromJsonValue(j);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, *config);
  // Without zones or nodes, neither field is written.
  const nlohmann::json plain = VmConfigToJson(*VmConfigFromJson(R"({"payload":{"kernel":"/k"}})"));
  EXPECT_FALSE(plain["memory"].contains("zones"));
  EXPECT_FALSE(plain.contains("numa"));

  const char* argv[] = {"petrel", "--kernel", "/k", "--cpus", "boot=4", "--memory",
                        "size=0,hotplug_method=virtio-mem", "--memory-zone",
                        "id=mem0,size=1G,host_numa_node=0,hotplug_size=1G,hotplugged_size=512M",
                        "id=mem1,size=1G,shared=on,prefault=on,reserve=on,mergeable=on", "--numa",
                        "guest_numa_id=0,cpus=[0-1],distances=[1@20],memory_zones=mem0,pci_segments=[0]",
                        "guest_numa_id=1,cpus=[2,3],memory_zones=[mem1]"};
  const CliOutcome cli = ParseCommandLine(static_cast<int>(std::size(argv)), argv);
  ASSERT_EQ(cli.action, CliOutcome::Action::kRun) << cli.message;
  EXPECT_EQ(cli.options.vm.memory, config->memory);
  EXPECT_EQ(cli.options.vm.numa, config->numa);
}

TEST(VmConfigJsonTest, MemoryZoneAndNumaErrors) {
  const auto with_memory = [](std::string memory, std::string rest = "") {
    return ErrorOf(R"({"payload":{"kernel":"/k"},"memory":)" + memory + rest + "}");
  };
  const std::string zone = R"({"id":"mem0","size":1073741824})";
  EXPECT_EQ(with_memory(R"({"size":0})"),
            "memory: size=0: needs at least one memory zone (--memory-zone, JSON zones)");
  EXPECT_EQ(with_memory(R"({"size":1073741824,"zones":[)" + zone + "]}"),
            "memory: size=1073741824: memory zones (--memory-zone, JSON zones) need size=0");
  EXPECT_EQ(with_memory(R"({"size":0,"zones":[{"id":"mem0","size":1073741824,"file":"/foo/bar"}]})"),
            "memory.zones[0]: file=/foo/bar: not supported by Petrel yet");
  EXPECT_EQ(with_memory(R"({"size":0,"zones":[{"id":"mem0","size":1073741824,"sise":1}]})"),
            "memory.zones[0]: unknown field 'sise'");
  EXPECT_EQ(with_memory(R"({"size":0,"zones":[{"size":1073741824}]})"),
            "memory.zones[0]: id is required");
  EXPECT_EQ(with_memory(R"({"size":0,"zones":[{"id":"mem0"}]})"),
            "memory.zones[0]: size is required");
  EXPECT_EQ(with_memory(R"({"size":0,"zones":[{"id":"mem0","size":1073741824,"hotplug_size":1073741824}]})"),
            "memory.zones[0]: hotplug_size=1073741824: memory zones hot-plug with virtio-mem only "
            "(--memory hotplug_method=virtio-mem); ACPI hot-plug is not for zones");
  EXPECT_EQ(with_memory(R"({"size":0,"zones":{}})"),
            "memory: zones={}: expected a JSON array");
  const std::string zones = R"({"size":0,"zones":[)" + zone + "]}";
  EXPECT_EQ(with_memory(zones, R"(,"numa":[{"cpus":[0]}])"), "numa[0]: guest_numa_id is required");
  EXPECT_EQ(with_memory(zones, R"(,"numa":[{"guest_numa_id":0,"cpu":[0]}])"),
            "numa[0]: unknown field 'cpu'");
  EXPECT_EQ(with_memory(zones, R"(,"numa":[{"guest_numa_id":0,"cpus":[-1]}])"),
            "numa[0]: cpus=[-1]: expected a list of integers from 0 to 4294967295");
  EXPECT_EQ(with_memory(zones, R"(,"numa":[{"guest_numa_id":0,"cpus":[0],"distances":[{"destination":1}]}])"),
            "numa[0].distances[0]: distance is required");
  EXPECT_EQ(with_memory(zones, R"(,"numa":[{"guest_numa_id":0,"cpus":[0],"distances":[{"destination":1,"distance":300}]}])"),
            "numa[0].distances[0]: distance=300: must be at most 255");
  EXPECT_EQ(with_memory(zones, R"(,"numa":[{"guest_numa_id":2,"device_id":"gpu0"}])"),
            "numa[0]: device_id=gpu0: generic initiator nodes are not supported by Petrel yet");
  EXPECT_EQ(with_memory(zones, R"(,"numa":[{"guest_numa_id":2,"device_id":"gpu0","cpus":[0]}])"),
            "numa[0]: device_id=gpu0: a generic initiator node (device_id) cannot have cpus or "
            "memory_zones");
  EXPECT_EQ(with_memory(zones, R"(,"numa":[{"guest_numa_id":0,"memory_zones":["nope"]}])"),
            "numa node 0: memory_zones=nope: no memory zone has that id");
  EXPECT_EQ(with_memory(zones, R"(,"numa":[{"guest_numa_id":1,"pci_segments":[1],"memory_zones":["mem0"]}])"),
            "numa[0]: pci_segments=1: Petrel has one PCI segment, 0");
  // Zone ids share the devices' namespace.
  EXPECT_NE(with_memory(zones, R"(,"disks":[{"path":"/d","id":"mem0"}])")
                .find("id=mem0: used by another device"),
            std::string::npos);
  // The balloon below the zones' RAM, as on the command line.
  EXPECT_EQ(with_memory(zones, R"(,"balloon":{"size":1073741824})"),
            "balloon: size=1073741824: must be below the guest's memory (1073741824 bytes)");
  EXPECT_EQ(with_memory(zones, R"(,"balloon":{"size":1048576})"), "(accepted)");
}

}  // namespace
}  // namespace petrel::config
