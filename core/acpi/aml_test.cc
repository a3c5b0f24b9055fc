// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for the AML encoder. Expected bytes come from `iasl -l` listings
// (acpica-tools 20200925) of the ASL quoted above each expectation: the ASL
// was compiled in a DefinitionBlock at root scope and the listing's hex copied.
#include "core/acpi/aml.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace petrel::acpi::aml {
namespace {

using Bytes = std::vector<uint8_t>;

TEST(AmlTest, IntegersUseTheShortestEncoding) {
  // Zero / One / Ones opcodes (ACPI 20.3).
  EXPECT_EQ(Int(0).bytes(), Bytes({0x00}));
  EXPECT_EQ(Int(1).bytes(), Bytes({0x01}));
  EXPECT_EQ(Int(~uint64_t{0}).bytes(), Bytes({0xFF}));
  // Name (INT0, 0x12) -> 08 'INT0' 0A 12
  EXPECT_EQ(Int(0x12).bytes(), Bytes({0x0A, 0x12}));
  // Name (INT1, 0x1234) -> 0B 34 12
  EXPECT_EQ(Int(0x1234).bytes(), Bytes({0x0B, 0x34, 0x12}));
  // Name (INT2, 0x12345678) -> 0C 78 56 34 12
  EXPECT_EQ(Int(0x12345678).bytes(), Bytes({0x0C, 0x78, 0x56, 0x34, 0x12}));
  // Name (INT3, 0x123456789A) -> 0E 9A 78 56 34 12 00 00 00
  EXPECT_EQ(Int(0x123456789A).bytes(),
            Bytes({0x0E, 0x9A, 0x78, 0x56, 0x34, 0x12, 0x00, 0x00, 0x00}));
  // Boundaries.
  EXPECT_EQ(Int(0xFF).bytes(), Bytes({0x0A, 0xFF}));
  EXPECT_EQ(Int(0x100).bytes(), Bytes({0x0B, 0x00, 0x01}));
  EXPECT_EQ(Int(0x10000).bytes(), Bytes({0x0C, 0x00, 0x00, 0x01, 0x00}));
  EXPECT_EQ(Int(0xFFFFFFFF).bytes()[0], 0x0C);
  EXPECT_EQ(Int(0x100000000).bytes()[0], 0x0E);
}

TEST(AmlTest, NameStringAndEisaId) {
  // Name (STR0, "ab") -> 08 53 54 52 30 0D 61 62 00
  EXPECT_EQ(Name("STR0", String("ab")).bytes(),
            Bytes({0x08, 'S', 'T', 'R', '0', 0x0D, 'a', 'b', 0x00}));
  // Name (EIS0, EisaId ("PNP0501")) -> 08 'EIS0' 0C 41 D0 05 01
  EXPECT_EQ(Name("EIS0", EisaId("PNP0501")).bytes(),
            Bytes({0x08, 'E', 'I', 'S', '0', 0x0C, 0x41, 0xD0, 0x05, 0x01}));
  EXPECT_EQ(EisaIdValue("PNP0501"), 0x0105D041u);
  EXPECT_EQ(EisaIdValue("PNP0C0C"), 0x0C0CD041u);
}

TEST(AmlTest, NameStringPrefixes) {
  // Name (\_SB.ABCD, One) at root: iasl drops the redundant '\' -> 2E '_SB_' 'ABCD'
  EXPECT_EQ(NameString("_SB.ABCD"), Bytes({0x2E, '_', 'S', 'B', '_', 'A', 'B', 'C', 'D'}));
  // Name (\_SB.COM1.ABCF, Zero) -> 2F 03 '_SB_' 'COM1' 'ABCF' (root also dropped)
  EXPECT_EQ(NameString("_SB_.COM1.ABCF"),
            Bytes({0x2F, 0x03, '_', 'S', 'B', '_', 'C', 'O', 'M', '1', 'A', 'B', 'C', 'F'}));
  // Notify (\_SB.COM1, 0x80) -> 86 5C 2E '_SB_' 'COM1' 0A 80
  EXPECT_EQ(Notify(Path("\\_SB.COM1"), Int(0x80)).bytes(),
            Bytes({0x86, 0x5C, 0x2E, '_', 'S', 'B', '_', 'C', 'O', 'M', '1', 0x0A, 0x80}));
  // Name (^^ABCE, Zero) -> 08 5E 5E 'ABCE' 00
  EXPECT_EQ(Name("^^ABCE", Zero()).bytes(), Bytes({0x08, 0x5E, 0x5E, 'A', 'B', 'C', 'E', 0x00}));
  // Scope (^PCI0.XX00) {} -> 10 0B 5E 2E 'PCI0' 'XX00'
  EXPECT_EQ(Scope("^PCI0.XX00", {}).bytes(),
            Bytes({0x10, 0x0B, 0x5E, 0x2E, 'P', 'C', 'I', '0', 'X', 'X', '0', '0'}));
  EXPECT_EQ(NameString("\\"), Bytes({0x5C, 0x00}));
  EXPECT_EQ(NameString("\\_S5"), Bytes({0x5C, '_', 'S', '5', '_'}));
}

TEST(AmlTest, BadNamesAbort) {
  EXPECT_DEATH(NameString("abcd"), "bad name");
  EXPECT_DEATH(NameString("TOOLONG"), "bad name segment");
  EXPECT_DEATH(NameString("0ABC"), "bad name segment");
  EXPECT_DEATH(NameString("A..B"), "bad name segment");
  EXPECT_DEATH(NameString(""), "empty name");
}

TEST(AmlTest, PackageAndBuffer) {
  // Name (PKG0, Package () { 5, 0, 0, 0 }) -> 12 07 04 0A 05 00 00 00
  EXPECT_EQ(Package({Int(5), Zero(), Zero(), Zero()}).bytes(),
            Bytes({0x12, 0x07, 0x04, 0x0A, 0x05, 0x00, 0x00, 0x00}));
  // Name (BUF0, Buffer () { 1, 2, 3 }) -> 11 06 0A 03 01 02 03
  const Bytes data = {1, 2, 3};
  EXPECT_EQ(Buffer(data).bytes(), Bytes({0x11, 0x06, 0x0A, 0x03, 0x01, 0x02, 0x03}));
}

TEST(AmlTest, PkgLengthSizes) {
  // ACPI 20.2.4; the length counts the PkgLength bytes themselves.
  EXPECT_EQ(PkgLength(0), Bytes({0x01}));
  EXPECT_EQ(PkgLength(62), Bytes({0x3F}));
  // 63 + 1 = 64 does not fit 6 bits: 2 bytes, 63 + 2 = 0x41.
  EXPECT_EQ(PkgLength(63), Bytes({0x41, 0x04}));
  // Method (MTH0, ...) in the listing: 14 48 06 -> 0x68 = 104 = 102 + 2.
  EXPECT_EQ(PkgLength(102), Bytes({0x48, 0x06}));
  EXPECT_EQ(PkgLength(0xFFD), Bytes({0x4F, 0xFF}));          // 0xFFF, the 2-byte maximum
  EXPECT_EQ(PkgLength(0xFFE), Bytes({0x81, 0x00, 0x01}));    // 0x1001 in 3 bytes
  EXPECT_EQ(PkgLength(0xFFFFC), Bytes({0x8F, 0xFF, 0xFF}));  // 0xFFFFF, the 3-byte maximum
  EXPECT_EQ(PkgLength(0xFFFFD), Bytes({0xC1, 0x00, 0x00, 0x01}));
  EXPECT_EQ(PkgLength(0x0FFFFFFB), Bytes({0xCF, 0xFF, 0xFF, 0xFF}));
  EXPECT_DEATH(PkgLength(0x0FFFFFFC), "package too long");
}

TEST(AmlTest, LongPackageUsesTwoBytePkgLength) {
  const Bytes data(100, 0xAB);
  const Term b = Buffer(data);
  // 11, PkgLength(2 bytes), 0A 64, 100 bytes: content 102, total 104 = 0x68.
  ASSERT_EQ(b.size(), 1 + 2 + 2 + 100u);
  EXPECT_EQ(b.bytes()[1], 0x48);
  EXPECT_EQ(b.bytes()[2], 0x06);
}

TEST(AmlTest, DeviceWithResourceTemplate) {
  // Scope (_SB) { Device (COM1) { Name (_HID, EisaId ("PNP0501")) Name (_UID, Zero)
  //   Name (_CRS, ResourceTemplate () { IO (Decode16, 0x03F8, 0x03F8, 0x00, 0x08, )
  //                                     IRQNoFlags () {4} }) } }
  const Term t = Scope(
      "_SB",
      {Device("COM1", {
                          Name("_HID", EisaId("PNP0501")),
                          Name("_UID", Zero()),
                          Name("_CRS", ResourceTemplate({Io(0x3F8, 0x3F8, 0, 8), IrqNoFlags(4)})),
                      })});
  const Bytes expected = {
      0x10, 0x32, '_',  'S',  'B',  '_',                           // Scope
      0x5B, 0x82, 0x2B, 'C',  'O',  'M',  '1',                     // Device
      0x08, '_',  'H',  'I',  'D',  0x0C, 0x41, 0xD0, 0x05, 0x01,  // _HID
      0x08, '_',  'U',  'I',  'D',  0x00,                          // _UID
      0x08, '_',  'C',  'R',  'S',  0x11, 0x10, 0x0A, 0x0D,        // _CRS Buffer(13)
      0x47, 0x01, 0xF8, 0x03, 0xF8, 0x03, 0x00, 0x08,              // IO
      0x22, 0x10, 0x00,                                            // IRQNoFlags {4}
      0x79, 0x00,                                                  // EndTag
  };
  EXPECT_EQ(t.bytes(), expected);
}

TEST(AmlTest, LargeResourceDescriptors) {
  // Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, ) {5}
  EXPECT_EQ(
      Interrupt(Usage::kConsumer, Trigger::kEdge, Polarity::kActiveHigh, Sharing::kExclusive, {5})
          .bytes(),
      Bytes({0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0x00, 0x00, 0x00}));
  // Interrupt (ResourceConsumer, Level, ActiveLow, Shared, ,, ) {16, 17}
  EXPECT_EQ(
      Interrupt(Usage::kConsumer, Trigger::kLevel, Polarity::kActiveLow, Sharing::kShared, {16, 17})
          .bytes(),
      Bytes({0x89, 0x0A, 0x00, 0x0D, 0x02, 0x10, 0, 0, 0, 0x11, 0, 0, 0}));
  // Memory32Fixed (ReadWrite, 0xFEC00000, 0x00001000, )
  EXPECT_EQ(Memory32Fixed(true, 0xFEC00000, 0x1000).bytes(),
            Bytes({0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0xC0, 0xFE, 0x00, 0x10, 0x00, 0x00}));
  // DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite,
  //   0x0, 0xC0000000, 0xFEBFFFFF, 0x0, 0x3EC00000, ,, , AddressRangeMemory, TypeStatic)
  EXPECT_EQ(DWordMemory(Usage::kProducer, Cache::kCacheable, true, 0xC0000000, 0xFEBFFFFF).bytes(),
            Bytes({0x87, 0x17, 0x00, 0x00, 0x0C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                   0xC0, 0xFF, 0xFF, 0xBF, 0xFE, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x3E}));
  // QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite,
  //   0x0, 0x100000000, 0x1FFFFFFFF, 0x0, 0x100000000, ...)
  Bytes qword = {0x8A, 0x2B, 0x00, 0x00, 0x0C, 0x03};
  const uint64_t fields[5] = {0, 0x100000000, 0x1FFFFFFFF, 0, 0x100000000};
  for (uint64_t f : fields) {
    for (int i = 0; i < 8; ++i) qword.push_back(static_cast<uint8_t>(f >> (8 * i)));
  }
  EXPECT_EQ(
      QWordMemory(Usage::kProducer, Cache::kCacheable, true, 0x100000000, 0x1FFFFFFFF).bytes(),
      qword);
  // DWordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
  //   0x0, 0xD00, 0xFFFF, 0x0, 0xF300, ,, , TypeStatic, DenseTranslation)
  EXPECT_EQ(DWordIo(Usage::kProducer, 0xD00, 0xFFFF).bytes(),
            Bytes({0x87, 0x17, 0x00, 0x01, 0x0C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0D, 0x00,
                   0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF3, 0x00, 0x00}));
  // WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0x0, 0x0, 0xFF, 0x0, 0x100, ,,
  // )
  EXPECT_EQ(WordBusNumber(Usage::kProducer, 0, 0xFF).bytes(),
            Bytes({0x88, 0x0D, 0x00, 0x02, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0x00, 0x00,
                   0x00, 0x00, 0x01}));
  // Consumer sets general flags bit 0.
  EXPECT_EQ(DWordMemory(Usage::kConsumer, Cache::kNonCacheable, false, 0, 0xFFF).bytes()[4], 0x0D);
  EXPECT_EQ(DWordMemory(Usage::kConsumer, Cache::kNonCacheable, false, 0, 0xFFF).bytes()[5], 0x00);
}

TEST(AmlTest, ResourceArgumentChecks) {
  EXPECT_DEATH(IrqNoFlags(16), "irq >= 16");
  EXPECT_DEATH(DWordMemory(Usage::kConsumer, Cache::kCacheable, true, 0, 0xFFFFFFFF),
               "does not fit");
  EXPECT_DEATH(Io(0x10, 0x8, 1, 1), "max < min");
}

TEST(AmlTest, RegionAndFields) {
  // OperationRegion (GDST, SystemMemory, 0xFEB00000, One)
  EXPECT_EQ(OpRegion("GDST", RegionSpace::kSystemMemory, Int(0xFEB00000), One()).bytes(),
            Bytes({0x5B, 0x80, 'G', 'D', 'S', 'T', 0x00, 0x0C, 0x00, 0x00, 0xB0, 0xFE, 0x01}));
  // Field (GDST, ByteAcc, NoLock, WriteAsZeros) { GDAT, 8 }
  EXPECT_EQ(Field("GDST", FieldAccess::kByte, FieldLock::kNoLock, FieldUpdate::kWriteAsZeros,
                  {{"GDAT", 8}})
                .bytes(),
            Bytes({0x5B, 0x81, 0x0B, 'G', 'D', 'S', 'T', 0x41, 'G', 'D', 'A', 'T', 0x08}));
  // Field (GDST, DWordAcc, Lock, Preserve) { AAAA, 1, , 3, BBBB, 4 }
  EXPECT_EQ(Field("GDST", FieldAccess::kDWord, FieldLock::kLock, FieldUpdate::kPreserve,
                  {{"AAAA", 1}, {"", 3}, {"BBBB", 4}})
                .bytes(),
            Bytes({0x5B, 0x81, 0x12, 'G',  'D',  'S', 'T', 0x13, 'A', 'A',
                   'A',  'A',  0x01, 0x00, 0x03, 'B', 'B', 'B',  'B', 0x04}));
  // A 64-bit unit needs a 2-byte bit count: 0x40 -> 40 04.
  const Term wide =
      Field("R", FieldAccess::kAny, FieldLock::kNoLock, FieldUpdate::kPreserve, {{"WIDE", 64}});
  const Bytes& w = wide.bytes();
  EXPECT_EQ(Bytes(w.end() - 2, w.end()), Bytes({0x40, 0x04}));
  // Mutex (MTX0, 0)
  EXPECT_EQ(Mutex("MTX0", 0).bytes(), Bytes({0x5B, 0x01, 'M', 'T', 'X', '0', 0x00}));
}

TEST(AmlTest, MethodWithControlFlowAndArithmetic) {
  // The listing of Method (MTH0, 1, Serialized) { ... } in the file comment's ASL:
  const Term m =
      Method("MTH0", 1, true,
             {
                 Store(Path("GDAT"), Local(0)),
                 If(LEqual(And(Local(0), Int(8), Local(1)), Int(8)),
                    {Notify(Path("\\_SB_.COM1"), Int(0x80))}),
                 Else({Increment(Local(0))}),
                 While(LLess(Local(0), Int(4)), {Decrement(Local(0))}),
                 Acquire(Path("MTX0"), 0xFFFF),
                 Release(Path("MTX0")),
                 Add(Local(0), Arg(0), Local(2)),
                 Subtract(Local(0), One(), Local(2)),
                 Or(Local(0), Int(2), Local(2)),
                 ShiftLeft(Local(0), Int(3), Local(2)),
                 ShiftRight(Local(0), Int(3), Local(2)),
                 Store(LAnd(LGreater(Local(0), One()), LNot(LOr(Local(1), Local(2)))), Local(3)),
                 Call("MTH1", {One(), Int(2)}),
                 Return(Ones()),
             });
  const Bytes expected = {
      0x14, 0x48, 0x06, 'M',  'T',  'H',  '0',  0x09, 0x70, 'G',  'D',  'A',  'T',  0x60, 0xA0,
      0x16, 0x93, 0x7B, 0x60, 0x0A, 0x08, 0x61, 0x0A, 0x08, 0x86, 0x5C, 0x2E, '_',  'S',  'B',
      '_',  'C',  'O',  'M',  '1',  0x0A, 0x80, 0xA1, 0x03, 0x75, 0x60, 0xA2, 0x07, 0x95, 0x60,
      0x0A, 0x04, 0x76, 0x60, 0x5B, 0x23, 'M',  'T',  'X',  '0',  0xFF, 0xFF, 0x5B, 0x27, 'M',
      'T',  'X',  '0',  0x72, 0x60, 0x68, 0x62, 0x74, 0x60, 0x01, 0x62, 0x7D, 0x60, 0x0A, 0x02,
      0x62, 0x79, 0x60, 0x0A, 0x03, 0x62, 0x7A, 0x60, 0x0A, 0x03, 0x62, 0x70, 0x90, 0x94, 0x60,
      0x01, 0x92, 0x91, 0x61, 0x62, 0x63, 'M',  'T',  'H',  '1',  0x01, 0x0A, 0x02, 0xA4, 0xFF,
  };
  EXPECT_EQ(m.bytes(), expected);
  // Method (MTH1, 2, NotSerialized) { Return (Arg1) } -> 14 08 'MTH1' 02 A4 69
  EXPECT_EQ(Method("MTH1", 2, false, {Return(Arg(1))}).bytes(),
            Bytes({0x14, 0x08, 'M', 'T', 'H', '1', 0x02, 0xA4, 0x69}));
}

TEST(AmlTest, CreateQWordFieldInAMethod) {
  // Method (MTH2, 0, Serialized) { Name (MR64, Buffer (0x04) {1, 2, 3, 4})
  //   CreateQWordField (MR64, 0x0E, MINL)  Return (MINL) }
  const uint8_t data[] = {1, 2, 3, 4};
  const Term m = Method("MTH2", 0, true,
                        {
                            Name("MR64", Buffer(data)),
                            CreateQWordField(Path("MR64"), Int(14), "MINL"),
                            Return(Path("MINL")),
                        });
  EXPECT_EQ(m.bytes(), Bytes({0x14, 0x23, 'M',  'T', 'H', '2',  0x08, 0x08, 'M', 'R',
                              '6',  '4',  0x11, 0x07, 0x0A, 0x04, 0x01, 0x02, 0x03, 0x04,
                              0x8F, 'M',  'R',  '6', '4', 0x0A, 0x0E, 'M',  'I', 'N',
                              'L',  0xA4, 'M',  'I', 'N', 'L'}));
}

TEST(AmlTest, LocalsArgsAndNull) {
  EXPECT_EQ(Local(7).bytes(), Bytes({0x67}));
  EXPECT_EQ(Arg(6).bytes(), Bytes({0x6E}));
  EXPECT_EQ(Add(One(), One()).bytes(), Bytes({0x72, 0x01, 0x01, 0x00}));  // NullName target
  EXPECT_EQ(Break().bytes(), Bytes({0xA5}));
  EXPECT_DEATH(Local(8), "bad Local");
  EXPECT_DEATH(Arg(7), "bad Arg");
}

}  // namespace
}  // namespace petrel::acpi::aml
