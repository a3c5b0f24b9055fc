// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes Ioapic: the input decodes into MMIO reads and writes of any width
// at any offset (mostly IOREGSEL/IOWIN/EOI), pin line changes and EOI
// broadcasts. Oracle: never crashes; remote IRR only on level entries; the
// final state passes Validate, restores into a fresh IOAPIC and saves back
// equal.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "devices/ioapic/ioapic.h"
#include "fuzz/fuzz_input.h"
#include "fuzz/fuzz_check.h"

using petrel::fuzz::Check;

namespace {

class NullRoute final : public petrel::hv::MsiInterrupt {
 public:
  petrel::Result<void> SetMessage(const petrel::hv::MsiMessage&) override { return petrel::Ok(); }
  void Signal() override {}
};

std::shared_ptr<petrel::Ioapic> Make() {
  auto made = petrel::Ioapic::Create([](uint32_t) -> petrel::Result<std::shared_ptr<petrel::hv::MsiInterrupt>> {
    return std::shared_ptr<petrel::hv::MsiInterrupt>(std::make_shared<NullRoute>());
  });
  Check(made.ok());
  return std::move(made).value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  petrel::fuzz::FuzzInput in(data, size);
  auto io = Make();
  static constexpr uint64_t kOffsets[] = {0x00, 0x10, 0x40, 0x04, 0x11, 0xffc, 0x1000, ~0ULL};
  while (!in.empty()) {
    const uint8_t op = in.Byte();
    const uint64_t offset = kOffsets[(op >> 2) & 7];
    const size_t width = (op & 0x20) ? size_t{1} << (in.Byte() & 3) : 4;
    switch (op & 3) {
      case 0: {
        std::vector<uint8_t> buf(width);
        io->Read(offset, buf);
        break;
      }
      case 1: io->Write(offset, in.PaddedBytes(width)); break;
      case 2: io->SetLevel(in.Byte() % 26, (op & 0x40) != 0); break;
      default: io->EndOfInterrupt(in.Byte()); break;
    }
  }
  const auto state = io->Save();
  Check(petrel::Ioapic::Validate(state).ok());
  auto copy = Make();
  Check(copy->Restore(state).ok());
  Check(copy->Save() == state);
  return 0;
}
