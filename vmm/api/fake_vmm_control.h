// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// FakeVmmControl: a VmmControl for tests and the fuzzer. Counts calls and
// fails (an Error) or throws (a std::runtime_error, as a buggy VMM might) on
// request. Calls come from the loop thread; tests read the counters
// from theirs, hence atomics.
#pragma once

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "vmm/api/vmm_control.h"

namespace petrel::api {

class FakeVmmControl final : public VmmControl {
 public:
  Result<void> CreateVm(std::string_view config_json) override {
    return Record(config_json, create_vm);
  }
  Result<void> BootVm() override { return Count(boot_vm); }
  Result<void> PauseVm() override { return Count(pause_vm); }
  Result<void> ResumeVm() override { return Count(resume_vm); }
  Result<void> PowerButton() override { return Count(power_button); }
  Result<void> Nmi() override { return Count(nmi); }
  Result<void> ShutdownVm() override { return Count(shutdown_vm); }
  Result<void> RebootVm() override { return Count(reboot_vm); }
  Result<void> DeleteVm() override { return Count(delete_vm); }
  Result<void> ShutdownVmm() override { return Count(shutdown_vmm); }
  Result<void> SnapshotVm(std::string_view body) override { return Record(body, snapshot_vm); }
  Result<void> RestoreVm(std::string_view body, std::vector<UniqueFd> fds) override {
    {
      std::lock_guard lock(mu_);
      last_config_ = std::string(body);
      last_fds_ = std::move(fds);
    }
    return Count(restore_vm);
  }
  Result<void> ResizeVm(std::string_view body) override { return Record(body, resize_vm); }
  Result<void> ResizeDiskVm(std::string_view body) override { return Record(body, resize_disk_vm); }
  Result<void> ResizeZoneVm(std::string_view body) override { return Record(body, resize_zone_vm); }
  Result<std::string> AddDiskVm(std::string_view body) override {
    PETREL_TRY(Record(body, add_disk_vm));
    return added_json;
  }
  Result<std::string> AddNetVm(std::string_view body, std::vector<UniqueFd> fds) override {
    {
      std::lock_guard lock(mu_);
      last_fds_ = std::move(fds);
    }
    PETREL_TRY(Record(body, add_net_vm));
    return added_json;
  }
  Result<std::string> AddPmemVm(std::string_view body) override {
    PETREL_TRY(Record(body, add_pmem_vm));
    return added_json;
  }
  Result<std::string> AddVsockVm(std::string_view body) override {
    PETREL_TRY(Record(body, add_vsock_vm));
    return added_json;
  }
  Result<void> RemoveDeviceVm(std::string_view body) override {
    return Record(body, remove_device_vm);
  }
  Result<void> SendMigration(std::string_view body) override { return Record(body, send_migration); }
  Result<void> ReceiveMigration(std::string_view body) override { return Record(body, receive_migration); }
  Result<std::string> VmInfoJson() override {
    ++vm_info;
    if (throw_exception.load()) throw std::runtime_error("injected exception");
    if (fail.load()) return Error(error_code, "injected failure");
    return info_json;
  }
  Result<std::string> VmCountersJson() override {
    ++vm_counters;
    if (throw_exception.load()) throw std::runtime_error("injected exception");
    if (fail.load()) return Error(error_code, "injected failure");
    return counters_json;
  }
  // The fds the last vm.restore carried, kept open (still the fake's).
  std::vector<int> last_fds() const {
    std::lock_guard lock(mu_);
    std::vector<int> fds;
    for (const UniqueFd& fd : last_fds_) fds.push_back(fd.get());
    return fds;
  }
  // The body of the last request that had one.
  std::string last_config() const {
    std::lock_guard lock(mu_);
    return last_config_;
  }

  std::atomic<int> create_vm{0}, boot_vm{0}, pause_vm{0}, resume_vm{0}, power_button{0}, nmi{0},
      shutdown_vm{0}, reboot_vm{0}, delete_vm{0}, shutdown_vmm{0}, vm_info{0}, vm_counters{0},
      snapshot_vm{0}, restore_vm{0}, send_migration{0}, receive_migration{0}, resize_vm{0},
      resize_disk_vm{0}, resize_zone_vm{0}, add_disk_vm{0}, add_net_vm{0}, add_pmem_vm{0}, add_vsock_vm{0},
      remove_device_vm{0};
  std::atomic<bool> fail{false};
  std::atomic<bool> throw_exception{false};
  ErrorCode error_code = ErrorCode::kInternal;  // set before requests start
  std::string info_json = R"({"config":{"cpus":{"boot_vcpus":1,"max_vcpus":1}},"state":"Running",)"
                          R"("memory_actual_size":536870912})";
  // vm.add-disk's and vm.add-net's answer (empty: 204, as for a VM not booted).
  std::string added_json = R"({"id":"_disk1","bdf":"0000:00:06.0"})";
  std::string counters_json = R"({"_disk0":{"read_bytes":512,"read_ops":1}})";

 private:
  // Keeps `body` as last_config() and counts the call.
  Result<void> Record(std::string_view body, std::atomic<int>& counter) {
    {
      std::lock_guard lock(mu_);
      last_config_ = std::string(body);
    }
    return Count(counter);
  }
  Result<void> Count(std::atomic<int>& counter) {
    ++counter;
    if (throw_exception.load()) throw std::runtime_error("injected exception");
    if (fail.load()) return Error(error_code, "injected failure");
    return Ok();
  }
  mutable std::mutex mu_;
  std::vector<UniqueFd> last_fds_;
  std::string last_config_;
};

}  // namespace petrel::api
