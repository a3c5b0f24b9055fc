// Fuzz target for the MSHV backend's intercept handling: random hv_messages
// (up to 16 per input) through MshvVcpu::Run on the fake driver, with a
// GuestIo that records accesses, after random register values. Per message
// the input gives a control byte (bit 0: make the VP index the vCPU's so
// the handlers get past that check; bit 1: clamp payload_size to the 240
// payload bytes; bit 2: install an MMIO emulator stand-in) and the 256
// message bytes. Invariants: Run never crashes, one message makes at most
// one port access and one EOI, and the register accessors keep working.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "fuzz/fuzz_input.h"
#include "hv_mshv/mshv_hypervisor.h"
#include "hv_mshv/mshv_vcpu.h"
#include "hv_mshv/testing/fake_mshv_driver.h"
#include "hv_mshv/testing/recording_guest_io.h"

namespace {

using namespace petrel;
using namespace petrel::mshv;

constexpr uint32_t kVcpu = 1;

// Reads one 8-byte MMIO value and moves RIP on, like an emulated MOV.
class StandInEmulator final : public MmioEmulator {
 public:
  Result<void> Emulate(const MmioIntercept& mmio, VpRegisterAccess& regs,
                       hv::GuestIo& io) override {
    if (mmio.instruction_bytes.size() > 16) std::abort();
    uint8_t data[8] = {};
    io.MmioRead(mmio.vcpu, mmio.gpa, data);
    const HvRegisterAssoc rip[1] = {Reg64(kHvX64RegRip, mmio.rip + mmio.instruction_length)};
    return regs.SetRegisters(rip);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzInput in(data, size);
  auto driver = std::make_shared<FakeMshvDriver>();
  auto hv = OpenMshvWith(driver, "/dev/mshv");
  if (!hv.ok()) std::abort();
  auto vm = (*hv)->CreateVm(hv::VmConfig{2, true});
  if (!vm.ok()) std::abort();
  auto created = (*vm)->CreateVcpu(kVcpu);
  if (!created.ok()) std::abort();
  auto* vcpu = static_cast<MshvVcpu*>(created->get());

  hv::Regs regs;
  for (auto& r : regs.gpr) {
    const auto b = in.PaddedBytes(8);
    std::memcpy(&r, b.data(), 8);
  }
  if (!vcpu->SetRegs(regs).ok()) std::abort();

  RecordingGuestIo io;
  for (int i = 0; i < 16 && !in.empty(); ++i) {
    const uint8_t control = in.Byte();
    const std::vector<uint8_t> bytes = in.PaddedBytes(sizeof(HvMessage));
    HvMessage m;
    std::memcpy(&m, bytes.data(), sizeof m);
    if (control & 1) std::memcpy(m.payload, &kVcpu, sizeof kVcpu);  // VP index
    if ((control & 2) && m.header.payload_size > kHvMessagePayloadBytes) {
      m.header.payload_size = kHvMessagePayloadBytes;
    }
    vcpu->SetMmioEmulator(control & 4 ? std::make_shared<StandInEmulator>() : nullptr);
    driver->QueueMessage(m);
    const size_t before = io.accesses.size();
    // Handled messages continue into the next (absent) one: ENODATA.
    auto exit = vcpu->Run(io);
    (void)exit;
    if (io.accesses.size() - before > 1) std::abort();
    if (driver->queued_messages() != 0) std::abort();
  }
  auto back = vcpu->GetRegs();
  if (!back.ok()) std::abort();
  return 0;
}
