// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Vmm's live-migration doors, vm.send-migration and vm.receive-migration
// (docs/live-migration.md): the protocol drivers of vmm/migration/ run
// against two adapters -- VmMigrationSource (vm_migration_source.h, which
// also defines the payloads), the running VM being sent, and
// Vmm::ReceiveTarget, the empty VMM that becomes the VM.
//
// Both requests block the API until the migration ended, as CH's receive
// does; the VMM's mutex is held meanwhile (other API calls wait), except
// while the receiver waits for its sender to connect.
#include <map>
#include <nlohmann/json.hpp>

#include "core/base/log.h"
#include "vmm/config/migration_config.h"
#include "vmm/config/vm_config_json.h"
#include "vmm/guest_ram.h"
#include "vmm/migration/receiver.h"
#include "vmm/migration/sender.h"
#include "vmm/migration/url.h"
#include "vmm/snapshot/snapshot_files.h"
#include "vmm/vm_migration_source.h"
#include "vmm/vmm.h"

namespace petrel::vmm {
namespace {

using nlohmann::json;

std::string Text(std::span<const uint8_t> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

}  // namespace

// The empty VMM becoming the migrated VM. The VMM's mutex is held
// throughout (`lock`).
class Vmm::ReceiveTarget final : public migration::MigrationTarget {
 public:
  ReceiveTarget(Vmm& vmm, std::unique_lock<std::mutex>& lock) : vmm_(vmm), lock_(lock) {}

  // Local migration: slot i's memfd (guest memory region i), mapped at
  // Configure. x86 has at most two slots (below and above the 32-bit hole).
  Result<void> TakeMemoryFd(uint32_t slot, UniqueFd fd) override {
    constexpr uint32_t kMaxSlots = 2;
    if (slot >= kMaxSlots) {
      return Error(ErrorCode::kInvalidArgument, "memory fd for slot " + std::to_string(slot) +
                                                    " (x86 guest memory has 2 slots)");
    }
    if (memory_fds_.count(slot) != 0) {
      return Error(ErrorCode::kInvalidArgument,
                   "a second memory fd for slot " + std::to_string(slot));
    }
    memory_fds_.emplace(slot, std::move(fd));
    return Ok();
  }

  Result<void> Configure(std::span<const uint8_t> payload) override {
    json doc = json::parse(Text(payload), nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) return Error(ErrorCode::kMalformed, "the config is not a JSON object");
    auto version = doc.find("petrel_migration");
    if (version == doc.end() || !version->is_number_unsigned() ||
        version->get<uint64_t>() != kMigrationConfigVersion) {
      return Error(ErrorCode::kUnsupported,
                   "not a Petrel migration config of version " +
                       std::to_string(kMigrationConfigVersion));
    }
    auto vm_config = doc.find("vm_config");
    if (vm_config == doc.end()) return Error(ErrorCode::kMalformed, "no vm_config");
    PETREL_ASSIGN_OR_RETURN(config::VmConfig config, config::VmConfigFromJson(vm_config->dump()));
    if (memory_fds_.empty()) {
      PETREL_ASSIGN_OR_RETURN(memory_, CreateGuestRam(config.memory));
    } else {
      PETREL_ASSIGN_OR_RETURN(memory_, MapMemoryFds(config));
    }
    config_ = std::move(config);
    return Ok();
  }

  // The source's memfds as this VM's memory: the same pages, nothing copied.
  Result<std::shared_ptr<GuestMemory>> MapMemoryFds(const config::VmConfig& config) {
    if (!config.memory.memfds()) {
      return Error(ErrorCode::kInvalidArgument,
                   "memory fds were sent for a VM without shared=on or hugepages=on memory");
    }
    PETREL_ASSIGN_OR_RETURN(auto memory,
                            GuestMemory::CreateX86(ZoneExtents(config.memory), [this](size_t slot,
                                                                               uint64_t size)
                                                       -> Result<std::shared_ptr<HostRegion>> {
                              auto it = memory_fds_.find(static_cast<uint32_t>(slot));
                              if (it == memory_fds_.end()) {
                                return Error(ErrorCode::kInvalidArgument,
                                             "no memory fd was sent for slot " +
                                                 std::to_string(slot));
                              }
                              UniqueFd fd = std::move(it->second);
                              memory_fds_.erase(it);
                              return HostRegion::MapShared(std::move(fd), size);
                            }));
    if (!memory_fds_.empty()) {
      return Error(ErrorCode::kInvalidArgument,
                   "a memory fd for slot " + std::to_string(memory_fds_.begin()->first) +
                       ", which this VM's memory does not have");
    }
    return memory;
  }

  Result<void> WriteMemory(uint64_t gpa, std::span<const uint8_t> bytes) override {
    if (memory_ == nullptr) return Error(ErrorCode::kFailedPrecondition, "memory before config");
    return memory_->Write(gpa, bytes);
  }

  Result<void> Restore(std::span<const uint8_t> payload) override {
    if (!config_ || memory_ == nullptr) {
      return Error(ErrorCode::kFailedPrecondition, "state before config");
    }
    json doc = json::parse(Text(payload), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return Error(ErrorCode::kMalformed, "the state is not valid JSON");
    PETREL_ASSIGN_OR_RETURN(snapshot::DecodedState decoded, snapshot::SnapshotStateFromJson(doc));
    if (decoded.ranges != MemoryRangesOf(*memory_)) {
      return Error(ErrorCode::kInvalidArgument,
                   "the state's memory ranges differ from the config's guest memory");
    }
    return vmm_.BuildRestoredVm(lock_, std::move(*config_),
                                PendingRestore{std::move(decoded.state), std::move(memory_)});
  }

  Result<void> Complete(bool resume) override {
    if (vmm_.vm_ == nullptr) return Error(ErrorCode::kFailedPrecondition, "no VM was restored");
    if (resume) PETREL_TRY(vmm_.ResumeLocked());
    return Ok();
  }

  void Abandon() override {
    memory_fds_.clear();
    config_.reset();
    memory_.reset();
    vmm_.DropVm(lock_);
  }

 private:
  Vmm& vmm_;
  std::unique_lock<std::mutex>& lock_;
  std::optional<config::VmConfig> config_;
  std::shared_ptr<GuestMemory> memory_;
  std::map<uint32_t, UniqueFd> memory_fds_;
};

Result<void> Vmm::SendMigration(std::string_view body_json) {
  PETREL_ASSIGN_OR_RETURN(config::SendMigrationConfig request,
                          config::SendMigrationConfigFromJson(body_json));
  return SendMigration(request);
}

Result<void> Vmm::ReceiveMigration(std::string_view body_json) {
  PETREL_ASSIGN_OR_RETURN(config::ReceiveMigrationConfig request,
                          config::ReceiveMigrationConfigFromJson(body_json));
  return ReceiveMigration(request);
}

Result<void> Vmm::SendMigration(const config::SendMigrationConfig& request) {
  PETREL_ASSIGN_OR_RETURN(migration::MigrationUrl url,
                          migration::ParseMigrationUrl(request.destination_url));
  std::unique_lock lock(mu_);
  if (vm_ == nullptr || (state_ != VmmState::kRunning && state_ != VmmState::kPaused)) {
    return WrongState("cannot migrate", state_);
  }
  if (request.local && url.kind != migration::MigrationUrl::Kind::kUnix) {
    return Error(ErrorCode::kInvalidArgument,
                 "local=on passes the memory fds over a UNIX socket: the destination_url must "
                 "be unix:<path>");
  }
  if (request.local && !config_->memory.memfds()) {
    return Error(ErrorCode::kFailedPrecondition,
                 "local=on hands the guest memory over, which needs it shared: create the VM "
                 "with --memory shared=on (or hugepages=on)");
  }
  Emit("vm", "migration-started");
  auto failed = [this](Error error) {
    Emit("vm", "migration-failed");
    PETREL_LOG(kError) << "migration failed: " << error.message();
    return error;
  };
  Result<UniqueFd> fd = migration::ConnectMigration(url);
  if (!fd.ok()) return failed(std::move(fd).error());
  migration::FdStream stream(fd->get());
  migration::MigrationChannel channel(stream);
  VmMigrationSource source(*vm_, *config_, state_ == VmmState::kPaused,
                           /*release_disks=*/!request.preserve_source);
  migration::SendOptions options;
  options.local = request.local;
  options.downtime = request.downtime;
  options.timeout = request.timeout;
  options.timeout_strategy = request.timeout_strategy == config::MigrationTimeoutStrategy::kIgnore
                                 ? migration::TimeoutStrategy::kIgnore
                                 : migration::TimeoutStrategy::kCancel;
  MonotonicClock clock;
  Result<migration::SendReport> report = migration::SendMigration(channel, source, options, clock);
  if (!report.ok()) {
    // The VM stays here: its disks are this VMM's again (a no-op unless the
    // state had gone out; VmMigrationSource::Resume does it for a VM the
    // migration paused).
    if (auto locked = vm_->LockDisks(); !locked.ok()) {
      PETREL_LOG(kError) << "disks not locked again: " << locked.error().message();
    }
    return failed(std::move(report).error());
  }
  PETREL_LOG(kInfo) << "migration complete: " << report->memory_bytes << " bytes of memory in "
                    << report->dirty_rounds + 1 << " rounds, "
                    << report->total_ns / 1'000'000 << " ms, downtime "
                    << report->downtime_ns / 1'000'000 << " ms (aimed for "
                    << request.downtime.count() << " ms)";
  state_ = VmmState::kPaused;
  Emit("vm", "migration-finished");
  if (!request.preserve_source) {
    // The VM lives on at the destination: this VMM shuts it down and exits,
    // as CH's does.
    if (!exit_status_) exit_status_ = 0;
    vm_->RequestStop({StopReason::Kind::kShutdown, "migrated to " + request.destination_url});
    changed_.notify_all();
  }
  return Ok();
}

Result<void> Vmm::ReceiveMigration(const config::ReceiveMigrationConfig& request) {
  PETREL_ASSIGN_OR_RETURN(migration::MigrationUrl url,
                          migration::ParseMigrationUrl(request.receiver_url));
  std::unique_lock lock(mu_);
  if (config_ || receiving_) {
    return WrongState("cannot receive a migration: a VM is already created", state_);
  }
  PETREL_ASSIGN_OR_RETURN(migration::MigrationListener listener,
                          migration::MigrationListener::Listen(url));
  receiving_ = true;
  Emit("vm", "migration-receive-ready");
  // Wait for the sender without holding the VMM: vm.info, vmm.shutdown and
  // signals are still served.
  Result<UniqueFd> connection = Error(ErrorCode::kBusy, "");
  while (!exit_status_) {
    lock.unlock();
    connection = listener.Accept(std::chrono::milliseconds(200));
    lock.lock();
    if (connection.ok() || connection.error().code() != ErrorCode::kBusy) break;
  }
  receiving_ = false;
  if (exit_status_) return Error(ErrorCode::kFailedPrecondition, "the VMM is shutting down");
  if (!connection.ok()) return std::move(connection).error().Wrap("accepting the migration");
  if (config_) {
    return WrongState("cannot receive a migration: a VM was created meanwhile", state_);
  }
  Emit("vm", "migration-receive-started");
  migration::FdStream stream(connection->get());
  migration::MigrationChannel channel(stream);
  ReceiveTarget target(*this, lock);
  Result<void> received = migration::ReceiveMigration(channel, target);
  if (!received.ok()) {
    Emit("vm", "migration-receive-failed");
    PETREL_LOG(kError) << "receiving the migration failed: " << received.error().message();
    return received;
  }
  Emit("vm", "migration-receive-finished");
  return Ok();
}

}  // namespace petrel::vmm
