// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VirtioPciDevice: construction, config space and BAR0 dispatch, the common
// configuration registers (§4.1.4.3), ISR (§4.1.4.5), notify area (§4.1.4.4),
// the PCI_CFG window (§4.1.4.9) and doorbell registration. The loop side
// (activation, reset, interrupts, Fail) and Save/Restore are in
// virtio_pci_runtime.cc.
#include "devices/virtio/pci/virtio_pci_device.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <optional>
#include <utility>

#include "core/base/log.h"
#include "devices/virtio/pci/virtio_pci_context.h"

namespace petrel::virtio {
namespace {

uint64_t LoadLe(std::span<const uint8_t> data) {
  uint64_t v = 0;
  for (size_t i = 0; i < data.size() && i < 8; ++i) v |= uint64_t{data[i]} << (8 * i);
  return v;
}

void StoreLe(uint64_t v, std::span<uint8_t> data) {
  for (size_t i = 0; i < data.size(); ++i) data[i] = i < 8 ? static_cast<uint8_t>(v >> (8 * i)) : 0;
}

uint64_t AlignUp(uint64_t v, uint64_t align) {
  return (v + align - 1) / align * align;
}

// Class codes as QEMU reports them (PCI Code and ID Assignment spec §1).
uint32_t ClassCodeFor(uint16_t type) {
  switch (type) {
    case kDeviceIdNet: return 0x020000;      // network controller, Ethernet
    case kDeviceIdBlock: return 0x010000;    // mass storage, SCSI
    case kDeviceIdConsole: return 0x078000;  // communication, other
    case kDeviceIdEntropy: return 0x00ff00;  // unclassified (QEMU's choice)
    default: return 0xff0000;                // device does not fit any class
  }
}

// §4.1.4 struct virtio_pci_cap (+ optional 4 trailing bytes).
std::vector<uint8_t> VirtioCap(uint8_t cfg_type, uint32_t offset, uint32_t length, uint8_t size) {
  std::vector<uint8_t> cap(size, 0);
  cap[0] = kPciCapIdVendor;
  cap[kVirtioCapLen] = size;
  cap[kVirtioCapCfgType] = cfg_type;
  cap[kVirtioCapBar] = 0;
  StoreLe(offset, std::span<uint8_t>(cap).subspan(kVirtioCapOffset, 4));
  StoreLe(length, std::span<uint8_t>(cap).subspan(kVirtioCapLength, 4));
  return cap;
}

}  // namespace

Result<std::shared_ptr<VirtioPciDevice>> VirtioPciDevice::Create(
    std::shared_ptr<VirtioDevice> device, std::shared_ptr<GuestMemory> memory,
    std::vector<EventLoop*> loops, IoDispatcher& io, hv::Vm* vm, VirtioPciOptions options) {
  if (!device || !memory || vm == nullptr || loops.empty() ||
      std::find(loops.begin(), loops.end(), nullptr) != loops.end()) {
    return Error(ErrorCode::kInvalidArgument,
                 "virtio-pci: device, memory, vm and loops are required");
  }
  const uint16_t queues = device->queue_count();
  const uint16_t max_size = device->max_queue_size();
  if (queues == 0 || queues > kVirtioPciMaxQueues) {
    return Error(ErrorCode::kInvalidArgument, "virtio-pci: queue count out of range");
  }
  if (max_size == 0 || max_size > kMaxQueueSize || !std::has_single_bit(max_size)) {
    return Error(ErrorCode::kInvalidArgument, "virtio-pci: max queue size not a power of 2");
  }
  std::vector<std::vector<uint16_t>> groups = device->QueueGroups();
  {
    std::vector<int> seen(queues, 0);
    bool ok = !groups.empty();
    for (const auto& g : groups) {
      ok = ok && !g.empty();
      for (uint16_t q : g) ok = ok && q < queues && seen[q]++ == 0;
    }
    if (!ok || std::find(seen.begin(), seen.end(), 0) != seen.end()) {
      return Error(ErrorCode::kInvalidArgument,
                   "virtio-pci: the queue groups must hold each queue exactly once");
    }
  }
  if (loops.size() == 1) loops.resize(groups.size(), loops[0]);
  if (loops.size() != groups.size()) {
    return Error(ErrorCode::kInvalidArgument, "virtio-pci: one loop per queue group (or one)");
  }
  VirtioPciLayout layout;
  // One slot past the last doorbell is kept free: queue_notify_off of a
  // queue that does not exist points there, so a kick for it rings nothing.
  layout.notify_size =
      AlignUp((uint64_t{queues} + 1) * kVirtioNotifyOffMultiplier, kVirtioRegionAlign);
  layout.msix_table_offset = kVirtioNotifyOffset + layout.notify_size;
  const MsixLayout probe{.vectors = static_cast<uint16_t>(queues + 1)};
  layout.msix_pba_offset =
      layout.msix_table_offset + AlignUp(probe.table_size(), kVirtioRegionAlign);
  const uint64_t end = layout.msix_pba_offset + AlignUp(probe.pba_size(), kVirtioRegionAlign);
  layout.bar_size = std::bit_ceil(end);

  const uint16_t type = device->device_type();
  const PciIds ids{.vendor_id = kVirtioPciVendorId,
                   .device_id = static_cast<uint16_t>(kVirtioPciDeviceIdBase + type),
                   .revision = kVirtioPciRevision,
                   .class_code = ClassCodeFor(type),
                   .subsystem_vendor_id = kVirtioPciVendorId,
                   .subsystem_id = kVirtioPciSubsystemId,
                   .interrupt_pin = 0};
  std::shared_ptr<VirtioPciDevice> dev(
      new VirtioPciDevice(std::move(device), std::move(memory), std::move(groups),
                          std::move(loops), io, vm, std::move(options), ids, layout));
  PETREL_TRY(dev->Init());
  return dev;
}

VirtioPciDevice::VirtioPciDevice(std::shared_ptr<VirtioDevice> device,
                                 std::shared_ptr<GuestMemory> memory,
                                 std::vector<std::vector<uint16_t>> groups,
                                 std::vector<EventLoop*> loops, IoDispatcher& io, hv::Vm* vm,
                                 VirtioPciOptions options, const PciIds& ids,
                                 const VirtioPciLayout& layout)
    : device_(std::move(device)),
      memory_(std::move(memory)),
      groups_(std::move(groups)),
      loops_(std::move(loops)),
      io_(io),
      vm_(vm),
      options_(std::move(options)),
      layout_(layout),
      num_queues_(device_->queue_count()),
      max_queue_size_(device_->max_queue_size()),
      offered_features_(device_->device_features() | FeatureBit(kFVersion1) |
                        FeatureBit(kFIndirectDesc) | FeatureBit(kFEventIdx) |
                        (options_.dma != nullptr ? FeatureBit(kFAccessPlatform) : 0)),
      config_(ids) {
  group_of_.assign(num_queues_, 0);
  for (size_t g = 0; g < groups_.size(); ++g) {
    for (uint16_t q : groups_[g]) group_of_[q] = g;
  }
  group_active_.assign(groups_.size(), 0);
}

Result<void> VirtioPciDevice::Init() {
  PETREL_TRY(config_.AddBar(0, layout_.bar_size, PciBarKind::kMmio64, false));
  const auto notify_len = static_cast<uint32_t>(uint32_t{num_queues_} * kVirtioNotifyOffMultiplier);
  auto notify =
      VirtioCap(kVirtioPciCapNotifyCfg, kVirtioNotifyOffset, notify_len, kVirtioNotifyCapSize);
  StoreLe(kVirtioNotifyOffMultiplier,
          std::span<uint8_t>(notify).subspan(kVirtioNotifyCapMultiplier, 4));
  PETREL_TRY(config_.AddCapability(
      VirtioCap(kVirtioPciCapCommonCfg, kVirtioCommonOffset, kCommonCfgSize, kVirtioCapSize)));
  PETREL_TRY(config_.AddCapability(notify));
  PETREL_TRY(config_.AddCapability(
      VirtioCap(kVirtioPciCapIsrCfg, kVirtioIsrOffset, kVirtioIsrSize, kVirtioCapSize)));
  PETREL_TRY(config_.AddCapability(VirtioCap(kVirtioPciCapDeviceCfg, kVirtioDeviceCfgOffset,
                                             kVirtioDeviceCfgSize, kVirtioCapSize)));
  // §4.1.4.9: bar, offset, length and pci_cfg_data are driver-writable.
  std::vector<uint8_t> mask(kVirtioPciCfgCapSize, 0);
  mask[kVirtioCapBar] = 0xff;
  std::fill(mask.begin() + kVirtioCapOffset, mask.end(), uint8_t{0xff});
  PETREL_ASSIGN_OR_RETURN(
      pci_cfg_cap_,
      config_.AddCapability(VirtioCap(kVirtioPciCapPciCfg, 0, 0, kVirtioPciCfgCapSize), mask));

  hv::Vm* vm = vm_;
  const MsixLayout msix{.vectors = static_cast<uint16_t>(num_queues_ + 1),
                        .table_bar = 0,
                        .table_offset = static_cast<uint32_t>(layout_.msix_table_offset),
                        .pba_bar = 0,
                        .pba_offset = static_cast<uint32_t>(layout_.msix_pba_offset)};
  PETREL_ASSIGN_OR_RETURN(
      msix_, MsixTable::Create(config_, msix, [vm] { return vm->CreateMsiInterrupt(); }));

  context_ = std::make_unique<Context>(*this);
  qregs_.assign(num_queues_, QueueState{.size = max_queue_size_});
  again_pending_.assign(num_queues_, 0);
  for (uint16_t i = 0; i < num_queues_; ++i) {
    queues_.push_back(std::make_unique<SplitQueue>(memory_, options_.dma));
    EventLoop& loop = queue_loop(i);
    std::shared_ptr<Notifier> notifier;
    Result<WatchId> watch = Error(ErrorCode::kInternal, "unset");
    std::weak_ptr<VirtioPciDevice> weak = weak_from_this();
    auto handler = [weak, i] {
      if (auto self = weak.lock()) self->OnDoorbell(i);
    };
    if (options_.notifier_factory) {
      PETREL_ASSIGN_OR_RETURN(notifier, options_.notifier_factory());
      watch = loop.WatchNotifier(notifier, handler);
    } else {
      PETREL_ASSIGN_OR_RETURN(auto efd, EventFdNotifier::Create());
      notifier = efd;
      watch = loop.WatchNotifier(notifier, handler);
      if (!watch.ok() && watch.error().code() == ErrorCode::kInvalidArgument) {
        notifier = std::make_shared<InProcessNotifier>();
        watch = loop.WatchNotifier(notifier, handler);
      }
    }
    if (!watch.ok()) return std::move(watch).error().Wrap("virtio-pci: watching a doorbell");
    doorbells_.push_back(std::move(notifier));
    watches_.push_back(*watch);
  }
  return Ok();
}

VirtioPciDevice::~VirtioPciDevice() {
  // VM teardown: an active device drops its work while its context (this
  // transport's queues and loop) still exists (virtio_device.h, step 5).
  bool was_active = false;
  {
    std::lock_guard lock(mu_);
    was_active = active_;
    active_ = false;
  }
  if (was_active) device_->Reset();
  for (uint16_t i = 0; i < watches_.size(); ++i) queue_loop(i).Remove(watches_[i]);
  std::lock_guard lock(doorbell_mu_);
  registrations_.clear();
}

// --- config space ---

void VirtioPciDevice::ConfigWritten(uint16_t offset, size_t size) {
  msix_->ConfigWritten(offset, size);
  const uint16_t data = pci_cfg_cap_ + kVirtioPciCfgCapData;
  if (offset + size <= data || offset >= data + 4) return;
  // §4.1.4.9: a write to pci_cfg_data writes cap.length bytes of it at
  // cap.offset in BAR cap.bar.
  const uint32_t bar = config_.Read(pci_cfg_cap_ + kVirtioCapBar, 1);
  const uint32_t off = config_.Read(pci_cfg_cap_ + kVirtioCapOffset, 4);
  const uint32_t len = config_.Read(pci_cfg_cap_ + kVirtioCapLength, 4);
  if (bar != 0 || (len != 1 && len != 2 && len != 4) || off % len != 0 ||
      uint64_t{off} + len > layout_.bar_size) {
    std::lock_guard lock(mu_);
    CountBadAccessLocked("pci_cfg window write", off);
    return;
  }
  std::array<uint8_t, 4> bytes{};
  StoreLe(config_.Read(data, 4), bytes);
  BarWrite(0, off, std::span<const uint8_t>(bytes.data(), len));
}

void VirtioPciDevice::ConfigRead(uint16_t offset, size_t size) {
  const uint16_t data = pci_cfg_cap_ + kVirtioPciCfgCapData;
  if (offset + size <= data || offset >= data + 4) return;
  // §4.1.4.9: a read of pci_cfg_data reads cap.length bytes there first.
  const uint32_t bar = config_.Read(pci_cfg_cap_ + kVirtioCapBar, 1);
  const uint32_t off = config_.Read(pci_cfg_cap_ + kVirtioCapOffset, 4);
  const uint32_t len = config_.Read(pci_cfg_cap_ + kVirtioCapLength, 4);
  std::array<uint8_t, 4> bytes{};
  if (bar == 0 && (len == 1 || len == 2 || len == 4) && off % len == 0 &&
      uint64_t{off} + len <= layout_.bar_size) {
    BarRead(0, off, std::span<uint8_t>(bytes.data(), len));
  }
  config_.SetRaw(data, 4, static_cast<uint32_t>(LoadLe(bytes)));
}

// --- BAR0 ---

void VirtioPciDevice::BarRead(int bar, uint64_t offset, std::span<uint8_t> data) {
  std::fill(data.begin(), data.end(), uint8_t{0});
  if (bar != 0 || data.empty() || data.size() > 8) return;
  if (msix_->BarRead(bar, offset, data)) return;
  if (offset < kVirtioCommonOffset + kCommonCfgSize) return CommonRead(offset, data);
  if (offset >= kVirtioIsrOffset && offset < kVirtioIsrOffset + kVirtioIsrSize) {
    // §4.1.4.5: reading the ISR clears it.
    std::lock_guard lock(mu_);
    if (offset == kVirtioIsrOffset) {
      data[0] = isr_;
      isr_ = 0;
    }
    return;
  }
  if (offset >= kVirtioDeviceCfgOffset && offset < kVirtioDeviceCfgOffset + kVirtioDeviceCfgSize) {
    device_->ReadConfig(offset - kVirtioDeviceCfgOffset, data);
    return;
  }
  // Notify area and holes read 0.
}

void VirtioPciDevice::BarWrite(int bar, uint64_t offset, std::span<const uint8_t> data) {
  if (bar != 0 || data.empty() || data.size() > 8) return;
  if (msix_->BarWrite(bar, offset, data)) return;
  if (offset < kVirtioCommonOffset + kCommonCfgSize) return CommonWrite(offset, data);
  if (offset >= kVirtioDeviceCfgOffset && offset < kVirtioDeviceCfgOffset + kVirtioDeviceCfgSize) {
    device_->WriteConfig(offset - kVirtioDeviceCfgOffset, data);
    return;
  }
  if (offset >= kVirtioNotifyOffset && offset < kVirtioNotifyOffset + layout_.notify_size) {
    return NotifyWrite(offset - kVirtioNotifyOffset, data);
  }
  std::lock_guard lock(mu_);
  CountBadAccessLocked("write to a read-only or unused BAR0 byte", offset);
}

void VirtioPciDevice::NotifyWrite(uint64_t offset, std::span<const uint8_t> data) {
  (void)data;  // §4.1.5.2: the value is the queue index; the address decides.
  const uint64_t index = offset / kVirtioNotifyOffMultiplier;
  if (offset % kVirtioNotifyOffMultiplier != 0 || index >= num_queues_) {
    std::lock_guard lock(mu_);
    CountBadAccessLocked("notify write off a doorbell", offset);
    return;
  }
  doorbells_[index]->Signal();
}

void VirtioPciDevice::CountBadAccessLocked(const char* what, uint64_t offset) {
  ++counters_.bad_accesses;
  PETREL_LOG_ONCE(kDebug, options_.name + ":bad:" + what)
      << options_.name << ": ignored guest access (" << what << ") at BAR0+0x" << std::hex
      << offset;
}

uint16_t VirtioPciDevice::CheckedVector(uint32_t value) const {
  // §4.1.5.1.2.1: a vector the device cannot map reads back as NO_VECTOR.
  return value < uint32_t{num_queues_} + 1 ? static_cast<uint16_t>(value) : kMsixNoVector;
}

// §4.1.3.1: 8/16/32-bit fields need exact-width aligned accesses; 64-bit
// fields take 32-bit halves (Petrel also takes one 64-bit access).
namespace {
struct Field {
  uint64_t offset;
  uint8_t width;
};
constexpr std::array<Field, 16> kCommonFields{{
    {kCommonDeviceFeatureSelect, 4},
    {kCommonDeviceFeature, 4},
    {kCommonDriverFeatureSelect, 4},
    {kCommonDriverFeature, 4},
    {kCommonConfigMsixVector, 2},
    {kCommonNumQueues, 2},
    {kCommonDeviceStatus, 1},
    {kCommonConfigGeneration, 1},
    {kCommonQueueSelect, 2},
    {kCommonQueueSize, 2},
    {kCommonQueueMsixVector, 2},
    {kCommonQueueEnable, 2},
    {kCommonQueueNotifyOff, 2},
    {kCommonQueueDesc, 8},
    {kCommonQueueDriver, 8},
    {kCommonQueueDevice, 8},
}};

// The field an access hits, with the shift of the access inside it; nullopt
// for an access the spec does not allow.
std::optional<std::pair<Field, unsigned>> FindField(uint64_t offset, size_t size) {
  for (const Field& f : kCommonFields) {
    if (offset < f.offset || offset >= f.offset + f.width) continue;
    if (f.width == 8) {
      if ((size == 4 && (offset - f.offset) % 4 == 0) || (size == 8 && offset == f.offset)) {
        return std::make_pair(f, static_cast<unsigned>(8 * (offset - f.offset)));
      }
      return std::nullopt;
    }
    if (size == f.width && offset == f.offset) return std::make_pair(f, 0u);
    return std::nullopt;
  }
  return std::nullopt;
}

uint64_t Merge(uint64_t old, uint64_t value, unsigned shift, size_t size) {
  const uint64_t mask = size >= 8 ? ~uint64_t{0} : ((uint64_t{1} << (8 * size)) - 1) << shift;
  return (old & ~mask) | ((value << shift) & mask);
}
}  // namespace

void VirtioPciDevice::CommonRead(uint64_t offset, std::span<uint8_t> data) {
  std::lock_guard lock(mu_);
  auto hit = FindField(offset, data.size());
  if (!hit) return CountBadAccessLocked("common cfg read width", offset);
  const auto [field, shift] = *hit;
  QueueState* q = queue_select_ < num_queues_ ? &qregs_[queue_select_] : nullptr;
  uint64_t v = 0;
  switch (field.offset) {
    case kCommonDeviceFeatureSelect: v = device_feature_select_; break;
    case kCommonDeviceFeature:
      v = device_feature_select_ < 2 ? (offered_features_ >> (32 * device_feature_select_)) : 0;
      v &= 0xffffffff;
      break;
    case kCommonDriverFeatureSelect: v = driver_feature_select_; break;
    case kCommonDriverFeature:
      v = driver_feature_select_ < 2 ? (driver_features_ >> (32 * driver_feature_select_)) : 0;
      v &= 0xffffffff;
      break;
    case kCommonConfigMsixVector: v = config_msix_vector_; break;
    case kCommonNumQueues: v = num_queues_; break;
    case kCommonDeviceStatus: v = status_; break;
    case kCommonConfigGeneration: v = config_generation_; break;
    case kCommonQueueSelect: v = queue_select_; break;
    // §4.1.4.3: queue_size reads 0 for a queue that does not exist.
    case kCommonQueueSize: v = q ? q->size : 0; break;
    case kCommonQueueMsixVector: v = q ? q->msix_vector : kMsixNoVector; break;
    case kCommonQueueEnable: v = q && q->enabled ? 1 : 0; break;
    // No queue: the free slot past the doorbells (see Create), never queue 0's.
    case kCommonQueueNotifyOff: v = q ? queue_select_ : num_queues_; break;
    case kCommonQueueDesc: v = q ? q->desc : 0; break;
    case kCommonQueueDriver: v = q ? q->driver : 0; break;
    case kCommonQueueDevice: v = q ? q->device : 0; break;
    default: break;
  }
  StoreLe(v >> shift, data);
}

void VirtioPciDevice::CommonWrite(uint64_t offset, std::span<const uint8_t> data) {
  uint16_t vector = kMsixNoVector;  // a config interrupt to raise after unlocking
  {
    std::lock_guard lock(mu_);
    vector = CommonWriteLocked(offset, data);
  }
  msix_->Notify(vector);
}

uint16_t VirtioPciDevice::CommonWriteLocked(uint64_t offset, std::span<const uint8_t> data) {
  auto hit = FindField(offset, data.size());
  if (!hit) {
    CountBadAccessLocked("common cfg write width", offset);
    return kMsixNoVector;
  }
  const auto [field, shift] = *hit;
  const uint64_t value = LoadLe(data);
  if (reset_pending_) return kMsixNoVector;  // §4.1.4.3.2: the driver waits for status 0 first
  QueueState* q = queue_select_ < num_queues_ ? &qregs_[queue_select_] : nullptr;
  // §2.1.2 / §3.1.1: queue registers are set up before DRIVER_OK and, per
  // queue, before queue_enable; later writes are ignored.
  const bool queue_locked = q == nullptr || q->enabled || (status_ & kStatusDriverOk) != 0;
  switch (field.offset) {
    case kCommonDeviceFeatureSelect: device_feature_select_ = static_cast<uint32_t>(value); return kMsixNoVector;
    case kCommonDriverFeatureSelect: driver_feature_select_ = static_cast<uint32_t>(value); return kMsixNoVector;
    case kCommonDriverFeature: {
      // §2.2: only offered bits stick; none after FEATURES_OK (§3.1.1 step 5).
      if (driver_feature_select_ >= 2 || (status_ & kStatusFeaturesOk) != 0) break;
      const unsigned s = 32 * driver_feature_select_;
      const uint64_t mask = uint64_t{0xffffffff} << s;
      driver_features_ = (driver_features_ & ~mask) | ((value << s) & mask & offered_features_);
      return kMsixNoVector;
    }
    case kCommonConfigMsixVector: config_msix_vector_ = CheckedVector(value); return kMsixNoVector;
    case kCommonDeviceStatus: return WriteStatusLocked(static_cast<uint8_t>(value));
    case kCommonQueueSelect: queue_select_ = static_cast<uint16_t>(value); return kMsixNoVector;
    case kCommonQueueSize:
      // Checked at queue_enable (power of 2, <= max): the driver does not read it back.
      if (queue_locked) break;
      q->size = static_cast<uint16_t>(value);
      return kMsixNoVector;
    case kCommonQueueMsixVector:
      if (q == nullptr) break;
      q->msix_vector = CheckedVector(value);
      return kMsixNoVector;
    case kCommonQueueEnable:
      // §4.1.4.3.2: the driver MUST NOT write 0 to queue_enable.
      if (queue_locked || value != 1) break;
      EnableQueueLocked(queue_select_);
      return kMsixNoVector;
    case kCommonQueueDesc:
      if (queue_locked) break;
      q->desc = Merge(q->desc, value, shift, data.size());
      return kMsixNoVector;
    case kCommonQueueDriver:
      if (queue_locked) break;
      q->driver = Merge(q->driver, value, shift, data.size());
      return kMsixNoVector;
    case kCommonQueueDevice:
      if (queue_locked) break;
      q->device = Merge(q->device, value, shift, data.size());
      return kMsixNoVector;
    default: break;  // read-only fields
  }
  CountBadAccessLocked("common cfg write ignored", offset);
  return kMsixNoVector;
}

void VirtioPciDevice::EnableQueueLocked(uint16_t index) {
  QueueState& q = qregs_[index];
  const SplitQueue::Config cfg{
      .size = q.size, .desc_gpa = q.desc, .avail_gpa = q.driver, .used_gpa = q.device};
  if (q.size > max_queue_size_) {
    FailLocked("queue_enable: queue size above the device maximum");
    return;
  }
  if (auto ok = SplitQueue::Validate(cfg, *memory_, options_.dma.get()); !ok.ok()) {
    const uint16_t vector = FailLocked("queue_enable: " + ok.error().message());
    (void)vector;  // not yet DRIVER_OK: the driver sees NEEDS_RESET in status
    return;
  }
  q.enabled = true;
}

uint16_t VirtioPciDevice::WriteStatusLocked(uint8_t value) {
  if (value == 0) {
    // §4.1.4.3.2: writing 0 resets the device. Until an activation has been
    // posted nothing runs on the loop: reset here. Otherwise the loop owns the
    // device and its queues; it resets them (the device drops its in-flight
    // work) after any activation still queued or running, and status reads
    // the old, non-zero value until then.
    if (!loop_owns_device_) {
      for (auto& q : queues_) q->Reset();  // not ready: the loop does not use them
      ResetRegistersLocked();
      return kMsixNoVector;
    }
    if (reset_pending_) return kMsixNoVector;  // one is on its way already
    reset_pending_ = true;
    ++epoch_;
    std::weak_ptr<VirtioPciDevice> weak = weak_from_this();
    auto posted = control_loop().Post([weak] {
      if (auto self = weak.lock()) self->BeginResetOnLoop();
    });
    if (!posted.ok()) {
      reset_pending_ = false;
      PETREL_LOG_ONCE(kError, options_.name + ":post") << options_.name << ": cannot post reset";
    }
    return kMsixNoVector;
  }
  const uint8_t old = status_;
  const uint8_t driver_bits = old & static_cast<uint8_t>(~kStatusDeviceNeedsReset);
  // §2.1.2, §3.1.1: until it resets the device the driver only adds bits;
  // DEVICE_NEEDS_RESET is the device's to set. Clearing FEATURES_OK or
  // DRIVER_OK would unfreeze the features under a running device.
  if ((value & driver_bits) != driver_bits) {
    CountBadAccessLocked("status write clears bits", kCommonDeviceStatus);
    return FailLocked("the driver cleared device status bits without a reset");
  }
  const uint8_t next =
      static_cast<uint8_t>((value & ~kStatusDeviceNeedsReset) | (old & kStatusDeviceNeedsReset));
  const auto added = [&](uint8_t bit) { return (next & bit) != 0 && (old & bit) == 0; };
  if (added(kStatusDriverOk) && (next & kStatusFeaturesOk) == 0) {
    CountBadAccessLocked("DRIVER_OK without FEATURES_OK", kCommonDeviceStatus);
    return FailLocked("DRIVER_OK without FEATURES_OK");
  }
  if (added(kStatusFeaturesOk) && (driver_features_ & FeatureBit(kFVersion1)) == 0) {
    // §6.1 makes VERSION_1 a modern driver's duty; like Cloud Hypervisor and
    // QEMU, serve a driver without it (minimal guests, test drivers) with
    // the modern layout it is already using.
    PETREL_LOG_ONCE(kInfo, options_.name + ":no-version-1")
        << options_.name << ": the driver did not accept VIRTIO_F_VERSION_1; serving it anyway";
  }
  status_ = next;
  if (added(kStatusDriverOk) && !failed_ && !loop_owns_device_) {
    // §3.1.1 step 8. The features are final (FEATURES_OK cannot be cleared
    // without a reset); the device sees this snapshot. One activation at most
    // is ever pending: DRIVER_OK is set once per reset.
    active_features_ = driver_features_;
    loop_owns_device_ = true;
    std::weak_ptr<VirtioPciDevice> weak = weak_from_this();
    const uint64_t epoch = epoch_;
    auto posted = control_loop().Post([weak, epoch] {
      if (auto self = weak.lock()) self->ActivateOnLoop(epoch);
    });
    if (!posted.ok()) {
      loop_owns_device_ = false;
      return FailLocked("cannot post activation");
    }
  }
  return kMsixNoVector;
}

// --- doorbells ---

void VirtioPciDevice::BarMoved(int bar, uint64_t old_addr, uint64_t new_addr) {
  (void)old_addr;
  if (bar != 0) return;
  RegisterDoorbells(new_addr);
}

void VirtioPciDevice::RegisterDoorbells(uint64_t bar_addr) {
  std::lock_guard lock(doorbell_mu_);
  registrations_.clear();
  if (bar_addr == 0) return;
  for (uint16_t i = 0; i < num_queues_; ++i) {
    const hv::IoEventAddr addr{
        .space = hv::IoEventAddr::Space::kMmio,
        .addr = bar_addr + kVirtioNotifyOffset + uint64_t{i} * kVirtioNotifyOffMultiplier,
        .len = 2};
    auto reg = io_.RegisterIoEvent(vm_, doorbells_[i], addr, std::nullopt);
    if (!reg.ok()) {
      // Writes still reach BarWrite through the bus.
      std::lock_guard mu(mu_);
      ++counters_.doorbell_register_failures;
      PETREL_LOG_ONCE(kWarn, options_.name + ":ioevent")
          << options_.name << ": doorbell registration failed: " << reg.error().message();
      continue;
    }
    registrations_.push_back(std::move(*reg));
  }
}

uint8_t VirtioPciDevice::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

bool VirtioPciDevice::active() const {
  std::lock_guard lock(mu_);
  return active_;
}

uint64_t VirtioPciDevice::driver_features() const {
  std::lock_guard lock(mu_);
  return driver_features_;
}

uint64_t VirtioPciDevice::active_features() const {
  std::lock_guard lock(mu_);
  return active_features_;
}

VirtioPciDevice::Counters VirtioPciDevice::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

}  // namespace petrel::virtio
