// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes the snapshot state decoders (vmm/snapshot/state_json.h and the
// memory ranges of memory_file.h): a snapshot file is input Petrel did not
// write this run. The input is parsed as JSON (without exceptions) and the
// document, each member of it when it is an object, and the "state" of it
// as a versioned section go to every decoder. Checks:
//   - nothing throws or crashes, whatever the document;
//   - a refusal is kInvalidArgument and one line;
//   - an accepted state round-trips: encoded and decoded again, it is equal.
// The input document itself is never copied, compared or dumped (those
// recurse once per nesting level); only the encoder's output is.
// Seeds (fuzz/seeds/snapshot_state_fuzz) are objects of valid states.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "vmm/snapshot/memory_file.h"
#include "vmm/snapshot/state_json.h"

namespace {

namespace snap = petrel::vmm::snapshot;
using nlohmann::json;

void Check(bool condition) {
  if (!condition) std::abort();
}

template <class Decoder>
void Try(const json& value, Decoder decode) {
  auto decoded = decode(value, std::string("x"));
  if (!decoded.ok()) {
    Check(decoded.error().code() == petrel::ErrorCode::kInvalidArgument);
    Check(decoded.error().message().find('\n') == std::string::npos);
    return;
  }
  auto again = decode(json::parse(snap::ToJson(*decoded).dump()), std::string());
  Check(again.ok());
  Check(*again == *decoded);
}

void DecodeAll(const json& value) {
  Try(value, snap::VcpuStateFromJson);
  Try(value, snap::VmStateFromJson);
  Try(value, snap::IrqchipStateFromJson);
  Try(value, snap::PicStateFromJson);
  Try(value, snap::IoapicStateFromJson);
  Try(value, snap::PitStateFromJson);
  Try(value, snap::SerialStateFromJson);
  Try(value, snap::I8042StateFromJson);
  Try(value, snap::CmosStateFromJson);
  Try(value, snap::DebugPortStateFromJson);
  Try(value, snap::AcpiPmStateFromJson);
  Try(value, snap::PmTimerStateFromJson);
  Try(value, snap::GedStateFromJson);
  Try(value, snap::PciConfigIoStateFromJson);
  Try(value, snap::PciConfigSpaceStateFromJson);
  Try(value, snap::MsixTableStateFromJson);
  Try(value, snap::SplitQueueStateFromJson);
  Try(value, snap::VirtioPciQueueStateFromJson);
  Try(value, snap::VirtioPciDeviceStateFromJson);
  Try(value, snap::MemoryRangeFromJson);
  Try(value, snap::MemoryRangesFromJson);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const json document = json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return 0;
  DecodeAll(document);
  if (document.is_object()) {
    for (const json& member : document) DecodeAll(member);
  }
  auto state = snap::Unversioned(document, 1, "section");
  if (state.ok()) {
    DecodeAll(*state);
  } else {
    Check(state.error().message().find('\n') == std::string::npos);
  }
  return 0;
}
