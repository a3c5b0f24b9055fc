// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for petrel-remote's RunRemote against a live server.
#include "vmm/api/remote_cli.h"
#include "vmm/build_info.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <initializer_list>
#include <sstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "vmm/api/api_client.h"
#include "vmm/api/api_server_test_util.h"

namespace petrel::api {
namespace {

RemoteOutput Remote(std::initializer_list<std::string> args) {
  std::vector<std::string> storage(args);
  std::vector<const char*> argv = {"petrel-remote"};
  for (const std::string& s : storage) argv.push_back(s.c_str());
  return RunRemote(static_cast<int>(argv.size()), argv.data());
}

void ExpectOneErrorLine(const RemoteOutput& r) {
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.out.empty());
  EXPECT_EQ(r.err.rfind("petrel-remote: error: ", 0), 0u) << r.err;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
}

class RemoteCliTest : public ApiServerFixture {};

TEST_F(RemoteCliTest, PingPrintsJson) {
  StartServer();
  RemoteOutput r = Remote({"--api-socket", socket_, "ping"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty());
  ASSERT_FALSE(r.out.empty());
  EXPECT_EQ(r.out.back(), '\n');
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j.contains("version"));
  EXPECT_TRUE(j.contains("pid"));
}

TEST_F(RemoteCliTest, InfoPrintsTheBody) {
  StartServer();
  RemoteOutput r = Remote({"--api-socket", socket_, "info"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, control_.info_json + "\n");
}

TEST_F(RemoteCliTest, ActionsPrintNothing) {
  StartServer();
  for (const char* cmd : {"power-button", "reboot", "shutdown", "shutdown-vmm", "boot", "pause",
                          "resume", "nmi", "delete"}) {
    RemoteOutput r = Remote({"--api-socket", socket_, cmd});
    EXPECT_EQ(r.exit_code, 0) << cmd << ": " << r.err;
    EXPECT_TRUE(r.out.empty());
  }
  EXPECT_EQ(control_.power_button, 1);
  EXPECT_EQ(control_.reboot_vm, 1);
  EXPECT_EQ(control_.shutdown_vm, 1);
  EXPECT_EQ(control_.shutdown_vmm, 1);
  EXPECT_EQ(control_.boot_vm, 1);
  EXPECT_EQ(control_.pause_vm, 1);
  EXPECT_EQ(control_.resume_vm, 1);
  EXPECT_EQ(control_.nmi, 1);
  EXPECT_EQ(control_.delete_vm, 1);
}

TEST_F(RemoteCliTest, ResizeSendsChsVmResizeBody) {
  StartServer();
  // ch-remote's documented form (CH docs/hotplug.md).
  RemoteOutput r = Remote({"--api-socket", socket_, "resize", "--cpus", "8"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(control_.last_config()),
            nlohmann::json::parse(R"({"desired_vcpus":8})"));
  r = Remote({"--api-socket", socket_, "resize", "--memory", "3G"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(control_.last_config()),
            nlohmann::json::parse(R"({"desired_ram":3221225472})"));
  EXPECT_EQ(control_.resize_vm, 2);
  // Nothing to resize, or a bad count: an error before any request.
  ExpectOneErrorLine(Remote({"--api-socket", socket_, "resize"}));
  ExpectOneErrorLine(Remote({"--api-socket", socket_, "resize", "--cpus", "zero"}));
  EXPECT_EQ(control_.resize_vm, 2);
  // resize-disk, as CH's docs/hotplug.md types it.
  r = Remote({"--api-socket", socket_, "resize-disk", "--disk", "disk1", "--size", "2G"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(control_.last_config()),
            nlohmann::json::parse(R"({"id":"disk1","desired_size":2147483648})"));
  ExpectOneErrorLine(Remote({"--api-socket", socket_, "resize-disk", "--size", "2G"}));
  EXPECT_EQ(control_.resize_disk_vm, 1);
}

// ch-remote resize-zone --id <id> --size <size>: CH's VmResizeZone body.
TEST_F(RemoteCliTest, ResizeZoneSendsChsVmResizeZoneBody) {
  StartServer();
  RemoteOutput r = Remote({"--api-socket", socket_, "resize-zone", "--id", "mem1", "--size", "2G"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(control_.resize_zone_vm, 1);
  EXPECT_EQ(nlohmann::json::parse(control_.last_config()),
            nlohmann::json::parse(R"({"id":"mem1","desired_ram":2147483648})"));
  // No id, no size or a bad size: an error before any request.
  ExpectOneErrorLine(Remote({"--api-socket", socket_, "resize-zone", "--size", "2G"}));
  ExpectOneErrorLine(Remote({"--api-socket", socket_, "resize-zone", "--id", "mem1"}));
  ExpectOneErrorLine(Remote({"--api-socket", socket_, "resize-zone", "--id", "mem1", "--size", "x"}));
  EXPECT_EQ(control_.resize_zone_vm, 1);
  // The VMM's refusal reaches the user as one line, exit status 1.
  control_.fail = true;
  control_.error_code = ErrorCode::kUnsupported;
  r = Remote({"--api-socket", socket_, "resize-zone", "--id", "mem1", "--size", "2G"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Error resizing the memory zone"), std::string::npos) << r.err;
}

// add-disk, add-net and remove-device as CH's docs/hotplug.md types them:
// the option string becomes the JSON body; the answer is printed.
TEST_F(RemoteCliTest, HotplugCommandsSendChBodiesAndPrintTheAnswer) {
  StartServer();
  RemoteOutput r = Remote({"--api-socket", socket_, "add-disk", "path=/foo/bar/cloud.img"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, control_.added_json + "\n");
  EXPECT_EQ(nlohmann::json::parse(control_.last_config())["path"], "/foo/bar/cloud.img");
  r = Remote({"--api-socket", socket_, "add-net", "tap=chtap0,mac=12:34:56:78:9a:bc,id=net7"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto net = nlohmann::json::parse(control_.last_config());
  EXPECT_EQ(net["tap"], "chtap0");
  EXPECT_EQ(net["mac"], "12:34:56:78:9a:bc");
  EXPECT_EQ(net["id"], "net7");
  // CH's docs/device_model.md: ch-remote add-pmem file=...,size=...
  r = Remote({"--api-socket", socket_, "add-pmem", "file=/tmp/pmem.img,size=128M,discard_writes=on"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto pmem = nlohmann::json::parse(control_.last_config());
  EXPECT_EQ(pmem["file"], "/tmp/pmem.img");
  EXPECT_EQ(pmem["size"], 128 << 20);
  EXPECT_EQ(pmem["discard_writes"], true);
  ExpectOneErrorLine(Remote({"--api-socket", socket_, "add-pmem", "size=2M"}));
  EXPECT_EQ(control_.add_pmem_vm, 1);
  // CH's docs/vsock.md: ch-remote add-vsock cid=3,socket=/tmp/ch.vsock
  r = Remote({"--api-socket", socket_, "add-vsock", "cid=3,socket=/tmp/ch.vsock"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto vsock = nlohmann::json::parse(control_.last_config());
  EXPECT_EQ(vsock["cid"], 3);
  EXPECT_EQ(vsock["socket"], "/tmp/ch.vsock");
  ExpectOneErrorLine(Remote({"--api-socket", socket_, "add-vsock", "socket=/tmp/ch.vsock"}));
  EXPECT_EQ(control_.add_vsock_vm, 1);
  r = Remote({"--api-socket", socket_, "remove-device", "_disk0"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(nlohmann::json::parse(control_.last_config()),
            nlohmann::json::parse(R"({"id":"_disk0"})"));
  // A key --disk does not know, or no argument: an error before any request.
  ExpectOneErrorLine(Remote({"--api-socket", socket_, "add-disk", "path=/a,colour=red"}));
  ExpectOneErrorLine(Remote({"--api-socket", socket_, "remove-device"}));
  EXPECT_EQ(control_.add_disk_vm, 1);
  EXPECT_EQ(control_.add_net_vm, 1);
  EXPECT_EQ(control_.remove_device_vm, 1);
}

TEST_F(RemoteCliTest, SnapshotAndRestoreSendChBodies) {
  StartServer();
  // ch-remote's documented forms (CH docs/snapshot_restore.md).
  RemoteOutput r = Remote({"--api-socket", socket_, "snapshot", "file:///home/foo/snapshot"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(control_.last_config()),
            nlohmann::json::parse(R"({"destination_url":"file:///home/foo/snapshot"})"));
  r = Remote({"--api-socket", socket_, "restore", "source_url=file:///home/foo/snapshot,resume=true"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto body = nlohmann::json::parse(control_.last_config());
  EXPECT_EQ(body["source_url"], "file:///home/foo/snapshot");
  EXPECT_EQ(body["resume"], true);
  EXPECT_EQ(body["memory_restore_mode"], "Copy");
  EXPECT_EQ(control_.snapshot_vm, 1);
  EXPECT_EQ(control_.restore_vm, 1);
  // A bad restore string fails before any request.
  ExpectOneErrorLine(Remote({"--api-socket", socket_, "restore", "prefault=on"}));
  ExpectOneErrorLine(Remote({"--api-socket", socket_, "snapshot"}));
  EXPECT_EQ(control_.restore_vm, 1);
  EXPECT_EQ(control_.snapshot_vm, 1);
}

ino_t InodeOf(int fd) {
  struct stat st {};
  return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

int OpenFds() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d) != nullptr) ++n;
    closedir(d);
  }
  return n;
}

// ch-remote's way: net_fds' fds travel as SCM_RIGHTS beside a body that
// names only ids and counts; the server hands them to vm.restore in order.
TEST_F(RemoteCliTest, RestoreSendsNetFdsWithScmRights) {
  StartServer();
  int a[2], b[2];
  ASSERT_EQ(pipe(a), 0);
  ASSERT_EQ(pipe(b), 0);
  const std::string net_fds = "net_fds=[net1@[" + std::to_string(a[0]) + "," +
                              std::to_string(b[1]) + "],net2@[" + std::to_string(a[1]) + "]]";
  RemoteOutput r = Remote({"--api-socket", socket_, "restore", "source_url=file:///s," + net_fds});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(control_.last_config())["net_fds"],
            nlohmann::json::parse(R"([{"id":"net1","num_fds":2},{"id":"net2","num_fds":1}])"));
  const std::vector<int> got = control_.last_fds();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(InodeOf(got[0]), InodeOf(a[0]));
  EXPECT_EQ(InodeOf(got[1]), InodeOf(b[1]));
  EXPECT_EQ(InodeOf(got[2]), InodeOf(a[1]));
  EXPECT_NE(got[0], a[0]);  // the server's own copies
  for (int fd : {a[0], a[1], b[0], b[1]}) close(fd);
}

// add-net fd=[...]: ch-remote sends its own tap fds with the request; the
// body keeps the numbers, the server hands the fds to vm.add-net.
TEST_F(RemoteCliTest, AddNetSendsItsTapFdsWithScmRights) {
  StartServer();
  int a[2];
  ASSERT_EQ(pipe(a), 0);
  const std::string option =
      "fd=[" + std::to_string(a[0]) + "," + std::to_string(a[1]) + "],num_queues=4,id=hpnet";
  RemoteOutput r = Remote({"--api-socket", socket_, "add-net", option});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json body = nlohmann::json::parse(control_.last_config());
  EXPECT_EQ(body["id"], "hpnet");
  EXPECT_EQ(body["fds"].size(), 2u);
  const std::vector<int> got = control_.last_fds();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(InodeOf(got[0]), InodeOf(a[0]));
  EXPECT_EQ(InodeOf(got[1]), InodeOf(a[1]));
  // Without fd=, nothing travels.
  r = Remote({"--api-socket", socket_, "add-net", "tap=ptap9,id=other"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(control_.last_fds().empty());
  for (int fd : a) close(fd);
}

// fds sent with a request that takes none are closed by the server.
TEST_F(RemoteCliTest, FdsBesideOtherRequestsAreClosed) {
  StartServer();
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  const int before = OpenFds();
  auto r = SendApiRequest(socket_, "GET", "vmm.ping", {}, 5000, std::vector<int>{p[0], p[1]});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->status, 200);
  for (int i = 0; i < 100 && OpenFds() != before; ++i) usleep(10'000);
  EXPECT_EQ(OpenFds(), before);
  close(p[0]);
  close(p[1]);
}

TEST_F(RemoteCliTest, CountersPrintTheBody) {
  StartServer();
  RemoteOutput r = Remote({"--api-socket", socket_, "counters"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, control_.counters_json + "\n");
}

TEST_F(RemoteCliTest, CreateSendsTheFileOrStdin) {
  StartServer();
  const std::string path = dir_ + "/vm.json";
  {
    std::ofstream f(path);
    f << R"({"payload":{"kernel":"/from/file"}})";
  }
  RemoteOutput r = Remote({"--api-socket", socket_, "create", path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(control_.last_config(), R"({"payload":{"kernel":"/from/file"}})");

  for (const bool explicit_dash : {true, false}) {
    std::istringstream in(R"({"payload":{"kernel":"/from/stdin"}})");
    std::vector<const char*> argv = {"petrel-remote", "--api-socket", socket_.c_str(), "create"};
    if (explicit_dash) argv.push_back("-");
    r = RunRemote(static_cast<int>(argv.size()), argv.data(), in);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(control_.last_config(), R"({"payload":{"kernel":"/from/stdin"}})");
  }
  EXPECT_EQ(control_.create_vm, 3);
  ExpectOneErrorLine(Remote({"--api-socket", socket_, "create", dir_ + "/missing.json"}));
  EXPECT_EQ(control_.create_vm, 3);
}

TEST_F(RemoteCliTest, ServerErrorIsOneLine) {
  control_.fail = true;
  StartServer();
  RemoteOutput r = Remote({"--api-socket", socket_, "reboot"});
  ExpectOneErrorLine(r);
  EXPECT_NE(r.err.find("500"), std::string::npos);
  EXPECT_NE(r.err.find("injected failure"), std::string::npos);
}

TEST_F(RemoteCliTest, MissingSocket) {
  RemoteOutput r = Remote({"--api-socket", dir_ + "/none.sock", "ping"});
  ExpectOneErrorLine(r);
  EXPECT_NE(r.err.find("none.sock"), std::string::npos);
}

TEST_F(RemoteCliTest, BadArguments) {
  ExpectOneErrorLine(Remote({"ping"}));                   // no socket
  ExpectOneErrorLine(Remote({"--api-socket", socket_}));  // no command
  ExpectOneErrorLine(Remote({"--api-socket", socket_, "frobnicate"}));
  ExpectOneErrorLine(Remote({"--api-socket", socket_, "ping", "info"}));
  RemoteOutput help = Remote({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("shutdown-vmm"), std::string::npos);
}

TEST_F(RemoteCliTest, VersionAndNoArguments) {
  for (const char* flag : {"-V", "--version"}) {
    RemoteOutput v = Remote({flag});
    EXPECT_EQ(v.exit_code, 0);
    EXPECT_EQ(v.out, "petrel-remote " + std::string(build_info::BuildVersion()) + "\n");
  }
  const char* only_name[] = {"petrel-remote"};
  RemoteOutput none = RunRemote(1, only_name);
  EXPECT_EQ(none.exit_code, 0);
  EXPECT_NE(none.out.find("shutdown-vmm"), std::string::npos);
}

// Called as ch-remote: its --version format and clap's exit codes.
TEST_F(RemoteCliTest, TheChRemoteNameUsesItsVersionFormatAndExitCodes) {
  StartServer();
  auto as_ch = [](std::vector<std::string> args) {
    std::vector<const char*> argv = {"/usr/bin/ch-remote"};
    for (const std::string& a : args) argv.push_back(a.c_str());
    return RunRemote(static_cast<int>(argv.size()), argv.data());
  };
  RemoteOutput v = as_ch({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out.rfind("ch-remote " + std::string(build_info::kCloudHypervisorVersion) + " (petrel ", 0),
            0u) << v.out;
  RemoteOutput none = as_ch({});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("shutdown-vmm"), std::string::npos);
  EXPECT_EQ(as_ch({"--api-socket", socket_, "frobnicate"}).exit_code, 2);
  RemoteOutput ping = as_ch({"--api-socket", socket_, "ping"});
  EXPECT_EQ(ping.exit_code, 0) << ping.err;
  EXPECT_EQ(as_ch({"--api-socket", dir_ + "/none.sock", "ping"}).exit_code, 1);
}

TEST(RemoteCommandTest, EveryCommandHasASummary) {
  for (const RemoteCommand& c : RemoteCommands()) EXPECT_FALSE(c.summary.empty()) << c.name;
  EXPECT_EQ(RemoteCommands().size(), 25u);
}

TEST(RemoteCommandTest, TableMatchesChRemote) {
  ASSERT_NE(FindRemoteCommand("shutdown-vmm"), nullptr);
  EXPECT_EQ(FindRemoteCommand("shutdown-vmm")->endpoint, "vmm.shutdown");
  EXPECT_EQ(FindRemoteCommand("ping")->method, "GET");
  EXPECT_EQ(FindRemoteCommand("power-button")->method, "PUT");
  EXPECT_EQ(FindRemoteCommand("pause")->endpoint, "vm.pause");
  EXPECT_EQ(FindRemoteCommand("counters")->method, "GET");
  EXPECT_EQ(FindRemoteCommand("create")->endpoint, "vm.create");
  EXPECT_EQ(FindRemoteCommand("resize")->endpoint, "vm.resize");
  EXPECT_EQ(FindRemoteCommand("resize-disk")->endpoint, "vm.resize-disk");
  EXPECT_EQ(FindRemoteCommand("resize-zone")->endpoint, "vm.resize-zone");
  EXPECT_EQ(FindRemoteCommand("resize-zone")->method, "PUT");
}

}  // namespace
}  // namespace petrel::api
