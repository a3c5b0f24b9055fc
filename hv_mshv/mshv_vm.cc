// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// MshvVm and its ioevent registrations (see mshv_vm.h).
#include "hv_mshv/mshv_vm.h"

#include "core/base/log.h"
#include "hv_mshv/mshv_vcpu.h"

namespace petrel::mshv {
namespace {

class MshvIoEventRegistration final : public hv::IoEventRegistration {
 public:
  MshvIoEventRegistration(std::shared_ptr<MshvPartition> partition,
                          std::shared_ptr<Notifier> notifier, const MshvUserIoeventfd& args)
      : partition_(std::move(partition)), notifier_(std::move(notifier)), args_(args) {}
  ~MshvIoEventRegistration() override {
    // Deassign with the same fields plus DEASSIGN (as KVM_IOEVENTFD).
    MshvUserIoeventfd args = args_;
    args.flags |= kIoeventfdDeassign;
    auto r = MshvIoctl(partition_->driver(), partition_->fd(), kMshvIoeventfd,
                       "MSHV_IOEVENTFD(deassign)", &args);
    if (!r.ok()) {
      PETREL_LOG(kError) << r.error().message();
    }
  }

 private:
  std::shared_ptr<MshvPartition> partition_;
  std::shared_ptr<Notifier> notifier_;  // keeps the eventfd open while assigned
  MshvUserIoeventfd args_;
};

}  // namespace

MshvVm::MshvVm(std::shared_ptr<MshvPartition> partition, const hv::VmConfig& config,
               const hv::Caps& caps)
    : partition_(std::move(partition)),
      config_(config),
      caps_(caps),
      irq_routing_(std::make_shared<MshvIrqRouting>(partition_->shared_driver(),
                                                    partition_->shared_fd())) {}

MshvVm::~MshvVm() {
  std::lock_guard lock(mu_);
  if (!memory_) return;
  auto r = SetRegions(*memory_, kSetMemUnmap);
  if (!r.ok()) {
    PETREL_LOG(kError) << "unmapping guest memory: " << r.error().message();
  }
}

Result<std::shared_ptr<MshvVm>> MshvVm::Create(std::shared_ptr<MshvDriver> driver, int mshv_fd,
                                               const hv::VmConfig& config, const hv::Caps& caps) {
  MshvCreatePartition args{};
  args.pt_flags = kPtFlagLapic | kPtFlagX2apic;
  args.pt_isolation = kPtIsolationNone;
  PETREL_ASSIGN_OR_RETURN(int fd, MshvIoctl(*driver, mshv_fd, kMshvCreatePartition,
                                            "MSHV_CREATE_PARTITION", &args));
  auto partition = std::make_shared<MshvPartition>(std::move(driver), UniqueFd(fd));
  PETREL_TRY(MshvIoctl(partition->driver(), partition->fd(), kMshvInitializePartition,
                       "MSHV_INITIALIZE_PARTITION", nullptr));
  PETREL_TRY(partition->SetProperty(kPropUnimplementedMsrAction,
                                    kUnimplementedMsrActionIgnoreWriteReadZero));
  PETREL_TRY(partition->SetProperty(kPropTimeFreeze, 1));
  return std::shared_ptr<MshvVm>(new MshvVm(std::move(partition), config, caps));
}

Result<void> MshvVm::SetRegion(uint64_t gpa, uint64_t size, void* host, uint8_t flags) {
  MshvUserMemRegion region{};
  region.size = size;
  region.guest_pfn = gpa / kHvPageSize;
  region.userspace_addr = reinterpret_cast<uintptr_t>(host);
  region.flags = flags;
  PETREL_TRY(MshvIoctl(partition_->driver(), partition_->fd(), kMshvSetGuestMemory,
                       "MSHV_SET_GUEST_MEMORY", &region));
  return Ok();
}

Result<void> MshvVm::SetRegions(const GuestMemory& memory, uint8_t flags) {
  const auto& regions = memory.regions();
  for (size_t i = 0; i < regions.size(); ++i) {
    const GuestRegion& r = regions[i];
    PETREL_TRY(SetRegion(r.gpa, r.size, r.host->data(), flags)
                   .Wrap("memory region " + std::to_string(i)));
  }
  return Ok();
}

Result<uint32_t> MshvVm::MapDeviceMemory(uint64_t gpa, uint64_t size, void* host) {
  const auto hva = reinterpret_cast<uintptr_t>(host);
  if (size == 0 || gpa % kHvPageSize || size % kHvPageSize || hva % kHvPageSize ||
      gpa + size < gpa) {
    return Error(ErrorCode::kInvalidArgument, "device memory is not page aligned");
  }
  std::lock_guard lock(mu_);
  if (memory_) {
    for (const GuestRegion& r : memory_->regions()) {
      if (gpa < r.end() && r.gpa < gpa + size) {
        return Error(ErrorCode::kInvalidArgument, "device memory overlaps guest RAM");
      }
    }
  }
  for (const auto& [id, m] : device_regions_) {
    if (gpa < m.gpa + m.size && m.gpa < gpa + size) {
      return Error(ErrorCode::kInvalidArgument, "device memory overlaps region " + std::to_string(id));
    }
  }
  PETREL_TRY(SetRegion(gpa, size, host, kSetMemWritable | kSetMemExecutable).Wrap("device memory"));
  const uint32_t id = next_device_region_++;
  device_regions_[id] = {gpa, size, host};
  return id;
}

Result<void> MshvVm::UnmapDeviceMemory(uint32_t id) {
  std::lock_guard lock(mu_);
  auto it = device_regions_.find(id);
  if (it == device_regions_.end()) {
    return Error(ErrorCode::kNotFound, "no device memory region " + std::to_string(id));
  }
  PETREL_TRY(SetRegion(it->second.gpa, it->second.size, it->second.host, kSetMemUnmap)
                 .Wrap("unmapping device memory"));
  device_regions_.erase(it);
  return Ok();
}

Result<void> MshvVm::MapMemory(std::shared_ptr<GuestMemory> memory) {
  if (!memory) return Error(ErrorCode::kInvalidArgument, "MapMemory: no memory");
  std::lock_guard lock(mu_);
  if (memory_) return Error(ErrorCode::kInvalidArgument, "MapMemory called twice");
  const auto& regions = memory->regions();
  for (size_t i = 0; i < regions.size(); ++i) {
    const GuestRegion& r = regions[i];
    const auto hva = reinterpret_cast<uintptr_t>(r.host->data());
    if (r.gpa % kHvPageSize || r.size % kHvPageSize || hva % kHvPageSize ||
        r.size > r.host->size()) {
      return Error(ErrorCode::kInvalidArgument, "memory region " + std::to_string(i) +
                                                    " is not page aligned or exceeds its mapping");
    }
  }
  auto mapped = SetRegions(*memory, kSetMemWritable | kSetMemExecutable);
  if (!mapped.ok()) {
    (void)SetRegions(*memory, kSetMemUnmap);  // best effort for the ones that went in
    return mapped;
  }
  partition_->SetMemory(memory);
  memory_ = std::move(memory);
  return Ok();
}

Result<std::unique_ptr<hv::Vcpu>> MshvVm::CreateVcpu(uint32_t id) {
  if (id >= config_.vcpus) {
    return Error(ErrorCode::kInvalidArgument, "vcpu id " + std::to_string(id) + " >= configured " +
                                                  std::to_string(config_.vcpus));
  }
  PETREL_ASSIGN_OR_RETURN(auto vcpu, MshvVcpu::Create(partition_, id));
  return std::unique_ptr<hv::Vcpu>(std::move(vcpu));
}

Result<std::shared_ptr<hv::InterruptLine>> MshvVm::LegacyInterrupt(uint32_t /*pin*/) {
  return Error(ErrorCode::kUnsupported,
               "MSHV has no IOAPIC of its own: legacy pins are the VMM's IOAPIC's");
}

Result<std::shared_ptr<hv::MsiInterrupt>> MshvVm::CreateMsiInterrupt() {
  return irq_routing_->CreateMsi();
}

Result<std::unique_ptr<hv::IoEventRegistration>> MshvVm::RegisterIoEvent(
    std::shared_ptr<Notifier> notifier, hv::IoEventAddr addr, std::optional<uint64_t> datamatch) {
  if (!notifier) return Error(ErrorCode::kInvalidArgument, "ioevent without a notifier");
  if (addr.len != 0 && addr.len != 1 && addr.len != 2 && addr.len != 4 && addr.len != 8) {
    return Error(ErrorCode::kInvalidArgument, "ioevent length must be 0, 1, 2, 4 or 8");
  }
  if (addr.addr + addr.len < addr.addr) return Error(ErrorCode::kOutOfRange, "ioevent wraps");
  if (addr.space == hv::IoEventAddr::Space::kPio) {
    return Error(ErrorCode::kUnsupported, "MSHV has no PIO ioeventfds");
  }
  if (notifier->fd() < 0) return Error(ErrorCode::kUnsupported, "notifier has no eventfd");
  if (addr.len == 0 && datamatch) {
    return Error(ErrorCode::kUnsupported, "a zero-length ioeventfd cannot match data");
  }
  MshvUserIoeventfd args{};
  args.addr = addr.addr;
  args.len = addr.len;
  args.fd = notifier->fd();
  if (datamatch) {
    args.flags |= kIoeventfdDatamatch;
    args.datamatch = *datamatch;
  }
  PETREL_TRY(MshvIoctl(partition_->driver(), partition_->fd(), kMshvIoeventfd, "MSHV_IOEVENTFD",
                       &args));
  return std::unique_ptr<hv::IoEventRegistration>(
      new MshvIoEventRegistration(partition_, std::move(notifier), args));
}

Result<std::vector<uint64_t>> MshvVm::RegionDirtyBits(size_t i, uint8_t op) {
  const GuestRegion& r = memory_->regions()[i];
  const uint64_t pages = r.size / kHvPageSize;
  // (pages + 7) / 8 bytes, bit b of byte B = page 8B + b: on little-endian
  // x86 the same bits as 64-bit words with bit b of word w = page 64w + b.
  std::vector<uint64_t> words((pages + 63) / 64, 0);
  MshvGpapAccessBitmap args{};
  args.access_type = kGpapAccessTypeDirty;
  args.access_op = op;
  args.page_count = pages;
  args.gpap_base = r.gpa / kHvPageSize;
  args.bitmap_ptr = reinterpret_cast<uintptr_t>(words.data());
  PETREL_TRY(MshvIoctl(partition_->driver(), partition_->fd(), kMshvGetGpapAccessBitmap,
                       "MSHV_GET_GPAP_ACCESS_BITMAP", &args)
                 .Wrap("memory region " + std::to_string(i)));
  return words;
}

Result<void> MshvVm::StartDirtyLog() {
  std::lock_guard lock(mu_);
  if (!memory_) return Error(ErrorCode::kFailedPrecondition, "dirty log: no memory mapped");
  if (!dirty_logging_) {
    PETREL_TRY(partition_->SetProperty(kPropGpaPageAccessTracking, 1));
    dirty_logging_ = true;
  }
  for (size_t i = 0; i < memory_->regions().size(); ++i) {
    PETREL_TRY(RegionDirtyBits(i, kGpapAccessOpClear));  // start clean
  }
  return Ok();
}

Result<void> MshvVm::StopDirtyLog() {
  std::lock_guard lock(mu_);
  if (!memory_) return Error(ErrorCode::kFailedPrecondition, "dirty log: no memory mapped");
  if (!dirty_logging_) return Ok();
  for (size_t i = 0; i < memory_->regions().size(); ++i) {
    PETREL_TRY(RegionDirtyBits(i, kGpapAccessOpSet));
  }
  PETREL_TRY(partition_->SetProperty(kPropGpaPageAccessTracking, 0));
  dirty_logging_ = false;
  return Ok();
}

Result<DirtyBitmap> MshvVm::TakeDirtyLog() {
  std::lock_guard lock(mu_);
  if (!memory_) return Error(ErrorCode::kFailedPrecondition, "dirty log: no memory mapped");
  if (!dirty_logging_) return Error(ErrorCode::kFailedPrecondition, "dirty log is off");
  DirtyBitmap out(*memory_);
  for (size_t i = 0; i < memory_->regions().size(); ++i) {
    PETREL_ASSIGN_OR_RETURN(std::vector<uint64_t> words, RegionDirtyBits(i, kGpapAccessOpClear));
    out.SetRegionWords(i, words);
  }
  return out;
}

Result<hv::VmState> MshvVm::SaveState() { return hv::VmState{}; }

Result<void> MshvVm::RestoreState(const hv::VmState& state) {
  if (state.clock) return Error(ErrorCode::kUnsupported, "MSHV backend: no VM clock control");
  if (state.irqchip) {
    return Error(ErrorCode::kInvalidArgument, "MSHV has no in-kernel irqchip to restore");
  }
  return Ok();
}

}  // namespace petrel::mshv
