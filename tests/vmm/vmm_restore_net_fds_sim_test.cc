// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Restore with new tap fds (CH's net_fds) through the whole VMM on hv_sim.
// A VM whose net ran on a caller's tap fd is snapshotted and its VMM gone;
// vm.restore in a new VMM carries a fd of another tap (as SCM_RIGHTS would)
// and the restored device must run on that tap, not the old one. A net
// given by tap name is reopened by name. Bad net_fds are refused with one
// line, the VMM stays empty and usable, and every fd the request carried is
// closed. vm.add-net takes tap fds the same way. Needs /dev/net/tun and
// CAP_NET_ADMIN; skips, saying so, without.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "devices/net/caller_tap_test_util.h"
#include "tests/vmm/sim_vmm.h"
#include "vmm/config/vm_config_json.h"
#include "vmm/vmm.h"

namespace petrel::vmm {
namespace {

using net::testing::CountOpenFds;
using net::testing::OpenCallerTap;
using net::testing::TapNameOf;
using nlohmann::json;
using testing::ApiCall;
using testing::CreateBody;
using testing::SimVmm;

// How many of this process's fds are attached to tap `name` (fdinfo's iff).
int FdsOnTap(const std::string& name) {
  int n = 0;
  for (int fd = 0; fd < 4096; ++fd) {
    std::ifstream info("/proc/self/fdinfo/" + std::to_string(fd));
    if (!info) continue;
    std::stringstream text;
    text << info.rdbuf();
    if (text.str().find("iff:\t" + name + "\n") != std::string::npos) ++n;
  }
  return n;
}

std::vector<UniqueFd> Dups(std::initializer_list<int> fds) {
  std::vector<UniqueFd> out;
  for (int fd : fds) out.emplace_back(fcntl(fd, F_DUPFD_CLOEXEC, 3));
  return out;
}

class VmmRestoreNetFdsSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    old_tap_ = OpenCallerTap(why);
    if (!old_tap_.valid()) GTEST_SKIP() << "cannot create a tap: " << why;
    new_tap_ = OpenCallerTap(why);
    ASSERT_TRUE(new_tap_.valid()) << why;
    char tmpl[] = "/tmp/petrel-net-fds-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    by_name_ = "pnfd" + std::to_string(getpid() % 100000);
  }
  void TearDown() override {
    if (!dir_.empty()) (void)std::system(("rm -rf " + dir_).c_str());
  }
  std::string Url() const { return "file://" + dir_ + "/snap"; }

  // A paused VM with net1 on old_tap_'s fd and a net by tap name, snapshotted.
  void Snapshot() {
    SimVmm src;
    auto config = config::VmConfigFromJson(CreateBody());
    ASSERT_TRUE(config.ok()) << config.error().message();
    config->nets.push_back({.tap = by_name_, .id = "byname"});
    config->nets.push_back({.id = "net1", .fds = std::vector<int>{old_tap_.get()}});
    ASSERT_TRUE(src.vmm().Create(*config).ok());
    ASSERT_EQ(src.Status("PUT", "vm.boot"), 204);
    EXPECT_EQ(FdsOnTap(TapNameOf(old_tap_.get())), 2);  // ours and the device's dup
    ASSERT_EQ(src.Status("PUT", "vm.pause"), 204);
    ASSERT_EQ(src.Status("PUT", "vm.snapshot", json{{"destination_url", Url()}}.dump()), 204);
  }

  std::string RestoreBody(const json& net_fds) const {
    return json{{"source_url", Url()}, {"net_fds", net_fds}}.dump();
  }

  UniqueFd old_tap_, new_tap_;
  std::string dir_, by_name_;
};

TEST_F(VmmRestoreNetFdsSimTest, RestoredNetRunsOnTheNewTapFds) {
  Snapshot();
  const std::string old_name = TapNameOf(old_tap_.get());
  const std::string new_name = TapNameOf(new_tap_.get());
  ASSERT_EQ(FdsOnTap(old_name), 1);  // the source VMM is gone
  const int fds_before = CountOpenFds();
  {
    SimVmm dst;
    const int fds_of_dst = CountOpenFds();
    const auto response =
        ApiCall(dst.vmm(), "PUT", "vm.restore",
                RestoreBody(json::array({{{"id", "net1"}, {"num_fds", 1}}})),
                Dups({new_tap_.get()}));
    ASSERT_EQ(response.status, 204) << response.body;
    EXPECT_EQ(dst.State(), "Paused");
    // Ours, the one the VMM received and keeps, and the device's dup.
    EXPECT_EQ(FdsOnTap(new_name), 3);
    EXPECT_EQ(FdsOnTap(old_name), 1);  // only ours: the old fd is not used
    EXPECT_EQ(FdsOnTap(by_name_), 1);  // the tap-name net reopened its tap
    json info = json::parse(dst.vmm().VmInfoJson().value());
    EXPECT_EQ(info["config"]["net"][1]["id"], "net1");
    EXPECT_NE(info["config"]["net"][1]["fds"][0], -1);
    EXPECT_EQ(dst.Status("PUT", "vm.resume"), 204);
    EXPECT_TRUE(dst.CountsPast(dst.Count()));
    // A reboot builds the device again from the kept fd.
    EXPECT_EQ(dst.Status("PUT", "vm.reboot"), 204);
    EXPECT_EQ(FdsOnTap(new_name), 3);
    EXPECT_EQ(dst.Status("PUT", "vm.delete"), 204);
    EXPECT_EQ(FdsOnTap(new_name), 1);  // delete closed what the VMM held
    EXPECT_EQ(CountOpenFds(), fds_of_dst);
  }
  EXPECT_EQ(CountOpenFds(), fds_before);
}

// vm.add-net with tap fds (ch-remote add-net fd=[...]): the request's fds
// replace the body's numbers, the hot-plugged device runs on a dup, the
// VMM keeps the received fd while the net is configured and closes it on
// vm.remove-device; a body naming fds without carrying any is refused.
TEST_F(VmmRestoreNetFdsSimTest, AddNetTakesTheTapFdsTheRequestCarried) {
  const std::string tap = TapNameOf(new_tap_.get());
  const int fds_before = CountOpenFds();
  {
    SimVmm vmm;
    ASSERT_EQ(vmm.Status("PUT", "vm.create", CreateBody()), 204);
    ASSERT_EQ(vmm.Status("PUT", "vm.boot"), 204);
    const auto added = ApiCall(vmm.vmm(), "PUT", "vm.add-net", R"({"id":"hpnet","fds":[7]})",
                               Dups({new_tap_.get()}));
    ASSERT_EQ(added.status, 200) << added.body;
    EXPECT_EQ(json::parse(added.body)["id"], "hpnet");
    // Ours, the one the VMM received and keeps, and the device's dup.
    EXPECT_EQ(FdsOnTap(tap), 3);
    json info = json::parse(vmm.vmm().VmInfoJson().value());
    EXPECT_NE(info["config"]["net"][0]["fds"][0], 7);
    ASSERT_EQ(vmm.Status("PUT", "vm.remove-device", R"({"id":"hpnet"})"), 204);
    EXPECT_EQ(FdsOnTap(tap), 2);  // the VMM's copy is closed; the device waits for the eject
    // The body's numbers alone are another process's fds.
    EXPECT_GE(vmm.Status("PUT", "vm.add-net", R"({"id":"stale","fds":[7]})"), 400);
  }
  EXPECT_EQ(FdsOnTap(tap), 1);
  EXPECT_EQ(CountOpenFds(), fds_before);
}

TEST_F(VmmRestoreNetFdsSimTest, BadNetFdsAreRefusedChangeNothingAndLeakNoFd) {
  Snapshot();
  SimVmm dst;
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  UniqueFd pipe_read(pipe_fds[0]), pipe_write(pipe_fds[1]);
  const int fds_before = CountOpenFds();
  struct Case {
    json net_fds;
    std::vector<int> send;
    int status;
    std::string error;
  };
  const json one = json::array({{{"id", "net1"}, {"num_fds", 1}}});
  for (const Case& c : std::vector<Case>{
           {one, {}, 400, "net_fds want 1 fds, the request carried 0"},
           {one, {new_tap_.get(), new_tap_.get()}, 400, "net_fds want 1 fds, the request carried 2"},
           {json::array({{{"id", "net1"}, {"num_fds", 2}}}), {new_tap_.get(), new_tap_.get()}, 400,
            "net_fds: net1: 2 fd(s) given, the snapshot's net has 1"},
           {json::array({{{"id", "net1"}, {"num_fds", 1}}, {{"id", "nope"}, {"num_fds", 1}}}),
            {new_tap_.get(), new_tap_.get()}, 400, "net_fds: nope: no such net in the snapshot"},
           {json::array(), {}, 400, "net_fds: net 'net1' was backed by tap fds"},
           {one, {pipe_read.get()}, 500, "not a tap (TUNGETIFF failed)"},
       }) {
    std::vector<UniqueFd> fds;
    for (int fd : c.send) fds.emplace_back(fcntl(fd, F_DUPFD_CLOEXEC, 3));
    const auto r = ApiCall(dst.vmm(), "PUT", "vm.restore", RestoreBody(c.net_fds), std::move(fds));
    EXPECT_EQ(r.status, c.status) << c.net_fds.dump() << ": " << r.body;
    EXPECT_NE(r.body.find(c.error), std::string::npos) << r.body;
    EXPECT_EQ(dst.vmm().state(), VmmState::kNone) << c.net_fds.dump();
    EXPECT_EQ(CountOpenFds(), fds_before) << c.net_fds.dump();
  }
  // After all that, the right request restores.
  const auto r = ApiCall(dst.vmm(), "PUT", "vm.restore", RestoreBody(one), Dups({new_tap_.get()}));
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(dst.State(), "Paused");
}

// fds that come with a request which does not take them are closed.
TEST_F(VmmRestoreNetFdsSimTest, FdsWithOtherRequestsAreClosed) {
  SimVmm vmm;
  const int fds_before = CountOpenFds();
  EXPECT_EQ(ApiCall(vmm.vmm(), "GET", "vmm.ping", "", Dups({new_tap_.get()})).status, 200);
  EXPECT_EQ(ApiCall(vmm.vmm(), "PUT", "vm.create", CreateBody(), Dups({new_tap_.get()})).status,
            204);
  EXPECT_EQ(CountOpenFds(), fds_before);
}

}  // namespace
}  // namespace petrel::vmm
