// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// InterruptPlatform (see interrupt_platform.h).
#include "vmm/interrupt_platform.h"

#include "core/arch/x86_layout.h"

namespace petrel::vmm {

Result<std::unique_ptr<InterruptPlatform>> InterruptPlatform::Create(hv::Vm& vm, IoDispatcher& io) {
  std::unique_ptr<InterruptPlatform> p(new InterruptPlatform(vm, io));
  if (vm.caps().kernel_ioapic) return p;
  hv::Vm* backend = &vm;
  PETREL_ASSIGN_OR_RETURN(
      p->ioapic_, Ioapic::Create([backend](uint32_t pin) {
                    return backend->CreateIoapicPinInterrupt(pin).Wrap(
                        "the route of IOAPIC pin " + std::to_string(pin));
                  }).Wrap("the userspace IOAPIC"));
  PETREL_ASSIGN_OR_RETURN(p->registration_,
                          io.mmio().Insert(x86::kIoapicStart, Ioapic::kSize, p->ioapic_));
  std::weak_ptr<Ioapic> weak = p->ioapic_;
  io.SetEoiListener([weak](uint8_t vector) {
    if (auto ioapic = weak.lock()) ioapic->EndOfInterrupt(vector);
  });
  return p;
}

InterruptPlatform::~InterruptPlatform() {
  if (ioapic_) io_.SetEoiListener(nullptr);
}

Result<std::shared_ptr<hv::InterruptLine>> InterruptPlatform::Line(uint32_t pin) {
  if (!ioapic_) return vm_.LegacyInterrupt(pin);
  auto line = ioapic_->Line(pin);
  if (!line) return Error(ErrorCode::kOutOfRange, "IOAPIC pin " + std::to_string(pin));
  return line;
}

std::optional<Ioapic::State> InterruptPlatform::Save() const {
  if (!ioapic_) return std::nullopt;
  return ioapic_->Save();
}

Result<void> InterruptPlatform::Restore(const std::optional<Ioapic::State>& state) {
  if (state.has_value() != (ioapic_ != nullptr)) {
    return Error(ErrorCode::kInvalidArgument,
                 ioapic_ ? "the state has no IOAPIC state for this VM's userspace IOAPIC"
                         : "the state has a userspace IOAPIC; this VM uses the hypervisor's");
  }
  if (!state) return Ok();
  return ioapic_->Restore(*state).Wrap("restoring the IOAPIC");
}

}  // namespace petrel::vmm
