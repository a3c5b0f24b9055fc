// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Every thread confines itself, and no thread's list asks for more than
// the VMM thread's filter (which every thread inherits: filters stack, so a
// call the VMM list lacks would kill the VMM in that thread even though the
// thread's own list allows it).
#include "vmm/thread_syscalls.h"

#include <gtest/gtest.h>
#include <linux/kvm.h>
#include <sys/syscall.h>

#include <chrono>
#include <thread>

#include "core/event/epoll_event_loop.h"
#include "core/isolation/recording_sandbox.h"
#include "devices/block/io_engine.h"
#include "devices/net/tap.h"
#include "hv_kvm/kvm_thread_syscalls.h"
#include "hv_mshv/mshv_thread_syscalls.h"
#include "tests/vmm/sim_vm_fixture.h"
#include "vmm/console_output.h"
#include "vmm/vm_instance.h"

namespace petrel::vmm {
namespace {

void ExpectWithinVmmList(const isolation::SyscallRules& rules, const std::string& who) {
  const auto missing = rules.NotAllowedBy(VmmThreadSyscalls());
  EXPECT_TRUE(missing.empty()) << who << " needs what the VMM thread's filter refuses: "
                               << (missing.empty() ? "" : missing.front());
}

TEST(ThreadSyscallsTest, EveryThreadListFitsInsideTheVmmThreadsList) {
  using hv::ThreadKind;
  for (ThreadKind kind : {ThreadKind::kVmm, ThreadKind::kVcpu, ThreadKind::kDeviceWorker}) {
    ExpectWithinVmmList(kvm::KvmThreadSyscalls(kind), "KVM kind " + std::to_string(int(kind)));
    ExpectWithinVmmList(mshv::MshvThreadSyscalls(kind), "MSHV kind " + std::to_string(int(kind)));
  }
  ExpectWithinVmmList(EpollEventLoop::ThreadSyscalls(), "event loops");
  ExpectWithinVmmList(ConsoleOutputSyscalls(), "console output");
  ExpectWithinVmmList(BlockIoSyscalls(), "virtio-blk workers");
  ExpectWithinVmmList(net::TapWorkerSyscalls(), "virtio-net workers");
  ExpectWithinVmmList(ApiThreadSyscalls(), "the API thread");
  ExpectWithinVmmList(SignalThreadSyscalls(), "the signal thread");
}

TEST(ThreadSyscallsTest, GuestFacingListsStayNarrow) {
  // A vCPU may run its vCPU but not create VMs, open files or start threads.
  const auto vcpu = kvm::KvmThreadSyscalls(hv::ThreadKind::kVcpu);
  EXPECT_TRUE(vcpu.AllowsIoctl(KVM_RUN));
  EXPECT_FALSE(vcpu.AllowsIoctl(KVM_CREATE_VM));
  EXPECT_FALSE(vcpu.AllowsIoctl(KVM_SET_USER_MEMORY_REGION));
  EXPECT_FALSE(vcpu.AllowsSyscall(SYS_openat));
  EXPECT_FALSE(vcpu.AllowsSyscall(SYS_clone3));
  const auto worker = kvm::KvmThreadSyscalls(hv::ThreadKind::kDeviceWorker);
  EXPECT_FALSE(worker.AllowsIoctl(KVM_RUN));
  EXPECT_FALSE(net::TapWorkerSyscalls().AllowsSyscall(SYS_openat));
  EXPECT_FALSE(BlockIoSyscalls().AllowsSyscall(SYS_openat));
  EXPECT_FALSE(BlockIoSyscalls().AllowsSyscall(SYS_socket));
}

// A VM on hv_sim with real device worker threads: each worker confines its
// thread, under its own name, to its device's list (a disk's block I/O).
TEST(ThreadSyscallsTest, EachDeviceWorkerConfinesItselfToItsDevicesList) {
  testing::ScratchDisk image(1 << 20);
  ASSERT_TRUE(image.ok());
  isolation::RecordingSandbox sandbox;
  config::VmConfig config = testing::NullGuestConfig();
  virtio::DiskConfig disk;
  disk.path = image.path();
  config.disks.push_back(disk);
  VmOptions options = testing::CapturingOptions();
  options.sandbox = &sandbox;
  auto vm = VmInstance::Create(config, testing::SimFactory(), std::move(options));
  ASSERT_TRUE(vm.ok()) << vm.error().message();
  // The workers' threads confine themselves as they start.
  for (int i = 0; i < 500 && sandbox.confined().size() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(sandbox.Count("disk0-q0"), 1u);
  ASSERT_EQ(sandbox.Count("__rng-q0"), 1u);
  for (const auto& [role, rules] : sandbox.confined()) {
    ExpectWithinVmmList(rules, role);
    EXPECT_TRUE(rules.AllowsSyscall(SYS_epoll_pwait2)) << role;
    EXPECT_FALSE(rules.AllowsSyscall(SYS_openat)) << role;
    EXPECT_EQ(rules.AllowsSyscall(SYS_pwritev), role == "disk0-q0") << role;
  }
}

}  // namespace
}  // namespace petrel::vmm
