// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RecordingVm (see recording_vm.h).
#include "core/io/recording_vm.h"

#include <mutex>

namespace petrel {
namespace {

class RecordingLine final : public hv::InterruptLine {
 public:
  RecordingLine(std::shared_ptr<hv::InterruptLine> inner, uint32_t pin,
                const RecordingVm::Recorder& recorder)
      : inner_(std::move(inner)), pin_(pin), recorder_(recorder) {}
  void SetLevel(bool high) override {
    recorder_.Record(IoTraceRecord::Kind::kPin, pin_, {static_cast<uint8_t>(high ? 1 : 0)});
    inner_->SetLevel(high);
  }

 private:
  std::shared_ptr<hv::InterruptLine> inner_;
  const uint32_t pin_;
  const RecordingVm::Recorder recorder_;
};

class RecordingMsi final : public hv::MsiInterrupt {
 public:
  RecordingMsi(std::shared_ptr<hv::MsiInterrupt> inner, const RecordingVm::Recorder& recorder)
      : inner_(std::move(inner)), recorder_(recorder) {}
  Result<void> SetMessage(const hv::MsiMessage& message) override {
    PETREL_TRY(inner_->SetMessage(message));
    std::lock_guard lock(mu_);
    message_ = message;
    return Ok();
  }
  void Signal() override {
    hv::MsiMessage message;
    {
      std::lock_guard lock(mu_);
      message = message_;
    }
    recorder_.Record(IoTraceRecord::Kind::kMsi, message.address,
                     {static_cast<uint8_t>(message.data), static_cast<uint8_t>(message.data >> 8),
                      static_cast<uint8_t>(message.data >> 16),
                      static_cast<uint8_t>(message.data >> 24)});
    inner_->Signal();
  }

 private:
  std::shared_ptr<hv::MsiInterrupt> inner_;
  const RecordingVm::Recorder recorder_;
  std::mutex mu_;
  hv::MsiMessage message_;
};

}  // namespace

void RecordingVm::Recorder::Record(IoTraceRecord::Kind kind, uint64_t addr,
                                   std::vector<uint8_t> data) const {
  trace->Append({clock->NowNs() - start_ns, IoTraceRecord::kNoVcpu, kind, addr, std::move(data)});
}

Result<std::shared_ptr<hv::InterruptLine>> RecordingVm::LegacyInterrupt(uint32_t pin) {
  PETREL_ASSIGN_OR_RETURN(auto line, inner_->LegacyInterrupt(pin));
  return std::shared_ptr<hv::InterruptLine>(std::make_shared<RecordingLine>(std::move(line), pin, recorder_));
}

Result<std::shared_ptr<hv::MsiInterrupt>> RecordingVm::CreateIoapicPinInterrupt(uint32_t pin) {
  PETREL_ASSIGN_OR_RETURN(auto msi, inner_->CreateIoapicPinInterrupt(pin));
  return std::shared_ptr<hv::MsiInterrupt>(std::make_shared<RecordingMsi>(std::move(msi), recorder_));
}

Result<std::shared_ptr<hv::MsiInterrupt>> RecordingVm::CreateMsiInterrupt() {
  PETREL_ASSIGN_OR_RETURN(auto msi, inner_->CreateMsiInterrupt());
  return std::shared_ptr<hv::MsiInterrupt>(std::make_shared<RecordingMsi>(std::move(msi), recorder_));
}

}  // namespace petrel
