// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Flat VMDK descriptor parsing (see vmdk_descriptor.h).
#include "devices/block/image/vmdk_descriptor.h"

#include <charconv>

namespace petrel {
namespace {

constexpr char kConvertHint[] =
    "only flat VMDK (monolithicFlat, twoGbMaxExtentFlat, vmfs) is supported; convert with "
    "'qemu-img convert -O vmdk -o subformat=monolithicFlat' or to raw";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string_view Unquote(std::string_view s) {
  s = Trim(s);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

// The next whitespace-separated word of `line`, consumed.
std::string_view Word(std::string_view& line) {
  line = Trim(line);
  size_t end = 0;
  while (end < line.size() && line[end] != ' ' && line[end] != '\t') ++end;
  std::string_view word = line.substr(0, end);
  line.remove_prefix(end);
  return word;
}

bool ParseU64(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

Error Malformed(size_t line_no, const std::string& what) {
  return Error(ErrorCode::kMalformed,
               "VMDK descriptor line " + std::to_string(line_no) + ": " + what);
}

// VMDK 5.0 "Extent Descriptions": access, size, type, "file", offset.
Result<VmdkExtent> ParseExtent(std::string_view line, size_t line_no) {
  VmdkExtent extent;
  const std::string_view access = Word(line);
  if (access == "NOACCESS")
    return Error(ErrorCode::kUnsupported, "VMDK descriptor line " + std::to_string(line_no) +
                                              ": NOACCESS extents are not supported");
  extent.readonly = access == "RDONLY";
  if (!ParseU64(Word(line), extent.sectors))
    return Malformed(line_no, "the extent size is not a number");
  const std::string type(Word(line));
  if (type != "FLAT" && type != "VMFS")
    return Error(ErrorCode::kUnsupported, "VMDK descriptor line " + std::to_string(line_no) + ": " +
                                              type + " extents are not supported; " + kConvertHint);
  line = Trim(line);
  if (line.empty() || line.front() != '"')
    return Malformed(line_no, "the extent file name is not quoted");
  const size_t close = line.find('"', 1);
  if (close == std::string_view::npos) return Malformed(line_no, "unterminated extent file name");
  extent.file = std::string(line.substr(1, close - 1));
  if (extent.file.empty()) return Malformed(line_no, "empty extent file name");
  line.remove_prefix(close + 1);
  const std::string_view offset = Word(line);
  if (!offset.empty() && !ParseU64(offset, extent.offset))
    return Malformed(line_no, "the extent offset is not a number");
  if (!Trim(line).empty()) return Malformed(line_no, "unexpected text after the extent offset");
  if (extent.sectors == 0) return Malformed(line_no, "an extent of 0 sectors");
  if (extent.sectors > kVmdkMaxDiskBytes / kVmdkSectorSize ||
      extent.offset > kVmdkMaxDiskBytes / kVmdkSectorSize)
    return Malformed(line_no, "the extent size or offset is too large");
  return extent;
}

}  // namespace

uint64_t VmdkDescriptor::size() const {
  uint64_t total = 0;
  for (const VmdkExtent& e : extents) total += e.sectors * kVmdkSectorSize;
  return total;
}

Result<VmdkDescriptor> ParseVmdkDescriptor(std::string_view text) {
  if (text.size() >= 4 && text.substr(0, 4) == "KDMV")
    return Error(ErrorCode::kUnsupported,
                 std::string("a hosted sparse VMDK extent (\"KDMV\"); ") + kConvertHint);
  if (text.size() > kVmdkMaxDescriptorBytes)
    return Error(ErrorCode::kMalformed, "VMDK descriptor larger than " +
                                            std::to_string(kVmdkMaxDescriptorBytes) + " bytes");
  // QEMU pads the descriptor it rewrites with NULs (and reads it as a C
  // string): the text ends at the first NUL.
  text = text.substr(0, text.find('\0'));
  VmdkDescriptor d;
  uint64_t total_sectors = 0;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    std::string_view line = Trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line.front() == '#') continue;
    if (line.starts_with("RW ") || line.starts_with("RDONLY ") || line.starts_with("NOACCESS ") ||
        line.starts_with("RW\t") || line.starts_with("RDONLY\t")) {
      if (d.extents.size() >= kVmdkMaxExtents)
        return Error(ErrorCode::kUnsupported, "VMDK descriptor with more than " +
                                                  std::to_string(kVmdkMaxExtents) + " extents");
      PETREL_ASSIGN_OR_RETURN(VmdkExtent extent, ParseExtent(line, line_no));
      total_sectors += extent.sectors;  // each <= 2^39: no overflow within 1024 extents
      if (total_sectors > kVmdkMaxDiskBytes / kVmdkSectorSize)
        return Malformed(line_no,
                         "the disk is larger than " + std::to_string(kVmdkMaxDiskBytes) + " bytes");
      d.extents.push_back(std::move(extent));
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;  // DDB and unknown lines: ignored, as QEMU
    const std::string_view key = Trim(line.substr(0, eq));
    const std::string_view value = Unquote(line.substr(eq + 1));
    if (key == "createType") {
      d.create_type = std::string(value);
    } else if (key == "parentCID") {
      // "ffffffff" means no parent (VMDK 5.0 "Header").
      if (value != "ffffffff" && value != "FFFFFFFF")
        return Error(ErrorCode::kUnsupported, "a differencing VMDK (parentCID " +
                                                  std::string(value) +
                                                  "): backing VMDK files are not supported");
    } else if (key == "parentFileNameHint") {
      return Error(
          ErrorCode::kUnsupported,
          "a differencing VMDK (parentFileNameHint): backing VMDK files are not supported");
    }
  }
  if (d.create_type.empty())
    return Error(ErrorCode::kMalformed, "VMDK descriptor without createType");
  if (d.create_type != "monolithicFlat" && d.create_type != "twoGbMaxExtentFlat" &&
      d.create_type != "vmfs")
    return Error(ErrorCode::kUnsupported,
                 "VMDK createType \"" + d.create_type + "\" is not supported; " + kConvertHint);
  if (d.extents.empty()) return Error(ErrorCode::kMalformed, "VMDK descriptor without extents");
  return d;
}

}  // namespace petrel
