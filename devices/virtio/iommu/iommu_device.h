// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// IommuDevice: the virtio-iommu device (virtio 1.2 §5.13) as a request
// server: the guest's driver attaches endpoints (the PCI requester ids of
// the devices behind it) to domains and maps IOVA ranges to guest memory;
// IommuMappings keeps the result and answers translations.
//
// Devices behind it translate their DMA through DmaFor(endpoint) (the
// virtio-pci transport gives it to their queues); a fault they hit is
// reported on the event queue (§5.13.6.9): each fault fills one buffer the
// driver put there, in order, and waits (IommuFaultQueue) while there is
// none. The VMM places it for `iommu=on` devices (vmm/virtio_devices.h)
// and the VIOT ACPI table tells the guest which endpoints it translates.
//
// What it offers: F_INPUT_RANGE, F_DOMAIN_RANGE, F_MAP_UNMAP, F_PROBE and
// F_BYPASS_CONFIG; a 4 KiB granule; IOVAs [0, 2^48 - 1]; domains
// [0, 65535]; PROBE answers one RESV_MEM property, the x86 MSI window
// 0xFEE00000-0xFEEFFFFF (subtype MSI), as Cloud Hypervisor's does.
//
// A request (§5.13.6): device-readable head {u8 type; u8 reserved[3]} and
// body, then device-writable tail {u8 status; u8 reserved[3]} (PROBE:
// probe_size bytes of properties before it). A request shorter than its
// type needs is answered S_INVAL, an unknown type S_UNSUPP; only a chain
// with no room for the tail fails the device (DEVICE_NEEDS_RESET).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>

#include "core/base/result.h"
#include "devices/virtio/dma_translator.h"
#include "devices/virtio/iommu/iommu_faults.h"
#include "devices/virtio/iommu/iommu_mappings.h"
#include "devices/virtio/split_queue.h"
#include "devices/virtio/virtio_device.h"

namespace petrel::virtio {

// §5.13.1-3: device id 23; requestq and eventq.
inline constexpr uint16_t kDeviceIdIommu = 23;
inline constexpr uint16_t kIommuQueueCount = 2;
inline constexpr uint16_t kIommuRequestQueue = 0;
inline constexpr uint16_t kIommuEventQueue = 1;
inline constexpr uint16_t kIommuMaxQueueSize = 256;
// §5.13.3 feature bits.
inline constexpr uint64_t kIommuFInputRange = 1ull << 0;
inline constexpr uint64_t kIommuFDomainRange = 1ull << 1;
inline constexpr uint64_t kIommuFMapUnmap = 1ull << 2;
inline constexpr uint64_t kIommuFBypass = 1ull << 3;
inline constexpr uint64_t kIommuFProbe = 1ull << 4;
inline constexpr uint64_t kIommuFMmio = 1ull << 5;
inline constexpr uint64_t kIommuFBypassConfig = 1ull << 6;
// §5.13.4 struct virtio_iommu_config.
inline constexpr uint64_t kIommuCfgPageSizeMask = 0;   // le64
inline constexpr uint64_t kIommuCfgInputStart = 8;     // le64
inline constexpr uint64_t kIommuCfgInputEnd = 16;      // le64
inline constexpr uint64_t kIommuCfgDomainStart = 24;   // le32
inline constexpr uint64_t kIommuCfgDomainEnd = 28;     // le32
inline constexpr uint64_t kIommuCfgProbeSize = 32;     // le32
inline constexpr uint64_t kIommuCfgBypass = 36;        // u8
inline constexpr uint64_t kIommuConfigBytes = 40;
// §5.13.6 request types and sizes (device-readable part: head + body).
inline constexpr uint8_t kIommuReqAttach = 1;
inline constexpr uint8_t kIommuReqDetach = 2;
inline constexpr uint8_t kIommuReqMap = 3;
inline constexpr uint8_t kIommuReqUnmap = 4;
inline constexpr uint8_t kIommuReqProbe = 5;
inline constexpr uint32_t kIommuAttachBytes = 4 + 16;   // domain, endpoint, flags, reserved[4]
inline constexpr uint32_t kIommuDetachBytes = 4 + 16;   // domain, endpoint, reserved[8]
inline constexpr uint32_t kIommuMapBytes = 4 + 32;      // domain, virt_start/end, phys_start, flags
inline constexpr uint32_t kIommuUnmapBytes = 4 + 24;    // domain, virt_start/end, reserved[4]
inline constexpr uint32_t kIommuProbeBytes = 4 + 68;    // endpoint, reserved[64]
inline constexpr uint32_t kIommuTailBytes = 4;
// §5.13.6.8: PROBE's properties buffer and the RESV_MEM property.
inline constexpr uint32_t kIommuProbeSize = 512;
inline constexpr uint16_t kIommuProbeTResvMem = 1;
inline constexpr uint8_t kIommuResvMemMsi = 1;
inline constexpr uint64_t kIommuMsiStart = 0xfee0'0000;
inline constexpr uint64_t kIommuMsiEnd = 0xfeef'ffff;

class IommuDevice final : public VirtioDevice {
 public:
  // `endpoints`: the requester ids of the devices behind it.
  explicit IommuDevice(std::set<uint32_t> endpoints, IommuMappings::Limits limits = {})
      : mappings_(std::make_shared<IommuMappings>(limits, std::move(endpoints))),
        faults_(std::make_shared<IommuFaultQueue>()) {}
  ~IommuDevice() override { faults_->SetWaker(nullptr); }

  uint16_t device_type() const override { return kDeviceIdIommu; }
  // Requests touch guest memory and the mappings only.
  isolation::SyscallRules WorkerSyscalls() const override { return {}; }
  uint64_t device_features() const override {
    return kIommuFInputRange | kIommuFDomainRange | kIommuFMapUnmap | kIommuFProbe |
           kIommuFBypassConfig;
  }
  uint16_t queue_count() const override { return kIommuQueueCount; }
  uint16_t max_queue_size() const override { return kIommuMaxQueueSize; }
  void ReadConfig(uint64_t offset, std::span<uint8_t> data) override;
  // Only `bypass` is writable (F_BYPASS_CONFIG); the rest is read-only.
  void WriteConfig(uint64_t offset, std::span<const uint8_t> data) override;
  Result<void> Activate(VirtioContext& context) override;
  void QueueNotified(uint16_t index) override;
  // §5.13.5: every endpoint detached, every mapping gone.
  void Reset() override;
  std::map<std::string, uint64_t> Counters() const override;

  // What devices behind it translate through; shared so it can outlive a
  // hot-unplug of one of them.
  std::shared_ptr<IommuMappings> mappings() const { return mappings_; }
  // The DMA translator of the device behind it with requester id `endpoint`.
  std::shared_ptr<DmaTranslator> DmaFor(uint32_t endpoint) const;
  IommuFaultQueue& faults() { return *faults_; }

  IommuMappings::State Save() const { return mappings_->Save(); }
  Result<void> Restore(const IommuMappings::State& state) { return mappings_->Restore(state); }

 private:
  Result<void> Serve(SplitQueue& queue);
  // The status of one request whose readable part is `req` (at most the
  // largest request); PROBE fills `properties`.
  uint8_t Handle(std::span<const uint8_t> req, std::span<uint8_t> properties);
  // On the loop: writes waiting faults into the event queue's buffers.
  Result<void> DeliverFaults();

  std::shared_ptr<IommuMappings> mappings_;
  std::shared_ptr<IommuFaultQueue> faults_;
  VirtioContext* context_ = nullptr;
  bool failed_ = false;
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> errors_{0};  // answered with a status other than OK
  std::atomic<uint64_t> faults_delivered_{0};
};

}  // namespace petrel::virtio
