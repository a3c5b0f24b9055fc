// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// KvmVm, its interrupt lines and ioevent registrations (see kvm_vm.h).
#include "hv_kvm/kvm_vm.h"

#include <linux/kvm.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "core/arch/x86_layout.h"
#include "core/base/log.h"
#include "hv_kvm/kvm_msr_filter.h"
#include "hv_kvm/kvm_state_convert.h"
#include "hv_kvm/kvm_vcpu.h"

namespace petrel::kvm {
namespace {

constexpr uint64_t kPageSize = 4096;  // KVM memory slots are 4 KiB granular

class KvmInterruptLine final : public hv::InterruptLine {
 public:
  KvmInterruptLine(std::shared_ptr<const UniqueFd> vm_fd, uint32_t pin)
      : vm_fd_(std::move(vm_fd)), pin_(pin) {}
  void SetLevel(bool high) override {
    // api.rst KVM_IRQ_LINE: GSI `irq` driven to `level`; with the default
    // routing GSIs 0-15 reach both the PIC and the IOAPIC, 16-23 the IOAPIC.
    kvm_irq_level lvl{};
    lvl.irq = pin_;
    lvl.level = high ? 1 : 0;
    auto r = IoctlPtr(vm_fd_->get(), KVM_IRQ_LINE, "KVM_IRQ_LINE", &lvl);
    if (!r.ok()) {
      PETREL_LOG_ONCE(kError, "kvm irq line " + std::to_string(pin_))
          << "pin " << pin_ << ": " << r.error().message();
    }
  }

 private:
  std::shared_ptr<const UniqueFd> vm_fd_;
  uint32_t pin_;
};

class KvmIoEventRegistration final : public hv::IoEventRegistration {
 public:
  KvmIoEventRegistration(std::shared_ptr<const UniqueFd> vm_fd, std::shared_ptr<Notifier> notifier,
                         const kvm_ioeventfd& assigned)
      : vm_fd_(std::move(vm_fd)), notifier_(std::move(notifier)), args_(assigned) {}
  ~KvmIoEventRegistration() override {
    // api.rst KVM_IOEVENTFD: deassign with the same fd, address, length and
    // datamatch as the assignment, plus KVM_IOEVENTFD_FLAG_DEASSIGN.
    kvm_ioeventfd args = args_;
    args.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
    auto r = IoctlPtr(vm_fd_->get(), KVM_IOEVENTFD, "KVM_IOEVENTFD(deassign)", &args);
    if (!r.ok()) {
      PETREL_LOG(kError) << r.error().message();
    }
  }

 private:
  std::shared_ptr<const UniqueFd> vm_fd_;
  std::shared_ptr<Notifier> notifier_;  // keeps the eventfd open while assigned
  kvm_ioeventfd args_;
};

}  // namespace

KvmVm::KvmVm(UniqueFd fd, const KvmHostInfo& host, const hv::VmConfig& config)
    : fd_(std::make_shared<const UniqueFd>(std::move(fd))), host_(host), config_(config) {
  caps_.max_vcpus = host.max_vcpus;
  caps_.kernel_irqchip = true;
  caps_.kernel_ioapic = !config.userspace_ioapic;
  caps_.kernel_ioevents = true;
  caps_.deterministic = false;
  caps_.vm_clock = host.adjust_clock;
}

KvmVm::~KvmVm() = default;

Result<std::shared_ptr<KvmVm>> KvmVm::Create(int kvm_fd, const KvmHostInfo& host,
                                             const hv::VmConfig& config) {
  if (config.vcpus == 0 || config.vcpus > host.max_vcpus) {
    return Error(ErrorCode::kInvalidArgument, "vcpus must be 1.." + std::to_string(host.max_vcpus) +
                                                  ", got " + std::to_string(config.vcpus));
  }
  // Machine type 0: the default x86 VM (api.rst KVM_CREATE_VM).
  PETREL_ASSIGN_OR_RETURN(int fd, Ioctl(kvm_fd, KVM_CREATE_VM, "KVM_CREATE_VM", 0));
  std::shared_ptr<KvmVm> vm(new KvmVm(UniqueFd(fd), host, config));
  PETREL_TRY(vm->SetUp());
  return vm;
}

Result<void> KvmVm::SetUp() {
  const int fd = fd_->get();
  // api.rst KVM_SET_TSS_ADDR: a three-page region in the guest physical
  // address space, outside RAM and MMIO; the argument is the address itself.
  PETREL_TRY(Ioctl(fd, KVM_SET_TSS_ADDR, "KVM_SET_TSS_ADDR", x86::kKvmTssStart));
  // api.rst KVM_SET_IDENTITY_MAP_ADDR: the argument points to a u64 address
  // of a one-page region.
  uint64_t identity = x86::kKvmIdentityMapStart;
  PETREL_TRY(IoctlPtr(fd, KVM_SET_IDENTITY_MAP_ADDR, "KVM_SET_IDENTITY_MAP_ADDR", &identity));
  if (caps_.kernel_ioapic) {
    PETREL_TRY(Ioctl(fd, KVM_CREATE_IRQCHIP, "KVM_CREATE_IRQCHIP"));
    kvm_pit_config pit{};
    pit.flags = 0;  // no KVM_PIT_SPEAKER_DUMMY: port 0x61 stays with userspace
    PETREL_TRY(IoctlPtr(fd, KVM_CREATE_PIT2, "KVM_CREATE_PIT2", &pit));
  } else {
    // api.rst KVM_CAP_SPLIT_IRQCHIP: args[0] = the number of routes reserved
    // for the userspace IOAPIC's pins; before any vCPU, without
    // KVM_CREATE_IRQCHIP.
    kvm_enable_cap cap{};
    cap.cap = KVM_CAP_SPLIT_IRQCHIP;
    cap.args[0] = kKvmIoapicPins;
    PETREL_TRY(IoctlPtr(fd, KVM_ENABLE_CAP, "KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP)", &cap));
  }
  // No PMU (CPUID says so too, core/arch/cpuid.h): its MSRs fault in the guest.
  if (auto denied = DenyPmuMsrs(fd); !denied.ok()) {
    PETREL_LOG_ONCE(kWarn, "kvm-msr-filter")
        << "kvm: the guest may touch PMU MSRs KVM does not back: " << denied.error().message();
  }
  irq_routing_ = std::make_shared<KvmIrqRouting>(fd_, host_.max_irq_routes, caps_.kernel_ioapic);
  // api.rst KVM_CAP_XSAVE2: on the VM fd, the size KVM_GET_XSAVE2 and
  // KVM_SET_XSAVE move (0 on kernels before 5.17: then KVM_GET_XSAVE's 4096).
  PETREL_ASSIGN_OR_RETURN(int xsave2, Ioctl(fd, KVM_CHECK_EXTENSION, "KVM_CHECK_EXTENSION",
                                            static_cast<uintptr_t>(KVM_CAP_XSAVE2)));
  xsave_size_ = std::max(kKvmXsaveSize, static_cast<size_t>(xsave2 > 0 ? xsave2 : 0));
  saved_msrs_ = std::make_shared<SavedMsrList>(host_.msr_index_list);
  return Ok();
}

Result<void> KvmVm::MapMemory(std::shared_ptr<GuestMemory> memory) {
  if (!memory) return Error(ErrorCode::kInvalidArgument, "MapMemory: no memory");
  std::lock_guard lock(mu_);
  if (memory_) return Error(ErrorCode::kInvalidArgument, "MapMemory called twice");
  const auto& regions = memory->regions();
  if (regions.size() > host_.nr_memslots) {
    return Error(ErrorCode::kUnsupported, std::to_string(regions.size()) +
                                              " memory regions, KVM has " +
                                              std::to_string(host_.nr_memslots) + " slots");
  }
  for (size_t i = 0; i < regions.size(); ++i) {
    const GuestRegion& r = regions[i];
    const auto hva = reinterpret_cast<uintptr_t>(r.host->data());
    if (r.gpa % kPageSize || r.size % kPageSize || hva % kPageSize || r.size > r.host->size()) {
      return Error(ErrorCode::kInvalidArgument, "memory region " + std::to_string(i) +
                                                    " is not page aligned or exceeds its mapping");
    }
  }
  PETREL_TRY(SetSlots(*memory, 0));
  memory_ = std::move(memory);
  return Ok();
}

Result<void> KvmVm::SetSlots(const GuestMemory& memory, uint32_t flags) {
  const auto& regions = memory.regions();
  for (size_t i = 0; i < regions.size(); ++i) {
    const GuestRegion& r = regions[i];
    kvm_userspace_memory_region slot{};
    slot.slot = static_cast<uint32_t>(i);  // slot number = region index
    slot.flags = flags;
    slot.guest_phys_addr = r.gpa;
    slot.memory_size = r.size;
    slot.userspace_addr = reinterpret_cast<uintptr_t>(r.host->data());
    PETREL_TRY(
        IoctlPtr(fd_->get(), KVM_SET_USER_MEMORY_REGION, "KVM_SET_USER_MEMORY_REGION", &slot));
  }
  return Ok();
}

Result<uint32_t> KvmVm::MapDeviceMemory(uint64_t gpa, uint64_t size, void* host) {
  const auto hva = reinterpret_cast<uintptr_t>(host);
  if (size == 0 || gpa % kPageSize || size % kPageSize || hva % kPageSize || gpa + size < gpa) {
    return Error(ErrorCode::kInvalidArgument, "device memory is not page aligned");
  }
  std::lock_guard lock(mu_);
  const size_t ram_slots = memory_ ? memory_->regions().size() : 0;
  for (size_t i = 0; i < ram_slots; ++i) {
    const GuestRegion& r = memory_->regions()[i];
    if (gpa < r.end() && r.gpa < gpa + size) {
      return Error(ErrorCode::kInvalidArgument, "device memory overlaps guest RAM");
    }
  }
  for (const auto& [slot, m] : device_slots_) {
    if (gpa < m.gpa + m.size && m.gpa < gpa + size) {
      return Error(ErrorCode::kInvalidArgument, "device memory overlaps slot " + std::to_string(slot));
    }
  }
  uint32_t slot = host_.nr_memslots;
  while (slot > ram_slots && device_slots_.count(slot - 1) != 0) --slot;
  if (slot <= ram_slots) {
    return Error(ErrorCode::kUnsupported, "no free KVM memory slot for device memory (" +
                                              std::to_string(host_.nr_memslots) + " slots)");
  }
  --slot;
  kvm_userspace_memory_region region{};
  region.slot = slot;
  region.guest_phys_addr = gpa;
  region.memory_size = size;
  region.userspace_addr = hva;
  PETREL_TRY(IoctlPtr(fd_->get(), KVM_SET_USER_MEMORY_REGION, "KVM_SET_USER_MEMORY_REGION", &region)
                 .Wrap("device memory"));
  device_slots_[slot] = {gpa, size};
  return slot;
}

Result<void> KvmVm::UnmapDeviceMemory(uint32_t id) {
  std::lock_guard lock(mu_);
  auto it = device_slots_.find(id);
  if (it == device_slots_.end()) {
    return Error(ErrorCode::kNotFound, "no device memory in slot " + std::to_string(id));
  }
  kvm_userspace_memory_region region{};
  region.slot = id;
  region.guest_phys_addr = it->second.gpa;
  region.memory_size = 0;  // deletes the slot
  PETREL_TRY(IoctlPtr(fd_->get(), KVM_SET_USER_MEMORY_REGION, "KVM_SET_USER_MEMORY_REGION", &region)
                 .Wrap("unmapping device memory"));
  device_slots_.erase(it);
  return Ok();
}

Result<void> KvmVm::StartDirtyLog() {
  std::lock_guard lock(mu_);
  if (!memory_) return Error(ErrorCode::kFailedPrecondition, "dirty log: no memory mapped");
  if (dirty_logging_) {  // already on: drop what was logged so far, as a fresh start
    for (size_t i = 0; i < memory_->regions().size(); ++i) {
      auto cleared = GetSlotDirtyLog(i);
      if (!cleared.ok()) return cleared.error();
    }
    return Ok();
  }
  // Turning KVM_MEM_LOG_DIRTY_PAGES on starts the slot's log empty.
  PETREL_TRY(SetSlots(*memory_, KVM_MEM_LOG_DIRTY_PAGES));
  dirty_logging_ = true;
  return Ok();
}

Result<void> KvmVm::StopDirtyLog() {
  std::lock_guard lock(mu_);
  if (!memory_) return Error(ErrorCode::kFailedPrecondition, "dirty log: no memory mapped");
  if (!dirty_logging_) return Ok();
  PETREL_TRY(SetSlots(*memory_, 0));
  dirty_logging_ = false;
  return Ok();
}

// KVM_GET_DIRTY_LOG (api.rst 4.8): `dirty_bitmap` points at one bit per page
// of the slot, in unsigned longs (u64 here), ALIGN(pages, 64) / 8 bytes;
// the kernel copies the log out and clears it.
Result<std::vector<uint64_t>> KvmVm::GetSlotDirtyLog(size_t slot_index) {
  const uint64_t pages = memory_->regions()[slot_index].size / kPageSize;
  std::vector<uint64_t> words((pages + 63) / 64, 0);
  kvm_dirty_log log{};
  log.slot = static_cast<uint32_t>(slot_index);
  log.dirty_bitmap = words.data();
  PETREL_TRY(IoctlPtr(fd_->get(), KVM_GET_DIRTY_LOG, "KVM_GET_DIRTY_LOG", &log));
  return words;
}

Result<DirtyBitmap> KvmVm::TakeDirtyLog() {
  std::lock_guard lock(mu_);
  if (!memory_) return Error(ErrorCode::kFailedPrecondition, "dirty log: no memory mapped");
  if (!dirty_logging_) return Error(ErrorCode::kFailedPrecondition, "dirty log is off");
  DirtyBitmap out(*memory_);  // KVM's page = kDirtyPageSize, slots page aligned (MapMemory)
  for (size_t i = 0; i < memory_->regions().size(); ++i) {
    PETREL_ASSIGN_OR_RETURN(std::vector<uint64_t> words, GetSlotDirtyLog(i));
    out.SetRegionWords(i, words);
  }
  return out;
}

Result<std::unique_ptr<hv::Vcpu>> KvmVm::CreateVcpu(uint32_t id) {
  if (id >= config_.vcpus) {
    return Error(ErrorCode::kInvalidArgument, "vcpu id " + std::to_string(id) + " >= configured " +
                                                  std::to_string(config_.vcpus));
  }
  PETREL_ASSIGN_OR_RETURN(auto vcpu, KvmVcpu::Create(fd_, id, host_.run_mmap_size,
                                                     KvmVcpuStateInfo{xsave_size_, saved_msrs_}));
  return std::unique_ptr<hv::Vcpu>(std::move(vcpu));
}

Result<std::shared_ptr<hv::InterruptLine>> KvmVm::LegacyInterrupt(uint32_t pin) {
  if (pin >= kKvmIoapicPins) {
    return Error(ErrorCode::kOutOfRange, "legacy interrupt pin " + std::to_string(pin));
  }
  if (!caps_.kernel_ioapic) {
    return Error(ErrorCode::kUnsupported, "split irqchip: legacy pins are the VMM's IOAPIC's");
  }
  return std::shared_ptr<hv::InterruptLine>(std::make_shared<KvmInterruptLine>(fd_, pin));
}

Result<std::shared_ptr<hv::MsiInterrupt>> KvmVm::CreateMsiInterrupt() {
  return irq_routing_->CreateMsi();
}

Result<std::shared_ptr<hv::MsiInterrupt>> KvmVm::CreateIoapicPinInterrupt(uint32_t pin) {
  // The full irqchip has no use for it, but any MSI would do there.
  if (caps_.kernel_ioapic) return irq_routing_->CreateMsi();
  return irq_routing_->CreateMsiAtPin(pin);
}

Result<std::unique_ptr<hv::IoEventRegistration>> KvmVm::RegisterIoEvent(
    std::shared_ptr<Notifier> notifier, hv::IoEventAddr addr, std::optional<uint64_t> datamatch) {
  if (!notifier) return Error(ErrorCode::kInvalidArgument, "ioevent without a notifier");
  if (addr.len != 0 && addr.len != 1 && addr.len != 2 && addr.len != 4 && addr.len != 8) {
    return Error(ErrorCode::kInvalidArgument, "ioevent length must be 0, 1, 2, 4 or 8");
  }
  const bool pio = addr.space == hv::IoEventAddr::Space::kPio;
  if (pio && (addr.addr > 0xffff || addr.addr + addr.len > 0x10000)) {
    return Error(ErrorCode::kOutOfRange, "PIO ioevent beyond port 0xffff");
  }
  if (addr.addr + addr.len < addr.addr) return Error(ErrorCode::kOutOfRange, "ioevent wraps");
  if (notifier->fd() < 0) return Error(ErrorCode::kUnsupported, "notifier has no eventfd");
  if (addr.len == 0 && (datamatch || !host_.ioeventfd_any_length)) {
    return Error(ErrorCode::kUnsupported, "zero-length ioeventfd not available here");
  }
  kvm_ioeventfd args{};
  args.addr = addr.addr;
  args.len = addr.len;
  args.fd = notifier->fd();
  args.flags = pio ? KVM_IOEVENTFD_FLAG_PIO : 0;
  if (datamatch) {
    args.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
    args.datamatch = *datamatch;
  }
  PETREL_TRY(IoctlPtr(fd_->get(), KVM_IOEVENTFD, "KVM_IOEVENTFD", &args));
  return std::unique_ptr<hv::IoEventRegistration>(
      new KvmIoEventRegistration(fd_, std::move(notifier), args));
}

Result<hv::VmClock> KvmVm::GetClock() {
  if (!host_.adjust_clock) return Error(ErrorCode::kUnsupported, "KVM lacks KVM_CAP_ADJUST_CLOCK");
  kvm_clock_data data{};
  PETREL_TRY(IoctlPtr(fd_->get(), KVM_GET_CLOCK, "KVM_GET_CLOCK", &data));
  return ClockFromKvm(data);
}

Result<void> KvmVm::SetClock(const hv::VmClock& clock) {
  if (!host_.adjust_clock) return Error(ErrorCode::kUnsupported, "KVM lacks KVM_CAP_ADJUST_CLOCK");
  kvm_clock_data data = ClockToKvm(clock);
  PETREL_TRY(IoctlPtr(fd_->get(), KVM_SET_CLOCK, "KVM_SET_CLOCK", &data));
  return Ok();
}

Result<hv::IrqchipState> KvmVm::GetIrqchip() {
  hv::IrqchipState s;
  const uint32_t pics[2] = {KVM_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_SLAVE};
  for (size_t i = 0; i < 2; ++i) {
    kvm_irqchip chip{};
    chip.chip_id = pics[i];
    // api.rst KVM_GET_IRQCHIP
    PETREL_TRY(IoctlPtr(fd_->get(), KVM_GET_IRQCHIP, "KVM_GET_IRQCHIP(PIC)", &chip));
    s.pic[i] = PicFromKvm(chip.chip.pic);
  }
  kvm_irqchip ioapic{};
  ioapic.chip_id = KVM_IRQCHIP_IOAPIC;
  PETREL_TRY(IoctlPtr(fd_->get(), KVM_GET_IRQCHIP, "KVM_GET_IRQCHIP(IOAPIC)", &ioapic));
  s.ioapic = IoapicFromKvm(ioapic.chip.ioapic);
  kvm_pit_state2 pit{};
  // api.rst KVM_GET_PIT2 (the PIT from KVM_CREATE_PIT2 in SetUp)
  PETREL_TRY(IoctlPtr(fd_->get(), KVM_GET_PIT2, "KVM_GET_PIT2", &pit));
  s.pit = PitFromKvm(pit);
  return s;
}

Result<void> KvmVm::SetIrqchip(const hv::IrqchipState& s) {
  const uint32_t pics[2] = {KVM_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_SLAVE};
  for (size_t i = 0; i < 2; ++i) {
    kvm_irqchip chip = PicToKvm(s.pic[i], pics[i]);
    // api.rst KVM_SET_IRQCHIP
    PETREL_TRY(IoctlPtr(fd_->get(), KVM_SET_IRQCHIP, "KVM_SET_IRQCHIP(PIC)", &chip));
  }
  kvm_irqchip ioapic = IoapicToKvm(s.ioapic);
  PETREL_TRY(IoctlPtr(fd_->get(), KVM_SET_IRQCHIP, "KVM_SET_IRQCHIP(IOAPIC)", &ioapic));
  if (s.pit) {
    kvm_pit_state2 pit = PitToKvm(*s.pit);
    // api.rst KVM_SET_PIT2
    PETREL_TRY(IoctlPtr(fd_->get(), KVM_SET_PIT2, "KVM_SET_PIT2", &pit));
  }
  return Ok();
}

Result<hv::VmState> KvmVm::SaveState() {
  hv::VmState s;
  if (caps_.vm_clock) {
    PETREL_ASSIGN_OR_RETURN(s.clock, GetClock());
  }
  if (caps_.kernel_ioapic) {
    PETREL_ASSIGN_OR_RETURN(s.irqchip, GetIrqchip());
  }
  return s;
}

Result<void> KvmVm::RestoreState(const hv::VmState& state) {
  if (caps_.kernel_ioapic && !state.irqchip) {
    return Error(ErrorCode::kInvalidArgument,
                 "VM state without an irqchip: this KVM VM has the in-kernel PIC and IOAPIC");
  }
  if (!caps_.kernel_ioapic && state.irqchip) {
    return Error(ErrorCode::kInvalidArgument,
                 "VM state has an in-kernel PIC/IOAPIC; this KVM VM has the split irqchip");
  }
  if (state.clock && !caps_.vm_clock) {
    return Error(ErrorCode::kUnsupported, "VM state has a clock; KVM lacks KVM_CAP_ADJUST_CLOCK");
  }
  if (state.irqchip) PETREL_TRY(SetIrqchip(*state.irqchip));
  // The clock last, so the guest's clock starts from the saved value as
  // close as possible to the moment it runs again.
  if (state.clock) PETREL_TRY(SetClock(*state.clock));
  return Ok();
}

}  // namespace petrel::kvm
