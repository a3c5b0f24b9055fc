// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ZydisInstructionDecoder: each form of the `mmio` profile decodes to the
// right Op, sizes, memory operand, immediate and length in 64-bit, 32-bit
// protected and 16-bit modes, with the 0x66/0x67 size prefixes; other
// instructions decode to kOther, bad bytes to kInvalid/kNeedMoreBytes.
#include "core/x86emu/zydis_decoder.h"

#include <gtest/gtest.h>

#include <vector>

namespace petrel::x86emu {
namespace {

DecodedInstruction Decode(std::vector<uint8_t> bytes, CpuMode mode = CpuMode::kLong64) {
  ZydisInstructionDecoder decoder;
  DecodedInstruction insn;
  EXPECT_EQ(decoder.Decode(bytes, mode, &insn), DecodeStatus::kOk);
  return insn;
}

void ExpectGpr(const Operand& op, uint8_t index, uint8_t size, bool high8 = false) {
  ASSERT_EQ(op.kind, Operand::Kind::kGpr);
  EXPECT_EQ(op.size, size);
  EXPECT_EQ(op.gpr.index, index);
  EXPECT_EQ(op.gpr.size, size);
  EXPECT_EQ(op.gpr.high8, high8);
}

TEST(X86EmuZydisDecoder, MovStoreThroughBase64) {
  const DecodedInstruction i = Decode({0x89, 0x08});  // mov [rax], ecx
  EXPECT_EQ(i.op, Op::kMov);
  EXPECT_EQ(i.name, "mov");
  EXPECT_EQ(i.length, 2);
  EXPECT_EQ(i.operand_size, 4);
  EXPECT_EQ(i.address_size, 8);
  ASSERT_EQ(i.operand_count, 2);
  ASSERT_EQ(i.operands[0].kind, Operand::Kind::kMem);
  EXPECT_EQ(i.operands[0].size, 4);
  EXPECT_TRUE(i.operands[0].mem.has_base);
  EXPECT_EQ(i.operands[0].mem.base, 0);
  EXPECT_FALSE(i.operands[0].mem.has_index);
  EXPECT_EQ(i.operands[0].mem.segment, SegReg::kDs);
  EXPECT_EQ(i.operands[0].mem.disp, 0);
  ExpectGpr(i.operands[1], 1, 4);
}

TEST(X86EmuZydisDecoder, SibWithDisplacement) {
  const DecodedInstruction i = Decode({0x48, 0x8b, 0x44, 0x8b, 0xf0});  // mov rax, [rbx+rcx*4-0x10]
  EXPECT_EQ(i.op, Op::kMov);
  EXPECT_EQ(i.length, 5);
  EXPECT_EQ(i.operand_size, 8);
  ExpectGpr(i.operands[0], 0, 8);
  const MemRef& m = i.operands[1].mem;
  ASSERT_EQ(i.operands[1].kind, Operand::Kind::kMem);
  EXPECT_TRUE(m.has_base);
  EXPECT_EQ(m.base, 3);
  EXPECT_TRUE(m.has_index);
  EXPECT_EQ(m.index, 1);
  EXPECT_EQ(m.scale, 4);
  EXPECT_EQ(m.disp, -0x10);
}

TEST(X86EmuZydisDecoder, RipRelativeAndR8Base) {
  const DecodedInstruction i = Decode({0x8b, 0x05, 0x78, 0x56, 0x34, 0x12});  // mov eax, [rip+0x12345678]
  EXPECT_EQ(i.length, 6);
  EXPECT_TRUE(i.operands[1].mem.rip_relative);
  EXPECT_FALSE(i.operands[1].mem.has_base);
  EXPECT_EQ(i.operands[1].mem.disp, 0x12345678);
  const DecodedInstruction j = Decode({0x45, 0x89, 0x48, 0x08});  // mov [r8+8], r9d
  EXPECT_EQ(j.operands[0].mem.base, 8);
  EXPECT_EQ(j.operands[0].mem.disp, 8);
  ExpectGpr(j.operands[1], 9, 4);
}

TEST(X86EmuZydisDecoder, Immediates) {
  // mov dword [rax+0x100], 0xdeadbeef
  DecodedInstruction i = Decode({0xc7, 0x80, 0x00, 0x01, 0x00, 0x00, 0xef, 0xbe, 0xad, 0xde});
  EXPECT_EQ(i.op, Op::kMov);
  EXPECT_EQ(i.length, 10);
  EXPECT_EQ(i.operands[0].mem.disp, 0x100);
  ASSERT_EQ(i.operands[1].kind, Operand::Kind::kImm);
  EXPECT_EQ(i.operands[1].imm & 0xffffffffu, 0xdeadbeefu);
  // mov qword [rax], -1: imm32 sign-extended to 64 bits (SDM 2A "MOV" C7 /0 with REX.W).
  i = Decode({0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff});
  EXPECT_EQ(i.operand_size, 8);
  EXPECT_EQ(i.operands[1].imm, ~0ull);
  // mov rax, imm64 (REX.W B8)
  i = Decode({0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_EQ(i.length, 10);
  EXPECT_EQ(i.operands[1].imm, 0x0807060504030201ull);
  // cmp dword [rax], -2: 83 /7 ib sign-extends.
  i = Decode({0x83, 0x38, 0xfe});
  EXPECT_EQ(i.op, Op::kCmp);
  EXPECT_EQ(i.operands[1].imm & 0xffffffffu, 0xfffffffeu);
}

TEST(X86EmuZydisDecoder, MoffsForms) {
  // mov eax, [moffs64] (A1 with an 8-byte offset in 64-bit mode)
  DecodedInstruction i = Decode({0xa1, 0x00, 0x10, 0x00, 0xfe, 0x00, 0x00, 0x00, 0x00});
  EXPECT_EQ(i.op, Op::kMov);
  EXPECT_EQ(i.length, 9);
  ExpectGpr(i.operands[0], 0, 4);
  ASSERT_EQ(i.operands[1].kind, Operand::Kind::kMem);
  EXPECT_FALSE(i.operands[1].mem.has_base);
  EXPECT_FALSE(i.operands[1].mem.rip_relative);
  EXPECT_EQ(i.operands[1].mem.disp, 0xfe001000);
  // mov [moffs], al (A2)
  i = Decode({0xa2, 0x08, 0x00, 0x00, 0xfe, 0x00, 0x00, 0x00, 0x00});
  ASSERT_EQ(i.operands[0].kind, Operand::Kind::kMem);
  EXPECT_EQ(i.operands[0].size, 1);
  EXPECT_EQ(i.operands[0].mem.disp, 0xfe000008);
  // 32-bit: a 4-byte offset.
  i = Decode({0xa3, 0x44, 0x33, 0x22, 0x11}, CpuMode::kProtected32);
  EXPECT_EQ(i.length, 5);
  EXPECT_EQ(i.operands[0].mem.disp, 0x11223344);
  // 16-bit: a 2-byte offset.
  i = Decode({0xa1, 0x34, 0x12}, CpuMode::kReal16);
  EXPECT_EQ(i.length, 3);
  EXPECT_EQ(i.operand_size, 2);
  EXPECT_EQ(i.operands[1].mem.disp, 0x1234);
}

TEST(X86EmuZydisDecoder, SizePrefixesAndByteRegisters64) {
  DecodedInstruction i = Decode({0x66, 0x89, 0x08});  // mov [rax], cx
  EXPECT_EQ(i.operand_size, 2);
  ExpectGpr(i.operands[1], 1, 2);
  i = Decode({0x67, 0x8b, 0x03});  // mov eax, [ebx]
  EXPECT_EQ(i.address_size, 4);
  EXPECT_EQ(i.operands[1].mem.base, 3);
  i = Decode({0x88, 0x20});  // mov [rax], ah
  ExpectGpr(i.operands[1], 0, 1, true);
  i = Decode({0x40, 0x88, 0x20});  // mov [rax], spl
  ExpectGpr(i.operands[1], 4, 1, false);
  i = Decode({0x64, 0x8b, 0x00});  // mov eax, fs:[rax]
  EXPECT_EQ(i.operands[1].mem.segment, SegReg::kFs);
  i = Decode({0x8b, 0x45, 0x08});  // mov eax, [rbp+8]: SS by default
  EXPECT_EQ(i.operands[1].mem.segment, SegReg::kSs);
}

TEST(X86EmuZydisDecoder, Protected32) {
  DecodedInstruction i = Decode({0x8b, 0x44, 0x8b, 0x10}, CpuMode::kProtected32);
  EXPECT_EQ(i.operand_size, 4);
  EXPECT_EQ(i.address_size, 4);
  EXPECT_EQ(i.length, 4);
  EXPECT_EQ(i.operands[1].mem.base, 3);
  EXPECT_EQ(i.operands[1].mem.index, 1);
  EXPECT_EQ(i.operands[1].mem.scale, 4);
  i = Decode({0x66, 0x89, 0x08}, CpuMode::kProtected32);  // mov [eax], cx
  EXPECT_EQ(i.operand_size, 2);
  i = Decode({0x67, 0x89, 0x08}, CpuMode::kProtected32);  // mov [bx+si], ecx
  EXPECT_EQ(i.address_size, 2);
  EXPECT_EQ(i.operands[0].mem.base, 3);
  EXPECT_EQ(i.operands[0].mem.index, 6);
  i = Decode({0x48}, CpuMode::kProtected32);  // dec eax, not REX
  EXPECT_EQ(i.op, Op::kDec);
  EXPECT_EQ(i.length, 1);
}

TEST(X86EmuZydisDecoder, Real16) {
  DecodedInstruction i = Decode({0x89, 0x07}, CpuMode::kReal16);  // mov [bx], ax
  EXPECT_EQ(i.operand_size, 2);
  EXPECT_EQ(i.address_size, 2);
  EXPECT_EQ(i.operands[0].mem.base, 3);
  i = Decode({0x8b, 0x46, 0x02}, CpuMode::kReal16);  // mov ax, [bp+2]
  EXPECT_EQ(i.operands[1].mem.base, 5);
  EXPECT_EQ(i.operands[1].mem.segment, SegReg::kSs);
  EXPECT_EQ(i.operands[1].mem.disp, 2);
  i = Decode({0x66, 0x89, 0x07}, CpuMode::kReal16);  // mov [bx], eax
  EXPECT_EQ(i.operand_size, 4);
  i = Decode({0x67, 0x89, 0x03}, CpuMode::kReal16);  // mov [ebx], ax
  EXPECT_EQ(i.address_size, 4);
  EXPECT_EQ(i.operand_size, 2);
}

TEST(X86EmuZydisDecoder, ExtendForms) {
  DecodedInstruction i = Decode({0x0f, 0xb6, 0x00});  // movzx eax, byte [rax]
  EXPECT_EQ(i.op, Op::kMovzx);
  EXPECT_EQ(i.operand_size, 4);
  EXPECT_EQ(i.operands[1].size, 1);
  i = Decode({0x48, 0x0f, 0xbf, 0x00});  // movsx rax, word [rax]
  EXPECT_EQ(i.op, Op::kMovsx);
  EXPECT_EQ(i.operand_size, 8);
  EXPECT_EQ(i.operands[1].size, 2);
  i = Decode({0x48, 0x63, 0x00});  // movsxd rax, dword [rax]
  EXPECT_EQ(i.op, Op::kMovsxd);
  EXPECT_EQ(i.operands[1].size, 4);
}

TEST(X86EmuZydisDecoder, StringForms) {
  DecodedInstruction i = Decode({0xf3, 0x48, 0xa5});  // rep movsq
  EXPECT_EQ(i.op, Op::kMovs);
  EXPECT_EQ(i.rep, RepPrefix::kRep);
  EXPECT_EQ(i.operand_size, 8);
  EXPECT_EQ(i.address_size, 8);
  EXPECT_EQ(i.length, 3);
  i = Decode({0xa4});  // movsb
  EXPECT_EQ(i.op, Op::kMovs);
  EXPECT_EQ(i.rep, RepPrefix::kNone);
  EXPECT_EQ(i.operand_size, 1);
  i = Decode({0x64, 0x66, 0xa5});  // movsw, source fs:[rsi]
  EXPECT_EQ(i.operand_size, 2);
  bool fs_source = false;
  for (uint8_t k = 0; k < i.operand_count; ++k) {
    if (i.operands[k].mem.segment == SegReg::kFs) fs_source = true;
  }
  EXPECT_TRUE(fs_source);
  i = Decode({0xaa});  // stosb
  EXPECT_EQ(i.op, Op::kStos);
  EXPECT_EQ(i.operand_size, 1);
  i = Decode({0xf3, 0xab});  // rep stosd
  EXPECT_EQ(i.op, Op::kStos);
  EXPECT_EQ(i.rep, RepPrefix::kRep);
  EXPECT_EQ(i.operand_size, 4);
  i = Decode({0x67, 0xab});  // stosd with edi
  EXPECT_EQ(i.address_size, 4);
  i = Decode({0xf2, 0xa4});  // F2 on MOVS: not a plain MOVS (it repeats on real CPUs)
  EXPECT_EQ(i.rep, RepPrefix::kRepne);
}

TEST(X86EmuZydisDecoder, AluBitAndSetccForms) {
  EXPECT_EQ(Decode({0x80, 0x08, 0x80}).op, Op::kOr);   // or byte [rax], 0x80
  EXPECT_EQ(Decode({0x21, 0x08}).op, Op::kAnd);        // and [rax], ecx
  EXPECT_EQ(Decode({0x33, 0x08}).op, Op::kXor);        // xor ecx, [rax]
  EXPECT_EQ(Decode({0x01, 0x08}).op, Op::kAdd);
  EXPECT_EQ(Decode({0x29, 0x08}).op, Op::kSub);
  EXPECT_EQ(Decode({0x85, 0x08}).op, Op::kTest);
  EXPECT_EQ(Decode({0x87, 0x08}).op, Op::kXchg);
  DecodedInstruction i = Decode({0x3c, 0x05});  // cmp al, 5: AL is implicit but an operand
  EXPECT_EQ(i.op, Op::kCmp);
  ASSERT_EQ(i.operand_count, 2);
  ExpectGpr(i.operands[0], 0, 1);
  EXPECT_EQ(i.operands[1].imm, 5u);
  EXPECT_EQ(Decode({0x0f, 0xa3, 0x08}).op, Op::kBt);   // bt [rax], ecx
  EXPECT_EQ(Decode({0x0f, 0xab, 0x08}).op, Op::kBts);  // bts [rax], ecx
  EXPECT_EQ(Decode({0x0f, 0xb3, 0x08}).op, Op::kBtr);  // btr [rax], ecx
  i = Decode({0x0f, 0xba, 0x28, 0x03});                // bts dword [rax], 3
  EXPECT_EQ(i.op, Op::kBts);
  EXPECT_EQ(i.operands[1].imm, 3u);
  i = Decode({0x0f, 0x94, 0x00});  // sete [rax]
  EXPECT_EQ(i.op, Op::kSetcc);
  EXPECT_EQ(i.condition, 4);
  EXPECT_EQ(i.operands[0].size, 1);
  EXPECT_EQ(Decode({0x0f, 0x9f, 0xc0}).condition, 0xf);  // setg al
}

TEST(X86EmuZydisDecoder, OtherAndUnsupportedOperands) {
  DecodedInstruction i = Decode({0x0f, 0xb1, 0x08});  // cmpxchg [rax], ecx
  EXPECT_EQ(i.op, Op::kOther);
  EXPECT_EQ(i.name, "cmpxchg");
  i = Decode({0x0f, 0x21, 0xc0});  // mov rax, dr0
  EXPECT_EQ(i.op, Op::kMov);
  EXPECT_TRUE(i.unsupported_operand);
  i = Decode({0x8c, 0xd8});  // mov eax, ds
  EXPECT_TRUE(i.unsupported_operand);
  i = Decode({0x89, 0x08});
  EXPECT_FALSE(i.unsupported_operand);
}

TEST(X86EmuZydisDecoder, ShortAndInvalidBytes) {
  ZydisInstructionDecoder decoder;
  DecodedInstruction insn;
  const uint8_t partial[] = {0x8b};
  EXPECT_EQ(decoder.Decode(partial, CpuMode::kLong64, &insn), DecodeStatus::kNeedMoreBytes);
  EXPECT_EQ(decoder.Decode({}, CpuMode::kLong64, &insn), DecodeStatus::kNeedMoreBytes);
  const uint8_t push_es[] = {0x06};  // invalid in 64-bit mode
  EXPECT_EQ(decoder.Decode(push_es, CpuMode::kLong64, &insn), DecodeStatus::kInvalid);
  const uint8_t lock_mov[] = {0xf0, 0x89, 0x08};  // LOCK on MOV is #UD
  EXPECT_EQ(decoder.Decode(lock_mov, CpuMode::kLong64, &insn), DecodeStatus::kInvalid);
}

}  // namespace
}  // namespace petrel::x86emu
