// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// api_bench: the control plane's speed, as an orchestrator sees it.
//
//   1. exec -> API ready: fork+exec `petrel --api-socket path=...` (an empty
//      VMM) and time until vmm.ping answers 200; beside it QEMU's equivalent,
//      `qemu-system-x86_64 -machine none -qmp unix:...` until the QMP greeting.
//   2. Round trips over the socket to that petrel: vmm.ping and vm.info (a
//      created VM), one connection per request as ch-remote does.
//   3. Pause and resume latency with 1, 2 and 4 vCPUs: the whole VMM (Vmm) in
//      process on hv_sim with counting guests, timing Vmm::PauseVm and
//      ResumeVm (the VMM's own work: parking vCPU threads, stopping device
//      workers, the VM clock; no KVM exit cost -- this host has no /dev/kvm).
//   4. Restore to the first guest instruction on hv_sim: a 1 GiB VM is
//      snapshotted once; each run, a fresh empty Vmm restores it with
//      resume=true (memory_restore_mode ondemand, then copy) and the clock
//      stops when the restored vCPU's counter first moves. This is the
//      VMM's own share of a restore (reading the files, mapping memory,
//      building devices, loading state, starting the vCPU) without the
//      hypervisor's ioctl costs; the nested-tier figure adds those.
//
//   api_bench --petrel PATH [--qemu PATH] [--runs N] [--requests N]
//
// Prints one table row per measurement: median, p99, min, max in
// microseconds. No assertion: docs/performance.md records the numbers.
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "hv_sim/guest_script.h"
#include "hv_sim/sim_hypervisor.h"
#include "hv_sim/sim_vm.h"
#include "vmm/api/api_client.h"
#include "vmm/config/vm_config_json.h"
#include "vmm/vmm.h"

namespace {

using Clock = std::chrono::steady_clock;

double Micros(Clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

void Report(const std::string& what, std::vector<double> us) {
  if (us.empty()) {
    std::printf("| %-44s | %8s | %8s | %8s | %8s | %5s |\n", what.c_str(), "-", "-", "-", "-", "0");
    return;
  }
  std::sort(us.begin(), us.end());
  auto at = [&](double q) { return us[std::min(us.size() - 1, size_t(q * double(us.size())))]; };
  std::printf("| %-44s | %8.1f | %8.1f | %8.1f | %8.1f | %5zu |\n", what.c_str(), at(0.5), at(0.99),
              us.front(), us.back(), us.size());
  std::fflush(stdout);
}

pid_t Spawn(const std::vector<std::string>& args) {
  std::fflush(stdout);  // or the child's freopen writes our buffer again
  pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    freopen("/dev/null", "r", stdin);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

// Connects to a UNIX socket; -1 until something listens.
int Connect(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) return fd;
  close(fd);
  return -1;
}

// Time from exec until `ready` says yes (polled every 100 us), or -1.
double TimeToReady(const std::vector<std::string>& args, const std::function<bool()>& ready,
                   pid_t* pid_out) {
  const auto start = Clock::now();
  *pid_out = Spawn(args);
  while (Clock::now() - start < std::chrono::seconds(10)) {
    if (ready()) return Micros(Clock::now() - start);
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return -1;
}

void Reap(pid_t pid) {
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
}

std::string TempDir() {
  char tmpl[] = "/tmp/petrel-api-bench-XXXXXX";
  return mkdtemp(tmpl);
}

void ExecToReady(const std::string& petrel, const std::string& qemu, int runs) {
  const std::string dir = TempDir();
  const std::string sock = dir + "/api.sock";
  std::vector<double> petrel_us, qemu_us;
  for (int i = 0; i < runs; ++i) {
    std::filesystem::remove(sock);
    pid_t pid = 0;
    double us = TimeToReady({petrel, "--api-socket", "path=" + sock}, [&] {
      auto r = petrel::api::SendApiRequest(sock, "GET", "vmm.ping", {}, 1000);
      return r.ok() && r->status == 200;
    }, &pid);
    if (us >= 0) petrel_us.push_back(us);
    Reap(pid);
  }
  Report("exec -> API ready: petrel (vmm.ping 200)", petrel_us);
  if (!qemu.empty() && access(qemu.c_str(), X_OK) == 0) {
    const std::string qmp = dir + "/qmp.sock";
    for (int i = 0; i < runs; ++i) {
      std::filesystem::remove(qmp);
      pid_t pid = 0;
      double us = TimeToReady({qemu, "-machine", "none", "-nodefaults", "-display", "none",
                               "-qmp", "unix:" + qmp + ",server=on,wait=off"},
                              [&] {
                                int fd = Connect(qmp);
                                if (fd < 0) return false;
                                char buf[256];
                                const bool greeted = read(fd, buf, sizeof buf) > 0;  // {"QMP": ...}
                                close(fd);
                                return greeted;
                              },
                              &pid);
      if (us >= 0) qemu_us.push_back(us);
      Reap(pid);
    }
    Report("exec -> API ready: QEMU -machine none (QMP greeting)", qemu_us);
  }
  std::filesystem::remove_all(dir);
}

void RoundTrips(const std::string& petrel, int requests) {
  const std::string dir = TempDir();
  const std::string sock = dir + "/api.sock";
  pid_t pid = 0;
  TimeToReady({petrel, "--api-socket", "path=" + sock}, [&] {
    auto r = petrel::api::SendApiRequest(sock, "GET", "vmm.ping", {}, 1000);
    return r.ok() && r->status == 200;
  }, &pid);
  auto created = petrel::api::SendApiRequest(
      sock, "PUT", "vm.create",
      R"({"payload":{"kernel":"/k","cmdline":"console=ttyS0"},"cpus":{"boot_vcpus":2,"max_vcpus":2},)"
      R"("disks":[{"path":"/d.img"}],"net":[{"tap":"tap0"}]})");
  if (!created.ok() || created->status != 204) std::fprintf(stderr, "api_bench: vm.create failed\n");
  for (const char* endpoint : {"vmm.ping", "vm.info"}) {
    std::vector<double> us;
    for (int i = 0; i < requests; ++i) {
      const auto start = Clock::now();
      auto r = petrel::api::SendApiRequest(sock, "GET", endpoint);
      if (r.ok() && r->status == 200) us.push_back(Micros(Clock::now() - start));
    }
    Report(std::string("round trip: ") + endpoint + " (connect, request, answer)", us);
  }
  Reap(pid);
  std::filesystem::remove_all(dir);
}

void PauseResume(const std::string& kernel, int runs) {
  using namespace petrel;
  for (uint32_t vcpus : {1u, 2u, 4u}) {
    vmm::VmmServices services;
    services.open_hypervisor = [] {
      return Result<std::unique_ptr<hv::Hypervisor>>(sim::MakeSimHypervisor());
    };
    services.vm_options = [](const config::VmConfig&) {
      vmm::VmOptions o;
      o.attach_input = false;
      return o;
    };
    services.on_vm_built = [](vmm::VmInstance& vm) {
      auto* sim = sim::AsSim(&vm.hv_vm());
      for (uint32_t i = 0; sim->SetScript(i, sim::ScriptBuilder().Count(0x80'0000 + 64 * i, UINT64_MAX).Build()).ok(); ++i) {
      }
    };
    vmm::Vmm vmm(std::move(services));
    std::thread vm_thread([&] { vmm.Run(); });
    const std::string body = std::string(R"({"payload":{"kernel":")") + kernel +
                             R"("},"memory":{"size":67108864},"serial":{"mode":"Null"},)" +
                             R"("console":{"mode":"Off"},"cpus":{"boot_vcpus":)" +
                             std::to_string(vcpus) + R"(,"max_vcpus":)" + std::to_string(vcpus) + "}}";
    std::vector<double> pause_us, resume_us;
    if (vmm.CreateVm(body).ok() && vmm.BootVm().ok()) {
      for (int i = 0; i < runs; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));  // let the guest run
        auto start = Clock::now();
        if (!vmm.PauseVm().ok()) break;
        pause_us.push_back(Micros(Clock::now() - start));
        start = Clock::now();
        if (!vmm.ResumeVm().ok()) break;
        resume_us.push_back(Micros(Clock::now() - start));
      }
    } else {
      std::fprintf(stderr, "api_bench: the hv_sim VM did not boot\n");
    }
    Report("vm.pause, " + std::to_string(vcpus) + " vCPU(s), hv_sim", pause_us);
    Report("vm.resume, " + std::to_string(vcpus) + " vCPU(s), hv_sim", resume_us);
    vmm.RequestExit(0);
    vm_thread.join();
  }
}

// The counting script every hv_sim VM in RestoreToFirstInstruction runs: a
// restored VM counts on from the snapshot's counter.
constexpr uint64_t kRestoreCounterGpa = 0x80'0000;

petrel::vmm::VmmServices CountingSimServices() {
  using namespace petrel;
  vmm::VmmServices services;
  services.open_hypervisor = [] {
    sim::SimConfig config;
    config.vcpu_scripts[0] = sim::ScriptBuilder().Count(kRestoreCounterGpa, UINT64_MAX).Build();
    return Result<std::unique_ptr<hv::Hypervisor>>(sim::MakeSimHypervisor(config));
  };
  services.vm_options = [](const config::VmConfig&) {
    vmm::VmOptions o;
    o.attach_input = false;
    return o;
  };
  return services;
}

void RestoreToFirstInstruction(const std::string& kernel, int runs) {
  using namespace petrel;
  const std::string dir = TempDir();
  const std::string snapshot = dir + "/snap";
  std::filesystem::create_directories(snapshot);
  {
    vmm::Vmm source(CountingSimServices());
    std::thread vm_thread([&] { source.Run(); });
    const std::string body = std::string(R"({"payload":{"kernel":")") + kernel +
                             R"("},"memory":{"size":1073741824},"serial":{"mode":"Null"},)"
                             R"("console":{"mode":"Off"}})";
    bool ok = source.CreateVm(body).ok() && source.BootVm().ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ok = ok && source.PauseVm().ok() &&
         source.SnapshotVm(R"({"destination_url":"file://)" + snapshot + R"("})").ok();
    if (!ok) std::fprintf(stderr, "api_bench: the 1 GiB hv_sim snapshot failed\n");
    source.RequestExit(0);
    vm_thread.join();
  }
  for (const char* mode : {"OnDemand", "Copy"}) {
    std::vector<double> us, restore_us;
    for (int i = 0; i < runs; ++i) {
      vmm::VmmServices services = CountingSimServices();
      std::atomic<vmm::VmInstance*> built{nullptr};
      services.on_vm_built = [&](vmm::VmInstance& vm) { built = &vm; };
      vmm::Vmm vmm(std::move(services));
      std::thread vm_thread([&] { vmm.Run(); });
      const std::string body = std::string(R"({"source_url":"file://)") + snapshot +
                               R"(","resume":true,"memory_restore_mode":")" + mode + R"("})";
      const auto start = Clock::now();
      auto restored = vmm.RestoreVm(body, {});
      if (!restored.ok()) {
        std::fprintf(stderr, "api_bench: restore (%s) failed: %s\n", mode,
                     restored.error().message().c_str());
      } else {
        restore_us.push_back(Micros(Clock::now() - start));
        // The counter read through the restored VM's memory; the first
        // change is the first guest instruction's effect.
        uint64_t first = 0;
        bool have_first = false;
        while (Clock::now() - start < std::chrono::seconds(5)) {
          vmm::VmInstance* vm = built.load();
          if (vm == nullptr) continue;
          std::this_thread::sleep_for(std::chrono::microseconds(20));  // leave the cores to the VMM
          auto value = vm->memory().LoadAtomic<uint64_t>(kRestoreCounterGpa);
          if (!value.ok()) break;
          if (!have_first) {
            first = *value;
            have_first = true;
          } else if (*value != first) {
            us.push_back(Micros(Clock::now() - start));
            break;
          }
        }
      }
      vmm.RequestExit(0);
      vm_thread.join();
    }
    Report(std::string("vm.restore 1 GiB (resume=true), ") + mode + ", hv_sim", restore_us);
    Report(std::string("restore 1 GiB -> first instruction, ") + mode + ", hv_sim", us);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  std::string petrel_path, qemu = "/usr/bin/qemu-system-x86_64";
  int runs = 20, requests = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--petrel") petrel_path = argv[i + 1];
    else if (flag == "--qemu") qemu = argv[i + 1];
    else if (flag == "--runs") runs = std::stoi(argv[i + 1]);
    else if (flag == "--requests") requests = std::stoi(argv[i + 1]);
  }
  if (petrel_path.empty()) {
    std::fprintf(stderr, "usage: api_bench --petrel PATH [--qemu PATH] [--runs N] [--requests N]\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  std::printf("| measurement | median us | p99 us | min us | max us | n |\n|---|---|---|---|---|---|\n");
  ExecToReady(petrel_path, qemu, runs);
  RoundTrips(petrel_path, requests);
  PauseResume(PETREL_NULL_GUEST_ELF, runs * 5);
  RestoreToFirstInstruction(PETREL_NULL_GUEST_ELF, runs);
  return 0;
}
