// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// AML (ACPI Machine Language) byte encoder: a small composable API that builds
// the definition blocks of the DSDT (and later SSDTs) in Petrel's own code.
//
// Every function returns a Term: the encoded bytes of one AML object, ready to
// be nested into another. The grammar is ACPI 6.4 section 20.2 ("AML
// Grammar Definition"); resource descriptors are section 6.4 ("Resource Data
// Types for ACPI"). Example:
//
//   using namespace petrel::acpi::aml;
//   Term dsdt_body = Scope("\\_SB_", {
//       Device("COM1", {
//           Name("_HID", EisaId("PNP0501")),
//           Name("_UID", Int(0)),
//           Name("_CRS", ResourceTemplate({Io(0x3f8, 0x3f8, 0, 8), IrqNoFlags(4)})),
//       }),
//   });
//
// Names: a NameString is written as in ASL, with 4-character segments
// separated by '.', a leading '\\' for the root and any number of leading '^'
// for the parent scope; short segments are padded with '_' ("_SB" -> "_SB_").
// The encoder is fed by Petrel's own code, never by the guest: a malformed
// name or an out-of-range argument is a broken invariant and aborts with a
// message (tables that depend on user configuration validate it first).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace petrel::acpi::aml {

// One encoded AML object (a TermObj, a DataObject, a NameString, ...).
class Term {
 public:
  Term() = default;
  explicit Term(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
  const std::vector<uint8_t>& bytes() const { return bytes_; }
  size_t size() const { return bytes_.size(); }

 private:
  std::vector<uint8_t> bytes_;
};
using TermList = std::vector<Term>;

// Concatenates the bytes of `terms` (a TermList, ACPI 20.2.1).
std::vector<uint8_t> Encode(const TermList& terms);

// PkgLength (20.2.4) for a package whose contents (after the PkgLength) are
// `content_len` bytes: 1 to 4 bytes; the encoded length counts itself.
std::vector<uint8_t> PkgLength(size_t content_len);

// NameString (20.2.2) from ASL spelling; see the file comment.
std::vector<uint8_t> NameString(std::string_view name);

// --- Data objects (20.2.3) -------------------------------------------------
Term Zero();  // ZeroOp 0x00
Term One();   // OneOp 0x01
Term Ones();  // OnesOp 0xFF
// The shortest encoding, as iasl emits it: Zero, One, Ones (all 64 bits set),
// then BytePrefix 0x0A, WordPrefix 0x0B, DWordPrefix 0x0C or QWordPrefix 0x0E.
Term Int(uint64_t value);
Term String(std::string_view s);  // StringPrefix 0x0D, ASCII 0x01-0x7F, NUL
// A compressed EISA id ("PNP0501": three upper-case letters and four hex
// digits) as a DWord, the encoding of ASL EisaId() (ACPI 6.1.5 _HID).
Term EisaId(std::string_view id);
uint32_t EisaIdValue(std::string_view id);
Term Buffer(std::span<const uint8_t> data);  // BufferOp 0x11
Term Package(const TermList& elements);      // PackageOp 0x12, <= 255 elements
Term Path(std::string_view name);            // a reference to a named object
Term Null();                                 // NullName 0x00: an omitted Target
Term Local(int n);                           // Local0-7: 0x60-0x67
Term Arg(int n);                             // Arg0-6:   0x68-0x6E

// --- Named objects and namespace modifiers ------------------------------------
Term Name(std::string_view name, const Term& value);        // NameOp 0x08
Term Scope(std::string_view name, const TermList& terms);   // ScopeOp 0x10
Term Device(std::string_view name, const TermList& terms);  // ExtOp 0x5B 0x82
// MethodOp 0x14; flags: ArgCount (bits 0-2), SerializeFlag (bit 3), SyncLevel 0.
Term Method(std::string_view name, int args, bool serialized, const TermList& terms);
Term Mutex(std::string_view name, uint8_t sync_level);  // ExtOp 0x5B 0x01

// OperationRegion (ExtOp 0x5B 0x80), RegionSpace values from ACPI 19.6.100.
enum class RegionSpace : uint8_t {
  kSystemMemory = 0x00,
  kSystemIo = 0x01,
  kPciConfig = 0x02,
};
Term OpRegion(std::string_view name, RegionSpace space, const Term& offset, const Term& length);

// Field (ExtOp 0x5B 0x81). FieldFlags (20.2.5.2): AccessType bits 0-3,
// LockRule bit 4, UpdateRule bits 5-6.
enum class FieldAccess : uint8_t {
  kAny = 0,
  kByte = 1,
  kWord = 2,
  kDWord = 3,
  kQWord = 4,
  kBuffer = 5
};
enum class FieldLock : uint8_t { kNoLock = 0, kLock = 1 };
enum class FieldUpdate : uint8_t { kPreserve = 0, kWriteAsOnes = 1, kWriteAsZeros = 2 };
struct FieldUnit {
  std::string name;  // a NameSeg; empty = a reserved gap of `bits` bits
  uint32_t bits;
};
Term Field(std::string_view region, FieldAccess access, FieldLock lock, FieldUpdate update,
           const std::vector<FieldUnit>& units);

// --- Statements (20.2.5.3) ------------------------------------------------------
Term If(const Term& predicate, const TermList& body);     // IfOp 0xA0
Term Else(const TermList& body);                          // ElseOp 0xA1 (follows an If)
Term While(const Term& predicate, const TermList& body);  // WhileOp 0xA2
Term Return(const Term& value);                           // ReturnOp 0xA4
Term Break();                                             // BreakOp 0xA5
Term Notify(const Term& object, const Term& value);       // NotifyOp 0x86
Term Acquire(const Term& mutex, uint16_t timeout_ms);     // ExtOp 0x5B 0x23; 0xFFFF = forever
Term Release(const Term& mutex);                          // ExtOp 0x5B 0x27
// CreateQWordFieldOp 0x8F: `name`, the 8 bytes of `buffer` at `byte_index`.
Term CreateQWordField(const Term& buffer, const Term& byte_index, std::string_view name);
// A method invocation: the method's NameString followed by its arguments.
Term Call(std::string_view method, const TermList& args = {});

// --- Expressions (20.2.5.4) -----------------------------------------------------
Term Store(const Term& value, const Term& target);                           // StoreOp 0x70
Term Add(const Term& a, const Term& b, const Term& target = Null());         // 0x72
Term Subtract(const Term& a, const Term& b, const Term& target = Null());    // 0x74
Term ShiftLeft(const Term& a, const Term& b, const Term& target = Null());   // 0x79
Term ShiftRight(const Term& a, const Term& b, const Term& target = Null());  // 0x7A
Term And(const Term& a, const Term& b, const Term& target = Null());         // 0x7B
Term Or(const Term& a, const Term& b, const Term& target = Null());          // 0x7D
Term Increment(const Term& target);                                          // 0x75
Term Decrement(const Term& target);                                          // 0x76
Term LAnd(const Term& a, const Term& b);                                     // 0x90
Term LOr(const Term& a, const Term& b);                                      // 0x91
Term LNot(const Term& a);                                                    // 0x92
Term LEqual(const Term& a, const Term& b);                                   // 0x93
Term LGreater(const Term& a, const Term& b);                                 // 0x94
Term LLess(const Term& a, const Term& b);                                    // 0x95

// --- Resource templates (ACPI 6.4) ----------------------------------------------
// One resource descriptor (not an AML term: it lives inside a Buffer).
class Resource {
 public:
  explicit Resource(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

// A Buffer holding the descriptors followed by the End Tag (6.4.2.9) with a
// zero checksum byte, which the spec defines as "checksum OK" and iasl emits.
Term ResourceTemplate(const std::vector<Resource>& resources);

// I/O Port Descriptor (6.4.2.5), 16-bit decode.
Resource Io(uint16_t min, uint16_t max, uint8_t align, uint8_t length);
// IRQ Descriptor without flags (6.4.2.1): edge, active high, exclusive. irq < 16.
Resource IrqNoFlags(uint8_t irq);
// 32-bit Fixed Memory Range Descriptor (6.4.3.4).
Resource Memory32Fixed(bool read_write, uint32_t base, uint32_t length);

// Extended Interrupt Descriptor (6.4.3.6).
enum class Usage : uint8_t { kProducer = 0, kConsumer = 1 };
enum class Trigger : uint8_t { kLevel = 0, kEdge = 1 };
enum class Polarity : uint8_t { kActiveHigh = 0, kActiveLow = 1 };
enum class Sharing : uint8_t { kExclusive = 0, kShared = 1 };
Resource Interrupt(Usage usage, Trigger trigger, Polarity polarity, Sharing sharing,
                   const std::vector<uint32_t>& irqs);

// Address Space Resource Descriptors (6.4.3.5), always MinFixed + MaxFixed +
// PosDecode with length = max - min + 1 (checked) and no translation.
// Memory type-specific flags (6.4.3.5.4): _RW bit 0, _MEM bits 1-2.
enum class Cache : uint8_t {
  kNonCacheable = 0,
  kCacheable = 1,
  kWriteCombining = 2,
  kPrefetchable = 3
};
Resource DWordMemory(Usage usage, Cache cache, bool read_write, uint32_t min, uint32_t max);
Resource QWordMemory(Usage usage, Cache cache, bool read_write, uint64_t min, uint64_t max);
// I/O type-specific flags (6.4.3.5.3): _RNG = EntireRange (3).
Resource DWordIo(Usage usage, uint32_t min, uint32_t max);
Resource WordBusNumber(Usage usage, uint16_t min, uint16_t max);

}  // namespace petrel::acpi::aml
