// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// AML byte encoder (see aml.h). Opcode values are from ACPI 6.4 section 20.3
// ("AML Byte Stream Byte Values"); resource descriptor layouts from 6.4.
#include "core/acpi/aml.h"

#include <cstdio>
#include <cstdlib>

namespace petrel::acpi::aml {
namespace {

// ACPI 6.4 20.3: AML byte stream byte values.
constexpr uint8_t kZeroOp = 0x00;
constexpr uint8_t kOneOp = 0x01;
constexpr uint8_t kNameOp = 0x08;
constexpr uint8_t kBytePrefix = 0x0A;
constexpr uint8_t kWordPrefix = 0x0B;
constexpr uint8_t kDWordPrefix = 0x0C;
constexpr uint8_t kStringPrefix = 0x0D;
constexpr uint8_t kQWordPrefix = 0x0E;
constexpr uint8_t kScopeOp = 0x10;
constexpr uint8_t kBufferOp = 0x11;
constexpr uint8_t kPackageOp = 0x12;
constexpr uint8_t kMethodOp = 0x14;
constexpr uint8_t kDualNamePrefix = 0x2E;
constexpr uint8_t kMultiNamePrefix = 0x2F;
constexpr uint8_t kExtOpPrefix = 0x5B;
constexpr uint8_t kMutexOp = 0x01;     // after ExtOpPrefix
constexpr uint8_t kAcquireOp = 0x23;   // after ExtOpPrefix
constexpr uint8_t kReleaseOp = 0x27;   // after ExtOpPrefix
constexpr uint8_t kOpRegionOp = 0x80;  // after ExtOpPrefix
constexpr uint8_t kFieldOp = 0x81;     // after ExtOpPrefix
constexpr uint8_t kDeviceOp = 0x82;    // after ExtOpPrefix
constexpr uint8_t kRootChar = '\\';
constexpr uint8_t kParentPrefixChar = '^';
constexpr uint8_t kLocal0Op = 0x60;
constexpr uint8_t kArg0Op = 0x68;
constexpr uint8_t kStoreOp = 0x70;
constexpr uint8_t kAddOp = 0x72;
constexpr uint8_t kSubtractOp = 0x74;
constexpr uint8_t kIncrementOp = 0x75;
constexpr uint8_t kDecrementOp = 0x76;
constexpr uint8_t kShiftLeftOp = 0x79;
constexpr uint8_t kShiftRightOp = 0x7A;
constexpr uint8_t kAndOp = 0x7B;
constexpr uint8_t kOrOp = 0x7D;
constexpr uint8_t kNotifyOp = 0x86;
constexpr uint8_t kCreateQWordFieldOp = 0x8F;
constexpr uint8_t kLAndOp = 0x90;
constexpr uint8_t kLOrOp = 0x91;
constexpr uint8_t kLNotOp = 0x92;
constexpr uint8_t kLEqualOp = 0x93;
constexpr uint8_t kLGreaterOp = 0x94;
constexpr uint8_t kLLessOp = 0x95;
constexpr uint8_t kIfOp = 0xA0;
constexpr uint8_t kElseOp = 0xA1;
constexpr uint8_t kWhileOp = 0xA2;
constexpr uint8_t kReturnOp = 0xA4;
constexpr uint8_t kBreakOp = 0xA5;
constexpr uint8_t kOnesOp = 0xFF;

// ACPI 6.4 6.4.2 / 6.4.3: resource descriptor tags.
constexpr uint8_t kIrqNoFlagsTag = 0x22;  // small item 0x04, length 2
constexpr uint8_t kIoPortTag = 0x47;      // small item 0x08, length 7
constexpr uint8_t kEndTag = 0x79;         // small item 0x0F, length 1
constexpr uint8_t kMemory32FixedTag = 0x86;
constexpr uint8_t kDWordAddressTag = 0x87;
constexpr uint8_t kWordAddressTag = 0x88;
constexpr uint8_t kExtendedIrqTag = 0x89;
constexpr uint8_t kQWordAddressTag = 0x8A;
// 6.4.3.5 Resource Type: 0 memory, 1 I/O, 2 bus number.
constexpr uint8_t kResourceTypeMemory = 0;
constexpr uint8_t kResourceTypeIo = 1;
constexpr uint8_t kResourceTypeBus = 2;
// 6.4.3.5 General Flags: bit 0 consumer, bit 2 _MIF, bit 3 _MAF (bit 1 _DEC = 0: PosDecode).
constexpr uint8_t kAddrFlagMinFixed = 1 << 2;
constexpr uint8_t kAddrFlagMaxFixed = 1 << 3;
// 6.4.3.5.5 I/O type-specific flags: _RNG bits 0-1 = 3 (EntireRange).
constexpr uint8_t kIoRangeEntire = 3;

[[noreturn]] void Die(const char* what, std::string_view detail) {
  std::fprintf(stderr, "petrel: aml: %s: '%.*s'\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

void Append(std::vector<uint8_t>& out, std::span<const uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

template <class T>
void AppendLe(std::vector<uint8_t>& out, T value) {
  for (size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

// Opcode bytes, then PkgLength, then `content`.
Term WithPkgLength(std::initializer_list<uint8_t> opcode, const std::vector<uint8_t>& content) {
  std::vector<uint8_t> out(opcode);
  Append(out, PkgLength(content.size()));
  Append(out, content);
  return Term(std::move(out));
}

Term Op(std::initializer_list<uint8_t> opcode, std::initializer_list<const Term*> operands) {
  std::vector<uint8_t> out(opcode);
  for (const Term* t : operands) Append(out, t->bytes());
  return Term(std::move(out));
}

bool IsLeadNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsNameChar(char c) {
  return IsLeadNameChar(c) || (c >= '0' && c <= '9');
}

// One NameSeg (20.2.2): 1-4 characters, padded to 4 with '_'.
void AppendNameSeg(std::vector<uint8_t>& out, std::string_view seg, std::string_view whole) {
  if (seg.empty() || seg.size() > 4 || !IsLeadNameChar(seg[0])) Die("bad name segment", whole);
  for (char c : seg) {
    if (!IsNameChar(c)) Die("bad name character", whole);
  }
  for (size_t i = 0; i < 4; ++i) out.push_back(i < seg.size() ? static_cast<uint8_t>(seg[i]) : '_');
}

// ACPI 6.4 20.2.4: the PkgLength byte layout for `value` in `n` bytes
// (1 byte: bits 5-0; n > 1: byte 0 bits 3-0 hold the low nibble, each
// following byte the next 8 bits; byte 0 bits 7-6 = n - 1).
bool FitsPkgLength(size_t value, size_t n) {
  return value < (n == 1 ? size_t{0x40} : size_t{1} << (4 + 8 * (n - 1)));
}

void AppendPkgLengthValue(std::vector<uint8_t>& out, size_t value, size_t n) {
  if (n == 1) {
    out.push_back(static_cast<uint8_t>(value));
    return;
  }
  out.push_back(static_cast<uint8_t>(((n - 1) << 6) | (value & 0x0F)));
  for (size_t i = 1; i < n; ++i) out.push_back(static_cast<uint8_t>(value >> (4 + 8 * (i - 1))));
}

Resource AddressDescriptor(uint8_t tag, uint8_t type, Usage usage, uint8_t type_flags, uint64_t min,
                           uint64_t max, int width) {
  if (max < min) Die("address range max < min", "");
  const uint64_t len = max - min + 1;
  const bool fits = width == 8 ? len != 0 : len <= (uint64_t{1} << (8 * width)) - 1;
  if (!fits) Die("address range length does not fit the descriptor", "");
  std::vector<uint8_t> out;
  out.push_back(tag);
  const uint16_t body = static_cast<uint16_t>(3 + 5 * width);  // type, flags, tflags, 5 fields
  AppendLe<uint16_t>(out, body);
  out.push_back(type);
  out.push_back(
      static_cast<uint8_t>(kAddrFlagMinFixed | kAddrFlagMaxFixed | static_cast<uint8_t>(usage)));
  out.push_back(type_flags);
  const uint64_t fields[5] = {0, min, max, 0, len};  // _GRA, _MIN, _MAX, _TRA, _LEN
  for (uint64_t f : fields) {
    for (int i = 0; i < width; ++i) out.push_back(static_cast<uint8_t>(f >> (8 * i)));
  }
  return Resource(std::move(out));
}

}  // namespace

std::vector<uint8_t> Encode(const TermList& terms) {
  std::vector<uint8_t> out;
  for (const Term& t : terms) Append(out, t.bytes());
  return out;
}

std::vector<uint8_t> PkgLength(size_t content_len) {
  // The encoded length includes the PkgLength bytes themselves.
  for (size_t n = 1; n <= 4; ++n) {
    if (FitsPkgLength(content_len + n, n)) {
      std::vector<uint8_t> out;
      AppendPkgLengthValue(out, content_len + n, n);
      return out;
    }
  }
  Die("package too long", std::to_string(content_len));
}

std::vector<uint8_t> NameString(std::string_view name) {
  std::vector<uint8_t> out;
  std::string_view rest = name;
  if (!rest.empty() && rest[0] == '\\') {
    out.push_back(kRootChar);
    rest.remove_prefix(1);
  } else {
    while (!rest.empty() && rest[0] == '^') {
      out.push_back(kParentPrefixChar);
      rest.remove_prefix(1);
    }
  }
  std::vector<std::string_view> segs;
  while (!rest.empty()) {
    const size_t dot = rest.find('.');
    segs.push_back(rest.substr(0, dot));
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
    if (rest.empty()) Die("name ends with '.'", name);
  }
  if (segs.empty()) {
    // A bare root "\\" is RootChar NullName; an empty name is invalid.
    if (out.size() == 1 && out[0] == kRootChar) {
      out.push_back(0x00);
      return out;
    }
    Die("empty name", name);
  }
  if (segs.size() == 2) {
    out.push_back(kDualNamePrefix);
  } else if (segs.size() > 2) {
    if (segs.size() > 255) Die("too many name segments", name);
    out.push_back(kMultiNamePrefix);
    out.push_back(static_cast<uint8_t>(segs.size()));
  }
  for (std::string_view seg : segs) AppendNameSeg(out, seg, name);
  return out;
}

// --- Data objects ---------------------------------------------------------------

Term Zero() {
  return Term({kZeroOp});
}
Term One() {
  return Term({kOneOp});
}
Term Ones() {
  return Term({kOnesOp});
}

Term Int(uint64_t value) {
  if (value == 0) return Zero();
  if (value == 1) return One();
  if (value == ~uint64_t{0}) return Ones();
  std::vector<uint8_t> out;
  if (value <= 0xFF) {
    out.push_back(kBytePrefix);
    AppendLe<uint8_t>(out, static_cast<uint8_t>(value));
  } else if (value <= 0xFFFF) {
    out.push_back(kWordPrefix);
    AppendLe<uint16_t>(out, static_cast<uint16_t>(value));
  } else if (value <= 0xFFFF'FFFF) {
    out.push_back(kDWordPrefix);
    AppendLe<uint32_t>(out, static_cast<uint32_t>(value));
  } else {
    out.push_back(kQWordPrefix);
    AppendLe<uint64_t>(out, value);
  }
  return Term(std::move(out));
}

Term String(std::string_view s) {
  std::vector<uint8_t> out{kStringPrefix};
  for (char c : s) {
    // 20.2.3: AsciiCharList is 0x01-0x7F.
    if (c <= 0 || static_cast<unsigned char>(c) > 0x7F) Die("bad string character", s);
    out.push_back(static_cast<uint8_t>(c));
  }
  out.push_back(0x00);
  return Term(std::move(out));
}

uint32_t EisaIdValue(std::string_view id) {
  // ACPI 6.4 6.1.5: "PNPdddd": three letters, 5 bits each (A = 1), then four
  // hex digits; the 32-bit value is stored big-endian, so as a little-endian
  // integer it is byte-swapped.
  if (id.size() != 7) Die("bad EISA id", id);
  for (int i = 0; i < 3; ++i) {
    if (id[i] < 'A' || id[i] > 'Z') Die("bad EISA id", id);
  }
  uint32_t product = 0;
  for (int i = 3; i < 7; ++i) {
    const char c = id[i];
    uint32_t digit;
    if (c >= '0' && c <= '9') {
      digit = static_cast<uint32_t>(c - '0');
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<uint32_t>(c - 'A' + 10);
    } else {
      Die("bad EISA id", id);
    }
    product = (product << 4) | digit;
  }
  const uint32_t vendor = (static_cast<uint32_t>(id[0] - '@') << 10) |
                          (static_cast<uint32_t>(id[1] - '@') << 5) |
                          static_cast<uint32_t>(id[2] - '@');
  const uint32_t be = (vendor << 16) | product;
  return __builtin_bswap32(be);
}

Term EisaId(std::string_view id) {
  // iasl always emits EisaId() as a DWord (the value is > 0xFFFF for any valid id).
  std::vector<uint8_t> out{kDWordPrefix};
  AppendLe<uint32_t>(out, EisaIdValue(id));
  return Term(std::move(out));
}

Term Buffer(std::span<const uint8_t> data) {
  std::vector<uint8_t> content = Int(data.size()).bytes();  // BufferSize
  Append(content, data);
  return WithPkgLength({kBufferOp}, content);
}

Term Package(const TermList& elements) {
  if (elements.size() > 255) Die("package has more than 255 elements", "");
  std::vector<uint8_t> content{static_cast<uint8_t>(elements.size())};  // NumElements
  Append(content, Encode(elements));
  return WithPkgLength({kPackageOp}, content);
}

Term Path(std::string_view name) {
  return Term(NameString(name));
}
Term Null() {
  return Term({0x00});
}

Term Local(int n) {
  if (n < 0 || n > 7) Die("bad Local number", std::to_string(n));
  return Term({static_cast<uint8_t>(kLocal0Op + n)});
}

Term Arg(int n) {
  if (n < 0 || n > 6) Die("bad Arg number", std::to_string(n));
  return Term({static_cast<uint8_t>(kArg0Op + n)});
}

// --- Named objects --------------------------------------------------------------

Term Name(std::string_view name, const Term& value) {
  std::vector<uint8_t> out{kNameOp};
  Append(out, NameString(name));
  Append(out, value.bytes());
  return Term(std::move(out));
}

Term Scope(std::string_view name, const TermList& terms) {
  std::vector<uint8_t> content = NameString(name);
  Append(content, Encode(terms));
  return WithPkgLength({kScopeOp}, content);
}

Term Device(std::string_view name, const TermList& terms) {
  std::vector<uint8_t> content = NameString(name);
  Append(content, Encode(terms));
  return WithPkgLength({kExtOpPrefix, kDeviceOp}, content);
}

Term Method(std::string_view name, int args, bool serialized, const TermList& terms) {
  if (args < 0 || args > 7) Die("bad method argument count", name);
  std::vector<uint8_t> content = NameString(name);
  // 20.2.5.2 MethodFlags: ArgCount bits 0-2, SerializeFlag bit 3, SyncLevel bits 4-7 (0).
  content.push_back(static_cast<uint8_t>(args | (serialized ? 0x08 : 0x00)));
  Append(content, Encode(terms));
  return WithPkgLength({kMethodOp}, content);
}

Term Mutex(std::string_view name, uint8_t sync_level) {
  if (sync_level > 15) Die("bad mutex sync level", name);
  std::vector<uint8_t> out{kExtOpPrefix, kMutexOp};
  Append(out, NameString(name));
  out.push_back(sync_level);  // SyncFlags: bits 0-3 SyncLevel
  return Term(std::move(out));
}

Term OpRegion(std::string_view name, RegionSpace space, const Term& offset, const Term& length) {
  std::vector<uint8_t> out{kExtOpPrefix, kOpRegionOp};
  Append(out, NameString(name));
  out.push_back(static_cast<uint8_t>(space));
  Append(out, offset.bytes());
  Append(out, length.bytes());
  return Term(std::move(out));
}

Term Field(std::string_view region, FieldAccess access, FieldLock lock, FieldUpdate update,
           const std::vector<FieldUnit>& units) {
  std::vector<uint8_t> content = NameString(region);
  content.push_back(static_cast<uint8_t>(static_cast<uint8_t>(access) |
                                         (static_cast<uint8_t>(lock) << 4) |
                                         (static_cast<uint8_t>(update) << 5)));
  for (const FieldUnit& unit : units) {
    // 20.2.5.2: NamedField = NameSeg PkgLength(bits); ReservedField = 0x00 PkgLength(bits).
    // The bit count is stored in PkgLength form but does not count itself.
    if (unit.bits == 0) Die("zero-width field unit", unit.name);
    if (unit.name.empty()) {
      content.push_back(0x00);
    } else {
      if (unit.name.find('.') != std::string::npos || unit.name[0] == '\\' || unit.name[0] == '^') {
        Die("field unit name must be a NameSeg", unit.name);
      }
      AppendNameSeg(content, unit.name, unit.name);
    }
    // The bit count uses the PkgLength byte layout but does not count itself.
    size_t n = 1;
    while (n <= 4 && !FitsPkgLength(unit.bits, n)) ++n;
    if (n > 4) Die("field unit too wide", unit.name);
    AppendPkgLengthValue(content, unit.bits, n);
  }
  return WithPkgLength({kExtOpPrefix, kFieldOp}, content);
}

// --- Statements -----------------------------------------------------------------

Term If(const Term& predicate, const TermList& body) {
  std::vector<uint8_t> content = predicate.bytes();
  Append(content, Encode(body));
  return WithPkgLength({kIfOp}, content);
}

Term Else(const TermList& body) {
  return WithPkgLength({kElseOp}, Encode(body));
}

Term While(const Term& predicate, const TermList& body) {
  std::vector<uint8_t> content = predicate.bytes();
  Append(content, Encode(body));
  return WithPkgLength({kWhileOp}, content);
}

Term Return(const Term& value) {
  return Op({kReturnOp}, {&value});
}
Term Break() {
  return Term({kBreakOp});
}
Term Notify(const Term& object, const Term& value) {
  return Op({kNotifyOp}, {&object, &value});
}

Term Acquire(const Term& mutex, uint16_t timeout_ms) {
  std::vector<uint8_t> out{kExtOpPrefix, kAcquireOp};
  Append(out, mutex.bytes());
  AppendLe<uint16_t>(out, timeout_ms);  // Timeout is a raw WordData, no prefix
  return Term(std::move(out));
}

Term Release(const Term& mutex) {
  return Op({kExtOpPrefix, kReleaseOp}, {&mutex});
}

Term CreateQWordField(const Term& buffer, const Term& byte_index, std::string_view name) {
  std::vector<uint8_t> out{kCreateQWordFieldOp};
  Append(out, buffer.bytes());
  Append(out, byte_index.bytes());
  Append(out, NameString(name));
  return Term(std::move(out));
}

Term Call(std::string_view method, const TermList& args) {
  if (args.size() > 7) Die("too many method arguments", method);
  std::vector<uint8_t> out = NameString(method);
  Append(out, Encode(args));
  return Term(std::move(out));
}

// --- Expressions ----------------------------------------------------------------

Term Store(const Term& value, const Term& target) {
  return Op({kStoreOp}, {&value, &target});
}
Term Add(const Term& a, const Term& b, const Term& t) {
  return Op({kAddOp}, {&a, &b, &t});
}
Term Subtract(const Term& a, const Term& b, const Term& t) {
  return Op({kSubtractOp}, {&a, &b, &t});
}
Term ShiftLeft(const Term& a, const Term& b, const Term& t) {
  return Op({kShiftLeftOp}, {&a, &b, &t});
}
Term ShiftRight(const Term& a, const Term& b, const Term& t) {
  return Op({kShiftRightOp}, {&a, &b, &t});
}
Term And(const Term& a, const Term& b, const Term& t) {
  return Op({kAndOp}, {&a, &b, &t});
}
Term Or(const Term& a, const Term& b, const Term& t) {
  return Op({kOrOp}, {&a, &b, &t});
}
Term Increment(const Term& target) {
  return Op({kIncrementOp}, {&target});
}
Term Decrement(const Term& target) {
  return Op({kDecrementOp}, {&target});
}
Term LAnd(const Term& a, const Term& b) {
  return Op({kLAndOp}, {&a, &b});
}
Term LOr(const Term& a, const Term& b) {
  return Op({kLOrOp}, {&a, &b});
}
Term LNot(const Term& a) {
  return Op({kLNotOp}, {&a});
}
Term LEqual(const Term& a, const Term& b) {
  return Op({kLEqualOp}, {&a, &b});
}
Term LGreater(const Term& a, const Term& b) {
  return Op({kLGreaterOp}, {&a, &b});
}
Term LLess(const Term& a, const Term& b) {
  return Op({kLLessOp}, {&a, &b});
}

// --- Resource templates ---------------------------------------------------------

Term ResourceTemplate(const std::vector<Resource>& resources) {
  std::vector<uint8_t> data;
  for (const Resource& r : resources) Append(data, r.bytes());
  data.push_back(kEndTag);
  data.push_back(0x00);  // 6.4.2.9: a zero checksum means "treat as valid"
  return Buffer(data);
}

Resource Io(uint16_t min, uint16_t max, uint8_t align, uint8_t length) {
  if (max < min) Die("IO max < min", "");
  std::vector<uint8_t> out{kIoPortTag, 0x01};  // Information bit 0: 16-bit decode
  AppendLe<uint16_t>(out, min);
  AppendLe<uint16_t>(out, max);
  out.push_back(align);
  out.push_back(length);
  return Resource(std::move(out));
}

Resource IrqNoFlags(uint8_t irq) {
  if (irq >= 16) Die("IRQNoFlags irq >= 16", std::to_string(irq));
  std::vector<uint8_t> out{kIrqNoFlagsTag};
  AppendLe<uint16_t>(out, static_cast<uint16_t>(1u << irq));  // _INT mask
  return Resource(std::move(out));
}

Resource Memory32Fixed(bool read_write, uint32_t base, uint32_t length) {
  std::vector<uint8_t> out{kMemory32FixedTag};
  AppendLe<uint16_t>(out, 9);               // 6.4.3.4: length 9
  out.push_back(read_write ? 0x01 : 0x00);  // Information bit 0: _RW
  AppendLe<uint32_t>(out, base);
  AppendLe<uint32_t>(out, length);
  return Resource(std::move(out));
}

Resource Interrupt(Usage usage, Trigger trigger, Polarity polarity, Sharing sharing,
                   const std::vector<uint32_t>& irqs) {
  if (irqs.empty() || irqs.size() > 255) Die("Interrupt needs 1-255 irqs", "");
  std::vector<uint8_t> out{kExtendedIrqTag};
  AppendLe<uint16_t>(out, static_cast<uint16_t>(2 + 4 * irqs.size()));
  // 6.4.3.6 Interrupt Vector Flags: bit 0 consumer, bit 1 _HE (edge),
  // bit 2 _LL (active low), bit 3 _SHR (shared).
  out.push_back(static_cast<uint8_t>(
      static_cast<uint8_t>(usage) | (static_cast<uint8_t>(trigger) << 1) |
      (static_cast<uint8_t>(polarity) << 2) | (static_cast<uint8_t>(sharing) << 3)));
  out.push_back(static_cast<uint8_t>(irqs.size()));
  for (uint32_t irq : irqs) AppendLe<uint32_t>(out, irq);
  return Resource(std::move(out));
}

Resource DWordMemory(Usage usage, Cache cache, bool read_write, uint32_t min, uint32_t max) {
  const uint8_t tflags =
      static_cast<uint8_t>((read_write ? 1 : 0) | (static_cast<uint8_t>(cache) << 1));
  return AddressDescriptor(kDWordAddressTag, kResourceTypeMemory, usage, tflags, min, max, 4);
}

Resource QWordMemory(Usage usage, Cache cache, bool read_write, uint64_t min, uint64_t max) {
  if (min == 0 && max == ~uint64_t{0}) Die("QWordMemory covers all of 2^64", "");
  const uint8_t tflags =
      static_cast<uint8_t>((read_write ? 1 : 0) | (static_cast<uint8_t>(cache) << 1));
  return AddressDescriptor(kQWordAddressTag, kResourceTypeMemory, usage, tflags, min, max, 8);
}

Resource DWordIo(Usage usage, uint32_t min, uint32_t max) {
  return AddressDescriptor(kDWordAddressTag, kResourceTypeIo, usage, kIoRangeEntire, min, max, 4);
}

Resource WordBusNumber(Usage usage, uint16_t min, uint16_t max) {
  return AddressDescriptor(kWordAddressTag, kResourceTypeBus, usage, 0, min, max, 2);
}

}  // namespace petrel::acpi::aml
