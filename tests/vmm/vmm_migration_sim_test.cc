// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// vm.send-migration and vm.receive-migration through two whole VMMs on
// hv_sim (issue 10, items 3 and 4): the source's counting guest moves to an
// empty VMM over a UNIX socket and over TCP and counts on there; the source
// VMM exits (or, with preserve_source, keeps the VM paused). Memory and
// device state at the switch are equal byte for byte. A destination that
// cannot build the VM, one that drops the connection at once, or none at
// all, leaves the source running and leaks no descriptor.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/vmm/sim_vmm.h"
#include "vmm/migration/url.h"

namespace petrel::vmm {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using testing::CreateBody;
using testing::SimVmm;

int OpenFds() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d) != nullptr) ++n;
    closedir(d);
  }
  return n;
}

std::string SocketPath(const char* name) {
  return "/tmp/petrel-migration-" + std::to_string(getpid()) + "-" + name + ".sock";
}

// A running counting VM in `src`.
void BootCounting(SimVmm& src, bool shared_memory = false) {
  ASSERT_EQ(src.Status("PUT", "vm.create", CreateBody(shared_memory)), 204);
  ASSERT_EQ(src.Status("PUT", "vm.boot"), 204);
  ASSERT_TRUE(src.CountsPast(1000));
}

// Starts dst's vm.receive-migration (which answers when the migration
// ended) and waits until it listens.
std::future<int> Receive(SimVmm& dst, const std::string& url) {
  auto answer = std::async(std::launch::async, [&dst, url] {
    return dst.Status("PUT", "vm.receive-migration", json{{"receiver_url", url}}.dump());
  });
  for (int i = 0; i < 5000 && !dst.HasEvent("vm/migration-receive-ready"); ++i) {
    std::this_thread::sleep_for(1ms);
  }
  return answer;
}

std::vector<uint8_t> MemoryOf(VmInstance& vm) {
  std::vector<uint8_t> bytes;
  for (const GuestRegion& r : vm.memory().regions()) {
    bytes.insert(bytes.end(), r.host->data(), r.host->data() + r.size);
  }
  return bytes;
}

TEST(VmmMigrationSimTest, ARunningGuestMovesOverAUnixSocketAndCountsOn) {
  const int fds_before = OpenFds();
  const std::string path = SocketPath("unix");
  {
    SimVmm src;
    BootCounting(src);
    // The destination's memory as it is when its VM is built: every Memory
    // round done, the guest not yet resumed.
    std::vector<uint8_t> at_switch;
    SimVmm::Options dst_options;
    dst_options.on_vm_built = [&](VmInstance& vm) { at_switch = MemoryOf(vm); };
    SimVmm dst(dst_options);
    auto received = Receive(dst, "unix:" + path);
    EXPECT_EQ(src.Status("PUT", "vm.send-migration",
                         json{{"destination_url", "unix:" + path}, {"preserve_source", true}}.dump()),
              204);
    EXPECT_EQ(received.get(), 204);
    // preserve_source: the source keeps the VM, paused, exactly as sent.
    EXPECT_EQ(src.State(), "Paused");
    const uint64_t count = src.Count();
    EXPECT_TRUE(at_switch == MemoryOf(src.vm()));
    EXPECT_EQ(dst.State(), "Running");
    EXPECT_TRUE(dst.CountsPast(count));
    EXPECT_TRUE(src.HasEvent("vm/migration-started"));
    EXPECT_TRUE(src.HasEvent("vm/migration-finished"));
    EXPECT_TRUE(dst.HasEvent("vm/migration-receive-started"));
    EXPECT_TRUE(dst.HasEvent("vm/migration-receive-finished"));
    EXPECT_FALSE(dst.HasEvent("vm/booting"));
    EXPECT_EQ(access(path.c_str(), F_OK), -1);  // the listener removed its socket
  }
  EXPECT_EQ(OpenFds(), fds_before);
}

TEST(VmmMigrationSimTest, OverTcpTheSourceVmmExitsAfterwards) {
  // A free port: bind port 0, read it, close.
  uint16_t port = 0;
  {
    auto probe = migration::MigrationListener::Listen(
        {migration::MigrationUrl::Kind::kTcp, "", "127.0.0.1", 0});
    ASSERT_TRUE(probe.ok());
    port = probe->port();
  }
  const std::string url = "tcp:127.0.0.1:" + std::to_string(port);

  SimVmm src;
  BootCounting(src);
  SimVmm dst;
  auto received = Receive(dst, url);
  EXPECT_EQ(src.Status("PUT", "vm.send-migration", json{{"destination_url", url}}.dump()), 204);
  EXPECT_EQ(received.get(), 204);
  EXPECT_EQ(src.ExitStatus(10s), std::optional<int>(0));  // as CH: the source VMM is done
  EXPECT_EQ(dst.State(), "Running");
  EXPECT_TRUE(dst.CountsPast(0));
}

TEST(VmmMigrationSimTest, APausedVmArrivesPausedWithEqualDeviceState) {
  const std::string path = SocketPath("paused");
  SimVmm src;
  BootCounting(src);
  ASSERT_EQ(src.Status("PUT", "vm.pause"), 204);
  SimVmm dst;
  auto received = Receive(dst, "unix:" + path);
  EXPECT_EQ(src.Status("PUT", "vm.send-migration",
                       json{{"destination_url", "unix:" + path}, {"preserve_source", true}}.dump()),
            204);
  EXPECT_EQ(received.get(), 204);
  ASSERT_EQ(dst.State(), "Paused");  // CompletePaused
  EXPECT_TRUE(MemoryOf(dst.vm()) == MemoryOf(src.vm()));
  auto a = src.vm().SaveSnapshotState();
  auto b = dst.vm().SaveSnapshotState();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(a->vm == b->vm);
  EXPECT_TRUE(a->vcpus == b->vcpus);
  EXPECT_TRUE(a->legacy == b->legacy);
  EXPECT_TRUE(a->pci == b->pci);
  EXPECT_TRUE(a->virtio == b->virtio);
  const uint64_t count = dst.Count();
  EXPECT_EQ(dst.Status("PUT", "vm.resume"), 204);
  EXPECT_TRUE(dst.CountsPast(count));
}

TEST(VmmMigrationSimTest, FailuresLeaveTheSourceRunningAndLeakNothing) {
  const int fds_before = OpenFds();
  {
    SimVmm src;
    BootCounting(src);
    // Nobody listens.
    EXPECT_EQ(src.Status("PUT", "vm.send-migration",
                         json{{"destination_url", "unix:" + SocketPath("nobody")}}.dump()),
              500);
    EXPECT_EQ(src.State(), "Running");
    // A destination whose hypervisor cannot build the VM: State fails.
    {
      const std::string path = SocketPath("broken");
      SimVmm::Options broken;
      broken.broken_hypervisor = true;
      SimVmm dst(broken);
      auto received = Receive(dst, "unix:" + path);
      EXPECT_EQ(src.Status("PUT", "vm.send-migration",
                           json{{"destination_url", "unix:" + path}}.dump()),
                500);
      EXPECT_EQ(received.get(), 500);
      EXPECT_TRUE(dst.HasEvent("vm/migration-receive-failed"));
      EXPECT_EQ(dst.Status("GET", "vm.info"), 404);  // empty again
      EXPECT_TRUE(src.HasEvent("vm/migration-failed"));
    }
    // A destination that accepts and hangs up at once.
    {
      const std::string path = SocketPath("hangup");
      auto listener = migration::MigrationListener::Listen({migration::MigrationUrl::Kind::kUnix, path});
      ASSERT_TRUE(listener.ok());
      std::thread hangup([&] { (void)listener->Accept(10s); });
      EXPECT_EQ(src.Status("PUT", "vm.send-migration",
                           json{{"destination_url", "unix:" + path}}.dump()),
                500);
      hangup.join();
    }
    EXPECT_EQ(src.State(), "Running");
    const uint64_t count = src.Count();
    EXPECT_TRUE(src.CountsPast(count));
    // And it can still be paused, resumed and migrated.
    EXPECT_EQ(src.Status("PUT", "vm.pause"), 204);
    EXPECT_EQ(src.Status("PUT", "vm.resume"), 204);
  }
  EXPECT_EQ(OpenFds(), fds_before);
}

// The inode behind each RAM slot's fd (-1 for private memory).
std::vector<ino_t> MemoryInodes(VmInstance& vm) {
  std::vector<ino_t> inodes;
  for (const GuestRegion& r : vm.memory().regions()) {
    struct stat st {};
    inodes.push_back(r.host->fd() >= 0 && fstat(r.host->fd(), &st) == 0 ? st.st_ino
                                                                         : static_cast<ino_t>(-1));
  }
  return inodes;
}

// local=on with shared=on memory (issue 10, item 3): the destination maps
// the source's own memfds (the same inodes), no Memory round is sent, and
// the guest counts on there; the source VMM exits.
TEST(VmmMigrationSimTest, ALocalMigrationHandsOverTheMemoryFds) {
  const std::string path = SocketPath("local");
  SimVmm src;
  BootCounting(src, /*shared_memory=*/true);
  const std::vector<ino_t> source_inodes = MemoryInodes(src.vm());
  ASSERT_NE(source_inodes[0], static_cast<ino_t>(-1));
  std::vector<ino_t> built_inodes;
  SimVmm::Options dst_options;
  dst_options.on_vm_built = [&](VmInstance& vm) { built_inodes = MemoryInodes(vm); };
  SimVmm dst(dst_options);
  auto received = Receive(dst, "unix:" + path);
  EXPECT_EQ(src.Status("PUT", "vm.send-migration",
                       json{{"destination_url", "unix:" + path}, {"local", true}}.dump()),
            204);
  EXPECT_EQ(received.get(), 204);
  EXPECT_EQ(built_inodes, source_inodes);
  EXPECT_EQ(src.ExitStatus(10s), std::optional<int>(0));
  EXPECT_EQ(dst.State(), "Running");
  EXPECT_TRUE(dst.CountsPast(dst.Count()));
  auto info = json::parse(dst.Body("GET", "vm.info"), nullptr, false);
  EXPECT_EQ(info["config"]["memory"]["shared"], true);
}

// local=on needs shared memory and a UNIX socket: refused before anything
// is sent, the source runs on; a plain migration of a shared=on VM works and
// arrives with shared memory again.
TEST(VmmMigrationSimTest, LocalNeedsSharedMemoryAndAUnixSocket) {
  SimVmm src;
  BootCounting(src);
  const std::string path = SocketPath("local-private");
  auto error = src.Body("PUT", "vm.send-migration",
                        json{{"destination_url", "unix:" + path}, {"local", true}}.dump());
  EXPECT_NE(error.find("shared=on"), std::string::npos) << error;
  EXPECT_EQ(src.State(), "Running");
  EXPECT_FALSE(src.HasEvent("vm/migration-started"));

  SimVmm shared_src;
  BootCounting(shared_src, /*shared_memory=*/true);
  error = shared_src.Body("PUT", "vm.send-migration",
                          json{{"destination_url", "tcp:127.0.0.1:1"}, {"local", true}}.dump());
  EXPECT_NE(error.find("unix:"), std::string::npos) << error;
  EXPECT_EQ(shared_src.State(), "Running");

  SimVmm dst;
  const std::string copy_path = SocketPath("shared-copy");
  auto received = Receive(dst, "unix:" + copy_path);
  EXPECT_EQ(shared_src.Status("PUT", "vm.send-migration",
                              json{{"destination_url", "unix:" + copy_path}}.dump()),
            204);
  EXPECT_EQ(received.get(), 204);
  const std::vector<ino_t> inodes = MemoryInodes(dst.vm());
  EXPECT_NE(inodes[0], static_cast<ino_t>(-1));  // memfds of its own
}

TEST(VmmMigrationSimTest, WrongStatesAndBadRequests) {
  SimVmm vmm;
  EXPECT_EQ(vmm.Status("PUT", "vm.send-migration", json{{"destination_url", "unix:/tmp/x"}}.dump()),
            500);  // no VM
  EXPECT_EQ(vmm.Status("PUT", "vm.send-migration", "{}"), 400);
  EXPECT_EQ(vmm.Status("PUT", "vm.send-migration", json{{"destination_url", "ftp:x"}}.dump()), 400);
  EXPECT_EQ(vmm.Status("PUT", "vm.receive-migration", json{{"receiver_url", "tcp:x"}}.dump()), 400);
  ASSERT_EQ(vmm.Status("PUT", "vm.create", CreateBody()), 204);
  // A VMM with a VM cannot receive one.
  EXPECT_EQ(vmm.Status("PUT", "vm.receive-migration",
                       json{{"receiver_url", "unix:" + SocketPath("busy")}}.dump()),
            500);
  EXPECT_EQ(vmm.Status("PUT", "vm.send-migration", json{{"destination_url", "unix:/tmp/x"}}.dump()),
            500);  // created, not running
}

}  // namespace
}  // namespace petrel::vmm
