// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ZydisInstructionDecoder: the InstructionDecoder over Zydis 4 (libzydis-dev). It only
// translates Zydis's view of the bytes into a DecodedInstruction; every
// semantic rule lives in the emulator.
#pragma once

#include "core/x86emu/decoder.h"

namespace petrel::x86emu {

class ZydisInstructionDecoder final : public InstructionDecoder {
 public:
  DecodeStatus Decode(std::span<const uint8_t> bytes, CpuMode mode,
                      DecodedInstruction* out) const override;
};

}  // namespace petrel::x86emu
