// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// --vsock on a whole VmInstance on hv_sim (issue 15, item 1): the device is
// placed with its id and its host socket listening; a host program that
// connects is accepted while the guest has no driver (its CONNECT waits);
// the VM's teardown removes the socket; a second VM on a socket that
// exists is refused with the path named. (The device's protocol is tested
// in devices/virtio/vsock; a real guest in the nested test linux-vsock.)
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "devices/virtio/vsock/vsock_device.h"
#include "tests/vmm/sim_vm_fixture.h"
#include "vmm/vm_instance.h"

namespace petrel::vmm {
namespace {

std::string SocketPath() {
  return ::testing::TempDir() + "vm_vsock_" + std::to_string(::getpid()) + ".sock";
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

config::VmConfig VsockConfig(const std::string& socket) {
  config::VmConfig config = testing::NullGuestConfig();
  config.vsock = virtio::VsockConfig{.cid = 3, .socket = socket, .id = "_vsock0"};
  return config;
}

TEST(VmVsockSimTest, TheDeviceListensOnItsSocketAndTheVmRemovesIt) {
  const std::string socket = SocketPath();
  ::unlink(socket.c_str());
  {
    auto vm = VmInstance::Create(VsockConfig(socket), testing::SimFactory(),
                                 testing::CapturingOptions());
    ASSERT_TRUE(vm.ok()) << vm.error().message();
    bool placed = false;
    for (const auto& p : (*vm)->virtio().devices()) {
      if (p.name != "_vsock0") continue;
      placed = true;
      EXPECT_EQ(p.device->device().device_type(), virtio::kDeviceIdVsock);
    }
    EXPECT_TRUE(placed);
    ASSERT_TRUE(Exists(socket));
    // A host program connects (the listener accepts when the device runs).
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket.c_str(), sizeof addr.sun_path - 1);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::close(fd);

    // Another VM on the same socket: refused, naming it.
    auto second = VmInstance::Create(VsockConfig(socket), testing::SimFactory(),
                                     testing::CapturingOptions());
    ASSERT_FALSE(second.ok());
    EXPECT_NE(second.error().message().find(socket), std::string::npos)
        << second.error().message();
    EXPECT_TRUE(Exists(socket));  // the first VM's, untouched
  }
  EXPECT_FALSE(Exists(socket));
}

}  // namespace
}  // namespace petrel::vmm
