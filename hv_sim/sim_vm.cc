// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SimVm (see sim_vm.h).
#include "hv_sim/sim_vm.h"

#include <algorithm>
#include <cstring>

#include "hv_sim/sim_hypervisor.h"
#include "hv_sim/sim_vcpu.h"

namespace petrel::sim {

// A legacy pin. Holds the VM weakly: the VM caches its lines.
class SimVm::Line final : public hv::InterruptLine {
 public:
  Line(std::weak_ptr<SimVm> vm, uint32_t pin) : vm_(std::move(vm)), pin_(pin) {}
  void SetLevel(bool high) override {
    if (auto vm = vm_.lock()) vm->SetPinLevel(pin_, high);
  }

 private:
  std::weak_ptr<SimVm> vm_;
  uint32_t pin_;
};

SimVm::SimVm(const SimConfig& config, const hv::Caps& caps)
    : config_(std::make_unique<SimConfig>(config)), caps_(caps), random_(config.seed) {}

SimVm::~SimVm() = default;

SimVm* AsSim(hv::Vm* vm) {
  return dynamic_cast<SimVm*>(vm);
}
std::shared_ptr<SimVm> AsSim(const std::shared_ptr<hv::Vm>& vm) {
  return std::dynamic_pointer_cast<SimVm>(vm);
}

Result<void> SimVm::MapMemory(std::shared_ptr<GuestMemory> memory) {
  if (!memory) return Error(ErrorCode::kInvalidArgument, "MapMemory: null guest memory");
  std::lock_guard lock(mu_);
  if (memory_) return Error(ErrorCode::kInvalidArgument, "MapMemory: memory is already mapped");
  std::vector<DirtyRange> shape;
  for (const GuestRegion& r : memory->regions()) shape.push_back({r.gpa, r.size});
  dirty_log_ = std::make_shared<DirtyLog>(shape);
  memory_ = std::move(memory);
  return Ok();
}

Result<void> SimVm::StartDirtyLog() {
  std::lock_guard lock(mu_);
  if (!dirty_log_) return Error(ErrorCode::kFailedPrecondition, "dirty log: no memory mapped");
  dirty_log_->Start();
  return Ok();
}

Result<void> SimVm::StopDirtyLog() {
  std::lock_guard lock(mu_);
  if (!dirty_log_) return Error(ErrorCode::kFailedPrecondition, "dirty log: no memory mapped");
  dirty_log_->Stop();
  return Ok();
}

Result<DirtyBitmap> SimVm::TakeDirtyLog() {
  std::lock_guard lock(mu_);
  if (!dirty_log_) return Error(ErrorCode::kFailedPrecondition, "dirty log: no memory mapped");
  if (!dirty_log_->logging()) return Error(ErrorCode::kFailedPrecondition, "dirty log is off");
  return dirty_log_->Take();
}

Result<void> SimVm::GuestWrite(uint64_t gpa, std::span<const uint8_t> bytes) {
  std::shared_ptr<GuestMemory> mem;
  std::shared_ptr<DirtyLog> log;
  {
    std::lock_guard lock(mu_);
    mem = memory_;
    log = dirty_log_;
  }
  if (!mem) return Error(ErrorCode::kNotFound, "no guest memory");
  if (!mem->Contains(gpa, bytes.size())) {
    std::lock_guard lock(mu_);
    for (const auto& [id, d] : device_memory_) {
      if (gpa >= d.gpa && bytes.size() <= d.size && gpa - d.gpa <= d.size - bytes.size()) {
        std::memcpy(static_cast<uint8_t*>(d.host) + (gpa - d.gpa), bytes.data(), bytes.size());
        return Ok();
      }
    }
    return Error(ErrorCode::kOutOfRange, "guest write outside RAM and device memory");
  }
  size_t done = 0;
  while (done < bytes.size()) {  // region by region
    const uint64_t at = gpa + done;
    size_t n = bytes.size() - done;
    for (const GuestRegion& r : mem->regions()) {
      if (at >= r.gpa && at < r.end()) n = static_cast<size_t>(std::min<uint64_t>(n, r.end() - at));
    }
    std::memcpy(mem->HostPointer(at, n), bytes.data() + done, n);  // Contains checked it
    done += n;
  }
  log->Mark(gpa, bytes.size());
  return Ok();
}

Result<uint32_t> SimVm::MapDeviceMemory(uint64_t gpa, uint64_t size, void* host) {
  constexpr uint64_t kPage = 4096;
  if (size == 0 || gpa % kPage || size % kPage || reinterpret_cast<uintptr_t>(host) % kPage ||
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
  for (const auto& [id, d] : device_memory_) {
    if (gpa < d.gpa + d.size && d.gpa < gpa + size) {
      return Error(ErrorCode::kInvalidArgument, "device memory overlaps region " + std::to_string(id));
    }
  }
  const uint32_t id = next_device_region_++;
  device_memory_[id] = {gpa, size, host};
  return id;
}

Result<void> SimVm::UnmapDeviceMemory(uint32_t id) {
  std::lock_guard lock(mu_);
  if (device_memory_.erase(id) == 0) {
    return Error(ErrorCode::kNotFound, "no device memory region " + std::to_string(id));
  }
  return Ok();
}

std::map<uint32_t, SimVm::DeviceRegion> SimVm::device_memory() const {
  std::lock_guard lock(mu_);
  return device_memory_;
}

Result<void> SimVm::GuestStore64(uint64_t gpa, uint64_t value) {
  std::shared_ptr<GuestMemory> mem;
  std::shared_ptr<DirtyLog> log;
  {
    std::lock_guard lock(mu_);
    mem = memory_;
    log = dirty_log_;
  }
  if (!mem) return Error(ErrorCode::kNotFound, "no guest memory");
  if (gpa % 8 != 0) return Error(ErrorCode::kInvalidArgument, "misaligned guest store");
  uint8_t* p = mem->HostPointer(gpa, 8);
  if (p == nullptr) return Error(ErrorCode::kOutOfRange, "guest write outside RAM");
  __atomic_store_n(reinterpret_cast<uint64_t*>(p), value, __ATOMIC_RELEASE);
  log->Mark(gpa, 8);
  return Ok();
}

std::shared_ptr<GuestMemory> SimVm::memory() const {
  std::lock_guard lock(mu_);
  return memory_;
}

Result<std::unique_ptr<SimVcpu>> SimVm::CreateSimVcpu(uint32_t id) {
  if (id >= caps_.max_vcpus) {
    return Error(ErrorCode::kOutOfRange, "vcpu id " + std::to_string(id) + " >= max_vcpus " +
                                             std::to_string(caps_.max_vcpus));
  }
  std::unique_lock lock(mu_);
  if (vcpus_.count(id)) {
    return Error(ErrorCode::kInvalidArgument, "vcpu " + std::to_string(id) + " already exists");
  }
  auto vcpu = std::make_unique<SimVcpu>(shared_from_this(), id);
  if (auto it = config_->vcpu_scripts.find(id); it != config_->vcpu_scripts.end()) {
    // SetScript reads the VM's edge counts (mu_), so outside the lock.
    vcpus_[id] = vcpu.get();
    lock.unlock();
    PETREL_TRY(vcpu->SetScript(it->second).Wrap("SimConfig::vcpu_scripts"));
    return vcpu;
  }
  vcpus_[id] = vcpu.get();
  return vcpu;
}

Result<std::unique_ptr<hv::Vcpu>> SimVm::CreateVcpu(uint32_t id) {
  PETREL_ASSIGN_OR_RETURN(auto vcpu, CreateSimVcpu(id));
  return std::unique_ptr<hv::Vcpu>(std::move(vcpu));
}

void SimVm::Unregister(uint32_t id) {
  std::lock_guard lock(mu_);
  vcpus_.erase(id);
}

std::vector<SimVcpu*> SimVm::VcpusInOrder() const {
  std::lock_guard lock(mu_);
  std::vector<SimVcpu*> out;
  for (const auto& [id, v] : vcpus_) out.push_back(v);
  return out;
}

std::vector<uint64_t> SimVm::PausedNotifications() const {
  std::vector<uint64_t> out;
  for (SimVcpu* v : VcpusInOrder()) out.push_back(v->paused_notifications());
  return out;
}

Result<void> SimVm::SetScript(uint32_t vcpu, GuestScript script) {
  SimVcpu* target = nullptr;
  {
    std::lock_guard lock(mu_);
    auto it = vcpus_.find(vcpu);
    if (it != vcpus_.end()) target = it->second;
  }
  if (!target) return Error(ErrorCode::kNotFound, "no vcpu " + std::to_string(vcpu));
  return target->SetScript(std::move(script));
}

Result<void> SimVm::RunAll(hv::GuestIo& io) {
  std::vector<SimVcpu*> vcpus = VcpusInOrder();
  std::vector<bool> done(vcpus.size(), false);
  size_t remaining = vcpus.size();
  while (remaining > 0) {
    for (size_t i = 0; i < vcpus.size(); ++i) {
      if (done[i]) continue;
      PETREL_ASSIGN_OR_RETURN(hv::VcpuExit e, vcpus[i]->Run(io));
      if (std::holds_alternative<hv::exit::ScriptEnd>(e) ||
          std::holds_alternative<hv::exit::Halted>(e)) {
        done[i] = true;
        --remaining;
      }
    }
  }
  return Ok();
}

Result<std::shared_ptr<hv::InterruptLine>> SimVm::LegacyInterrupt(uint32_t pin) {
  if (!caps_.kernel_ioapic) {
    return Error(ErrorCode::kUnsupported,
                 "legacy pins are the VMM's IOAPIC's on this VM (userspace_ioapic)");
  }
  if (pin >= kNumIrqPins) {
    return Error(ErrorCode::kOutOfRange, "legacy interrupt pin " + std::to_string(pin));
  }
  std::lock_guard lock(mu_);
  if (!lines_[pin]) lines_[pin] = std::make_shared<Line>(weak_from_this(), pin);
  return lines_[pin];
}

Result<std::unique_ptr<hv::IoEventRegistration>> SimVm::RegisterIoEvent(std::shared_ptr<Notifier>,
                                                                        hv::IoEventAddr,
                                                                        std::optional<uint64_t>) {
  return Error(ErrorCode::kUnsupported, "hv_sim keeps ioevents in the software table");
}

class SimVm::Msi final : public hv::MsiInterrupt {
 public:
  explicit Msi(std::weak_ptr<SimVm> vm) : vm_(std::move(vm)) {}
  Result<void> SetMessage(const hv::MsiMessage& message) override {
    std::lock_guard lock(mu_);
    message_ = message;
    return {};
  }
  void Signal() override {
    hv::MsiMessage message;
    {
      std::lock_guard lock(mu_);
      message = message_;
    }
    if (auto vm = vm_.lock()) vm->DeliverMsi(message);
  }

 private:
  std::weak_ptr<SimVm> vm_;
  std::mutex mu_;
  hv::MsiMessage message_;
};

Result<std::shared_ptr<hv::MsiInterrupt>> SimVm::CreateMsiInterrupt() {
  return std::shared_ptr<hv::MsiInterrupt>(std::make_shared<Msi>(weak_from_this()));
}

void SimVm::DeliverMsi(const hv::MsiMessage& message) {
  std::lock_guard lock(mu_);
  msis_.push_back(message);
  const uint8_t data[4] = {static_cast<uint8_t>(message.data), static_cast<uint8_t>(message.data >> 8),
                           static_cast<uint8_t>(message.data >> 16),
                           static_cast<uint8_t>(message.data >> 24)};
  trace_.Append(clock_.NowNs(), kNoVcpu, TraceKind::kMsi, message.address, data);
  // To the destination's local APIC (SDM 3A 11.11.1/11.11.2): physical
  // destination = APIC ID = vCPU id, fixed or lowest-priority delivery
  // (taken as fixed), the trigger mode from data bit 15. Other delivery
  // modes and logical destinations are not modelled (sim_lapic.h).
  const uint32_t destination = static_cast<uint32_t>(message.address >> 12) & 0xff;
  const uint32_t delivery_mode = (message.data >> 8) & 7;
  const bool logical = (message.address >> 2) & 1;
  if (logical || delivery_mode > 1) return;
  const auto target = vcpus_.find(destination);
  if (target == vcpus_.end()) return;
  target->second->apic().Accept(static_cast<uint8_t>(message.data), (message.data >> 15) & 1);
}

std::vector<hv::MsiMessage> SimVm::DeliveredMsis() const {
  std::lock_guard lock(mu_);
  return msis_;
}

Result<hv::VmClock> SimVm::GetClock() {
  std::lock_guard lock(mu_);
  return hv::VmClock{clock_.NowNs() + guest_clock_offset_};
}

Result<void> SimVm::SetClock(const hv::VmClock& clock) {
  std::lock_guard lock(mu_);
  guest_clock_offset_ = clock.ns - clock_.NowNs();  // unsigned wrap-around: any offset
  return Ok();
}

void SimVm::SetPinLevel(uint32_t pin, bool high) {
  if (pin >= kNumIrqPins) return;
  std::lock_guard lock(mu_);
  Pin& p = pins_[pin];
  if (p.level == high) return;
  p.level = high;
  if (high) ++p.rising_edges;
  const uint8_t level = high ? 1 : 0;
  trace_.Append(clock_.NowNs(), kNoVcpu, TraceKind::kIrqLevel, pin, {&level, 1});
}

bool SimVm::PinLevel(uint32_t pin) const {
  if (pin >= kNumIrqPins) return false;
  std::lock_guard lock(mu_);
  return pins_[pin].level;
}

bool SimVm::TakeIrq(uint32_t pin, uint64_t* seen_edges) {
  std::lock_guard lock(mu_);
  const Pin& p = pins_[pin];
  bool satisfied = p.level || p.rising_edges != *seen_edges;
  *seen_edges = p.rising_edges;
  return satisfied;
}

std::array<uint64_t, kNumIrqPins> SimVm::EdgeCounts() const {
  std::lock_guard lock(mu_);
  std::array<uint64_t, kNumIrqPins> out{};
  for (uint32_t i = 0; i < kNumIrqPins; ++i) out[i] = pins_[i].rising_edges;
  return out;
}

void SimVm::SetTimeHook(std::function<void(uint64_t)> hook) {
  std::lock_guard lock(mu_);
  time_hook_ =
      hook ? std::make_shared<const std::function<void(uint64_t)>>(std::move(hook)) : nullptr;
}

void SimVm::AdvanceTime(uint64_t ns) {
  if (ns == 0) return;
  clock_.Advance(ns);
  std::shared_ptr<const std::function<void(uint64_t)>> hook;
  {
    std::lock_guard lock(mu_);
    hook = time_hook_;
  }
  if (hook) (*hook)(clock_.NowNs());
}

std::vector<std::string> SimVm::mismatches() const {
  std::vector<std::string> out;
  for (SimVcpu* v : VcpusInOrder())
    out.insert(out.end(), v->mismatches().begin(), v->mismatches().end());
  return out;
}

std::vector<std::string> SimVm::failures() const {
  std::vector<std::string> out;
  for (SimVcpu* v : VcpusInOrder())
    out.insert(out.end(), v->failures().begin(), v->failures().end());
  return out;
}

Result<hv::VmState> SimVm::SaveState() {
  hv::VmState state;
  PETREL_ASSIGN_OR_RETURN(state.clock, GetClock());
  return state;
}

Result<void> SimVm::RestoreState(const hv::VmState& state) {
  if (state.irqchip) {
    return Error(ErrorCode::kInvalidArgument, "hv_sim has no in-kernel irqchip to restore");
  }
  if (state.clock) PETREL_TRY(SetClock(*state.clock));
  return Ok();
}

}  // namespace petrel::sim
