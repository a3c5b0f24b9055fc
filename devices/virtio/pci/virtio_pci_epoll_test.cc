// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VirtioPciDevice on the production path: an EpollEventLoop on its own
// thread, eventfd doorbells (the default notifier), and the test thread as a
// vCPU that polls device_status after a reset like Linux does.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/event/epoll_event_loop.h"
#include "devices/virtio/pci/virtio_pci_device.h"
#include "devices/virtio/pci/virtio_pci_test_util.h"

namespace petrel::virtio::testing {
namespace {

TEST(VirtioPciEpoll, RequestRoundTripOnALoopThread) {
  MonotonicClock clock;
  auto loop = std::move(EpollEventLoop::Create(clock).value());
  IoDispatcher io;
  auto hv = sim::MakeSimHypervisor();
  auto vm = *hv->CreateVm({});
  auto mem = *GuestMemory::CreateX86(4 << 20);
  auto dev = VirtioPciDevice::Create(std::make_shared<EchoDevice>(), mem, *loop, io, vm.get());
  ASSERT_TRUE(dev.ok()) << dev.error().message();
  std::thread loop_thread([&] { (void)loop->Run(); });

  PciGuest g(**dev);
  g.FindCaps();
  g.SetStatus(0);
  EXPECT_TRUE(WaitFor([&] { return g.Status() == 0; }));
  ASSERT_TRUE(g.Negotiate(~uint64_t{0}));
  g.EnableMsix(3);
  auto drv = *VirtqDriver::Create(mem, {.size = 16});
  g.SetupQueue(0, drv.QueueConfig(), 1);
  g.SetStatus(kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk | kStatusDriverOk);
  EXPECT_TRUE(WaitFor([&] { return (*dev)->active(); }));
  for (uint8_t i = 0; i < 20; ++i) {
    ASSERT_TRUE(drv.AddRequest({{i}}, {1}).ok());
    ASSERT_TRUE(drv.Kick().ok());
    g.Kick(0);
    std::optional<VirtqDriver::UsedElem> used;
    EXPECT_TRUE(WaitFor([&] {
      auto u = drv.PopUsed();
      if (u.ok() && u->has_value()) used = **u;
      return used.has_value();
    }));
    EXPECT_EQ(used ? used->len : 0u, 1u);
  }
  EXPECT_GE(sim::AsSim(vm.get())->DeliveredMsis().size(), 1u);
  g.SetStatus(0);
  EXPECT_TRUE(WaitFor([&] { return g.Status() == 0; }));
  loop->Stop();
  loop_thread.join();
  dev->reset();
}

}  // namespace
}  // namespace petrel::virtio::testing
